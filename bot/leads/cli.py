"""`alignbot leads import FILE.csv` and `alignbot leads sync --source hubspot [--dry-run]`: the
operator's bulk intake and CRM sync, each with a readable report."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.config import Settings
from bot.leads.csv_import import COLUMNS, ImportReport, LeadFileError, import_csv, parse_mapping
from bot.leads.sources import CRM_SOURCES
from bot.leads.sync import SyncReport
from bot.runtime.startup import fail, settings_for_command

leads_app = typer.Typer(no_args_is_help=True, help="Import and manage leads.")


@leads_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV with a header row", exists=True, dir_okay=False)],
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", help=f"FIELD=HEADER when your column is named differently; fields: "
                      f"{', '.join(COLUMNS)}")] = None,
    source: Annotated[str, typer.Option(help="Source for rows without a source column")] = "import",
) -> None:
    """Import leads: good rows go in, bad rows are listed with their line; re-importing changes
    nothing. Exit code 1 when some rows had errors."""

    settings = settings_for_command(quiet=True)
    try:
        columns = parse_mapping(mapping or [])
        report = asyncio.run(_import(settings, file, columns, source))
    except LeadFileError as exc:
        fail(str(exc))
        return
    typer.echo(f"{file.name}: {report.summary()}")
    if report.errors:
        raise typer.Exit(1)


async def _import(settings: Settings, file: Path, columns: dict[str, str],
                  source: str) -> ImportReport:
    from bot.runtime.app import build_core

    core = build_core(settings)
    try:
        await core.start()
        return await import_csv(core.ctx, file, columns, source)
    finally:
        await core.ctx.db.dispose()


@leads_app.command("sync")
def sync_command(
    source: Annotated[str, typer.Option(help=f"The CRM: {', '.join(CRM_SOURCES)}")] = "hubspot",
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Read and check the changes, store nothing, keep the cursor")] = False,
) -> None:
    """Sync leads from a CRM since the last run (and write back what reps did); with --dry-run,
    show what would change. Exit code 1 when the run stopped on an error."""
    if source not in CRM_SOURCES:
        fail(f"--source {source}: not a CRM I can sync; use one of {', '.join(CRM_SOURCES)}")
        return
    settings = settings_for_command(quiet=True)
    (report,) = asyncio.run(_sync(settings, source, dry_run))
    typer.echo(report.summary(limit=50))
    if report.error:
        raise typer.Exit(1)


async def _sync(settings: Settings, source: str, dry_run: bool) -> list[SyncReport]:
    from bot.leads.sync_job import sync_sources
    from bot.runtime.app import build_core

    core = build_core(settings)
    try:
        await core.start()
        return await sync_sources(core.ctx, [source], dry_run=dry_run)
    finally:
        await core.ctx.db.dispose()
