"""CSV intake: good rows in, bad rows reported with line and reason, re-import a no-op, column
mapping, and a 10,000-row file with some bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.core import BotCore
from bot.leads.csv_import import BATCH, LeadFileError, import_csv, parse_mapping
from bot.storage.models import Lead, LeadEvent
from tests.support.talk import setup_team
from tests.unit.leads.support import HEADER, events, lead_row, leads, write_csv

GOOD = lead_row("A1", "Ledgerly", "Dana", "2026-03-02T13:30:00Z")


async def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_go_in(
        core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    rows = [GOOD,
            lead_row("A2", "Nowhere Inc", "Dana", "2026-03-02T13:30:00Z", segment="mars_colonies"),
            lead_row("A3", "Ghost Ltd", "Casper", "2026-03-02T13:30:00Z"),
            lead_row("A4", "Late Co", "Lee", "yesterday-ish"),
            lead_row("", "No Id Corp", "Lee", "2026-03-02T13:30:00Z"),
            lead_row("A6", "Odd Content", "Lee", "2026-03-02T13:30:00Z", content="mystery_pdf"),
            lead_row("A7", "Acme Bank", "lee@example.com", "2026-03-02T08:45:00-05:00",
                     segment="regional_banks", content="")]
    report = await import_csv(core.ctx, write_csv(tmp_path / "leads.csv", rows))

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    reasons = dict(report.errors)
    assert sorted(reasons) == [3, 4, 5, 6, 7]  # the header is line 1
    assert "segment 'mars_colonies' is not in the strategy" in reasons[3]
    assert "owner 'Casper' is not a member" in reasons[4]
    assert "'yesterday-ish' is not an ISO 8601 time" in reasons[5]
    assert "external_id is missing" in reasons[6]
    assert "content 'mystery_pdf' is not in the strategy's content library" in reasons[7]
    stored = await leads(core)
    assert set(stored) == {"A1", "A7"}
    assert stored["A7"].engaged_at.isoformat() == "2026-03-02T13:45:00+00:00"
    assert stored["A1"].next_due_at is not None  # the cadence clock started


async def test_reimporting_the_same_file_changes_nothing_and_a_changed_row_updates(
        core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    path = write_csv(tmp_path / "leads.csv", [GOOD])
    await import_csv(core.ctx, path)
    before = (await leads(core))["A1"], len(await events(core))

    again = await import_csv(core.ctx, path)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    after = (await leads(core))["A1"]
    assert (after.updated_at, len(await events(core))) == (before[0].updated_at, before[1])
    moved = write_csv(tmp_path / "moved.csv", [{**GOOD, "owner": "Lee"}, {**GOOD, "owner": "Lee"}])
    changed = await import_csv(core.ctx, moved)
    assert changed.updated == 1 and changed.unchanged == 0
    assert changed.errors == [(3, "external_id 'A1' is also on line 2; only that row is imported")]
    assert (await leads(core))["A1"].owner_id != before[0].owner_id


async def test_columns_can_be_mapped_and_a_missing_column_is_named(
        core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    header = tuple("Account Owner" if h == "owner" else h for h in HEADER)
    row = {("Account Owner" if k == "owner" else k): v for k, v in GOOD.items()}
    path = write_csv(tmp_path / "crm.csv", [row], header)
    with pytest.raises(LeadFileError, match=r"no column 'owner'.*--map"):
        await import_csv(core.ctx, path)
    report = await import_csv(core.ctx, path, parse_mapping(["owner=Account Owner"]))
    assert report.created == 1
    with pytest.raises(LeadFileError, match="FIELD=HEADER"):
        parse_mapping(["proprietor=Account Owner"])


ROWS = 4 * BATCH + 37


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # volume, not dialect behaviour
async def test_rows_across_many_batches_with_some_bad_then_a_no_op_reimport(
        core: BotCore, tmp_path: Path) -> None:
    """Four batches of BATCH rows and a bit, bad rows spread over them, none losing the others
    (the 10,000-row figure is bench/leads_import.py's)."""
    await setup_team(core)
    rows = [lead_row(f"B{i}", f"Company {i}", ("Dana", "Lee")[i % 2],
                     f"2026-02-{1 + i % 28:02d}T{9 + i % 8:02d}:15:00Z",
                     segment=("midmarket_fintech", "regional_banks", "nowhere")[i % 3]
                     if i % 97 == 0 else "midmarket_fintech")
            for i in range(ROWS)]
    bad = sum(1 for i in range(ROWS) if i % 97 == 0 and i % 3 == 2)
    path = write_csv(tmp_path / "big.csv", rows)

    first = await import_csv(core.ctx, path)
    second = await import_csv(core.ctx, path)

    assert (first.created, len(first.errors)) == (ROWS - bad, bad)
    assert all("segment 'nowhere'" in reason for _, reason in first.errors)
    assert (second.created, second.updated, second.unchanged) == (0, 0, ROWS - bad)
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(func.count()).select_from(Lead))).one() == ROWS - bad
        engaged = select(func.count()).select_from(LeadEvent).where(LeadEvent.kind == "engaged")
        assert (await session.exec(engaged)).one() == ROWS - bad


