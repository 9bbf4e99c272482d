"""The guard's view of earlier submissions and bans, answered from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

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


_EMAIL: BindParameter[Any] = bindparam("email")  # lowercased, or None: comparisons with NULL match nothing
_SNAPSHOT = select(
    select(Comment.id).where(Comment.idempotency_key == bindparam("idempotency_key")).scalar_subquery(),
    exists().where(
        Comment.thread == bindparam("thread"), Comment.body_hash == bindparam("body_hash"),
        Comment.status != CommentStatus.DELETED,
        or_(Comment.author == bindparam("author"), func.lower(Comment.email) == _EMAIL),
    ),
    select(func.max(Comment.created_at)).where(Comment.ip == bindparam("ip")).scalar_subquery(),
    select(func.max(Comment.created_at)).where(func.lower(Comment.email) == _EMAIL).scalar_subquery(),
    select(func.count()).select_from(Comment).where(
        Comment.ip == bindparam("ip"), Comment.created_at >= bindparam("since", type_=Comment.created_at.type),
    ).scalar_subquery(),
    exists().where(Ban.kind == BanKind.IP, Ban.value == bindparam("ip")),
    exists().where(Ban.kind == BanKind.EMAIL, Ban.value == _EMAIL),
    exists().where(VerifiedIdentity.email == _EMAIL),
    exists().where(and_(Comment.author == bindparam("author"), func.lower(Comment.email) == _EMAIL,
                        Comment.status == CommentStatus.APPROVED)),
)  # built once: SQLAlchemy then reuses its compiled form instead of rebuilding eight queries per submission


@dataclass(frozen=True, slots=True)
class HistorySnapshot:
    """Everything the rules may ask about one candidate's past, read in one statement (implements guard.History)."""

    candidate: Candidate
    earlier_id: str | int | None  # the comment (or feedback item) stored under this idempotency key, if any
    duplicate: bool
    last_from_ip: datetime | None
    last_from_email: datetime | None
    recent_from_ip: int
    ip_banned: bool
    email_banned: bool
    email_confirmed: bool
    author_known: bool
    now: datetime
    rate_window: float

    def seconds_since_last(self, *, ip: str | None, email: str | None) -> float | None:
        """Seconds since the newest comment from the candidate's IP or e-mail, or None."""
        times = [t for t, asked in ((self.last_from_ip, ip), (self.last_from_email, email)) if asked and t]
        return (self.now - max(times)).total_seconds() if times else None

    def count_from_ip(self, ip: str, within_seconds: float) -> int:
        """Comments from the candidate's IP within the rules' window (the only window the rules ask about)."""
        assert within_seconds == self.rate_window, "snapshot taken for another window"
        return self.recent_from_ip

    def is_duplicate(self, candidate: Candidate) -> bool:
        """Whether the same text is already in this thread from the same author or e-mail."""
        return self.duplicate

    def is_known_author(self, author: str, email: str) -> bool:
        """Whether the candidate's name and e-mail together have an approved comment."""
        return self.author_known

    def ban_matching(self, *, ip: str | None, email: str | None) -> str | None:
        """A description of the ban that matches the candidate's IP or e-mail, or None."""
        if ip and self.ip_banned:
            return f"{BanKind.IP.value} {ip}"
        if email and self.email_banned:
            return f"{BanKind.EMAIL.value} {email.lower()}"
        return None

    def is_confirmed_email(self, email: str) -> bool:
        """Whether someone confirmed the candidate's e-mail by link."""
        return self.email_confirmed


def take_snapshot(connection: Connection, candidate: Candidate, idempotency_key: str,
                  rate_window: float) -> HistorySnapshot:
    """Read the candidate's history (and an earlier comment with its idempotency key) in one round trip."""
    return read_snapshot(connection, _SNAPSHOT, candidate, idempotency_key, rate_window)


def read_snapshot(connection: Connection, statement: Select[Any], candidate: Candidate, idempotency_key: str,
                  rate_window: float) -> HistorySnapshot:
    """Run a snapshot statement (the columns of HistorySnapshot, in order) for this candidate."""
    now = utcnow()
    row = connection.execute(statement, {
        "idempotency_key": idempotency_key, "thread": candidate.thread, "body_hash": candidate.body_hash,
        "author": candidate.author, "email": candidate.email.strip().lower() if candidate.email else None,
        "ip": candidate.ip or None, "since": now - timedelta(seconds=rate_window),
    }).one()
    return HistorySnapshot(candidate, row[0], bool(row[1]), row[2], row[3], row[4] or 0, bool(row[5]), bool(row[6]),
                           bool(row[7]), bool(row[8]), now, rate_window)
