"""The feedback hub's data: items with their moderation and outbox state, status history, votes, audit.

Same Base (and so the same migrations) as the comments' models; moderation states, sources
and the UTC column type are shared with comments.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from cluetrain import content_format as cf
from comments_service.models import (
    MAX_EMAIL_LENGTH, MAX_IP_LENGTH, MAX_USER_AGENT_LENGTH, Base, CommentStatus, UTCDateTime, enum_column, utcnow,
)

MAX_NAME_LENGTH = cf.MAX_AUTHOR_LENGTH


class FeedbackItem(Base):
    """A submitted feedback item: what the visitor wrote, who they are (private), moderation and outbox."""

    __tablename__ = "feedback_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # the public item number
    kind: Mapped[cf.FeedbackKind] = mapped_column(enum_column(cf.FeedbackKind))
    status: Mapped[str] = mapped_column(String(cf.MAX_STATUS_LENGTH), index=True)  # a configured key
    # Whether it may be published at all: the same states as a comment's moderation.
    moderation: Mapped[CommentStatus] = mapped_column(enum_column(CommentStatus), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)  # why it is not published, for the receipt
    title: Mapped[str] = mapped_column(String(cf.MAX_TITLE_LENGTH))
    slug: Mapped[str] = mapped_column(String(cf.MAX_SLUG_LENGTH))  # fixed at submission: URLs never change
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    author: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    email: Mapped[str | None] = mapped_column(String(MAX_EMAIL_LENGTH), index=True)
    ip: Mapped[str | None] = mapped_column(String(MAX_IP_LENGTH))
    user_agent: Mapped[str | None] = mapped_column(String(MAX_USER_AGENT_LENGTH))
    source: Mapped[cf.CommentSource] = mapped_column(enum_column(cf.CommentSource))
    rule: Mapped[str] = mapped_column(String(40))
    rule_reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    receipt_token: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_items.id"), index=True)
    # Community: the public contributor key, only when the filer proved the e-mail (identity cookie).
    contributor: Mapped[str | None] = mapped_column(String(16))
    answer_body: Mapped[str | None] = mapped_column(Text)
    answer_html: Mapped[str | None] = mapped_column(Text)
    answer_by: Mapped[str | None] = mapped_column(String(MAX_NAME_LENGTH))
    answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # votes = votes_base (counts carried over from files and merged duplicates) + vote rows.
    votes: Mapped[int] = mapped_column(Integer, default=0)
    votes_base: Mapped[int] = mapped_column(Integer, default=0)
    # The outbox, as for comments; vote counts reach the file in batches (votes_dirty_since).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    written_revision: Mapped[int | None] = mapped_column(Integer)
    votes_written: Mapped[int | None] = mapped_column(Integer)
    votes_dirty_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    file_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (
        Index("ix_feedback_items_ip_created", "ip", "created_at"),
        Index("ix_feedback_items_body_hash", "body_hash"),
    )

    @property
    def thread_key(self) -> str:
        """The item's comment thread."""
        return cf.feedback_thread_key(self.id)



# The feedback guard compares e-mails case-insensitively (migration 0009).
Index("ix_feedback_items_email_lower", func.lower(FeedbackItem.email))


class FeedbackStatusChange(Base):
    """One entry of an item's status history; ``by`` is the public name shown on the page."""

    __tablename__ = "feedback_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id"), index=True)
    status: Mapped[str] = mapped_column(String(cf.MAX_STATUS_LENGTH))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by: Mapped[str | None] = mapped_column(String(MAX_NAME_LENGTH))


class FeedbackVote(Base):
    """One browser's vote for one item; the browser's token is stored only as a hash."""

    __tablename__ = "feedback_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id"))
    voter_hash: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(MAX_IP_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_feedback_votes_item_voter", "item_id", "voter_hash", unique=True),
        Index("ix_feedback_votes_ip_created", "ip", "created_at"),
    )


class FeedbackAuditAction(enum.StrEnum):
    """Things that change a feedback item, as recorded in its audit log."""

    SUBMIT = "submit"
    IMPORT = "import"
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    DELETE = "delete"
    BAN = "ban"
    STATUS = "status"
    ANSWER = "answer"
    EDIT = "edit"
    MERGE = "merge"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"


class FeedbackAuditEntry(Base):
    """Who did what to which feedback item, when and why (the comments' audit log, for items)."""

    __tablename__ = "feedback_audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[FeedbackAuditAction] = mapped_column(enum_column(FeedbackAuditAction))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_items.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
