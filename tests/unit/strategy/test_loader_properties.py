"""Property: a strategy file mutated any way - a field at any depth dropped or set to another
JSON/YAML value, lines dropped, doubled, re-indented or cut short, bytes thrown in - either
loads as a valid strategy or is refused with StrategyFileError naming the file (what
`/align strategy reload` shows, keeping the current strategy); never another exception. And a
reload of such a file stores a version only when it loads, with no ERROR log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import BotCore
from bot.strategy.loader import StrategyFileError, parse_strategy
from bot.strategy.schema import Strategy
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.databases import row_counts
from tests.support.mutations import mutated
from tests.support.talk import say

TEXT = EXAMPLE_STRATEGY.read_text()
DATA = yaml.safe_load(TEXT)
LINES = TEXT.splitlines(keepends=True)
YAML_BITS = ["", "  ", "\t", ":", "- ", "&a ", "*a", "!!python/object:os.system ", "? ", "|", ">-", "{",
             "[", "'", '"', "#", "%YAML 1.1\n", "---\n", "...\n", "\x00", "\ufeff", "null", "~"]


def line_edit(lines: list[str], index: int, how: str, bit: str) -> str:
    edited = list(lines)
    i = index % len(edited)
    if how == "drop":
        del edited[i]
    elif how == "double":
        edited.insert(i, edited[i])
    elif how == "indent":
        edited[i] = "  " + edited[i]
    elif how == "dedent":
        edited[i] = edited[i].lstrip()
    elif how == "insert":
        edited.insert(i, bit + "\n")
    elif how == "splice":
        edited[i] = edited[i][: len(edited[i]) // 2] + bit + edited[i][len(edited[i]) // 2:]
    else:  # cut the file short here
        edited = edited[:i]
    return "".join(edited)


TEXTS = st.one_of(
    mutated(DATA, 3).map(lambda data: yaml.safe_dump(data, sort_keys=False, allow_unicode=True)),
    st.tuples(st.integers(0, len(LINES) - 1),
              st.sampled_from(["drop", "double", "indent", "dedent", "insert", "splice", "cut"]),
              st.sampled_from(YAML_BITS)).map(lambda edit: line_edit(LINES, *edit)),
    st.text(max_size=200),
)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(text=TEXTS)
def test_a_mutated_strategy_loads_or_is_refused_with_the_file_named(text: str) -> None:
    try:
        strategy = parse_strategy(text, "strategy.yaml")
    except StrategyFileError as exc:
        assert exc.issues and all(str(issue).startswith("strategy.yaml") for issue in exc.issues), exc
        return
    assert isinstance(strategy, Strategy) and strategy.version


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=TEXTS)
async def test_reloading_a_mutated_file_keeps_the_strategy_or_proposes_a_valid_one(
        core: BotCore, caplog: pytest.LogCaptureFixture, tmp_path: Path, text: str) -> None:
    path = tmp_path / "strategy.yaml"
    core.ctx.settings = core.ctx.settings.model_copy(update={"strategy_file": path})
    await say(core, "ada", "/align team add Ada admin")  # the first time; no change after
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before, strategy = await row_counts(core.ctx.db), core.ctx.strategy
    caplog.clear()
    reply = await say(core, "ada", "/align strategy reload")
    try:
        valid = parse_strategy(text)
    except StrategyFileError:
        assert "Nothing was proposed; the current version stays" in reply, reply
        assert await row_counts(core.ctx.db) == before
    else:  # a valid file is a proposal (issue 22) or already known: never swapped in
        assert valid.version == strategy.version or "propos" in reply.lower() or \
            "nothing new to propose" in reply, reply
    assert core.ctx.strategy is strategy, reply
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
