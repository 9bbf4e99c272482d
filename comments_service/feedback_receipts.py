"""Receipts for feedback items: what a visitor sent and where it stands, as for comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, url_for
from sqlalchemy import select

from comments_service.feedback_models import FeedbackItem
from comments_service.manifest import ManifestUnavailable
from comments_service.models import CommentStatus
from comments_service.receipts import STATUS_TEXT, PublicStatus
from comments_service.regeneration import last_good_build_start
from comments_service.runtime import get_runtime

NOT_PUBLISHED = "A moderator decided not to publish it."


@dataclass(frozen=True, slots=True)
class FeedbackReceipt:
    """An item as its receipt shows it; never the e-mail or IP address."""

    item: FeedbackItem
    status: PublicStatus
    reason: str | None
    permalink: str | None

    @property
    def url(self) -> str:
        return url_for("feedback_views.receipt", token=self.item.receipt_token, _external=True)

    @property
    def status_text(self) -> str:
        return STATUS_TEXT[self.status]

    def as_json(self) -> dict[str, Any]:
        """The receipt for the JSON API."""
        item = self.item
        return {
            "id": item.id, "status": self.status.value, "status_text": self.status_text, "reason": self.reason,
            "receipt_url": self.url, "permalink": self.permalink, "kind": item.kind.value, "title": item.title,
            "body": item.body, "html": item.html, "tags": list(item.tags), "author": item.author,
            "feedback_status": item.status, "created_at": item.created_at.isoformat(),
        }


def _public_status(item: FeedbackItem, session: Any) -> PublicStatus:
    if item.moderation is CommentStatus.PENDING:
        return PublicStatus.AWAITING_MODERATION
    if item.moderation is not CommentStatus.APPROVED:
        return PublicStatus.NOT_PUBLISHED
    if item.written_revision is None:
        return PublicStatus.PUBLISHING
    if item.file_changed_at is None:  # taken in from a file that was already on the site
        return PublicStatus.PUBLISHED
    built = last_good_build_start(session)
    return PublicStatus.PUBLISHED if built is not None and built >= item.file_changed_at else PublicStatus.PUBLISHING


def make_receipt(item: FeedbackItem, session: Any) -> FeedbackReceipt:
    """Work out what the author may see about ``item``."""
    status = _public_status(item, session)
    try:
        info = get_runtime().manifest.get(item.thread_key)
    except ManifestUnavailable:
        info = None
    permalink = info.url if info and status is PublicStatus.PUBLISHED else None
    reason = (item.status_reason or NOT_PUBLISHED) if status is PublicStatus.NOT_PUBLISHED else None
    return FeedbackReceipt(item, status, reason, permalink)


def find_receipt(token: str) -> FeedbackReceipt:
    """The receipt for ``token``, or 404."""
    with get_runtime().database.read() as session:
        item = session.scalar(select(FeedbackItem).where(FeedbackItem.receipt_token == token))
        if item is None:
            abort(404)
        return make_receipt(item, session)
