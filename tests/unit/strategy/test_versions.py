"""The database holds the strategy: the file seeds the first start, a changed file is proposed
(never swapped in), and every process serves the current version within the poll interval."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Settings
from bot.strategy.loader import load_strategy
from bot.strategy.store import CURRENT, PROPOSED, cancel, confirm, list_versions
from tests.support.talk import say
from tests.unit.strategy.support import changed_file, process


async def test_the_file_seeds_the_first_start_and_an_unchanged_file_adds_nothing(
        settings: Settings, clock: ManualClock) -> None:
    async with process(settings, clock) as first:
        rows = await list_versions(first.ctx.db)
        assert [(r.status, r.version) for r in rows] == [(CURRENT, first.ctx.strategy.version)]
        assert rows[0].reason and "first start" in rows[0].reason
        assert first.file_proposal is None
    async with process(settings, clock) as again:
        assert len(await list_versions(again.ctx.db)) == 1


async def test_a_changed_file_is_proposed_not_swapped_and_only_once(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    async with process(settings, clock) as first:
        seeded = first.ctx.strategy.version
    edited = changed_file(tmp_path)
    async with process(settings, clock, edited) as second:
        assert second.ctx.strategy.version == seeded  # still serving the confirmed one
        assert second.file_proposal is not None and second.file_proposal.status == PROPOSED
        assert second.file_proposal.version == load_strategy(edited).version
        proposal_id = second.file_proposal.id
    async with process(settings, clock, edited) as third:  # a restart proposes nothing new
        assert third.file_proposal is None
        assert [r.status for r in await list_versions(third.ctx.db)] == [CURRENT, PROPOSED]
        assert proposal_id is not None and await cancel(third.ctx.db, proposal_id)
    async with process(settings, clock, edited) as fourth:  # nor once it was cancelled
        assert fourth.file_proposal is None and fourth.ctx.strategy.version == seeded


async def test_every_process_serves_a_confirmed_version_within_the_poll_interval(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    poll = settings.strategy_poll_seconds
    async with process(settings, clock) as web, process(settings, clock) as scheduler:
        seeded = web.ctx.strategy.version
        async with process(settings, clock, changed_file(tmp_path)) as admin:
            proposal = admin.file_proposal
            assert proposal is not None and proposal.id is not None
            await confirm(admin.ctx.db, proposal.id, clock.now(), confirmed_by=None)
            await admin.follower.refresh(force=True)
            assert admin.ctx.strategy.version == proposal.version
        clock.advance(timedelta(seconds=poll - 0.5))
        await scheduler.tick()
        assert scheduler.ctx.strategy.version == seeded  # not asked yet: one read per interval
        clock.advance(timedelta(seconds=0.5))
        await scheduler.tick()
        assert scheduler.ctx.strategy.version == proposal.version
        assert "Be the audit-readiness" in await say(web, "ada", "/align strategy show")
        assert web.ctx.strategy.version == proposal.version
        rows = await list_versions(web.ctx.db)
        assert [r.status for r in rows] == ["superseded", CURRENT]
        assert rows[1].parent_version == seeded and rows[1].confirmed_at == clock.now() - timedelta(
            seconds=poll)
