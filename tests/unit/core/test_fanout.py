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


async def schedules(core: BotCore) -> str:
    return await say(core, "ada", "/align schedule list")


async def test_a_schedule_for_more_than_the_cap_is_created_only_once_confirmed(
        core: BotCore, port: RecordingPort) -> None:
    """A schedule messages its whole audience at every run: creating one for more people than
    the cap waits for the same confirmation, bound to that schedule's exact words."""
    await setup_team(core)  # Ada (admin), Sam (manager), Dana and Lee (reps)
    assert "Scheduled" in await say(core, "ada", '/align schedule add checkin "weekdays 09:00" to=reps')
    preview = await ask(core, "ada", 'schedule add checkin "mon 10:00" to=all remind=off')
    assert "This would message 3 people (all, every time it runs)" in preview.text
    assert "confirm`" in preview.text
    assert "mon 10:00" not in await schedules(core)  # not created yet
    assert "Nothing to confirm" in await say(  # another schedule's words are another command
        core, "ada", '/align schedule add checkin "tue 10:00" to=all remind=off confirm')
    assert "Scheduled" in await say(
        core, "ada", '/align schedule add checkin "mon 10:00" to=all remind=off confirm')
    assert "mon 10:00" in await schedules(core)
    value = confirm_value(await ask(core, "ada", 'schedule add digest "fri 15:00" to=all'))
    assert "fri 15:00" not in await schedules(core)
    assert "Scheduled" in await click(core, "ada", fanout.CONFIRM_ACTION, value)
    assert "Nothing to confirm" in await click(core, "ada", fanout.CONFIRM_ACTION, value)
    assert (await schedules(core)).count("fri 15:00") == 1
    sync = await say(core, "ada", '/align schedule add leads-sync "every 15m"')
    assert "Scheduled" in sync  # a sync messages nobody: no confirmation
    assert port.sent == []
