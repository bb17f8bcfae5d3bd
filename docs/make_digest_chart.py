"""Draws docs/digest-chart.png, the example chart in the README: one 10-rep team with twelve
weeks of weekly check-ins (the benchmark's generator), through the real digest pipeline.

Run: .venv/bin/python docs/make_digest_chart.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.digest_time import NOW, STRATEGY, _team, populate  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.context import BotContext  # noqa: E402
from bot.digest.chart import render_chart  # noqa: E402
from bot.digest.period import ending  # noqa: E402
from bot.digest.service import DigestService  # noqa: E402
from bot.prompts import Prompts  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.strategy.loader import load_strategy  # noqa: E402

OUT = ROOT / "docs" / "digest-chart.png"


async def _chart(url: str) -> bytes:
    settings = Settings(database_url=url, strategy_file=STRATEGY, _env_file=None)  # type: ignore[call-arg]
    ctx = BotContext(settings=settings, db=Database(url), clock=ManualClock(NOW),
                     prompts=Prompts(settings.prompts_dir), strategy=load_strategy(STRATEGY))
    service = DigestService(ctx)
    try:
        team = await _team(service, "Manager 0")
        return render_chart(await service.figures(team, ending(NOW)), service.texts)
    finally:
        await ctx.db.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'example.db'}")
        db.migrate_sync()
        populate(db.sync_url, 0, 1, weeks=12, seed=7)
        OUT.write_bytes(asyncio.run(_chart(db.url)))
        asyncio.run(db.dispose())
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
