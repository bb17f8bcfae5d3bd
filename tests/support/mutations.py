"""Hypothesis strategies shared by the property tests of the inbound surfaces: JSON values that
broke things before, generated JSON, bodies nested too deep, and mutations of a valid payload
(any field at any depth dropped or replaced)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

Json = dict[str, Any]
DROP = object()  # the field is removed
EDGE_VALUES = [None, "", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00Z", 10**30, -1, 1.5e308,
               True, [], {}, "x" * 5000, "\u0000", "\ud800", "\u202e", "<@U0ADA0001>",
               {"id": None}, [{}], {"nested": [[[[[]]]]]}, "/align team add <@U0MAL0001> admin"]
LEAF = st.one_of(st.sampled_from(EDGE_VALUES), st.text(max_size=30), st.integers(),
                 st.floats(allow_nan=False), st.booleans(), st.none())
JSON = st.recursive(LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a JSON document (into objects and lists)."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found


def apply(base: Any, changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    """`base` (copied) with each path set to its value, or removed for DROP."""
    document = copy.deepcopy(base)
    for path, value in changes:
        parent = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            if value is DROP:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or retyped the way there
    return document


def mutated(base: Any, max_changes: int = 3) -> st.SearchStrategy[Any]:
    """`base` with up to `max_changes` fields at any depth dropped or set to JSON/edge values."""
    where = sorted(paths(base), key=repr)
    change = st.tuples(st.sampled_from(where), st.one_of(st.just(DROP), JSON))
    return st.lists(change, min_size=1, max_size=max_changes).map(lambda changes: apply(base, changes))


def too_deep(levels: int) -> str:
    """A JSON text nesting `levels` arrays (Python's decoder recurses once per level)."""
    return "[" * levels + "]" * levels


NESTED = st.sampled_from([too_deep(65), too_deep(1000), too_deep(100_000),
                          '{"a":' * 5000 + "1" + "}" * 5000])
