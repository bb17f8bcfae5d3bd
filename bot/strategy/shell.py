"""`alignbot strategy export|import`: the stored versions from the shell, for people who prefer
files and for backups. Import proposes (admins confirm in chat, where the proposal reaches them);
nothing from the shell becomes current on its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.evaluation.doctor import Advice, diagnose
from bot.storage.database import Database
from bot.storage.models import StrategyVersion
from bot.strategy import store
from bot.strategy.changes import Changes, changes
from bot.strategy.draft import draft, todos
from bot.strategy.export import strategy_yaml
from bot.strategy.loader import parse_strategy


class ShellError(Exception):
    """A readable reason the command could not do what was asked."""


async def export_version(db: Database, version: str | None) -> tuple[StrategyVersion, str]:
    """The YAML of version number `version` (a row id, `v3`, a content hash), else the current."""
    if version is None:
        rows = [r for r in await store.list_versions(db) if r.status == store.CURRENT]
    else:
        wanted = version.lower().removeprefix("v")
        rows = [r for r in await store.list_versions(db)
                if str(r.id) == wanted or r.version == version]
    if not rows:
        raise ShellError(f"No strategy version {version}: see `/align strategy history`."
                         if version else "No strategy is stored yet: start the bot once (it"
                         " seeds the database from ALIGNBOT_STRATEGY_FILE).")
    row = rows[0]
    return row, strategy_yaml(store.strategy_of(row))


@dataclass(frozen=True)
class Imported:
    row: StrategyVersion
    changes: Changes
    advice: list[Advice]


async def import_file(db: Database, path: Path, text: str, reason: str | None,
                      now: datetime | None = None) -> Imported:
    """Propose the file's `text` as a new version (raises StrategyFileError when broken)."""
    strategy = parse_strategy(text, str(path))
    async with db.session() as session:
        current = await store.current_row(session)
    if current is None:
        raise ShellError("No strategy is stored yet: start the bot once with"
                         f" ALIGNBOT_STRATEGY_FILE={path} - the first start takes it as it is.")
    before = store.strategy_of(current)
    if strategy.version == before.version:
        raise ShellError(f"{path} is the current version ({current.id}); nothing to propose.")
    row = await store.propose(db, strategy, str(path), now or datetime.now(UTC), author_id=None,
                              reason=reason or f"imported from {path.name}",
                              parent=before.version)
    return Imported(row, changes(before, strategy), diagnose(strategy, text))


@dataclass(frozen=True)
class Drafted:
    row: StrategyVersion
    text: str  # the draft as YAML
    by: str
    todos: list[str]
    advice: list[Advice]


async def draft_file(db: Database, settings: Settings, document: str, source: str, prompt: str,
                     now: datetime | None = None) -> Drafted:
    """Draft a strategy from a document and propose it (admins confirm in chat)."""
    now = now or datetime.now(UTC)
    async with db.session() as session:
        current = await store.current_row(session)
    if current is None:
        raise ShellError("No strategy is stored yet: start the bot once (it seeds the database from"
                         " ALIGNBOT_STRATEGY_FILE), then draft the next one.")
    before = store.strategy_of(current)
    drafted = await draft(document, before, now.date(), settings, prompt)
    text = strategy_yaml(drafted.strategy)
    row = await store.propose(db, drafted.strategy, source, now, author_id=None,
                              reason=f"drafted from {Path(source).name}", parent=before.version)
    return Drafted(row, text, drafted.by, todos(drafted.strategy), diagnose(drafted.strategy, text))
