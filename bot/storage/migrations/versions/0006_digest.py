"""indexes for digests: a team's check-ins and leads by time

Revision ID: 0006_digest
Revises: 0005_teams
Create Date: 2026-11-23

A digest reads one team's check-ins in a window and its leads engaged in a window; these
indexes keep that cost bounded by the team, not the organisation.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0006_digest'
down_revision: str | None = '0005_teams'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_checkins_member_occurrence', 'checkins', ['member_id', 'occurrence_at'],
                    unique=False)
    op.create_index('ix_leads_owner_engaged', 'leads', ['owner_id', 'engaged_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_leads_owner_engaged', table_name='leads')
    op.drop_index('ix_checkins_member_occurrence', table_name='checkins')
