"""trained models: the understanding and priority models' bytes, shared by every host

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

Models trained before this revision stay in the data folder that trained them; the
scheduled retraining (at once when this table has no understanding model) or
`weibao train` stores them here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trained_models',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('format', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_trained_models'))
    )


def downgrade() -> None:
    op.drop_table('trained_models')
