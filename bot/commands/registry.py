"""The `/align` grammar: command specs, tokenising, matching and usage lines.

One registry serves every platform (Slack slash command, Teams message, console line), so help
text and docs are generated from the same specs the parser uses and cannot drift.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bot.commands.context import CommandContext
from bot.commands.errors import UsageError
from bot.events import Message

Handler = Callable[[CommandContext, "Args"], Awaitable[list[Message]]]


@dataclass(frozen=True)
class Args:
    """Positional words and key=value options after the command words."""

    positional: tuple[str, ...]
    options: dict[str, str]

    def get(self, index: int) -> str | None:
        return self.positional[index] if index < len(self.positional) else None


@dataclass(frozen=True)
class Reach:
    """One way a command can be about someone other than the caller, and who may use it:
    `admins` only, or `team` - managers for people in their team (nested teams included), admins
    for anyone. `example` is the command naming that someone, with `{member}` (a rep),
    `{manager}` (a manager) or `{lead}` (a lead of theirs); the permission tests walk these."""

    example: str
    who: Literal["admins", "team"]

    def describe(self) -> str:
        return "admins" if self.who == "admins" else "managers for their own team, admins for anyone"


@dataclass(frozen=True)
class CommandSpec:
    words: tuple[str, ...]
    usage: str
    summary: str
    example: str
    handler: Handler
    admin_only: bool = False
    min_args: int = 0
    max_args: int | None = None
    options: tuple[str, ...] = ()
    reach: tuple[Reach, ...] = ()  # how it can name someone else; () = only about the caller

    @property
    def name(self) -> str:
        return " ".join(self.words)

    def usage_line(self) -> str:
        return f"Usage: `/align {self.usage}` - e.g. `/align {self.example}`"


_APOSTROPHE = re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_])")
_KEPT = "\x00"  # an apostrophe inside a word while shlex splits, put back after


def tokenize(text: str) -> list[str]:
    """Split like a shell, so names with spaces can be quoted: team add "Dana Scully" rep. An
    apostrophe inside a word ("they're", "didn't", "O'Brien") is part of it, not a quote: an
    answer edited with `/align answer 3 ... they're keen` was refused as an open quote."""
    typed = text.replace("“", '"').replace("”", '"').replace("’", "'")
    try:
        return [t.replace(_KEPT, "'") for t in shlex.split(_APOSTROPHE.sub(_KEPT, typed))]
    except ValueError:
        raise UsageError("A quote is not closed - check your \" marks and try again.") from None


def split_args(tokens: list[str]) -> Args:
    positional, options = [], {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and key.isidentifier():
            options[key.lower()] = value
        else:
            positional.append(token)
    return Args(tuple(positional), options)


class CommandRegistry:
    def __init__(self) -> None:
        self.specs: list[CommandSpec] = []

    def add(self, spec: CommandSpec) -> None:
        self.specs.append(spec)

    def match(self, tokens: list[str]) -> tuple[CommandSpec, Args] | None:
        """The spec with the longest word prefix of `tokens`, and the rest as arguments."""
        lowered = [t.lower() for t in tokens]
        best: CommandSpec | None = None
        for spec in self.specs:
            n = len(spec.words)
            if tuple(lowered[:n]) == spec.words and (best is None or n > len(best.words)):
                best = spec
        if best is None:
            return None
        args = split_args(tokens[len(best.words):])
        self._check(best, args)
        return best, args

    def family(self, word: str) -> list[CommandSpec]:
        return [s for s in self.specs if s.words[0] == word.lower()]

    @staticmethod
    def _check(spec: CommandSpec, args: Args) -> None:
        count = len(args.positional)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            raise UsageError(spec.usage_line())
        unknown = sorted(set(args.options) - set(spec.options))
        if unknown:
            allowed = ", ".join(f"{o}=" for o in spec.options) or "no options"
            raise UsageError(f"Unknown option {unknown[0]}= (this command takes {allowed}). "
                             + spec.usage_line())
