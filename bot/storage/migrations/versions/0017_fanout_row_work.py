"""fan-out row work: the schedule index that every message wrote twice and one query read

Revision ID: 0017_fanout_row_work
Revises: 0016_fanout_indexes
Create Date: 2026-12-07

A check-in fan-out message inserts a check-in (materialising) and updates it to asked (`state`
changes, so not a heap-only update on PostgreSQL): each writes an entry into every index whose
predicate the row meets. `ix_checkins_schedule_id` took one on both, and its only reader was
materialising's "which members still have a check-in of this schedule open", which walked the
schedule's every check-in ever. That question is now answered from the two partial indexes that
hold only check-ins not closed (`ix_checkins_due`, `ix_checkins_closing`), so the index goes:
two index entries a message fewer (19 -> 17).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017_fanout_row_work'
down_revision: str | None = '0016_fanout_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_checkins_schedule_id', table_name='checkins')


def downgrade() -> None:
    op.create_index('ix_checkins_schedule_id', 'checkins', ['schedule_id'], unique=False)
