"""digest aggregates: what a digest needs from each answer, in plain columns

Revision ID: 0014_digest_aggregates
Revises: 0013_due_index
Create Date: 2026-12-07

A whole-organisation digest parsed every answer's evaluation JSON: 7.5 s at 10,000 reps. These
columns hold the few facts the digest reads (substantive or not, segments played, tasks done,
off-task and against counts, the statement's coverage, the sub-scores), derived from the answer's
text and evaluation on every write, so the digest adds and counts them in SQL. Existing answers
are backfilled here with the same derivation the application uses (bot.digest.derived). An index
on (checkin_id, question, overall_score) lets the chart's six periods of scores be read from the
index alone.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_digest_aggregates'
down_revision: str | None = '0013_due_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXTS = ('played', 'done_tasks', 'unmapped_texts', 'against_items', 'statement_facts')
COUNTS = ('done_count', 'unmapped_count', 'off_count', 'against_count')
SCORES = ('score_brevity', 'score_components', 'score_scope_clarity', 'score_buying_process',
          'score_critical_coverage', 'score_focus')
BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('substantive', sa.Boolean(), nullable=True))
        for name in TEXTS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        for name in SCORES:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    op.create_index('ix_answers_checkin_scores', 'answers',
                    ['checkin_id', 'question', 'overall_score'], unique=False)
    _backfill()


def _backfill() -> None:
    """Every answer with an evaluation, a batch of ids at a time (bounded memory)."""
    from bot.digest.derived import COLUMNS, derive

    connection = op.get_bind()
    answers = sa.table('answers', sa.column('id'), sa.column('text'), sa.column('evaluation'),
                       *(sa.column(name) for name in COLUMNS))
    update = answers.update().where(answers.c.id == sa.bindparam('answer_id')).values(
        {name: sa.bindparam(name) for name in COLUMNS})
    last = 0
    while True:
        rows = connection.execute(
            sa.select(answers.c.id, answers.c.text, answers.c.evaluation)
            .where(answers.c.id > last, answers.c.evaluation.is_not(None))
            .order_by(answers.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(update, [{"answer_id": ident, **derive(text or "", evaluation)}
                                    for ident, text, evaluation in rows])
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index('ix_answers_checkin_scores', table_name='answers')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        for name in reversed(('substantive', *TEXTS, *COUNTS, *SCORES)):
            batch_op.drop_column(name)
