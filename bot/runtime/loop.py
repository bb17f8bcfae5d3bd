"""The event loop a bot process runs on: uvloop where it is installed, else asyncio's own.

uvloop's loop (libuv) spends less CPU per socket read and write and per callback than asyncio's
selector loop, which is most of what a fan-out or a burst of acks does besides the bot's own
work. It is optional (`pip install sales-align-bot[fast]`; not on Windows): without it,
processes run on asyncio's loop exactly as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on uvloop when it is installed, else with `asyncio.run`."""
    try:
        import uvloop  # type: ignore[import-not-found, unused-ignore]  # optional: the [fast] extra
    except ImportError:
        return asyncio.run(main)
    run_on_uvloop: Callable[[Coroutine[Any, Any, T]], T] = uvloop.run
    return run_on_uvloop(main)

