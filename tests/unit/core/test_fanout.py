"""An admin command that would message more than ALIGNBOT_FANOUT_CONFIRM_ABOVE people first says
how many and waits for a confirmation: the requester's only, once, bound to that command, and
expiring - by button or typed `confirm` (SQLite and PostgreSQL; two clicks at once run it once)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.commands import fanout
from bot.config import Settings
from bot.core import BotCore
from bot.events import ActionInvoked, Buttons, MemberRef, Message
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, fanout_confirm_above=2,
                    _env_file=None)  # type: ignore[call-arg]


async def ask(core: BotCore, who: str, text: str) -> Message:
    [reply] = await core.command(MemberRef("test", who), text)
    return reply


def confirm_value(message: Message) -> str:
    [value] = {b.value for block in message.blocks if isinstance(block, Buttons) for b in block.buttons}
    return value


async def click(core: BotCore, who: str, action_id: str, value: str) -> str:
    replies = await core.handle(ActionInvoked(MemberRef("test", who), action_id, value))
    return "\n".join(r.text for r in replies)


async def test_more_than_the_cap_waits_for_a_confirmation_saying_how_many(
        core: BotCore, port: RecordingPort, clock: ManualClock) -> None:
    await setup_team(core)  # Ada (admin), Sam (manager), Dana and Lee (reps)
    assert "Asked 2: Dana, Lee" in await say(core, "ada", "/align ask now reps")  # 2: at the cap
    sent = len(port.sent)
    preview = await ask(core, "ada", "ask now all")
    assert "This would message 3 people (all)" in preview.text and "more than 2" in preview.text
    assert "`/align ask now all confirm`" in preview.text
    assert len(port.sent) == sent  # nobody messaged yet
    assert "is for admins" in await say(core, "sam", "/align ask now all confirm")
    assert "Nothing to confirm" in await say(core, "ada", "/align ask now everyone confirm")  # not that one
    asked = await say(core, "ada", "/align ask now all confirm")
    assert "Asked 1: Sam" in asked and "Skipped 2" in asked  # Dana and Lee have one open
    assert "Nothing to confirm" in await say(core, "ada", "/align ask now all confirm")  # used once

    clock.advance(timedelta(days=3))
    await core.tick()
    preview = await ask(core, "ada", "ask now all")
    clock.advance(fanout.TTL + timedelta(seconds=1))
    assert "expired" in await say(core, "ada", "/align ask now all confirm")
    assert "Usage:" in await say(core, "ada", "/align ask now all yes")


async def test_the_confirm_button_is_the_requesters_runs_its_own_command_once_even_clicked_twice(
        core: BotCore, port: RecordingPort) -> None:
    await setup_team(core)
    value = confirm_value(await ask(core, "ada", "ask now everyone"))
    token = value.split()[0]
    assert "Nothing to confirm" in await click(core, "dana", fanout.CONFIRM_ACTION, value)
    assert "Nothing to confirm" in await click(core, "ada", fanout.CONFIRM_ACTION, f"{token} ask now reps")
    assert "Nothing to confirm" in await click(core, "ada", fanout.CONFIRM_ACTION, "forged ask now everyone")
    assert port.sent == []
    both = await asyncio.gather(*(click(core, "ada", fanout.CONFIRM_ACTION, value) for _ in range(2)))
    assert sorted("Asked 3" in text for text in both) == [False, True], both
    assert len({s.to for s in port.sent}) == 3

    value = confirm_value(await ask(core, "ada", "ask now all"))  # the cancel button drops it
    assert "Cancelled" in await click(core, "ada", fanout.CANCEL_ACTION, value)
    assert "Nothing to confirm" in await click(core, "ada", fanout.CONFIRM_ACTION, value)
