"""An index on lower(email) for the guard's case-insensitive e-mail checks (flood, duplicate, known author).

Revision ID: 0008_comments_email_lower
Revises: 0007_feedback_contributor
Create Date: 2026-11-24 07:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_comments_email_lower"
down_revision = "0007_feedback_contributor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_comments_email_lower", "comments", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_comments_email_lower", table_name="comments")
