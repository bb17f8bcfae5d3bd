"""Operations tests run on one SQLite database (the HTTP surface does not differ by database;
the shutdown and fan-out behaviour that does is tested on both in tests/unit/schedules)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"
