"""contracts, service reviews, search log (reserved for the service-management work)

Contract versions (history with validity dates), the contract version and targets each
ticket was created under, the query log behind knowledge gaps, quarterly service reviews
and their action items.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'contract_versions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('hospital_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
        sa.Column('tier', sa.String(length=16), nullable=False),
        sa.Column('targets', sa.JSON(), nullable=False),
        sa.Column('inspections_per_year', sa.Integer(), nullable=False),
        sa.Column('trainings_per_year', sa.JSON(), nullable=False),
        sa.Column('monthly_fee_cents', sa.Integer(), nullable=False),
        sa.Column('credit_percent_per_breach', sa.Float(), nullable=False),
        sa.Column('credit_cap_percent', sa.Float(), nullable=False),
        sa.Column('account_manager_id', sa.String(length=64), nullable=True),
        sa.Column('dedicated_engineers', sa.JSON(), nullable=False),
        sa.Column('contact_name', sa.String(length=100), nullable=False),
        sa.Column('contact_title', sa.String(length=100), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['account_manager_id'], ['engineers.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('hospital_id', 'version'),
    )
    op.create_index('ix_contract_versions_hospital_id', 'contract_versions', ['hospital_id'])
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_version_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sla_targets', sa.JSON(), nullable=True))
    op.create_table(
        'service_query_log',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('hospital_id', sa.String(length=64), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('query', sa.String(length=500), nullable=False),
        sa.Column('result_count', sa.Integer(), nullable=False),
        sa.Column('top_score', sa.Float(), nullable=False),
        sa.Column('confidence', sa.Float(), nullable=False),
        sa.Column('systems', sa.JSON(), nullable=False),
        sa.Column('symptoms', sa.JSON(), nullable=False),
        sa.Column('top_document', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_service_query_log_at', 'service_query_log', ['at'])
    op.create_index('ix_service_query_log_hospital_id', 'service_query_log', ['hospital_id'])
    op.create_table(
        'service_reviews',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('hospital_id', sa.String(length=64), nullable=False),
        sa.Column('quarter', sa.String(length=7), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_service_reviews_hospital_id', 'service_reviews', ['hospital_id'])
    op.create_table(
        'service_action_items',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('hospital_id', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('owner', sa.String(length=100), nullable=False),
        sa.Column('due', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['review_id'], ['service_reviews.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_service_action_items_review_id', 'service_action_items', ['review_id'])
    op.create_index('ix_service_action_items_hospital_id', 'service_action_items', ['hospital_id'])


def downgrade() -> None:
    op.drop_index('ix_service_action_items_hospital_id', table_name='service_action_items')
    op.drop_index('ix_service_action_items_review_id', table_name='service_action_items')
    op.drop_table('service_action_items')
    op.drop_index('ix_service_reviews_hospital_id', table_name='service_reviews')
    op.drop_table('service_reviews')
    op.drop_index('ix_service_query_log_hospital_id', table_name='service_query_log')
    op.drop_index('ix_service_query_log_at', table_name='service_query_log')
    op.drop_table('service_query_log')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('sla_targets')
        batch_op.drop_column('contract_version_id')
    op.drop_index('ix_contract_versions_hospital_id', table_name='contract_versions')
    op.drop_table('contract_versions')
