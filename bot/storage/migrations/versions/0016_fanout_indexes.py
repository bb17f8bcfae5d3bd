"""fan-out indexes: fewer index entries per message asked, and the state lookups on partial indexes

Revision ID: 0016_fanout_indexes
Revises: 0015_answer_occurrence
Create Date: 2026-12-07

Each message of a check-in fan-out inserts a check-in row (materialising), updates it to asked,
claims an outbox row and updates it to sent. `state` changes in both updates, so neither can be
a heap-only update on PostgreSQL: every update writes an entry into every index whose predicate
the new row satisfies. Before this revision that was eight check-in indexes on the insert and
eight on the ask, four outbox indexes on the claim and four on the send: 24 entries a message.

- `ix_checkins_state` went: it duplicated the leading column of `ix_checkins_state_due`, and the
  closer, its last reader, has its own partial index now.
- `ix_checkins_state_due (state, occurrence_at, id)` -> `ix_checkins_due (occurrence_at, id)
  WHERE state = 'scheduled'`: the due pages' walk, holding only rows still to be asked; a row
  leaving 'scheduled' leaves it.
- `ix_checkins_next_reminder_at` -> `ix_checkins_reminder_due (next_reminder_at, id) WHERE state
  IN ('asked', 'reminded') AND next_reminder_at IS NOT NULL`: only the check-ins a reminder can
  still be due for (a check-in answered or closed kept its next_reminder_at, so every tick's
  reminder query walked all of them); a check-in asked without a reminder is not in it.
- `ix_checkins_closing (closes_at) WHERE state IN ('asked', 'reminded', 'answered') AND closed_at
  IS NULL`: the closer's query, which read `ix_checkins_state` for every answered check-in ever.
- `ix_outbound_messages_state` -> `ix_outbound_messages_unsent (kind, claimed_at) WHERE state <>
  'sent'`: the catch-up, write-back and status queries look for claimed or failed rows only;
  a row recorded sent leaves it.

Now a message asked costs 6 + 6 check-in entries (7 on the ask when it plans a reminder) and
4 + 3 outbox entries: 19 rather than 24. The queries state the predicates as literals
(`bot.storage.models`), so that both databases can prove a partial index applies.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016_fanout_indexes'
down_revision: str | None = '0015_answer_occurrence'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.storage.models' SCHEDULED, REMINDABLE, CLOSABLE and UNSENT (copied: a migration must not
# change when the models do).
SCHEDULED = "state = 'scheduled'"
REMINDABLE = "state IN ('asked', 'reminded') AND next_reminder_at IS NOT NULL"
CLOSABLE = "state IN ('asked', 'reminded', 'answered') AND closed_at IS NULL"
UNSENT = "state <> 'sent'"


def _partial(where: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


def upgrade() -> None:
    op.drop_index('ix_checkins_state', table_name='checkins')
    op.drop_index('ix_checkins_state_due', table_name='checkins')
    op.drop_index('ix_checkins_next_reminder_at', table_name='checkins')
    op.create_index('ix_checkins_due', 'checkins', ['occurrence_at', 'id'], unique=False,
                    **_partial(SCHEDULED))
    op.create_index('ix_checkins_reminder_due', 'checkins', ['next_reminder_at', 'id'],
                    unique=False, **_partial(REMINDABLE))
    op.create_index('ix_checkins_closing', 'checkins', ['closes_at'], unique=False,
                    **_partial(CLOSABLE))
    op.drop_index('ix_outbound_messages_state', table_name='outbound_messages')
    op.create_index('ix_outbound_messages_unsent', 'outbound_messages', ['kind', 'claimed_at'],
                    unique=False, **_partial(UNSENT))


def downgrade() -> None:
    op.drop_index('ix_outbound_messages_unsent', table_name='outbound_messages')
    op.create_index('ix_outbound_messages_state', 'outbound_messages', ['state'], unique=False)
    op.drop_index('ix_checkins_closing', table_name='checkins')
    op.drop_index('ix_checkins_reminder_due', table_name='checkins')
    op.drop_index('ix_checkins_due', table_name='checkins')
    op.create_index('ix_checkins_next_reminder_at', 'checkins', ['next_reminder_at'], unique=False)
    op.create_index('ix_checkins_state_due', 'checkins', ['state', 'occurrence_at', 'id'],
                    unique=False)
    op.create_index('ix_checkins_state', 'checkins', ['state'], unique=False)
