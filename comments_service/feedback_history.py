"""The guard's view of earlier feedback items: the comment rules, asked about items instead."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select

from comments_service.feedback_models import FeedbackItem
from comments_service.guard import Candidate
from comments_service.history import DatabaseHistory
from comments_service.models import CommentStatus, utcnow

# The guard's duplicate rule compares within a thread; every new item is in this one.
FEEDBACK_THREAD = "feedback"


class FeedbackHistory(DatabaseHistory):
    """Floods, rate limits and duplicates counted over items; bans and known authors as for comments."""

    def seconds_since_last(self, *, ip: str | None, email: str | None) -> float | None:
        """Seconds since the newest item from this IP or e-mail, or None."""
        conditions = []
        if ip:
            conditions.append(FeedbackItem.ip == ip)
        if email:
            conditions.append(func.lower(FeedbackItem.email) == email.lower())
        if not conditions:
            return None
        latest = self.session.scalar(select(func.max(FeedbackItem.created_at)).where(or_(*conditions)))
        return None if latest is None else (utcnow() - latest).total_seconds()

    def count_from_ip(self, ip: str, within_seconds: float) -> int:
        """How many items came from ``ip`` in the last ``within_seconds``."""
        since = utcnow() - timedelta(seconds=within_seconds)
        query = select(func.count()).select_from(FeedbackItem).where(
            FeedbackItem.ip == ip, FeedbackItem.created_at >= since)
        return self.session.scalar(query) or 0

    def is_duplicate(self, candidate: Candidate) -> bool:
        """Whether the same description already came from the same author or e-mail."""
        same_sender = [FeedbackItem.author == candidate.author]
        if candidate.email:
            same_sender.append(func.lower(FeedbackItem.email) == candidate.email.lower())
        query = select(FeedbackItem.id).where(
            FeedbackItem.body_hash == candidate.body_hash,
            FeedbackItem.moderation != CommentStatus.DELETED,
            or_(*same_sender),
        )
        return self.session.scalar(query.limit(1)) is not None

    def is_known_author(self, author: str, email: str) -> bool:
        """An approved comment or item under this name and e-mail."""
        if super().is_known_author(author, email):
            return True
        query = select(FeedbackItem.id).where(
            FeedbackItem.author == author,
            func.lower(FeedbackItem.email) == email.lower(),
            FeedbackItem.moderation == CommentStatus.APPROVED,
        )
        return self.session.scalar(query.limit(1)) is not None
