"""article freshness and review rights: affected versions of articles, the engineers'
review right, short videos in articles

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

Existing engineer profiles keep the review right they had (every engineer could review
before this revision); profiles created from now on start without it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('articles') as batch:
        batch.add_column(sa.Column('affected_versions', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('engineers') as batch:
        batch.add_column(sa.Column('can_review', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE engineers SET can_review = :yes").bindparams(yes=True))
    op.create_table('article_videos',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_videos_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_videos'))
    )
    op.create_index(op.f('ix_article_videos_article_id'), 'article_videos', ['article_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_article_videos_article_id'), table_name='article_videos')
    op.drop_table('article_videos')
    with op.batch_alter_table('engineers') as batch:
        batch.drop_column('can_review')
    with op.batch_alter_table('articles') as batch:
        batch.drop_column('affected_versions')
