"""Short helpers for driving a core as people would."""

from __future__ import annotations

from bot.core import BotCore
from bot.events import MemberRef, UserMessage


async def say(core: BotCore, who: str, text: str, platform: str = "test",
              event_id: str | None = None) -> str:
    """Send `text` as `who`; return the replies joined as text."""
    replies = await core.handle(UserMessage(MemberRef(platform, who.lower()), text,
                                            event_id=event_id))
    await core.ctx.drain()
    return "\n".join(r.text for r in replies)


async def setup_team(core: BotCore) -> None:
    """Admin Ada, manager Sam, reps Dana and Lee (reporting to Sam)."""
    assert "Added Ada" in await say(core, "ada", "/align team add Ada admin")
    assert "Added Sam" in await say(core, "ada", "/align team add Sam manager")
    assert "Added Dana" in await say(core, "ada", "/align team add Dana rep manager=Sam")
    assert "Added Lee" in await say(core, "ada", "/align team add Lee rep manager=sam")


async def confirmed(core: BotCore, who: str, text: str) -> str:
    """An admin command that may message many people (`/align schedule add ... to=reps` on a big
    team), confirmed the way the admin would when it asks (bot.commands.fanout)."""
    reply = await say(core, who, text)
    if "needs your confirmation" in reply:
        reply = await say(core, who, f"{text} confirm")
    return reply


async def say_now(core: BotCore, who: str, text: str) -> str:
    """Like `say`, without waiting for background work (slow feedback, deliveries)."""
    replies = await core.handle(UserMessage(MemberRef("test", who.lower()), text))
    return "\n".join(r.text for r in replies)
