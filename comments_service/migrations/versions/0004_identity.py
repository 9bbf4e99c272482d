"""Community identity: verified commenters, one-time confirmation links, comments' contributor keys.

Revision ID: 0004_identity
Revises: 0003_notifications
Create Date: 2026-11-24 06:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_identity"
down_revision = "0003_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verified_identities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=245), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verified_identities")),
        sa.UniqueConstraint("email", name=op.f("uq_verified_identities_email")),
    )
    op.create_table(
        "identity_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=245), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_requests")),
        sa.UniqueConstraint("token", name=op.f("uq_identity_requests_token")),
    )
    op.create_index(op.f("ix_identity_requests_email"), "identity_requests", ["email"], unique=False)
    op.add_column("comments", sa.Column("contributor", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("contributor")
    op.drop_index(op.f("ix_identity_requests_email"), table_name="identity_requests")
    op.drop_table("identity_requests")
    op.drop_table("verified_identities")
