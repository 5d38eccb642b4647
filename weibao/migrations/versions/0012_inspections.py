"""inspection plans, runs, results and early warnings (reserved for the preventive-maintenance work)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inspection_plans',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('template_ids', sa.JSON(), nullable=False),
    sa.Column('cadence_months', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_inspection_plans_hospital_id_hospitals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans')),
    sa.UniqueConstraint('hospital_id', name=op.f('uq_inspection_plans_hospital_id'))
    )
    op.create_table('inspections',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('assignee_id', sa.String(length=64), nullable=True),
    sa.Column('assignment', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('performed_by', sa.String(length=100), nullable=True),
    sa.Column('signed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_off_by', sa.String(length=100), nullable=True),
    sa.Column('overdue_flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['engineers.id'], name=op.f('fk_inspections_assignee_id_engineers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_inspections_hospital_id_hospitals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspections_plan_id_inspection_plans'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('plan_id', 'template_id', 'due_date', name=op.f('uq_inspections_plan_id'))
    )
    op.create_index(op.f('ix_inspections_due_date'), 'inspections', ['due_date'], unique=False)
    op.create_index(op.f('ix_inspections_hospital_id'), 'inspections', ['hospital_id'], unique=False)
    op.create_table('inspection_results',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('reading', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('ticket_code', sa.String(length=32), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['inspections.id'], name=op.f('fk_inspection_results_run_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_results')),
    sa.UniqueConstraint('run_id', 'item_id', name=op.f('uq_inspection_results_run_id'))
    )
    op.create_index(op.f('ix_inspection_results_hospital_id'), 'inspection_results', ['hospital_id'], unique=False)
    op.create_index(op.f('ix_inspection_results_run_id'), 'inspection_results', ['run_id'], unique=False)
    op.create_table('inspection_photos',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['inspections.id'], name=op.f('fk_inspection_photos_run_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_photos'))
    )
    op.create_index(op.f('ix_inspection_photos_run_id'), 'inspection_photos', ['run_id'], unique=False)
    op.create_table('inspection_submissions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('tickets', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['inspections.id'], name=op.f('fk_inspection_submissions_run_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_submissions')),
    sa.UniqueConstraint('run_id', 'idempotency_key', name=op.f('uq_inspection_submissions_run_id'))
    )
    op.create_table('inspection_followups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['inspections.id'], name=op.f('fk_inspection_followups_run_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_followups')),
    sa.UniqueConstraint('run_id', 'item_id', name=op.f('uq_inspection_followups_run_id'))
    )
    op.create_index(op.f('ix_inspection_followups_hospital_id'), 'inspection_followups', ['hospital_id'], unique=False)
    op.create_index(op.f('ix_inspection_followups_run_id'), 'inspection_followups', ['run_id'], unique=False)
    op.create_table('metric_samples',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('system', sa.String(length=32), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('series', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_samples'))
    )
    op.create_index('ix_metric_samples_series_at', 'metric_samples', ['hospital_id', 'metric', 'series', 'at'], unique=False)
    op.create_table('early_warnings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('system', sa.String(length=32), nullable=False),
    sa.Column('detector', sa.String(length=32), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('series', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('open_key', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('ticket_code', sa.String(length=32), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_early_warnings')),
    sa.UniqueConstraint('hospital_id', 'open_key', name=op.f('uq_early_warnings_hospital_id'))
    )
    op.create_index(op.f('ix_early_warnings_hospital_id'), 'early_warnings', ['hospital_id'], unique=False)
    op.create_table('warning_thresholds',
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_warning_thresholds_hospital_id_hospitals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hospital_id', name=op.f('pk_warning_thresholds'))
    )
    op.create_table('metric_sources',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hospital_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_scraped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_metric_sources_hospital_id_hospitals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_sources')),
    sa.UniqueConstraint('hospital_id', 'url', name=op.f('uq_metric_sources_hospital_id'))
    )
    op.create_index(op.f('ix_metric_sources_hospital_id'), 'metric_sources', ['hospital_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_metric_sources_hospital_id'), table_name='metric_sources')
    op.drop_table('metric_sources')
    op.drop_table('warning_thresholds')
    op.drop_index(op.f('ix_early_warnings_hospital_id'), table_name='early_warnings')
    op.drop_table('early_warnings')
    op.drop_index('ix_metric_samples_series_at', table_name='metric_samples')
    op.drop_table('metric_samples')
    op.drop_index(op.f('ix_inspection_followups_hospital_id'), table_name='inspection_followups')
    op.drop_index(op.f('ix_inspection_followups_run_id'), table_name='inspection_followups')
    op.drop_table('inspection_followups')
    op.drop_table('inspection_submissions')
    op.drop_index(op.f('ix_inspection_photos_run_id'), table_name='inspection_photos')
    op.drop_table('inspection_photos')
    op.drop_index(op.f('ix_inspection_results_hospital_id'), table_name='inspection_results')
    op.drop_index(op.f('ix_inspection_results_run_id'), table_name='inspection_results')
    op.drop_table('inspection_results')
    op.drop_index(op.f('ix_inspections_due_date'), table_name='inspections')
    op.drop_index(op.f('ix_inspections_hospital_id'), table_name='inspections')
    op.drop_table('inspections')
    op.drop_table('inspection_plans')
