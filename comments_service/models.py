"""The service's data: comments with their moderation state, moderators, tokens, bans, audit, builds."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Index, Integer, MetaData, String, Text, TypeDecorator, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cluetrain.content_format import CommentSource

MAX_EMAIL_LENGTH = 100
MAX_IP_LENGTH = 45
MAX_USER_AGENT_LENGTH = 500


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint names Alembic can rely on."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def enum_column(kind: type[enum.Enum]) -> Enum:
    """Store an enum by its value, as a plain string column (no native type to migrate)."""
    return Enum(kind, values_callable=lambda members: [m.value for m in members], native_enum=False, length=20)


class CommentStatus(enum.StrEnum):
    """Where a comment stands in moderation."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"
    DELETED = "deleted"


class Comment(Base):
    """A submitted comment: what the visitor wrote, who they are (private), and its state."""

    __tablename__ = "comments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    thread: Mapped[str] = mapped_column(String(200), index=True)
    parent_id: Mapped[str | None] = mapped_column(String(64))  # may name a comment that exists only as a file
    author: Mapped[str] = mapped_column(String(245))
    email: Mapped[str | None] = mapped_column(String(MAX_EMAIL_LENGTH), index=True)
    website: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # the Markdown as typed
    html: Mapped[str] = mapped_column(Text)  # rendered and sanitized by cluetrain.markup
    body_hash: Mapped[str] = mapped_column(String(64))
    avatar: Mapped[str] = mapped_column(String(16))
    source: Mapped[CommentSource] = mapped_column(enum_column(CommentSource))
    status: Mapped[CommentStatus] = mapped_column(enum_column(CommentStatus), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)  # shown to the visitor on the receipt
    rule: Mapped[str] = mapped_column(String(40))  # the moderation rule that decided at submission
    rule_reason: Mapped[str] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(MAX_IP_LENGTH))
    user_agent: Mapped[str | None] = mapped_column(String(MAX_USER_AGENT_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    receipt_token: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # what was submitted, to spot a reused key
    # The outbox: the file on disk should carry ``revision``; ``written_revision`` is what it carries.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    written_revision: Mapped[int | None] = mapped_column(Integer)
    file_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Community: the public contributor key, set only when the sender proved the e-mail (identity cookie).
    contributor: Mapped[str | None] = mapped_column(String(16))
    # Community recognition (recognition.py): written to the file as Helpful: true / Rewarded: <label>.
    helpful: Mapped[bool] = mapped_column(default=False)
    rewarded: Mapped[str | None] = mapped_column(String(60))

    __table_args__ = (
        Index("ix_comments_ip_created", "ip", "created_at"),
        Index("ix_comments_thread_body", "thread", "body_hash"),
    )


# The guard matches e-mails case-insensitively (flood, duplicate, known author): without it, a scan per submission.
Index("ix_comments_email_lower", func.lower(Comment.email))


class Moderator(Base):
    """A person who may log in to the moderation screens."""

    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id, PHC string
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled: Mapped[bool] = mapped_column(default=False)


class ApiToken(Base):
    """A bearer token for the moderation API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BanKind(enum.StrEnum):
    """What a ban matches."""

    EMAIL = "email"
    IP = "ip"


class Ban(Base):
    """A banned e-mail address or IP address: its new comments are marked spam."""

    __tablename__ = "bans"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BanKind] = mapped_column(enum_column(BanKind))
    value: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_bans_kind_value", "kind", "value", unique=True),)


class AuditAction(enum.StrEnum):
    """Things that change a comment or access, as recorded in the audit log."""

    SUBMIT = "submit"
    APPROVE = "approve"
    EDIT = "edit"
    REJECT = "reject"
    SPAM = "spam"
    DELETE = "delete"
    BAN = "ban"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    LOGIN = "login"


class AuditEntry(Base):
    """Who did what to which comment, when and why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))  # "moderator:ada", "token:ci", "rules", "publisher"
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    comment_id: Mapped[str | None] = mapped_column(ForeignKey("comments.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LoginAttempt(Base):
    """One login try, for throttling per account and per IP address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    ip: Mapped[str] = mapped_column(String(MAX_IP_LENGTH), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    succeeded: Mapped[bool]


class BuildOutcome(enum.StrEnum):
    """How a site build ended."""

    OK = "ok"
    FAILED = "failed"


class SiteBuild(Base):
    """One regeneration of the site; a comment is live once a good build started after its file changed."""

    __tablename__ = "site_builds"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[BuildOutcome] = mapped_column(enum_column(BuildOutcome))
    error: Mapped[str | None] = mapped_column(Text)
