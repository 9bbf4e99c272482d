"""Tables of e-mail notifications: the mail outbox, subscriptions (double opt-in), and the event cursor."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comments_service.models import MAX_EMAIL_LENGTH, Base, UTCDateTime, enum_column, utcnow


class MailKind(enum.StrEnum):
    """Which template a queued mail uses; also its purpose in the logs."""

    CONFIRM_REPLIES = "confirm_replies"
    REPLY = "reply"
    MODERATION_NEEDED = "moderation_needed"
    MODERATION_DIGEST = "moderation_digest"  # with MODERATOR_DIGEST_HOURS: held comments, every few hours
    CONFIRM_IDENTITY = "confirm_identity"  # community identity: confirm an e-mail once, by link
    CONFIRM_FEEDBACK = "confirm_feedback"  # double opt-in for updates on one's feedback items
    FEEDBACK_UPDATE = "feedback_update"  # a status change or official answer on one's feedback item


class MailStatus(enum.StrEnum):
    """Where a queued mail stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after NOTIFY_MAX_ATTEMPTS


class OutboxMail(Base):
    """One e-mail to send: recipient, template and its variables; retried with backoff until sent."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MailKind] = mapped_column(enum_column(MailKind))
    recipient: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH))
    recipient_name: Mapped[str | None] = mapped_column(String(245))
    variables: Mapped[dict[str, Any]] = mapped_column(JSON)
    unsubscribe_token: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)


class SubscriptionKind(enum.StrEnum):
    """What a subscriber hears about."""

    REPLIES = "replies"  # replies to their comments
    FEEDBACK = "feedback"  # status changes and official answers on the feedback items they filed


class Subscription(Base):
    """An address that asked for notifications; active only once confirmed and until unsubscribed."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH))  # lowercased
    kind: Mapped[SubscriptionKind] = mapped_column(enum_column(SubscriptionKind))
    token: Mapped[str] = mapped_column(String(64), unique=True)  # in confirm and unsubscribe links
    requested_by_comment: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_subscriptions_email_kind", "email", "kind", unique=True),)


class EventCursor(Base):
    """How far the notifier has read the audit log, so each event is turned into mail exactly once."""

    __tablename__ = "notification_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
