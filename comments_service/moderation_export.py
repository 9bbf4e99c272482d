"""Exports monthly moderation counts (numbers only) to content/ for the community stats page."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

from cluetrain.content_format.moderation_stats import ModerationMonth, write_moderation_stats
from comments_service.db import Database
from comments_service.models import AuditAction, AuditEntry, Comment, CommentStatus

_COUNTED = {CommentStatus.APPROVED: "published", CommentStatus.REJECTED: "rejected", CommentStatus.SPAM: "spam"}


def moderation_months(database: Database) -> list[ModerationMonth]:
    """Per month of submission: comments published, held by a rule at submission, rejected and spam."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with database.read() as session:
        for created, status in session.execute(select(Comment.created_at, Comment.status)):
            if status in _COUNTED:
                counts[created.strftime("%Y-%m")][_COUNTED[status]] += 1
        submissions = session.execute(select(Comment.created_at, AuditEntry.details).join(
            AuditEntry, AuditEntry.comment_id == Comment.id).where(AuditEntry.action == AuditAction.SUBMIT))
        for created, details in submissions:
            if (details or {}).get("decision") == "hold":
                counts[created.strftime("%Y-%m")]["held"] += 1
    return [ModerationMonth(month, **dict(values)) for month, values in sorted(counts.items())]


def export_moderation_stats(database: Database, content_root: Path, relative: str) -> bool:
    """Write the counts atomically to ``content_root/relative``; False when they did not change."""
    return write_moderation_stats(content_root, moderation_months(database), relative)
