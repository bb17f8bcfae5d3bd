"""The invitation rendered once per fan-out is the invitation `ask_message` builds per member."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.checkins.messages import Invitation, ask_message
from bot.config import REPO_ROOT
from bot.prompts import Prompts
from bot.storage.models import CheckIn

PROMPTS = Prompts(REPO_ROOT / "prompts")
AT = datetime(2026, 3, 2, 15, tzinfo=UTC)


@pytest.mark.parametrize("audience", ["rep", "manager"])
def test_one_rendering_serves_every_member_and_matches_ask_message(audience: str) -> None:
    invitation = Invitation(PROMPTS, audience, "Northbeam")
    for checkin_id, name in ((7, "Dana"), (8, "Lee O'Brien")):
        checkin = CheckIn(id=checkin_id, key=f"k{checkin_id}", member_id=1, occurrence_at=AT,
                          audience=audience, strategy_version="v", created_at=AT)
        assert invitation.to(checkin_id, name) == ask_message(PROMPTS, checkin, name, "Northbeam")
    assert invitation.to(7, "Dana") != invitation.to(8, "Dana")  # each check-in its own form


def test_the_invitation_carries_its_outbox_key_when_given() -> None:
    """The fan-out builds each invitation with its key, so the send needs no copy to add it."""
    invitation = Invitation(PROMPTS, "rep", "Northbeam")
    keyed = invitation.to(7, "Dana", key="s1:m7:20260302T150000Z:ask")
    assert keyed.key == "s1:m7:20260302T150000Z:ask"
    assert replace(keyed, key=None) == invitation.to(7, "Dana")
