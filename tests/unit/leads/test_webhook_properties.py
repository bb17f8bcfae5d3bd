"""Property: any correctly signed body, path and size sent to the leads webhook gets a JSON answer
with a 2xx or a clear 4xx - never a 500 - and bad input logs no ERROR. Bodies are generated JSON
(mutations of a valid lead and event: fields dropped, retyped, set to edge values) and raw bytes."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.leads.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.unit.leads.test_webhook import LEAD, SECRET, Client, client  # noqa: F401 - the fixture

EDGE_VALUES = [None, "", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
               10**30, -1, 1.5e308, True, [], {}, "x" * 5000, "\u0000", "touch", "status",
               "engagement", ["soc2_checklist"] * 60, {"nested": [[[[[]]]]]}]
JSON_LEAF = st.one_of(st.sampled_from(EDGE_VALUES), st.text(max_size=30),
                      st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)
EVENT = {"type": "touch", "at": "2026-03-02T14:20:00Z", "by": "Dana", "source": "marketo"}


def mutated(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`base` with some fields dropped and some set to generated or edge values."""
    return st.tuples(st.sets(st.sampled_from(sorted(base))),
                     st.dictionaries(st.sampled_from([*sorted(base), "extra"]), JSON, max_size=3)
                     ).map(lambda drop_set: {**{k: v for k, v in base.items()
                                                if k not in drop_set[0]}, **drop_set[1]})


def one_edge(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`base` with one field set to one of the values that broke the webhook before."""
    return st.tuples(st.sampled_from(sorted(base)), st.sampled_from(EDGE_VALUES)).map(
        lambda field: {**base, field[0]: field[1]})


BODY = st.one_of(one_edge(LEAD).map(json.dumps), one_edge(EVENT).map(lambda e: json.dumps({"event": e})),
                 mutated(LEAD).map(json.dumps), mutated(EVENT).map(lambda e: json.dumps({"event": e})),
                 JSON.map(json.dumps), st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
PATH = st.one_of(st.just("/webhooks/leads"), st.just("/webhooks/leads/M-1/events"),
                 st.text(alphabet="abcXYZ-_.%20", min_size=1, max_size=20)
                 # "." and ".." are path steps the HTTP client resolves before sending: the
                 # request then goes to a URL that is not ours, and gets the server's plain 404
                 .filter(lambda ident: ident.strip(".") != "")
                 .map(lambda ident: f"/webhooks/leads/{ident}/events"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=BODY, path=PATH)
async def test_any_signed_body_gets_a_clear_answer(client: Client, caplog: pytest.LogCaptureFixture,  # noqa: F811
                                                   body: str, path: str) -> None:
    if (await client.post("/webhooks/leads", LEAD))[0] not in (200, 201):
        raise AssertionError("the valid lead must go in")
    caplog.clear()
    data = body.encode()
    stamp = str(int(client.core.ctx.clock.now().timestamp()))
    async with client.session.post(client.base + path, data=data, headers={
            "Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(SECRET, stamp, "POST", path, data)}) as response:
        status, text = response.status, await response.text()
    assert status < 500, f"{path} {body[:200]!r}: {status} {text[:300]}"
    if status != 404 or path.endswith("/events"):
        assert json.loads(text)["ok"] in (True, False), text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
