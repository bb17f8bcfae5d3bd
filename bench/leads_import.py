"""How long `alignbot leads import` takes for a 10,000-row CSV (with some bad rows), and a no-op
re-import of the same file, on a SQLite file.

    .venv/bin/python bench/leads_import.py [ROWS]
"""

from __future__ import annotations

import asyncio
import csv
import sys
import tempfile
import time
from pathlib import Path

from bot.config import REPO_ROOT, Settings
from bot.leads.csv_import import COLUMNS, import_csv
from bot.runtime.app import build_core
from bot.storage.models import Member


def write_rows(path: Path, rows: int) -> int:
    bad = 0
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            segment = "midmarket_fintech"
            if i % 100 == 0:
                segment, bad = "nowhere", bad + 1
            writer.writerow([f"X{i}", f"Company {i}", "Buyer", f"b{i}@example.com", segment,
                             ("Dana", "Lee")[i % 2], "bench", f"2026-02-{1 + i % 28:02d}T10:00:00Z",
                             "soc2_checklist"])
    return bad


async def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/bench.db",  # type: ignore[call-arg]
                            strategy_file=REPO_ROOT / "examples" / "strategy.yaml", _env_file=None)
        core = build_core(settings)
        await core.start()
        now = core.ctx.clock.now()
        async with core.ctx.db.session() as session:
            for name in ("Dana", "Lee"):
                session.add(Member(platform="bench", platform_user_id=name.lower(), name=name,
                                   timezone="America/New_York", created_at=now, updated_at=now))
        path = Path(folder) / "leads.csv"
        bad = write_rows(path, rows)
        print(f"{'run':<22}{'rows':>8}{'new':>8}{'unchanged':>11}{'errors':>8}{'seconds':>9}"
              f"{'rows/s':>9}")
        for label in ("first import", "re-import (no-op)"):
            started = time.perf_counter()
            report = await import_csv(core.ctx, path)
            took = time.perf_counter() - started
            print(f"{label:<22}{report.rows:>8}{report.created:>8}{report.unchanged:>11}"
                  f"{len(report.errors):>8}{took:>9.2f}{report.rows / took:>9.0f}")
        assert len(report.errors) == bad
        await core.ctx.db.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
