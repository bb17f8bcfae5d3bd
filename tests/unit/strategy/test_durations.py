from __future__ import annotations

from datetime import timedelta

import pytest

from bot.strategy.durations import Duration, DurationError


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", Duration(30, "m")), ("4h", Duration(4, "h")), ("2d", Duration(2, "d")),
    (" 1 w ", Duration(1, "w")), ("3 days", Duration(3, "d")), ("90 minutes", Duration(90, "m")),
])
def test_parses_written_durations(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "4", "-1h", "1.5h", "4y"])
def test_rejects_with_an_example(text: str) -> None:
    with pytest.raises(DurationError, match="30m, 4h, 2d"):
        Duration.parse(text)


def test_wall_clock_length() -> None:
    assert Duration.parse("2d").as_timedelta() == timedelta(days=2)
    assert str(Duration.parse("45 mins")) == "45m"
