"""Out-of-range input gets a clear message, never a 500 or "something went wrong": ids beyond
any database integer, dates at the ends of the calendar, periods of millions of weeks, lists of
thousands of days. On SQLite and PostgreSQL (whose integers and dates are narrower than Python's)."""

from __future__ import annotations

import logging

import pytest

from bot.core import BotCore
from tests.support.talk import say, setup_team

WENT_WRONG = ("went wrong", "Something went wrong")


@pytest.mark.parametrize("command", [
    "schedule next 99999999999999999999999",
    "schedule pause 99999999999999999999999",
    "schedule resume 99999999999999999999999",
    "schedule remove 99999999999999999999999",
    "schedule next 9223372036854775808",
    "digest 0001-01-01..9999-12-31",
    "digest 9999-12-25..9999-12-31",
    "digest 0001-01-01..0001-01-07",
    "digest last 999999999 weeks",
    "digest last 99999999999999999999 weeks",
    "me days " + ",".join(["mon", "tue", "wed", "thu", "fri"] * 2000),
    "me days " + "x" * 100_000,
    "away 0001-01-01..9999-12-31",
    "away 9999-12-31",
    "holiday add 9999-12-31 End of time",
    "holiday add 0001-01-01 Start of time",
    "answer 99999999999999999999 more text",
    "answer ² more text",
    "schedule next ²",
    "lead touched 99999999999999999999",
    "lead snooze #99999999999999999999 3d",
    "lead snooze #1 until 9999-12-31",
    "away until 9999-12-31",
    "away until 0001-01-01",
    "digest 9999-12",
    "digest 0001-01",
])
async def test_out_of_range_arguments_get_a_clear_answer(
        core: BotCore, command: str, caplog: pytest.LogCaptureFixture) -> None:
    await setup_team(core)
    caplog.set_level(logging.INFO)
    reply = await say(core, "ada", "/align " + command)
    assert reply and not any(w in reply for w in WENT_WRONG), reply
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_long_list_of_working_days_is_stored_as_the_days_it_names(core: BotCore) -> None:
    await setup_team(core)
    reply = await say(core, "dana", "/align me days " + ",".join(["monday", "tuesday"] * 9))
    assert "Working days of Dana: Mon, Tue" in reply  # wider than the column: stored shortest
    assert "long list" in await say(core, "dana", "/align me days " + "mon," * 1000)
    assert "Working days: Mon, Tue" in await say(core, "dana", "/align me")
