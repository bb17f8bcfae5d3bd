"""Persistence: SQLModel tables, the database handle and Alembic migrations."""

from bot.storage.database import Database, DatabaseUrlError

__all__ = ["Database", "DatabaseUrlError"]
