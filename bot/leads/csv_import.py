"""`alignbot leads import FILE.csv`: bulk intake from a CRM export.

Good rows go in, bad rows are reported with their line and reason, and importing the same file
again changes nothing (leads are keyed by source + external id, engagements by their time). Rows
are committed in batches, so a 10,000-row file neither holds one huge transaction nor loses the
batches before a failure.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.context import BotContext
from bot.leads.book import LeadBook
from bot.leads.intake import LeadRejected, LeadResolver, parse_time

COLUMNS = ("external_id", "company", "contact_name", "contact_email", "segment", "owner", "source",
           "engaged_at", "content")
REQUIRED = ("external_id", "company", "segment", "owner", "engaged_at")
BATCH = 500


class LeadFileError(ValueError):
    """The file as a whole cannot be imported (missing columns, unreadable)."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.errors)

    def summary(self, limit: int = 20) -> str:
        lines = [f"{self.rows} rows: {self.created} new, {self.updated} updated, "
                 f"{self.unchanged} unchanged, {len(self.errors)} with errors."]
        lines += [f"  line {line}: {reason}" for line, reason in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"  ... and {len(self.errors) - limit} more")
        return "\n".join(lines)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`--map owner=Account Owner` pairs into {field: header}; only known fields."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, header = pair.partition("=")
        if not sep or name.strip() not in COLUMNS or not header.strip():
            raise LeadFileError(f"--map '{pair}' should be FIELD=HEADER with FIELD one of "
                               f"{', '.join(COLUMNS)} (e.g. --map owner='Account Owner')")
        mapping[name.strip()] = header.strip()
    return mapping


def _rows(path: Path, mapping: Mapping[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {field: value}) per data row; checks the header first."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        headers = set(reader.fieldnames or ())
        missing = [f for f in REQUIRED if mapping.get(f, f) not in headers]
        if missing:
            wanted = ", ".join(f"'{mapping.get(f, f)}'" for f in missing)
            raise LeadFileError(f"{path.name} has no column {wanted}; its columns are "
                               f"{', '.join(sorted(headers)) or 'none'}. Use --map FIELD=HEADER.")
        for row in reader:
            yield reader.line_num, {f: (row.get(mapping.get(f, f)) or "").strip() for f in COLUMNS}


async def import_csv(ctx: BotContext, path: Path, mapping: Mapping[str, str] | None = None,
                     source: str = "import") -> ImportReport:
    """Import leads from `path`; see the module doc for what happens to each row."""
    report = ImportReport()
    try:
        rows = list(_rows(path, mapping or {}))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LeadFileError(f"cannot read {path}: {exc}") from None
    for start in range(0, len(rows), BATCH):
        async with ctx.db.session() as session:
            resolver = await LeadResolver.load(session, ctx.strategy)
            book = LeadBook(ctx, session)
            batch = rows[start:start + BATCH]
            await book.preload((row["source"] or source, row["external_id"]) for _, row in batch)
            for line, row in batch:
                try:
                    data = resolver.lead(
                        source=row["source"] or source, external_id=row["external_id"],
                        company=row["company"], segment=row["segment"], owner=row["owner"],
                        engaged_at=parse_time(row["engaged_at"]), contact_name=row["contact_name"],
                        contact_email=row["contact_email"], content=row["content"].split(";"))
                except LeadRejected as exc:
                    report.errors.append((line, str(exc)))
                    continue
                _, outcome = await book.upsert(data, via="import", batch=True)
                setattr(report, outcome, getattr(report, outcome) + 1)
            await book.flush()
    return report
