"""Feedback hub: items with moderation and outbox state, status history, votes, audit log.

Revision ID: 0002_feedback
Revises: 0001
Create Date: 2026-11-24 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_feedback"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.Enum('bug', 'idea', 'question', 'praise', name='feedbackkind', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('moderation', sa.Enum('pending', 'approved', 'rejected', 'spam', 'deleted', name='commentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=245), nullable=False),
    sa.Column('email', sa.String(length=100), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('source', sa.Enum('web', 'api', 'import', name='commentsource', native_enum=False, length=20), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('rule_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('receipt_token', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('answer_body', sa.Text(), nullable=True),
    sa.Column('answer_html', sa.Text(), nullable=True),
    sa.Column('answer_by', sa.String(length=245), nullable=True),
    sa.Column('answer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('votes_base', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('written_revision', sa.Integer(), nullable=True),
    sa.Column('votes_written', sa.Integer(), nullable=True),
    sa.Column('votes_dirty_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merged_into_id'], ['feedback_items.id'], name=op.f('fk_feedback_items_merged_into_id_feedback_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_items')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_feedback_items_idempotency_key')),
    sa.UniqueConstraint('receipt_token', name=op.f('uq_feedback_items_receipt_token'))
    )
    op.create_index('ix_feedback_items_body_hash', 'feedback_items', ['body_hash'], unique=False)
    op.create_index(op.f('ix_feedback_items_email'), 'feedback_items', ['email'], unique=False)
    op.create_index(op.f('ix_feedback_items_file_changed_at'), 'feedback_items', ['file_changed_at'], unique=False)
    op.create_index('ix_feedback_items_ip_created', 'feedback_items', ['ip', 'created_at'], unique=False)
    op.create_index(op.f('ix_feedback_items_merged_into_id'), 'feedback_items', ['merged_into_id'], unique=False)
    op.create_index(op.f('ix_feedback_items_moderation'), 'feedback_items', ['moderation'], unique=False)
    op.create_index(op.f('ix_feedback_items_status'), 'feedback_items', ['status'], unique=False)
    op.create_index(op.f('ix_feedback_items_votes_dirty_since'), 'feedback_items', ['votes_dirty_since'], unique=False)
    op.create_table('feedback_audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.Enum('submit', 'import', 'approve', 'reject', 'spam', 'delete', 'ban', 'status', 'answer', 'edit', 'merge', 'publish', 'unpublish', name='feedbackauditaction', native_enum=False, length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_items.id'], name=op.f('fk_feedback_audit_log_item_id_feedback_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_audit_log'))
    )
    op.create_index(op.f('ix_feedback_audit_log_at'), 'feedback_audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_feedback_audit_log_item_id'), 'feedback_audit_log', ['item_id'], unique=False)
    op.create_table('feedback_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=245), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_items.id'], name=op.f('fk_feedback_status_changes_item_id_feedback_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_status_changes'))
    )
    op.create_index(op.f('ix_feedback_status_changes_item_id'), 'feedback_status_changes', ['item_id'], unique=False)
    op.create_table('feedback_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('voter_hash', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_items.id'], name=op.f('fk_feedback_votes_item_id_feedback_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_votes'))
    )
    op.create_index('ix_feedback_votes_ip_created', 'feedback_votes', ['ip', 'created_at'], unique=False)
    op.create_index('ix_feedback_votes_item_voter', 'feedback_votes', ['item_id', 'voter_hash'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_feedback_votes_item_voter', table_name='feedback_votes')
    op.drop_index('ix_feedback_votes_ip_created', table_name='feedback_votes')
    op.drop_table('feedback_votes')
    op.drop_index(op.f('ix_feedback_status_changes_item_id'), table_name='feedback_status_changes')
    op.drop_table('feedback_status_changes')
    op.drop_index(op.f('ix_feedback_audit_log_item_id'), table_name='feedback_audit_log')
    op.drop_index(op.f('ix_feedback_audit_log_at'), table_name='feedback_audit_log')
    op.drop_table('feedback_audit_log')
    op.drop_index(op.f('ix_feedback_items_votes_dirty_since'), table_name='feedback_items')
    op.drop_index(op.f('ix_feedback_items_status'), table_name='feedback_items')
    op.drop_index(op.f('ix_feedback_items_moderation'), table_name='feedback_items')
    op.drop_index(op.f('ix_feedback_items_merged_into_id'), table_name='feedback_items')
    op.drop_index('ix_feedback_items_ip_created', table_name='feedback_items')
    op.drop_index(op.f('ix_feedback_items_file_changed_at'), table_name='feedback_items')
    op.drop_index(op.f('ix_feedback_items_email'), table_name='feedback_items')
    op.drop_index('ix_feedback_items_body_hash', table_name='feedback_items')
    op.drop_table('feedback_items')
