"""heartbeats (the scheduler's last tick, for /align status); answers still without a verdict

Revision ID: 0008_faults
Revises: 0007_security
Create Date: 2026-11-24

Any process may run the tick, and any other may answer `/align status`: the last tick's time,
lag, duration and failures live in the database, one row per periodic job. Each tick also looks
for answers left without a verdict; a partial index keeps that to the few such rows.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.storage.types

revision: str = '0008_faults'
down_revision: str | None = '0007_security'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'heartbeats',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('process', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('beat_at', bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ok_at', bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('lag_seconds', sa.Float(), nullable=False),
        sa.Column('duration_seconds', sa.Float(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_index('ix_answers_unjudged', 'answers', ['updated_at'], unique=False,
                    sqlite_where=sa.text('evaluation IS NULL'),
                    postgresql_where=sa.text('evaluation IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_answers_unjudged', table_name='answers')
    op.drop_table('heartbeats')
