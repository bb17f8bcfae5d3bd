"""Bot Framework models to and from their wire JSON, with msrest's (de)serializers made once.

msrest builds a new serializer or deserializer for every `Model.serialize()` and
`Model.deserialize()` - each reading the models module afresh - and its deserializer then works
out every attribute's wire key per call: copies the attribute's description, runs two key
extractors (one for flattened keys, one for XML) and splits every key again to find the extra
properties. For an activity (forty-odd attributes, five nested models) that was half of a
message's ack. `KeptDeserializer` works that out once per model class and then only looks the
keys up in the JSON object; each value still goes through msrest's own `deserialize_data`, and
the model is made by msrest's `_instantiate_model`, so the objects are the ones msrest builds
(about half the time). A model it cannot plan for that way (flattened or escaped keys, XML, a
polymorphic discriminator, readonly or constant attributes) and anything that is not a JSON
object go to msrest as they are. The conversation reference saved on every activity is
serialized by a kept serializer that passes over the None attributes (`ActivityBodies`).

A message is acked before its work and that work reads only the wire JSON and the conversation
reference, so for a message no Activity is built at all: `KeptDeserializer.check` refuses what
msrest would refuse (the ack's 400) looking only at the values present, and `reference_of`
deserializes the reference's own parts (the accounts, the conversation) from the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from azure.core.exceptions import DeserializationError, SerializationError  # msrest raises them
from botbuilder.schema import Activity, ActivityTypes, ConversationReference
from botframework.connector import Channels
from msrest.exceptions import raise_with_traceback
from msrest.serialization import Deserializer, Model, Serializer

Json = dict[str, Any]


@dataclass(frozen=True)
class _Plan:
    """One model class's attributes as (attribute, wire key, msrest type), worked out once."""

    attributes: tuple[tuple[str, str, str], ...]
    known_keys: frozenset[str]
    kinds: Mapping[str, str]  # wire key -> msrest type, for `KeptDeserializer.check`


class KeptDeserializer(Deserializer):
    """msrest's Deserializer, with each model class's wire keys worked out once (see the module
    docstring). Made once and kept; only the event loop uses it."""

    def __init__(self, classes: dict[str, type]) -> None:
        super().__init__(classes)  # type: ignore[no-untyped-call]  # msrest is untyped
        self._plans: dict[type, _Plan | None] = {}

    def _deserialize(self, target_obj: Any, data: Any) -> Any:
        if type(data) is not dict:  # a model already, XML, None: msrest's way
            return super()._deserialize(target_obj, data)  # type: ignore[no-untyped-call]
        response, class_name = self._classify_target(target_obj, data)  # type: ignore[no-untyped-call]
        plan = self._plan(response) if isinstance(response, type) and issubclass(response, Model) else None
        if plan is None:
            return super()._deserialize(target_obj, data)  # type: ignore[no-untyped-call]
        try:
            attrs = {attr: self._value(data.get(key), kind) for attr, key, kind in plan.attributes}
        except (AttributeError, TypeError, KeyError):  # as msrest words it
            raise_with_traceback(DeserializationError, "Unable to deserialize to object: " + class_name)
        extra = {key: data[key] for key in set(data.keys()) - plan.known_keys}  # msrest's order
        return self._instantiate_model(response, attrs, extra)  # type: ignore[no-untyped-call]

    def _value(self, raw: Any, kind: str) -> Any:
        """msrest's `deserialize_data`, with its answer for a missing value and a string typed
        `str` (the value itself) given without the three calls it takes to get there."""
        if raw is None or (kind == "str" and type(raw) is str):
            return raw
        return self.deserialize_data(raw, kind)  # type: ignore[no-untyped-call]

    def _plan(self, model: type) -> _Plan | None:
        if model not in self._plans:
            self._plans[model] = _plan_of(model)
        return self._plans[model]

    def check(self, target: str, data: Json) -> None:
        """Raise what `self(target, data)` would raise for this JSON object (a ValueError:
        msrest's DeserializationError), without building a model: only the values present are
        looked at, a string where a string belongs passed at once, a nested object or list of
        objects checked the same way, and any other value given to msrest's `deserialize_data`
        as deserializing it would. What a message's ack needs (`app.py`): msrest would refuse it
        (a 400), or the turn can build what it reads from the JSON later."""
        self._check(data, target)

    def _check(self, raw: Any, kind: str) -> None:
        if raw is None or (kind == "str" and type(raw) is str):
            return
        if type(raw) is dict and (plan := self._plan_named(kind)) is not None:
            try:
                for key, value in raw.items():
                    inner = plan.kinds.get(key)
                    if inner is not None:
                        self._check(value, inner)
            except (AttributeError, TypeError, KeyError):  # as `_deserialize`
                raise_with_traceback(DeserializationError, "Unable to deserialize to object: " + kind)
            return
        if type(raw) is list and kind[:1] == "[" and kind[-1:] == "]" and \
                self._plan_named(kind[1:-1]) is not None:
            for item in raw:  # msrest's deserialize_iter: each item as its own value
                self._check(item, kind[1:-1])
            return
        self.deserialize_data(raw, kind)  # type: ignore[no-untyped-call]  # msrest's own, built and dropped

    def _plan_named(self, kind: str) -> _Plan | None:
        """The plan of the model msrest names `kind`, if it is one this class plans for."""
        model = self.dependencies.get(kind)
        if not isinstance(model, type) or not issubclass(model, Model):  # a polymorphic one has no plan
            return None
        return self._plan(model)


