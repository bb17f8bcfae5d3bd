"""`alignbot leads import FILE.csv`: the operator's bulk intake, with a readable report."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.config import Settings
from bot.leads.csv_import import COLUMNS, ImportReport, LeadFileError, import_csv, parse_mapping
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
