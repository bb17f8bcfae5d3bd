"""Reading a strategy file and turning every mistake in it into a message an admin can act on.

Each problem names the file, the line, the key and what to change, and all problems are reported
together: fixing a file one error per run is the experience we want to avoid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.strategy.references import cross_reference_problems
from bot.strategy.schema import Strategy

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class StrategyIssue:
    """One problem in a strategy file."""

    file: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"


class StrategyFileError(Exception):
    """The strategy file cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: list[StrategyIssue]) -> None:
        self.issues = issues
        count = f"{len(issues)} problem{'s' if len(issues) != 1 else ''}"
        super().__init__(f"strategy file has {count}:\n" + "\n".join(f"  {i}" for i in issues))


def _line_index(node: yaml.Node, path: Loc = ()) -> dict[Loc, int]:
    """Map each key path in the YAML document to its 1-based line number."""
    lines: dict[Loc, int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            lines.update(_line_index(value_node, child))
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_index(item, (*path, index)))
    return lines


def _line_for(lines: dict[Loc, int], loc: Loc) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _schema_message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required but missing; add it"
    if kind == "extra_forbidden":
        return "is not a known key; remove it or check its spelling"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _schema_issues(exc: ValidationError, file: str, lines: dict[Loc, int]) -> list[StrategyIssue]:
    issues = []
    for error in exc.errors():
        loc: Loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        issues.append(StrategyIssue(file, _line_for(lines, loc), dotted(loc), _schema_message(error)))
    return issues


def parse_strategy(text: str, file: str = "<strategy>") -> Strategy:
    """Validate strategy YAML text; raise StrategyFileError listing every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise StrategyFileError(
            [StrategyIssue(file, line, "", f"is not valid YAML ({problem}); check indentation and"
                           " quoting near this line")]
        ) from None
    if not isinstance(data, dict) or root is None:
        raise StrategyFileError([StrategyIssue(file, 1, "", "must be a YAML mapping with the keys"
                                               " strategy, segments, sales_tasks and cadence")])
    lines = _line_index(root)
    issues = [
        StrategyIssue(file, _line_for(lines, loc), dotted(loc), message)
        for loc, message in cross_reference_problems(data)
    ]
    strategy: Strategy | None = None
    try:
        strategy = Strategy.model_validate(data)
    except ValidationError as exc:
        issues.extend(_schema_issues(exc, file, lines))
    if issues or strategy is None:
        raise StrategyFileError(sorted(issues, key=lambda i: (i.line or 0, i.where)))
    return strategy


def load_strategy(path: str | Path) -> Strategy:
    """Read and validate a strategy file from disk."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StrategyFileError([StrategyIssue(file, None, "", "file not found; check"
                                               " ALIGNBOT_STRATEGY_FILE or the path you gave")])\
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StrategyFileError([StrategyIssue(file, None, "", f"cannot be read ({exc})")]) from None
    return parse_strategy(text, file)


def line_of(text: str, where: Loc) -> int | None:
    """The line of a key path (`("segments", 2, "aliases")`) in valid strategy YAML text, for
    advice that points at the place to change."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    return _line_for(_line_index(root), where) if root is not None else None
