"""index change log, stored passage vectors, secrets shared by every worker

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from weibao.core.db import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'index_changes',
        sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('doc_kind', sa.String(length=16), nullable=False),
        sa.Column('doc_id', sa.String(length=64), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_index_changes')),
    )
    op.create_table(
        'app_secrets',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_app_secrets')),
    )
    with op.batch_alter_table('chunks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vector', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('chunks', schema=None) as batch_op:
        batch_op.drop_column('vector')
    op.drop_table('app_secrets')
    op.drop_table('index_changes')
