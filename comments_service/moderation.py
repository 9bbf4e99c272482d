"""Moderation actions on comments — approve, edit, reject, spam, delete, ban — each one audited.

Every function works inside the caller's write transaction and raises a ModerationError
subclass when the action is not possible. Publishing happens after the commit (the outbox).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cluetrain import content_format as cf
from cluetrain.markup import render_markdown
from comments_service import keys
from comments_service.db import Database
from comments_service.manifest import ManifestUnavailable
from comments_service.models import AuditAction, AuditEntry, Ban, BanKind, Comment, CommentStatus, utcnow
from comments_service.runtime import get_runtime
from comments_service.validation import FieldErrors, validate_edit


class Verb(enum.StrEnum):
    """The actions a moderator can take on one comment or in bulk."""

    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    DELETE = "delete"
    BAN = "ban"


class ModerationError(Exception):
    """The action cannot be done; ``status`` is the HTTP status that says why."""

    status = HTTPStatus.CONFLICT


class CommentNotFound(ModerationError):
    """No comment has this id."""

    status = HTTPStatus.NOT_FOUND


class ActionConflict(ModerationError):
    """The comment's state does not allow the action (e.g. a reply to an unpublished comment)."""


class InvalidEdit(ModerationError):
    """An edited field breaks the same rules a submission must follow."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


PUBLIC_REASONS = {
    CommentStatus.REJECTED: "A moderator decided not to publish it.",
    CommentStatus.SPAM: "It was recognised as spam.",
    CommentStatus.DELETED: "It was removed by a moderator.",
}


def _get(session: Session, comment_id: str) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise CommentNotFound(f"no comment with id {comment_id!r}")
    return comment


def _audit(session: Session, actor: str, action: AuditAction, comment: Comment, reason: str | None,
           **details: Any) -> None:
    session.add(AuditEntry(actor=actor, action=action, comment_id=comment.id, reason=reason, details=details or None))


def _set_status(session: Session, comment: Comment, status: CommentStatus, actor: str, action: AuditAction,
                reason: str | None) -> Comment:
    previous = comment.status
    comment.status = status
    comment.status_reason = (reason or PUBLIC_REASONS[status]) if status in PUBLIC_REASONS else None
    comment.updated_at = utcnow()
    _audit(session, actor, action, comment, reason, previous=previous.value)
    return comment


def _check_can_publish(session: Session, comment: Comment) -> None:
    try:
        if get_runtime().manifest.get(comment.thread) is None:
            raise ActionConflict(f"thread {comment.thread!r} is no longer on the site")
    except ManifestUnavailable:
        pass  # not built yet: the build will report a missing thread
    if comment.parent_id is None:
        return
    parent = session.get(Comment, comment.parent_id)
    on_disk = cf.comment_path(current_app.config["CONTENT_PATH"], comment.thread, comment.parent_id).is_file()
    if not on_disk and (parent is None or parent.status is not CommentStatus.APPROVED):
        raise ActionConflict(f"it replies to {comment.parent_id}, which is not published; approve that first")


def _check_can_unpublish(session: Session, comment: Comment) -> None:
    replies = session.scalars(select(Comment.id).where(
        Comment.parent_id == comment.id, Comment.status == CommentStatus.APPROVED)).all()
    if replies:
        raise ActionConflict(f"published replies would lose their parent: {', '.join(sorted(replies))}; "
                             "take those down first")


def approve(session: Session, comment_id: str, actor: str, reason: str | None = None) -> Comment:
    """Approve a comment; it is published after the commit."""
    comment = _get(session, comment_id)
    if comment.status is CommentStatus.APPROVED:
        return comment
    _check_can_publish(session, comment)
    return _set_status(session, comment, CommentStatus.APPROVED, actor, AuditAction.APPROVE, reason)


def _take_down(status: CommentStatus, action: AuditAction) -> Callable[..., Comment]:
    def act(session: Session, comment_id: str, actor: str, reason: str | None = None) -> Comment:
        comment = _get(session, comment_id)
        if comment.status is status:
            return comment
        if comment.status is CommentStatus.APPROVED:
            _check_can_unpublish(session, comment)
        return _set_status(session, comment, status, actor, action, reason)

    act.__doc__ = f"Mark a comment {status.value}; a published one is taken off the site after the commit."
    return act


reject = _take_down(CommentStatus.REJECTED, AuditAction.REJECT)
mark_spam = _take_down(CommentStatus.SPAM, AuditAction.SPAM)
delete = _take_down(CommentStatus.DELETED, AuditAction.DELETE)


def ban(session: Session, comment_id: str, actor: str, reason: str | None = None) -> Comment:
    """Ban the author's e-mail and IP address, and mark this and their other held comments spam."""
    comment = mark_spam(session, comment_id, actor, reason)
    for kind, value in ((BanKind.EMAIL, (comment.email or "").lower()), (BanKind.IP, comment.ip or "")):
        exists = session.scalar(select(Ban.id).where(Ban.kind == kind, Ban.value == value))
        if value and exists is None:
            session.add(Ban(kind=kind, value=value, reason=reason, actor=actor))
    _audit(session, actor, AuditAction.BAN, comment, reason, email=comment.email, ip=comment.ip)
    senders = [Comment.ip == comment.ip] if comment.ip else []
    if comment.email:
        senders.append(Comment.email == comment.email)
    if senders:
        held = session.scalars(select(Comment).where(Comment.status == CommentStatus.PENDING, or_(*senders)))
        for other in held:
            _set_status(session, other, CommentStatus.SPAM, actor, AuditAction.SPAM, f"author banned: {reason or ''}")
    return comment


def edit(session: Session, comment_id: str, actor: str, changes: dict[str, Any], reason: str | None = None) -> Comment:
    """Change author, website or body (checked like a submission); a published file is rewritten."""
    comment = _get(session, comment_id)
    try:
        clean = validate_edit(changes)
    except FieldErrors as exc:
        raise InvalidEdit(exc.errors) from exc
    before = {name: getattr(comment, name) for name in clean}
    for name, value in clean.items():
        setattr(comment, name, value)
    if "body" in clean:
        comment.html = render_markdown(comment.body)
        comment.body_hash = keys.body_hash(comment.body)
    if clean:
        comment.revision += 1
        comment.updated_at = utcnow()
        _audit(session, actor, AuditAction.EDIT, comment, reason, before=before)
    return comment


ACTIONS: dict[Verb, Callable[..., Comment]] = {
    Verb.APPROVE: approve, Verb.REJECT: reject, Verb.SPAM: mark_spam, Verb.DELETE: delete, Verb.BAN: ban,
}


def bulk(database: Database, verb: Verb, ids: Sequence[str], actor: str, reason: str | None = None) -> list[dict[str, Any]]:
    """Apply one action to many comments, each in its own transaction; one result per id."""
    results = []
    for comment_id in dict.fromkeys(ids):  # once each, in the order given
        try:
            with database.write() as session:
                comment = ACTIONS[verb](session, comment_id, actor, reason)
                results.append({"id": comment_id, "ok": True, "status": comment.status.value})
        except ModerationError as exc:
            results.append({"id": comment_id, "ok": False, "error": str(exc)})
    return results
