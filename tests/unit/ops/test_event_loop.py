"""`alignbot run`'s loop: uvloop where it is installed, asyncio's own where it is not."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.runtime.loop import run


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def test_without_uvloop_the_process_runs_on_asyncios_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if not installed: import fails
    assert run(_loop_module()) == "asyncio"


def test_with_uvloop_installed_the_process_runs_on_it() -> None:
    # uvloop is an optional extra ([fast]) for running the bot, and a dev dependency (not on
    # Windows), so the suite always runs this path
    assert run(_loop_module()) == "uvloop"
