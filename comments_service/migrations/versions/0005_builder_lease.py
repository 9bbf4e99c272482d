"""The single-builder lease (comments_service/builder_lease.py).

Revision ID: 0005_builder_lease
Revises: 0004_identity
Create Date: 2026-11-24 06:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_builder_lease"
down_revision = "0004_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "builder_leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_builder_leases")),
    )


def downgrade() -> None:
    op.drop_table("builder_leases")
