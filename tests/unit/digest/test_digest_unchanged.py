"""A digest says exactly what it said before its queries were made faster (issue 24, point 6):
a small organisation with answers, leads (owners with several touched leads, so medians of three
and four delays; a lead engaged exactly at a period's start; one overdue and touched; one of
someone who left) and a previous period, digested for the whole organisation and for teams over
four periods; every figure (`DigestFigures`' repr) and the rendered message (without the chart)
are compared with `tests/data/digest_snapshot.txt`, written by the code of 2026-12-08 (main
b289c92). Set WRITE_DIGEST_SNAPSHOT=1 to write it again - only when a change of the
digest's content is meant."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.core import BotCore
from bot.digest.period import parse_period
from bot.digest.render import DigestRenderer
from bot.digest.service import DigestService
from bot.storage.models import Lead, Member
from tests.unit.digest.support import D, build_org
from tests.unit.digest.test_aggregate import _scope, _vary

SNAPSHOT = Path(__file__).resolve().parents[2] / "data" / "digest_snapshot.txt"
UTC = ZoneInfo("UTC")
MINUTE = timedelta(minutes=1)
MORE_LEADS = [  # key, owner, segment, engaged, delay to the first touch (None: untouched), status
    ("M1", "Noor", "midmarket_fintech", D + timedelta(hours=3), 7 * MINUTE, "working"),
    ("M2", "Noor", "midmarket_fintech", D + timedelta(hours=5), 90 * MINUTE, "working"),
    ("M3", "Noor", "regional_banks", D + timedelta(days=1), 30 * timedelta(hours=1), "qualified"),
    ("M4", "Omar", "healthcare_providers", D, 45 * MINUTE, "working"),  # at a period's start
    ("M5", "Omar", "healthcare_providers", D + timedelta(days=2), 3 * MINUTE, "working"),
    ("M6", "Omar", "tier1_banks", D + timedelta(days=3), 20 * MINUTE, "disqualified"),
    ("M7", "Omar", "midmarket_fintech", D + timedelta(days=4), 50 * MINUTE, "working"),
    ("M8", "Dana", "regional_banks", D - timedelta(days=3), None, "new"),  # the week before
    ("M9", "Mia", "midmarket_fintech", D - timedelta(days=40), None, "new"),  # old black hole
]


async def _more_leads(core: BotCore) -> None:
    async with core.ctx.db.session() as session:
        members = {m.name: m for m in (await session.exec(select(Member))).all()}
        for key, owner, segment, engaged, delay, status in MORE_LEADS:
            first = engaged + delay if delay is not None else None
            session.add(Lead(source="snapshot", external_id=key, company=f"Company {key}",
                             segment=segment, owner_id=members[owner].id or 0, engaged_at=engaged,
                             status=status, touches=0 if first is None else 2, first_touch_at=first,
                             last_touch_at=first, next_due_at=engaged + timedelta(days=2)
                             if status in ("new", "working") else None,
                             created_at=engaged, updated_at=engaged))


async def _digests(core: BotCore) -> str:
    built = await build_org(core)
    await _vary(core, built)
    await _more_leads(core)
    service, parts = DigestService(core.ctx), []
    for reader, team, whole in (("Ada", None, True), ("Mia", None, False), ("Sam", None, False),
                                ("Ada", "Pat", False), ("Ada", "Kim", False)):
        scope = await _scope(core, built, reader, team, whole)
        for words in ("", "last 2 weeks", "2026-02", "2026-02-16..2026-02-22"):
            period = parse_period(words, core.ctx.clock.now(), UTC)
            async with core.ctx.db.session() as session:
                caller = await session.get(Member, built.members[reader].id)
            assert caller is not None
            digest = await service.build(scope, period, caller, chart=False)
            message = DigestRenderer(service.texts, core.ctx.strategy).message(digest)
            parts.append(f"== {reader} {team} {whole} {words!r}\n{digest.figures!r}\n"
                         f"{message.text}\n{message.blocks!r}\n")
    return "".join(parts)


async def test_the_digest_says_what_it_said_before(core: BotCore) -> None:
    got = await _digests(core)
    if os.environ.get("WRITE_DIGEST_SNAPSHOT") == "1":
        SNAPSHOT.write_text(got, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    assert got.splitlines() == expected.splitlines()
