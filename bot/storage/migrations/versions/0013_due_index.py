"""due index: the fan-out's page query walks an index in its own order

Revision ID: 0013_due_index
Revises: 0012_strategy_versions
Create Date: 2026-12-07

The scheduler asks due check-ins page by page, ordered by (occurrence_at, id) among the rows still
'scheduled'. Without an index in that order every page read and sorted all remaining scheduled
rows, so a fan-out cost grew with the square of the organisation. With (state, occurrence_at, id)
each page reads only its own rows, in index order, from where the last page stopped.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0013_due_index'
down_revision: str | None = '0012_strategy_versions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_checkins_state_due', 'checkins', ['state', 'occurrence_at', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_checkins_state_due', table_name='checkins')
