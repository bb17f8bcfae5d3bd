"""`alignbot leads import FILE.csv`: bulk intake from a CRM export.

Good rows go in, bad rows are reported with their line and reason, and importing the same file
again changes nothing (leads are keyed by source + external id, engagements by their time). Rows
are committed in batches, so a 10,000-row file neither holds one huge transaction nor loses the
batches before a failure.

Forgiving of what spreadsheets do: the delimiter is sniffed from the header (European Excel
writes `;`), segments may be given by name or alias, and what cannot be right is reported per
line rather than guessed - a row with fewer or more cells than the header ("has 2 of 9
columns"), an id already on an earlier line of the same file (only the first is imported), an
engagement time in the future.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.context import BotContext
from bot.leads.book import LeadBook
from bot.leads.intake import LeadRejected, LeadResolver, parse_time

COLUMNS = ("external_id", "company", "contact_name", "contact_email", "segment", "owner", "source",
           "engaged_at", "content")
REQUIRED = ("external_id", "company", "segment", "owner", "engaged_at")
BATCH = 500
DELIMITERS = ",;\t|"
FUTURE_SLACK = timedelta(minutes=5)  # clock skew between the exporting system and us


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


def _delimiter(header: str) -> str:
    """The delimiter the file's header line uses most of `,` `;` tab `|` (European Excel writes
    `;`), else the standard comma. The header alone decides: data cells may hold commas in
    quotes, a header of field names seldom does."""
    chosen = max(DELIMITERS, key=header.count)
    return chosen if header.count(chosen) else ","


def _rows(path: Path, mapping: Mapping[str, str]) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line number, {field: value}) per data row, or (line number, what is wrong with it) for
    a row whose cells do not match the header; checks the header first."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        delimiter = _delimiter(handle.readline())
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        names = [h.strip() for h in next(reader, [])]
        headers = set(names)
        missing = [f for f in REQUIRED if mapping.get(f, f) not in headers]
        if missing:
            wanted = ", ".join(f"'{mapping.get(f, f)}'" for f in missing)
            raise LeadFileError(f"{path.name} has no column {wanted}; its columns are "
                               f"{', '.join(sorted(headers)) or 'none'}. Use --map FIELD=HEADER.")
        index = {f: names.index(mapping.get(f, f)) for f in COLUMNS if mapping.get(f, f) in headers}
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # a blank line (spreadsheets leave them at the end)
            if len(cells) > len(names) and not any(c.strip() for c in cells[len(names):]):
                cells = cells[:len(names)]  # trailing empty cells, as spreadsheets write them
            if len(cells) < len(names):
                yield reader.line_num, f"has {len(cells)} of {len(names)} columns"
                continue
            if len(cells) > len(names):
                yield reader.line_num, (f"has {len(cells)} columns, the header {len(names)} (a "
                                        f"value with '{delimiter}' in it needs quotes)")
                continue
            yield reader.line_num, {f: cells[index[f]].strip() if f in index else ""
                                    for f in COLUMNS}


async def import_csv(ctx: BotContext, path: Path, mapping: Mapping[str, str] | None = None,
                     source: str = "import") -> ImportReport:
    """Import leads from `path`; see the module doc for what happens to each row."""
    report = ImportReport()
    try:
        rows = list(_rows(path, mapping or {}))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LeadFileError(f"cannot read {path}: {exc}") from None
    latest = ctx.clock.now() + FUTURE_SLACK
    first_line: dict[tuple[str, str], int] = {}  # (source, external id) -> its first line
    for start in range(0, len(rows), BATCH):
        async with ctx.db.session() as session:
            resolver = await LeadResolver.load(session, ctx.strategy)
            book = LeadBook(ctx, session)
            batch = rows[start:start + BATCH]
            await book.preload((row["source"] or source, row["external_id"])
                               for _, row in batch if not isinstance(row, str))
            for line, row in batch:
                if isinstance(row, str):
                    report.errors.append((line, row))
                    continue
                key = (row["source"] or source, row["external_id"])
                if row["external_id"] and key in first_line:
                    report.errors.append((line, f"external_id '{key[1][:64]}' is also on line "
                                                f"{first_line[key]}; only that row is imported"))
                    continue
                first_line.setdefault(key, line)
                try:
                    engaged_at = parse_time(row["engaged_at"])
                    if engaged_at > latest:
                        raise LeadRejected(f"engaged_at {row['engaged_at'][:40]} is in the future"
                                           " (check the date and its time zone)")
                    data = resolver.lead(
                        source=row["source"] or source, external_id=row["external_id"],
                        company=row["company"], segment=row["segment"], owner=row["owner"],
                        engaged_at=engaged_at, contact_name=row["contact_name"],
                        contact_email=row["contact_email"], content=row["content"].split(";"))
                except LeadRejected as exc:
                    report.errors.append((line, str(exc)))
                    continue
                _, outcome = await book.upsert(data, via="import", batch=True)
                setattr(report, outcome, getattr(report, outcome) + 1)
            await book.flush()
    return report
