"""strategy versions: proposals, one current version, who and why

Revision ID: 0012_strategy_versions
Revises: 0011_corrections
Create Date: 2026-12-07

The database now holds the strategy: every change is proposed first (status `proposed`), an
admin's Confirm makes it `current` (the one before becomes `superseded`), Cancel makes it
`cancelled`. A rollback stores an old content again as a new row, so `version` (the content
hash answers point at) is no longer unique; the current one and each open proposal are.
Rows from before: the last one loaded is current, the others superseded.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.storage.types

revision: str = '0012_strategy_versions'
down_revision: str | None = '0011_corrections'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0001 created the unique constraint on `version` without a name: PostgreSQL called it
# strategy_versions_version_key; SQLite gets this name from the naming convention on reflection.
_UNNAMED = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _version_unique() -> str:
    return ("strategy_versions_version_key" if op.get_bind().dialect.name == "postgresql"
            else "uq_strategy_versions_version")


def upgrade() -> None:
    with op.batch_alter_table('strategy_versions', naming_convention=_UNNAMED) as batch_op:
        batch_op.drop_constraint(_version_unique(), type_='unique')
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=False, server_default='superseded'))
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('parent_version', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', bot.storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('confirmed_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_strategy_versions_author_id_members', 'members',
                                    ['author_id'], ['id'])
        batch_op.create_foreign_key('fk_strategy_versions_confirmed_by_members', 'members',
                                    ['confirmed_by'], ['id'])
        batch_op.create_index(batch_op.f('ix_strategy_versions_version'), ['version'], unique=False)
    op.execute("UPDATE strategy_versions SET status = 'current', confirmed_at = loaded_at"
               " WHERE id = (SELECT max(id) FROM strategy_versions)")
    with op.batch_alter_table('strategy_versions') as batch_op:
        batch_op.alter_column('status', server_default=None)
        batch_op.create_index('uq_strategy_versions_current', ['status'], unique=True,
                              sqlite_where=sa.text("status = 'current'"),
                              postgresql_where=sa.text("status = 'current'"))
        batch_op.create_index('uq_strategy_versions_proposed', ['version'], unique=True,
                              sqlite_where=sa.text("status = 'proposed'"),
                              postgresql_where=sa.text("status = 'proposed'"))


def downgrade() -> None:
    # One row per content again: the first of each (later duplicates are rollbacks).
    op.execute("DELETE FROM strategy_versions WHERE id NOT IN"
               " (SELECT min(id) FROM strategy_versions GROUP BY version)")
    with op.batch_alter_table('strategy_versions') as batch_op:
        batch_op.drop_index('uq_strategy_versions_proposed')
        batch_op.drop_index('uq_strategy_versions_current')
        batch_op.drop_index(batch_op.f('ix_strategy_versions_version'))
        batch_op.drop_constraint('fk_strategy_versions_confirmed_by_members', type_='foreignkey')
        batch_op.drop_constraint('fk_strategy_versions_author_id_members', type_='foreignkey')
        batch_op.drop_column('confirmed_by')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('parent_version')
        batch_op.drop_column('reason')
        batch_op.drop_column('author_id')
        batch_op.drop_column('status')
        batch_op.create_unique_constraint(_version_unique(), ['version'])
