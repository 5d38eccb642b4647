"""ticket label corrections and the understanding model (reserved for the understanding work)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from weibao.core.db import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ticket_corrections',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('hospital_id', sa.String(length=64), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('predicted', sa.JSON(), nullable=False),
        sa.Column('systems', sa.JSON(), nullable=True),
        sa.Column('symptoms', sa.JSON(), nullable=True),
        sa.Column('priority', sa.String(length=2), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_corrections_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_corrections')),
    )
    with op.batch_alter_table('ticket_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_corrections_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_corrections_hospital_id'), ['hospital_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_corrections_hospital_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_corrections_ticket_id'))
    op.drop_table('ticket_corrections')