async def test_a_semicolon_file_from_european_excel_with_segment_names_and_aliases(
        core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    path = tmp_path / "export.csv"
    path.write_text(
        "external_id;company;contact_name;contact_email;segment;owner;source;engaged_at;content\n"
        "E1;Ledgerly;Maya Chen;maya@ledgerly.example;Mid-market fintech;Dana;crm;"
        "2026-03-02T13:30:00Z;soc2_checklist\n"
        "E2;\"Acme Bank; Trust\";Raj;;credit unions;Lee;crm;2026-03-02T13:45:00Z;;\n"
        "E3;Payfast;Li;;FINTECH;Lee;crm;2026-03-02T13:45:00Z;\n"
        "E4;Nowhere;Ann;;mars;Lee;crm;2026-03-02T13:45:00Z;\n"
        "\n", encoding="utf-8-sig")

    report = await import_csv(core.ctx, path)

    assert report.created == 3, report.summary()
    stored = await leads(core)
    assert stored["E1"].segment == "midmarket_fintech"  # by the segment's name
    assert (stored["E2"].segment, stored["E2"].company) == ("regional_banks", "Acme Bank; Trust")
    assert stored["E3"].segment == "midmarket_fintech"  # an alias, in any case
    assert report.errors == [(5, "segment 'mars' is not in the strategy (healthcare_providers, "
                                 "midmarket_fintech, public_sector, regional_banks, small_business,"
                                 " tier1_banks; their names and aliases work too)")]


async def test_short_rows_duplicates_and_future_dates_are_reported_by_line(
        core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    path = write_csv(tmp_path / "leads.csv", [
        GOOD, lead_row("F1", "Later Inc", "Dana", "2026-03-09T13:30:00Z"),
        {**GOOD, "company": "Ledgerly again"}])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("S1,Shorty\n")
        handle.write("X1,Extra,a,b,midmarket_fintech,Dana,crm,2026-03-02T13:30:00Z,,surplus\n")

    report = await import_csv(core.ctx, path)

    assert report.created == 1
    reasons = dict(report.errors)
    assert "engaged_at 2026-03-09T13:30:00Z is in the future" in reasons[3]
    assert reasons[4] == "external_id 'A1' is also on line 2; only that row is imported"
    assert reasons[5] == "has 2 of 9 columns"
    assert reasons[6].startswith("has 10 columns, the header 9")
    assert set(await leads(core)) == {"A1"}
    assert (await leads(core))["A1"].company == "Ledgerly"  # the first row, not the duplicate


async def test_dates_at_the_ends_of_the_calendar_are_bad_rows(core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    rows = [GOOD, lead_row("E1", "End Co", "Dana", "9999-12-31T23:59:59-12:00"),
            lead_row("E2", "Start Co", "Dana", "0001-01-01T00:00:00Z")]
    report = await import_csv(core.ctx, write_csv(tmp_path / "leads.csv", rows))
    reasons = dict(report.errors)
    assert sorted(reasons) == [3, 4] and all("outside the dates" in r for r in reasons.values())
    assert set(await leads(core)) == {"A1"}
