"""leads and lead events; when a member's time away began

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.storage.types

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
T = bot.storage.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('away_from', sa.Date(), nullable=True))
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', S(length=64), nullable=False),
    sa.Column('external_id', S(length=128), nullable=False),
    sa.Column('company', S(length=200), nullable=False),
    sa.Column('contact_name', S(length=200), nullable=False),
    sa.Column('contact_email', S(length=320), nullable=True),
    sa.Column('segment', S(length=64), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('engaged_at', T(timezone=True), nullable=False),
    sa.Column('content', S(length=1000), nullable=False),
    sa.Column('status', S(length=16), nullable=False),
    sa.Column('status_reason', S(length=500), nullable=True),
    sa.Column('touches', sa.Integer(), nullable=False),
    sa.Column('first_touch_at', T(timezone=True), nullable=True),
    sa.Column('last_touch_at', T(timezone=True), nullable=True),
    sa.Column('snoozed_until', T(timezone=True), nullable=True),
    sa.Column('next_due_at', T(timezone=True), nullable=True),
    sa.Column('nudged_step', sa.Integer(), nullable=True),
    sa.Column('escalated_step', sa.Integer(), nullable=True),
    sa.Column('created_at', T(timezone=True), nullable=False),
    sa.Column('updated_at', T(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'external_id')
    )
    op.create_index('ix_leads_owner_status', 'leads', ['owner_id', 'status'], unique=False)
    op.create_index(op.f('ix_leads_segment'), 'leads', ['segment'], unique=False)
    op.create_index(op.f('ix_leads_next_due_at'), 'leads', ['next_due_at'], unique=False)
    op.create_table('lead_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('kind', S(length=16), nullable=False),
    sa.Column('at', T(timezone=True), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('via', S(length=32), nullable=False),
    sa.Column('detail', S(length=500), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('event_key', S(length=200), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_key')
    )
    op.create_index('ix_lead_events_lead_at', 'lead_events', ['lead_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_lead_events_lead_at', table_name='lead_events')
    op.drop_table('lead_events')
    op.drop_index(op.f('ix_leads_next_due_at'), table_name='leads')
    op.drop_index(op.f('ix_leads_segment'), table_name='leads')
    op.drop_index('ix_leads_owner_status', table_name='leads')
    op.drop_table('leads')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('away_from')
