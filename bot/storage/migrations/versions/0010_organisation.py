"""organisations: the one organisation a deployment serves per platform

Revision ID: 0010_organisation
Revises: 0009_crm_syncs
Create Date: 2026-12-06

Every workspace that installed the app shared one team directory, strategy and schedules. A
deployment now serves one organisation: configured (ALIGNBOT_ORGANISATION) or fixed here by the
first install or request; everything from elsewhere is refused.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.storage.types

revision: str = '0010_organisation'
down_revision: str | None = '0009_crm_syncs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'organisations',
        sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('fixed_at', bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('platform'),
    )


def downgrade() -> None:
    op.drop_table('organisations')
