"""Receipts: what a visitor sent and where it stands, at an unguessable URL (HTML or JSON)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from sqlalchemy import select

from cluetrain.markup import stored_html
from comments_service.models import Comment, CommentStatus
from comments_service.regeneration import last_good_build_start
from comments_service.runtime import get_runtime

bp = Blueprint("receipts", __name__)


class PublicStatus(enum.StrEnum):
    """A comment's state as its author sees it."""

    AWAITING_MODERATION = "awaiting_moderation"
    PUBLISHING = "publishing"  # approved; the file or the page is not written yet
    PUBLISHED = "published"
    NOT_PUBLISHED = "not_published"


STATUS_TEXT = {
    PublicStatus.AWAITING_MODERATION: "Awaiting moderation",
    PublicStatus.PUBLISHING: "Approved — being published",
    PublicStatus.PUBLISHED: "Published",
    PublicStatus.NOT_PUBLISHED: "Not published",
}


@dataclass(frozen=True, slots=True)
class Receipt:
    """A comment as its receipt shows it; never the e-mail or IP address."""

    comment: Comment
    status: PublicStatus
    reason: str | None
    permalink: str | None
    thread_title: str | None
    thread_url: str | None

    @property
    def url(self) -> str:
        return url_for("receipts.show", token=self.comment.receipt_token, _external=True)

    @property
    def status_text(self) -> str:
        return STATUS_TEXT[self.status]

    def as_json(self) -> dict[str, Any]:
        """The receipt for the JSON API."""
        c = self.comment
        return {
            "id": c.id, "status": self.status.value, "status_text": self.status_text, "reason": self.reason,
            "receipt_url": self.url, "permalink": self.permalink, "thread": c.thread, "parent": c.parent_id,
            "author": c.author, "website": c.website, "body": c.body, "html": c.html,
            "created_at": c.created_at.isoformat(),
        }


def _public_status(comment: Comment, session: Any) -> PublicStatus:
    if comment.status is CommentStatus.PENDING:
        return PublicStatus.AWAITING_MODERATION
    if comment.status is not CommentStatus.APPROVED:
        return PublicStatus.NOT_PUBLISHED
    if comment.written_revision is None or comment.file_changed_at is None:
        return PublicStatus.PUBLISHING
    built = last_good_build_start(session)
    return PublicStatus.PUBLISHED if built is not None and built >= comment.file_changed_at else PublicStatus.PUBLISHING


def make_receipt(comment: Comment, session: Any) -> Receipt:
    """Work out what the author may see about ``comment``."""
    status = _public_status(comment, session)
    info = get_runtime().manifest.threads().get(comment.thread)
    permalink = f"{info.url}#comment-{comment.id}" if info and status is PublicStatus.PUBLISHED else None
    reason = comment.status_reason if status is PublicStatus.NOT_PUBLISHED else None
    if status is PublicStatus.NOT_PUBLISHED and not reason:
        reason = "A moderator decided not to publish it."
    return Receipt(comment, status, reason, permalink, info.title if info else None, info.url if info else None)


def find_receipt(token: str) -> Receipt:
    """The receipt for ``token``, or 404."""
    with get_runtime().database.read() as session:
        comment = session.scalar(select(Comment).where(Comment.receipt_token == token))
        if comment is None:
            abort(404)
        return make_receipt(comment, session)


def wants_json() -> bool:
    """Whether the client prefers JSON to HTML."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


@bp.get("/receipts/<token>")
def show(token: str):
    """The receipt page (or JSON, when asked for with Accept)."""
    receipt = find_receipt(token)
    if wants_json():
        return jsonify(receipt.as_json())
    return render_template("receipt.html", receipt=receipt, body_html=stored_html(receipt.comment.html))


@bp.get("/api/receipts/<token>")
def show_json(token: str):
    """The receipt as JSON."""
    return jsonify(find_receipt(token).as_json())
