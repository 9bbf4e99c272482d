"""Community: the contributor key of a feedback item filed with a proven (confirmed) address.

Revision ID: 0007_feedback_contributor
Revises: 0006_recognition
Create Date: 2026-11-24 06:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_feedback_contributor"
down_revision = "0006_recognition"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_items") as batch:
        batch.add_column(sa.Column("contributor", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback_items") as batch:
        batch.drop_column("contributor")
