"""`/align help`: every command with an example, generated from the registry itself."""

from __future__ import annotations

from bot.commands.context import CommandContext
from bot.commands.registry import Args, CommandRegistry, CommandSpec
from bot.events import Fact, FactList, Message, Text


def help_message(registry: CommandRegistry, *, admin: bool) -> Message:
    visible = [s for s in registry.specs if admin or not s.admin_only]
    facts = tuple(Fact(f"/align {s.usage}", f"{s.summary}{' (admins)' if s.admin_only else ''}."
                       f" Example: /align {s.example}") for s in visible)
    title = "sales-align-bot commands"
    note = "" if admin else "Admins have more commands for schedules, the team and the strategy."
    text = "\n".join([title, *(f"{f.label} - {f.value}" for f in facts), note]).strip()
    blocks: tuple[Text | FactList, ...] = (Text(title, style="heading"), FactList(facts))
    return Message(text=text, blocks=blocks + ((Text(note, style="muted"),) if note else ()))


def make_spec(registry: CommandRegistry) -> CommandSpec:
    async def show_help(cc: CommandContext, args: Args) -> list[Message]:
        return [help_message(registry, admin=cc.is_admin)]

    return CommandSpec(("help",), "help", "List every command with an example", "help",
                       show_help, max_args=0)
