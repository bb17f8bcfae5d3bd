"""What every `alignbot` command does first: read the settings (a readable refusal when they are
wrong) and set up logging. Shared by the main CLI and its sub-apps (`leads`, ...), which must not
import the main CLI that mounts them."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from bot.config import Settings
from bot.runtime.app import configure_logging


def fail(message: str) -> None:
    """Stop the command with a message for the person at the terminal (exit code 2)."""
    typer.echo(message, err=True)
    raise typer.Exit(2)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        fail(f"Invalid settings (environment or .env): {problems}")
        raise


def settings_for_command(quiet: bool = False) -> Settings:
    """Settings from the environment and .env, logging configured; `quiet` keeps INFO logs out
    of a terminal conversation unless ALIGNBOT_LOG_LEVEL asks for them."""
    settings = load_settings()
    quiet = quiet and "log_level" not in settings.model_fields_set
    configure_logging("WARNING" if quiet else settings.log_level, settings.log_format,
                      settings.secret_values())
    return settings


def settings_for_console(verbose: bool = False) -> Settings:
    """Settings for a terminal conversation: log lines go to ALIGNBOT_CONSOLE_LOG so only the
    conversation shows, unless `verbose` asks to see them on stderr as well as the chat."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, settings.secret_values(),
                      file=None if verbose else settings.console_log)
    return settings
