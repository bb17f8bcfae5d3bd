"""The digest as a Message: one screen first - headline, at most one ranked action per lever,
five figures, the chart - and everything else in a Details block one click away; members
needing attention listed first there, long lists cut; the same first screen for a 50-rep team."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.core import BotCore
from bot.events import Block, Details, FactList, Image, MemberRef, Message, Text
from bot.storage.models import CheckIn, Member
from tests.conftest import START
from tests.support.talk import say, setup_team
from tests.unit.digest.support import build_org


def first_screen(message: Message) -> list[Block]:
    return [b for b in message.blocks if not isinstance(b, Details)]


def details(message: Message) -> Details:
    (found,) = [b for b in message.blocks if isinstance(b, Details)]
    return found


def lines(blocks: list[Block]) -> int:
    return sum(b.text.count("\n") + 1 if isinstance(b, Text) else len(b.facts)
               if isinstance(b, FactList) else 1 for b in blocks)


async def test_one_screen_first_then_details(core: BotCore) -> None:
    await build_org(core)
    (message,) = await core.command(MemberRef("test", "sam"), "digest")
    top = first_screen(message)
    headings = [b.text for b in top if isinstance(b, Text) and b.style == "heading"]
    assert headings == ["Alignment digest: Sam's team, the last week", "Suggested actions", "Figures"]
    headline = top[2]
    assert isinstance(headline, Text) and headline.text.startswith("Biggest change since the week")
    actions = top[4]
    assert isinstance(actions, Text)
    ranked = actions.text.splitlines()
    assert [line[:3] for line in ranked] == ["1. ", "2. ", "3. "]
    assert sorted(line.split("]")[0].split("[")[1] for line in ranked) == [
        "Control systems", "Environment", "People"]  # one per lever
    (figures,) = [b for b in top if isinstance(b, FactList)]
    assert len(figures.facts) == 5 and figures.facts[0].label == "Check-ins"
    assert isinstance(top[-1], Image)
    assert isinstance(message.blocks[-1], Details) and details(message).label == "Details"

    inner = details(message).blocks
    sections = [b.text.split()[0] for b in inner if isinstance(b, Text) and b.style == "heading"]
    assert sections == ["Other", "Participation", "Can", "Where", "Sales", "Effort", "Lead", "Do",
                        "Trend"]
    participation, articulation, leads = [b for b in inner if isinstance(b, FactList)]
    assert [f.label for f in participation.facts] == ["Ravi", "Lee", "Dana"]  # missed, late, ok
    assert [f.label for f in articulation.facts] == ["Lee", "Ravi", "Dana"]  # can't, none, can
    assert [f.label for f in leads.facts][:2] == ["Lee", "Dana"]  # overdue and never touched first
    assert message.text.startswith("*Alignment digest: Sam's team, the last week*")
    assert "*Details*" in message.text and "Ravi: 0/1 answered" in message.text  # plain: all of it


async def test_a_50_rep_team_still_gets_one_screen(core: BotCore) -> None:
    built = await build_org(core)
    (small,) = await core.command(MemberRef("test", "pat"), "digest")  # Pat has one rep, Zed
    now = core.ctx.clock.now()
    async with core.ctx.db.session() as session:
        for number in range(50):
            rep = Member(platform="test", platform_user_id=f"extra{number}", name=f"Extra {number:02}",
                         role="rep", manager_id=built.members["Pat"].id, created_at=now, updated_at=now)
            session.add(rep)
            await session.flush()
            at = START - timedelta(days=5)
            session.add(CheckIn(key=f"extra:{number}", member_id=rep.id, occurrence_at=at,
                                state="expired", strategy_version=core.ctx.strategy.version,
                                asked_at=at, closes_at=at + timedelta(days=1), created_at=at))
    (large,) = await core.command(MemberRef("test", "pat"), "digest")
    small_top, large_top = first_screen(small), first_screen(large)
    assert [type(b) for b in large_top] == [type(b) for b in small_top]
    assert lines(large_top) == lines(small_top) <= 14
    missed = next(line for line in large.text.splitlines() if "closed check-ins answered" in line
                  and "missed:" in line)
    assert "50 missed: Extra 00, Extra 01, Extra 02, Extra 03, Extra 04 and 45 more" in missed
    inner = details(large).blocks
    cut = next(b for b in inner if isinstance(b, FactList))
    assert len(cut.facts) == 15 and "…and 36 more" in large.text  # 51 reps, 15 shown


async def test_a_first_period_headline_names_the_weakest_part_in_words(
        core: BotCore, clock: ManualClock) -> None:
    """A new team's first digest: no change to report yet, so the headline says which part of
    the alignment is weakest, as a sentence a manager reads (not "Segments ... at 0.00.")."""
    await setup_team(core)  # Ada (admin), Sam (manager), Dana and Lee (reps)
    await say(core, "ada", "/align ask now reps")
    for answer in ("We grow by selling compliance software.", "whoever has budget tbh",
                   "mapped the buying committee at Pinecrest Credit Union"):
        await say(core, "dana", answer)
    clock.advance(timedelta(hours=2))  # the check-in was asked at the period's very end
    (message,) = await core.command(MemberRef("test", "sam"), "digest")
    headline = first_screen(message)[2]
    assert isinstance(headline, Text)
    assert headline.text == ("First period with answers; the weakest part is segments and"
                             " buying process, at 0.00 of 1.00."), headline.text