def _plan_of(model: type) -> _Plan | None:
    """The model's plan, or None when msrest has to treat it specially."""
    attribute_map: dict[str, dict[str, Any]] = getattr(model, "_attribute_map", {})
    if getattr(model, "_validation", None) or getattr(model, "_subtype_map", None) or \
            getattr(model, "_xml_map", None):
        return None
    if attribute_map.get("additional_properties", {}).get("key", "") != "":
        return None  # a real attribute of that name: msrest's rules
    attributes = []
    for attr, desc in attribute_map.items():
        key = desc["key"]
        if attr == "additional_properties":
            continue
        if not key or "." in key or "\\" in key or desc.get("xml"):
            return None
        attributes.append((attr, key, desc["type"]))
    # msrest keeps a JSON key no attribute names as `additional_properties` on every model
    return _Plan(tuple(attributes), frozenset(k for _, k, _ in attributes),
                 MappingProxyType({key: kind for _, key, kind in attributes}))


class ActivityBodies(Serializer):
    """The connector's serializer for the bodies of its conversation calls, with an activity's
    attachment contents (the Adaptive Cards: plain JSON objects, typed `object` in the schema)
    put into the body as they are instead of walked value by value, and without msrest's
    validation walk (see `__init__`). Everything else in the activity goes through msrest as
    before; the activity is left as it was."""

    def __init__(self, inner: Serializer) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # msrest is untyped
        self.dependencies = inner.dependencies
        # msrest's check of a body against its models' `_validation` (required fields, lengths,
        # patterns): none of botbuilder's schema models declares any, so the walk over every
        # attribute finds nothing - and cost a reply a fifth of its CPU. A wrong value still
        # fails where it is serialized.
        self.client_side_validation = False
        self.key_transformer = inner.key_transformer
        self._own: dict[type, bool] = {}  # model class -> serialized here (not msrest's way)
        # model class -> its model-typed attributes (attribute, class or None: must be None, list)
        self._nested: dict[type, tuple[tuple[str, type | None, bool], ...] | None] = {}

    def _serialize(self, target_obj: Any, data_type: str | None = None, **kwargs: Any) -> Any:
        """msrest's model serialization, with the attributes that are None (most of an
        activity's forty-odd) passed over before their wire key is worked out: msrest leaves
        them out too (serializing None raises a ValueError it catches). Models msrest would
        treat specially (XML, constraints, flattened keys) go to msrest as they are."""
        attributes = getattr(target_obj, "_attribute_map", None)
        if (data_type or attributes is None or kwargs.get("is_xml")
                or not self._serialized_here(type(target_obj))):
            return super()._serialize(target_obj, data_type, **kwargs)  # type: ignore[no-untyped-call]
        kwargs["is_xml"] = False
        plain_strings = "basic_types_serializers" not in kwargs  # no custom one for "str"
        serialized: dict[str, Any] = {}
        for attr, desc in attributes.items():
            if attr == "additional_properties" and desc["key"] == "":
                if target_obj.additional_properties is not None:
                    serialized.update(target_obj.additional_properties)
                continue
            value = getattr(target_obj, attr)
            if value is None:
                continue
            if plain_strings and type(value) is str and desc["type"] == "str":
                serialized[desc["key"]] = value  # what msrest's serialize_data makes of it, in 3 calls
                continue
            kwargs["serialization_ctxt"] = desc
            try:
                serialized[desc["key"]] = self.serialize_data(value, desc["type"], **kwargs)  # type: ignore[no-untyped-call]
            except SerializationError:
                raise
            except ValueError:  # as msrest: a value that serializes to nothing is left out
                continue
        return serialized

    def _serialized_here(self, model: type) -> bool:
        """Whether `_serialize` writes this model class itself: not one msrest treats specially
        (XML, constraints, flattened or escaped keys). Worked out once per class."""
        own = self._own.get(model)
        if own is None:
            attributes: dict[str, dict[str, Any]] = getattr(model, "_attribute_map", {})
            own = self._own[model] = not (
                model.is_xml_model() or getattr(model, "_validation", None)  # type: ignore[attr-defined]
                or any("." in d["key"] or "\\" in d["key"] for d in attributes.values()))
        return own

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        """msrest's `body`, for an activity: its attachments' contents put in as they are, and -
        when every value typed as a model is one of that model (`_typed`: what the bot's own
        activities hold) - without msrest's first step, which makes a new deserializer and walks
        the whole activity to turn any plain dict into its model (half of a reply's body)."""
        activity = data_type == "Activity" and isinstance(data, Activity)
        attachments = (data.attachments or []) if activity else []
        contents = [a.content for a in attachments]
        try:
            for attachment in attachments:
                attachment.content = None
            if activity and self._typed(data):
                kwargs.setdefault("is_xml", False)  # what msrest's body sets for the Activity model
                body = self._serialize(data, data_type, **kwargs)
            else:
                body = super().body(data, data_type, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            for attachment, content in zip(attachments, contents, strict=True):
                attachment.content = content
        for wire, content in zip(body.get("attachments") or [] if attachments else [], contents, strict=True):
            if content is not None:
                wire["content"] = content
        return body

    def _typed(self, model: Any) -> bool:
        """Every value of `model` (and of its nested models) typed as a model is an instance of
        that model: then msrest's walk in `body` would change nothing. A plain dict where a
        model belongs, a dict of models, an enum-typed value or a model with constraints: False
        (msrest's way)."""
        nested = self._nested_of(type(model))
        if nested is None:
            return False
        for attr, model_class, many in nested:
            value = getattr(model, attr, None)
            if value is None:
                continue
            if model_class is None or (many and type(value) is not list):
                return False
            for item in (value if many else (value,)):
                if not isinstance(item, model_class) or not self._typed(item):
                    return False
        return True

    def _nested_of(self, model: type) -> tuple[tuple[str, type | None, bool], ...] | None:
        if model not in self._nested:
            found: list[tuple[str, type | None, bool]] | None = []
            if getattr(model, "_validation", None) or getattr(model, "_subtype_map", None):
                found = None
            for attr, desc in getattr(model, "_attribute_map", {}).items():
                kind: str = desc["type"]
                inner = self.dependencies.get(kind.strip("[]{}"))
                if found is None or inner is None:
                    continue
                plain = isinstance(inner, type) and issubclass(inner, Model)
                single, listed = kind == kind.strip("[]{}"), kind[:1] == "[" and kind[1:2] not in "[{"
                found.append((attr, inner if plain and (single or listed) else None, listed))
            self._nested[model] = tuple(found) if found is not None else None
        return self._nested[model]


# The activity and conversation reference models, with their (de)serializers made once.
ACTIVITIES = KeptDeserializer(Activity._infer_class_models())
_REFERENCE_MODELS = ConversationReference._infer_class_models()
_REFERENCES = KeptDeserializer(_REFERENCE_MODELS)
# msrest's serializer as the connector's bodies use it (credentials.py): the attributes that are
# None passed over before their wire key is worked out, the same JSON
_REFERENCE_JSON = ActivityBodies(Serializer(_REFERENCE_MODELS))  # type: ignore[no-untyped-call]


def activity_from(body: Json) -> Activity:
    """`Activity().deserialize(body)`, with the kept deserializer."""
    activity: Activity = ACTIVITIES("Activity", body)
    return activity


def reference_of(body: Json) -> ConversationReference:
    """`TurnContext.get_conversation_reference(activity_from(body))`, from the activity's wire
    JSON: only what a conversation reference holds (the two accounts, the conversation and four
    strings) is deserialized, not the whole activity."""
    kind, channel = body.get("type"), body.get("channelId")
    keeps_id = kind != ActivityTypes.conversation_update and channel not in (Channels.direct_line,
                                                                           Channels.webchat)
    wire = {"activityId": body.get("id") if keeps_id else None, "user": body.get("from"),
            "bot": body.get("recipient"), "conversation": body.get("conversation"),
            "channelId": channel, "locale": body.get("locale"), "serviceUrl": body.get("serviceUrl")}
    reference: ConversationReference = _REFERENCES("ConversationReference", wire)
    return reference


def reference_from(address: str) -> ConversationReference:
    """A conversation reference from its stored JSON (`address_of`)."""
    reference: ConversationReference = _REFERENCES("ConversationReference", json.loads(address))
    return reference


def address_of(reference: ConversationReference) -> str:
    """A conversation reference as the JSON the contact book stores: `reference.serialize()`,
    with the serializer kept (and None attributes passed over: half the time)."""
    data = _REFERENCE_JSON._serialize(reference, keep_readonly=False)
    return json.dumps(data, separators=(",", ":"))


__all__ = ["ACTIVITIES", "ActivityBodies", "KeptDeserializer", "activity_from", "address_of",
           "reference_from", "reference_of"]
