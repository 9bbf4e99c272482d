"""The guard's view of earlier submissions and bans, answered from the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from comments_service.guard import Candidate
from comments_service.identity_models import VerifiedIdentity
from comments_service.models import Ban, BanKind, Comment, CommentStatus, utcnow


class DatabaseHistory:
    """Implements guard.History inside the submission's own (write) transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def seconds_since_last(self, *, ip: str | None, email: str | None) -> float | None:
        """Seconds since the newest comment from this IP or e-mail, or None."""
        conditions = []
        if ip:
            conditions.append(Comment.ip == ip)
        if email:
            conditions.append(func.lower(Comment.email) == email.lower())
        if not conditions:
            return None
        latest = self.session.scalar(select(func.max(Comment.created_at)).where(or_(*conditions)))
        if latest is None:
            return None
        return (utcnow() - latest).total_seconds()

    def count_from_ip(self, ip: str, within_seconds: float) -> int:
        """How many comments came from ``ip`` in the last ``within_seconds``."""
        since = utcnow() - timedelta(seconds=within_seconds)
        query = select(func.count()).select_from(Comment).where(Comment.ip == ip, Comment.created_at >= since)
        return self.session.scalar(query) or 0

    def is_duplicate(self, candidate: Candidate) -> bool:
        """Whether the same text is already in this thread from the same author or e-mail."""
        same_sender = [Comment.author == candidate.author]
        if candidate.email:
            same_sender.append(func.lower(Comment.email) == candidate.email.lower())
        query = select(Comment.id).where(
            Comment.thread == candidate.thread,
            Comment.body_hash == candidate.body_hash,
            Comment.status != CommentStatus.DELETED,
            or_(*same_sender),
        )
        return self.session.scalar(query.limit(1)) is not None

    def is_known_author(self, author: str, email: str) -> bool:
        """Whether this name and e-mail together have an approved comment."""
        query = select(Comment.id).where(
            Comment.author == author,
            func.lower(Comment.email) == email.lower(),
            Comment.status == CommentStatus.APPROVED,
        )
        return self.session.scalar(query.limit(1)) is not None

    def ban_matching(self, *, ip: str | None, email: str | None) -> str | None:
        """A description of the ban that matches this IP or e-mail, or None."""
        conditions = []
        if ip:
            conditions.append((Ban.kind == BanKind.IP) & (Ban.value == ip))
        if email:
            conditions.append((Ban.kind == BanKind.EMAIL) & (Ban.value == email.lower()))
        if not conditions:
            return None
        ban = self.session.scalar(select(Ban).where(or_(*conditions)).limit(1))
        return f"{ban.kind.value} {ban.value}" if ban else None

    def is_confirmed_email(self, email: str) -> bool:
        """Whether someone confirmed this e-mail by link (community identity)."""
        query = select(VerifiedIdentity.id).where(VerifiedIdentity.email == email.strip().lower())
        return self.session.scalar(query.limit(1)) is not None
