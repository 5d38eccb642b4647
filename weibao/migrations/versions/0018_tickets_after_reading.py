"""tickets after reading: the articles a reporter read before filing a ticket

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01

Tickets filed before this revision name no articles (an empty list).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('tried_articles', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('tried_articles')
