"""forgetting members: a tombstone mark on members, and pending confirmations

Revision ID: 0007_security
Revises: 0006_digest
Create Date: 2026-11-24

`/align forget <member>` turns a member row into a tombstone (`forgotten_at`) and needs a second,
expiring step, kept in `confirmations` so any bot process can take the Confirm click.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.storage.types

revision: str = '0007_security'
down_revision: str | None = '0006_digest'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forgotten_at', bot.storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_table('confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', bot.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bot.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requested_by'], ['members.id'], ),
    sa.ForeignKeyConstraint(['subject_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_confirmations_requested_by'), ['requested_by'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_confirmations_requested_by'))
    op.drop_table('confirmations')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('forgotten_at')
