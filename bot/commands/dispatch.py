"""Runs a `/align` command line: parse, check permissions, call the handler, turn every user
mistake into a short, specific reply (never a traceback)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from difflib import get_close_matches

from bot.commands.context import CommandContext
from bot.commands.errors import PermissionDenied, UsageError
from bot.commands.registry import CommandRegistry, tokenize
from bot.events import Message

log = logging.getLogger(__name__)


def _unknown(registry: CommandRegistry, tokens: list[str]) -> str:
    if not tokens:
        return "Type `/align help` to see what I can do."
    family = registry.family(tokens[0])
    if family:
        return "Did you mean: " + "; ".join(f"`/align {s.usage}`" for s in family)
    names = sorted({s.words[0] for s in registry.specs})
    guess = get_close_matches(tokens[0].lower(), names, n=1)
    hint = f" Did you mean `/align {guess[0]}`?" if guess else ""
    return f"I don't know the command '{tokens[0]}'.{hint} Type `/align help` for the list."


async def run_guarded(work: Awaitable[list[Message]]) -> list[Message]:
    """A handler started some other way (a button): user mistakes become replies, as for text."""
    try:
        return await work
    except (UsageError, PermissionDenied) as exc:
        return [Message.plain(str(exc))]


async def run_command(registry: CommandRegistry, cc: CommandContext, text: str) -> list[Message]:
    try:
        tokens = tokenize(text)
        matched = registry.match(tokens)
        if matched is None:
            return [Message.plain(_unknown(registry, tokens))]
        spec, args = matched
        bootstrap_ok = spec.words == ("team", "add")  # the first member makes themselves admin
        if spec.admin_only and not cc.is_admin and not bootstrap_ok:
            raise PermissionDenied(f"`/align {spec.name}` is for admins. Ask an admin, or see "
                                   "`/align help` for what you can do.")
        return await spec.handler(cc, args)
    except (UsageError, PermissionDenied) as exc:
        return [Message.plain(str(exc))]
