"""article versions, reviews, feedback and training (reserved for the knowledge-authoring work)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('articles') as batch:
        batch.add_column(sa.Column('created_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('modified_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('published_version', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('article_versions') as batch:
        batch.add_column(sa.Column('author', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('saved_at', sa.DateTime(timezone=True), nullable=True))
    # Articles published before authoring are live at their current version.
    op.execute("UPDATE articles SET published_version = version WHERE status = 'published'")
    op.create_table(
        'article_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('article_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_events_article_id_articles'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_events')),
    )
    op.create_index('ix_article_events_article_id', 'article_events', ['article_id'])
    op.create_table(
        'article_feedback',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('article_id', sa.String(length=64), nullable=False),
        sa.Column('helpful', sa.Boolean(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('hospital_id', sa.String(length=64), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_feedback_article_id_articles'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_feedback')),
    )
    op.create_index('ix_article_feedback_article_id', 'article_feedback', ['article_id'])
    op.create_index('ix_article_feedback_hospital_id', 'article_feedback', ['hospital_id'])


def downgrade() -> None:
    op.drop_index('ix_article_feedback_hospital_id', table_name='article_feedback')
    op.drop_index('ix_article_feedback_article_id', table_name='article_feedback')
    op.drop_table('article_feedback')
    op.drop_index('ix_article_events_article_id', table_name='article_events')
    op.drop_table('article_events')
    with op.batch_alter_table('article_versions') as batch:
        batch.drop_column('saved_at')
        batch.drop_column('author')
    with op.batch_alter_table('articles') as batch:
        batch.drop_column('reviewed_at')
        batch.drop_column('published_version')
        batch.drop_column('modified_by')
        batch.drop_column('created_by')
