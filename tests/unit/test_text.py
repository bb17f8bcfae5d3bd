"""Quotes and previews are cut between words, never mid-word, and never longer than asked."""

from __future__ import annotations

import pytest

from bot.text import shorten


@pytest.mark.parametrize(("text", "width", "shown"), [
    ("did a walkthrough of the evidence vault with Pinecrest's compliance lead", 60,
     "did a walkthrough of the evidence vault with Pinecrest's…"),
    ("mapped the committee,  sent  SOC 2", 60, "mapped the committee, sent SOC 2"),  # fits: whitespace only
    ("x" * 100, 20, "x" * 19 + "…"),  # one long word: cut where it must be
    ("sent the report - then the ROI model with the CFO and", 30, "sent the report - then the…"),
])
def test_a_cut_falls_between_words_within_the_width(text: str, width: int, shown: str) -> None:
    assert shorten(text, width) == shown
    assert len(shorten(text, width)) <= width
