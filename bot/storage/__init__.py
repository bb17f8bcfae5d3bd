"""Persistence: SQLModel tables, the database handle and Alembic migrations."""

from bot.storage.database import Database, DatabaseUrlError, MigrationError

__all__ = ["Database", "DatabaseUrlError", "MigrationError"]
