"""Community recognition: a moderator's "helpful" mark and an evangelist's reward label on comments.

Revision ID: 0006_recognition
Revises: 0005_builder_lease
Create Date: 2026-11-24 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_recognition"
down_revision = "0005_builder_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("helpful", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("rewarded", sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("rewarded")
        batch.drop_column("helpful")
