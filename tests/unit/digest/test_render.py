"""The digest as a Message: sections in order, members needing attention listed first, long
lists cut so a whole organisation's digest stays readable in chat, and the chart attached."""

from __future__ import annotations

from bot.core import BotCore
from bot.events import FactList, Image, MemberRef, Text
from bot.storage.models import Member
from tests.unit.digest.support import build_org


async def test_sections_and_who_needs_attention_first(core: BotCore) -> None:
    await build_org(core)
    (message,) = await core.command(MemberRef("test", "sam"), "digest")
    headings = [b.text for b in message.blocks if isinstance(b, Text) and b.style == "heading"]
    assert headings[0] == "Alignment digest: Sam's team, the last week"
    assert [h.split()[0] for h in headings[1:]] == ["Participation", "Can", "Where", "Sales",
                                                    "Effort", "Lead", "Trend", "Suggested"]
    participation, articulation, leads = [b for b in message.blocks if isinstance(b, FactList)]
    assert [f.label for f in participation.facts] == ["Ravi", "Lee", "Dana"]  # missed, late-ish, ok
    assert [f.label for f in articulation.facts] == ["Lee", "Ravi", "Dana"]  # can't, no answer, can
    assert [f.label for f in leads.facts] == ["Lee", "Dana"]  # overdue and never touched first
    assert isinstance(message.blocks[-1], Image)
    assert message.text.startswith("*Alignment digest: Sam's team, the last week*")


async def test_a_large_organisation_is_cut_to_fifteen_members_per_list(core: BotCore) -> None:
    built = await build_org(core)
    now = core.ctx.clock.now()
    async with core.ctx.db.session() as session:
        for number in range(20):
            session.add(Member(platform="test", platform_user_id=f"extra{number}",
                               name=f"Extra {number:02}", role="rep",
                               manager_id=built.members["Pat"].id, created_at=now, updated_at=now))
    (message,) = await core.command(MemberRef("test", "ada"), "digest team:all")
    participation = next(b for b in message.blocks if isinstance(b, FactList))
    assert len(participation.facts) == 15
    everyone = len(built.members) - 1 + 20  # all but Ada
    assert f"…and {everyone - 15} more" in message.text
    assert participation.facts[0].label in ("Ravi", "Lee")  # a missed check-in comes first
