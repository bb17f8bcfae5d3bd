"""fan-out row work: an index every message wrote twice for one reader

Revision ID: 0017_fanout_row_work
Revises: 0016_fanout_indexes
Create Date: 2026-12-07

A check-in fan-out message inserts a check-in (materialising) and updates it to asked (`state`
changes, so not a heap-only update on PostgreSQL), and inserts its invitation's outbox row (the
claim) and updates it to sent.

`ix_checkins_schedule_id` took an entry on both check-in writes, and its only reader was
materialising's "which members still have a check-in of this schedule open", which walked the
schedule's every check-in ever. That is now read from the two partial indexes that hold only
check-ins not closed (`ix_checkins_due`, `ix_checkins_closing`): 19 -> 17 index entries.

The member foreign keys of check-ins and sends stay: their per-row check costs about a tenth of
the server's buffer accesses per message, but it is what keeps a check-in or a send from naming a
member that does not exist, whatever a later change to forgetting or importing does.
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
