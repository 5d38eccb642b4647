"""tickets remember the monitoring alert they came from

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_key', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_tickets_hospital_alert', ['hospital_id', 'alert_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_hospital_alert')
        batch_op.drop_column('alert_key')
