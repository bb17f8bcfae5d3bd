"""Checks that span the strategy file: unique ids and references that must resolve.

They run on the raw YAML data, defensively, so they can report alongside schema errors instead
of waiting for the file to be structurally valid first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]
Problem = tuple[Path, str]


def _items(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _duplicates(data: dict[str, Any], key: str) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, item in _items(data, key):
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            yield (key, index, "id"), (
                f"duplicate id '{ident}' (first used by {key}[{seen[ident]}]); give each a unique id"
            )
        else:
            seen[ident] = index


def _segment_refs(
    refs: Any, known: set[str], path: Path, what: str
) -> Iterator[Problem]:
    if not isinstance(refs, list):
        return
    for i, ref in enumerate(refs):
        if isinstance(ref, str) and ref not in known:
            choices = ", ".join(sorted(known)) or "none defined"
            yield (*path, i), f"{what} refers to unknown segment '{ref}'; use one of: {choices}"


def cross_reference_problems(data: Any) -> list[Problem]:
    """Every cross-section problem in the raw strategy data, with the path where it occurs."""
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    for key in ("segments", "sales_tasks", "content"):
        problems.extend(_duplicates(data, key))
    segment_ids = {s["id"] for _, s in _items(data, "segments") if isinstance(s.get("id"), str)}
    for index, task in _items(data, "sales_tasks"):
        problems.extend(
            _segment_refs(task.get("segments"), segment_ids, ("sales_tasks", index, "segments"),
                          f"sales task '{task.get('id')}'")
        )
    for index, item in _items(data, "content"):
        refs = item.get("segments")
        problems.extend(
            _segment_refs(refs, segment_ids, ("content", index, "segments"),
                          f"content '{item.get('id')}'")
        )
    cadence = data.get("cadence")
    if isinstance(cadence, dict) and isinstance(cadence.get("segments"), dict):
        for seg_id in cadence["segments"]:
            if seg_id not in segment_ids:
                problems.append((("cadence", "segments", seg_id),
                                 f"cadence is set for unknown segment '{seg_id}'; use one of:"
                                 f" {', '.join(sorted(segment_ids))}"))
    if segment_ids and not any(s.get("in_scope") is True for _, s in _items(data, "segments")):
        problems.append((("segments",), "no segment is in scope; mark where you play with"
                         " in_scope: true"))
    return problems
