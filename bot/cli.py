"""The `alignbot` command: run the bot, the console, migrations and strategy checks.

User mistakes (a broken strategy file, a bad database URL) end with a readable message and exit
code 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.app import build_core, configure_logging
from bot.config import Settings
from bot.prompts import PromptsError
from bot.storage.database import Database, DatabaseUrlError
from bot.strategy.loader import StrategyFileError, load_strategy

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="sales-align-bot: keep a B2B sales team aligned with its strategy.")
strategy_app = typer.Typer(no_args_is_help=True, help="Check and inspect strategy files.")
app.add_typer(strategy_app, name="strategy")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level)
    return settings


@app.command()
def console() -> None:
    """Talk to the bot in this terminal (the console adapter, no platform account needed)."""
    settings = _settings()
    asyncio.run(_console(settings))


async def _console(settings: Settings) -> None:
    from adapters.console.adapter import ConsoleAdapter, stdin_lines
    from bot.clock import OffsetClock

    try:
        core = build_core(settings, clock=OffsetClock())
        await core.start()
    except (StrategyFileError, PromptsError, DatabaseUrlError) as exc:
        _fail(str(exc))
        return
    adapter = ConsoleAdapter(core, echo=not sys.stdin.isatty())
    try:
        await adapter.run(stdin_lines())
    finally:
        await core.ctx.db.dispose()


@app.command()
def run() -> None:
    """Run the bot on the platform its settings point to (the console when no tokens are set)."""
    settings = _settings()
    platform = settings.chosen_platform()
    if platform == "console":
        typer.echo("No SLACK_* or MICROSOFT_* settings found: starting the console adapter"
                   f" on {settings.database_url} with {settings.strategy_file}.", err=True)
        asyncio.run(_console(settings))
        return
    _fail(f"The {platform} adapter is not in this build yet; unset the {platform} settings to"
          " use the console, or see README.md for what is available.")


@app.command()
def migrate() -> None:
    """Apply database migrations (the bot also does this on start)."""
    settings = _settings()
    try:
        Database(settings.database_url).migrate_sync()
    except DatabaseUrlError as exc:
        _fail(str(exc))
    typer.echo(f"Database at {settings.database_url} is up to date.")


@strategy_app.command("check")
def strategy_check(file: Annotated[Path, typer.Argument(help="The strategy YAML file")]) -> None:
    """Validate a strategy file and list every problem with its line."""
    try:
        strategy = load_strategy(file)
    except StrategyFileError as exc:
        _fail(str(exc))
        return
    typer.echo(f"{file}: OK - '{strategy.strategy.name}', {len(strategy.segments)} segments,"
               f" {len(strategy.sales_tasks)} sales tasks, version {strategy.version}.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
