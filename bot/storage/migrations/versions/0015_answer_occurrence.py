"""answer occurrence: the whole organisation's digest reads a window of answers from one index

Revision ID: 0015_answer_occurrence
Revises: 0014_digest_aggregates
Create Date: 2026-12-07

A whole-organisation digest at 10,000 reps took 1.15 s, most of it SQLite joining each check-in
of the window to its answers and sorting every answer row to group it (150,000 for the chart's
six periods, 50,000 for this and the previous period's score means). Each answer now carries its
check-in's occurrence (copied on insert; a check-in's occurrence never changes), and an index on
(occurrence, question, scores..., substantive, member) holds the window's answers in the order
the chart and the score means group them: read from the index alone, grouped without a sort.
Existing answers are backfilled from their check-ins in one statement.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision: str = '0015_answer_occurrence'
down_revision: str | None = '0014_digest_aggregates'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = ('occurrence_at', 'question', 'overall_score', 'score_brevity', 'score_components',
         'score_scope_clarity', 'score_buying_process', 'score_critical_coverage', 'score_focus',
         'substantive', 'member_id')  # as bot.storage.models.DIGEST_INDEX


def upgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurrence_at', UTCDateTime(), nullable=True))
    op.execute('UPDATE answers SET occurrence_at = (SELECT checkins.occurrence_at FROM checkins'
               ' WHERE checkins.id = answers.checkin_id)')
    op.create_index('ix_answers_digest', 'answers', list(INDEX), unique=False)


def downgrade() -> None:
    op.drop_index('ix_answers_digest', table_name='answers')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('occurrence_at')
