"""An index on lower(email) for feedback items: the feedback guard's e-mail checks (flood, known author).

Revision ID: 0009_feedback_email_lower
Revises: 0008_comments_email_lower
Create Date: 2026-11-24 08:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_feedback_email_lower"
down_revision = "0008_comments_email_lower"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feedback_items_email_lower", "feedback_items", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_feedback_items_email_lower", table_name="feedback_items")
