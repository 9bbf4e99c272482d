"""Community notifications: mail outbox, subscriptions with double opt-in, audit-log cursor.

Revision ID: 0003_notifications
Revises: 0002_feedback
Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_notifications"
down_revision = "0002_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.Enum("confirm_replies", "reply", "moderation_needed", name="mailkind",
                                  native_enum=False, length=20), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("recipient_name", sa.String(length=245), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("unsubscribe_token", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Enum("pending", "sent", "failed", name="mailstatus", native_enum=False, length=20),
                  nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.Enum("replies", name="subscriptionkind", native_enum=False, length=20), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("requested_by_comment", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("token", name=op.f("uq_subscriptions_token")),
    )
    op.create_index("ix_subscriptions_email_kind", "subscriptions", ["email", "kind"], unique=True)
    op.create_index(op.f("ix_subscriptions_requested_by_comment"), "subscriptions", ["requested_by_comment"],
                    unique=False)
    op.create_table(
        "notification_cursor",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_notification_cursor")),
    )


def downgrade() -> None:
    op.drop_table("notification_cursor")
    op.drop_index(op.f("ix_subscriptions_requested_by_comment"), table_name="subscriptions")
    op.drop_index("ix_subscriptions_email_kind", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.drop_table("mail_outbox")
