"""Property: whatever arguments anyone gives any `/align` command, the answer is a clear reply -
a result, a usage line or a refusal - never "something went wrong", and no ERROR is logged.

Arguments are generated from words the grammar knows (options, groups, periods, durations), the
values that broke it before (ids beyond any database integer, the ends of the calendar, digits
that are not ASCII, very long words) and arbitrary text."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands import build_registry
from bot.commands.registry import CommandSpec
from bot.core import BotCore
from tests.support.talk import say

SPECS = build_registry().specs
EDGES = ["9999-12-31", "0001-01-01", "2026-02-30", "99999999999999999999", "#0", "#-1", "²",
         "٣", "0", "-5", "1e9", "..", "2026-03-01..2026-03-15", "0001-01-01..9999-12-31",
         "last 999999999 weeks", "team:", "team:all", "team:nobody", "to=all", "to=", "manager=",
         "member=Dana", "tz=Mars/Base", "tz=local", "remind=0", "remind=99999w", "close=1m",
         "reminders=²", "confirm", "@Dana", "Dana", "Sam", "Ada", "<@U0NOBODY>", "x" * 300,
         "mon-fri", "sun-thu", "mon," * 100, "until", "3d", "\u202e", "'", '"', "\\", "%s", "{}"]
TEAM = ("/align team add Ada admin", "/align team add Sam manager",
        "/align team add Dana rep manager=Sam", "/align team add Lee rep manager=Sam",
        '/align schedule add checkin "weekdays 09:00" to=reps')
WORD = st.one_of(st.sampled_from(EDGES), st.text(max_size=20),
                 st.integers(min_value=-(2**70), max_value=2**70).map(str))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(words=st.lists(WORD, max_size=4), who=st.sampled_from(["ada", "dana", "sam", "stranger"]))
async def test_any_arguments_to_any_command_get_a_clear_answer(
        core: BotCore, caplog: pytest.LogCaptureFixture, spec: CommandSpec, words: list[str],
        who: str) -> None:
    if "Ada" not in await say(core, "ada", "/align team list"):  # first example (or Ada gone)
        for line in TEAM:
            await say(core, "ada", line)
    caplog.clear()
    caplog.set_level(logging.INFO)
    text = " ".join([*spec.words, *words])
    reply = await say(core, who, "/align " + text)
    assert reply.strip(), f"/align {text}: no reply"
    assert "went wrong" not in reply, f"/align {text}: {reply}"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [], text
