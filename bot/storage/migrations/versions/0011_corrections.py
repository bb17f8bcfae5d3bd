"""corrections: "Not right?" on a verdict, and the lessons the evaluator learns from it

Revision ID: 0011_corrections
Revises: 0010_organisation
Create Date: 2026-12-07

The same misreading repeated every week because nobody could tell the bot. A correction keeps what
the bot read, what the person said it should have read, and the examples and aliases learned from
the difference, shared by every process through the database.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.storage.types

revision: str = '0011_corrections'
down_revision: str | None = '0010_organisation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'corrections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('strategy_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('answer_text', sa.Text(), nullable=False),
        sa.Column('read', sa.Text(), nullable=False),
        sa.Column('corrected', sa.Text(), nullable=False),
        sa.Column('lessons', sa.Text(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('confirmed_by', sa.Integer(), nullable=True),
        sa.Column('undone_by', sa.Integer(), nullable=True),
        sa.Column('created_at', bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['answers.id']),
        sa.ForeignKeyConstraint(['author_id'], ['members.id']),
        sa.ForeignKeyConstraint(['confirmed_by'], ['members.id']),
        sa.ForeignKeyConstraint(['undone_by'], ['members.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_corrections_answer_id'), 'corrections', ['answer_id'])
    op.create_index(op.f('ix_corrections_author_id'), 'corrections', ['author_id'])
    op.create_index(op.f('ix_corrections_status'), 'corrections', ['status'])


def downgrade() -> None:
    op.drop_index(op.f('ix_corrections_status'), table_name='corrections')
    op.drop_index(op.f('ix_corrections_author_id'), table_name='corrections')
    op.drop_index(op.f('ix_corrections_answer_id'), table_name='corrections')
    op.drop_table('corrections')
