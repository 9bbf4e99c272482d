"""The guard's view of earlier feedback items: the comment rules, asked about items instead."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, func, or_, select
from sqlalchemy.sql.elements import BindParameter

from comments_service.feedback_models import FeedbackItem
from comments_service.guard import Candidate
from comments_service.history import DatabaseHistory, HistorySnapshot, read_snapshot
from comments_service.identity_models import VerifiedIdentity
from comments_service.models import Ban, BanKind, Comment, CommentStatus, utcnow

# The guard's duplicate rule compares within a thread; every new item is in this one.
FEEDBACK_THREAD = "feedback"


class FeedbackHistory(DatabaseHistory):
    """Floods, rate limits, duplicates counted over items, one query each (what the snapshot below must agree with)."""

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


_EMAIL: BindParameter[Any] = bindparam("email")  # lowercased, or None: comparisons with NULL match nothing
_SNAPSHOT = select(
    select(FeedbackItem.id).where(FeedbackItem.idempotency_key == bindparam("idempotency_key")).scalar_subquery(),
    exists().where(
        FeedbackItem.body_hash == bindparam("body_hash"), FeedbackItem.moderation != CommentStatus.DELETED,
        or_(FeedbackItem.author == bindparam("author"), func.lower(FeedbackItem.email) == _EMAIL),
    ),
    select(func.max(FeedbackItem.created_at)).where(FeedbackItem.ip == bindparam("ip")).scalar_subquery(),
    select(func.max(FeedbackItem.created_at)).where(func.lower(FeedbackItem.email) == _EMAIL).scalar_subquery(),
    select(func.count()).select_from(FeedbackItem).where(
        FeedbackItem.ip == bindparam("ip"),
        FeedbackItem.created_at >= bindparam("since", type_=FeedbackItem.created_at.type),
    ).scalar_subquery(),
    exists().where(Ban.kind == BanKind.IP, Ban.value == bindparam("ip")),
    exists().where(Ban.kind == BanKind.EMAIL, Ban.value == _EMAIL),
    exists().where(VerifiedIdentity.email == _EMAIL),
    or_(
        exists().where(and_(Comment.author == bindparam("author"), func.lower(Comment.email) == _EMAIL,
                            Comment.status == CommentStatus.APPROVED)),
        exists().where(and_(FeedbackItem.author == bindparam("author"), func.lower(FeedbackItem.email) == _EMAIL,
                            FeedbackItem.moderation == CommentStatus.APPROVED)),
    ),
)  # the columns of HistorySnapshot, as history._SNAPSHOT reads them for comments


def take_feedback_snapshot(connection: Connection, candidate: Candidate, idempotency_key: str,
                           rate_window: float) -> HistorySnapshot:
    """Read a new item's history (and an earlier item with its idempotency key) in one round trip."""
    return read_snapshot(connection, _SNAPSHOT, candidate, idempotency_key, rate_window)
