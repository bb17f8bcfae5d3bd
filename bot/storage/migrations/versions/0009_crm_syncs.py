"""crm_syncs: the cursor and last run of each CRM's incremental lead sync

Revision ID: 0009_crm_syncs
Revises: 0008_faults
Create Date: 2026-12-06

One row per CRM (hubspot, salesforce): a sync that fails half-way resumes from the stored
cursor, and `/align status` reads the last run, its lag and its error from here.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.storage.types

revision: str = '0009_crm_syncs'
down_revision: str | None = '0008_faults'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'crm_syncs',
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('cursor', sa.Text(), nullable=True),
        sa.Column('started_at', bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('ok_at', bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('newest_at', bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('imported', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('source'),
    )


def downgrade() -> None:
    op.drop_table('crm_syncs')
