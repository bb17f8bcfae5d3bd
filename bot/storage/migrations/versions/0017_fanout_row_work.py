"""fan-out row work: an index every message wrote twice for one reader, and two foreign-key checks

Revision ID: 0017_fanout_row_work
Revises: 0016_fanout_indexes
Create Date: 2026-12-07

A check-in fan-out message inserts a check-in (materialising) and updates it to asked (`state`
changes, so not a heap-only update on PostgreSQL), and inserts its invitation's outbox row (the
claim) and updates it to sent.

- `ix_checkins_schedule_id` took an entry on both check-in writes, and its only reader was
  materialising's "which members still have a check-in of this schedule open", which walked the
  schedule's every check-in ever. That is now read from the two partial indexes that hold only
  check-ins not closed (`ix_checkins_due`, `ix_checkins_closing`): 19 -> 17 index entries.
- The foreign keys `checkins.member_id` and `outbound_messages.member_id` -> `members.id`: each
  inserted row ran PostgreSQL's referential-integrity trigger, a query of its own that looks the
  member up by its primary key and locks the member's row (FOR KEY SHARE: the row's page written
  and a WAL record), twice a message - about a tenth of the server's buffer accesses. Members are
  never deleted (forgetting one scrubs the row and keeps it), and both rows are written from
  member ids read from `members`, so the check guarded nothing that happens. On SQLite the two
  tables are copied without them (batch mode; foreign keys are not enforced while migrating).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017_fanout_row_work'
down_revision: str | None = '0016_fanout_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('checkins', 'outbound_messages')
# SQLite's foreign keys have no name: batch mode names them by this convention to drop them
_UNNAMED = {'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s'}


def _name(table: str) -> str:
    """The foreign key's name: PostgreSQL's own default, or the convention above on SQLite."""
    if op.get_bind().dialect.name == 'postgresql':
        return f'{table}_member_id_fkey'
    return f'fk_{table}_member_id_members'


def upgrade() -> None:
    op.drop_index('ix_checkins_schedule_id', table_name='checkins')
    for table in TABLES:
        with op.batch_alter_table(table, naming_convention=_UNNAMED) as batch_op:
            batch_op.drop_constraint(_name(table), type_='foreignkey')


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(_name(table), 'members', ['member_id'], ['id'])
    op.create_index('ix_checkins_schedule_id', 'checkins', ['schedule_id'], unique=False)
