"""Moderation of feedback items — approve, reject, spam, delete, ban, status and answer, edit, merge.

Like the comment actions, each works inside the caller's write transaction, is audited, and
raises a ModerationError subclass when it is not possible. Files follow after the commit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from cluetrain.markup import render_markdown
from comments_service import keys
from comments_service.feedback_models import (
    FeedbackAuditAction, FeedbackAuditEntry, FeedbackItem, FeedbackStatusChange, FeedbackVote,
)
from comments_service.feedback_runtime import FeedbackSettings
from comments_service.feedback_validation import check_description, validate_feedback_edit
from comments_service.models import Ban, BanKind, Comment, CommentStatus, utcnow
from comments_service.moderation import PUBLIC_REASONS, ActionConflict, InvalidEdit, ModerationError
from comments_service.validation import FieldErrors


class FeedbackVerb(enum.StrEnum):
    """The actions on one item's moderation state."""

    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    DELETE = "delete"
    BAN = "ban"


class FeedbackNotFound(ModerationError):
    """No feedback item has this id."""

    status = HTTPStatus.NOT_FOUND


def get_item(session: Session, item_id: int) -> FeedbackItem:
    """The item ``item_id``, or FeedbackNotFound."""
    item = session.get(FeedbackItem, item_id)
    if item is None:
        raise FeedbackNotFound(f"no feedback item with id {item_id}")
    return item


def audit(session: Session, actor: str, action: FeedbackAuditAction, item: FeedbackItem, reason: str | None,
          **details: Any) -> None:
    """Record an action on ``item``."""
    session.add(FeedbackAuditEntry(actor=actor, action=action, item_id=item.id, reason=reason,
                                   details=details or None))


def _changed(item: FeedbackItem) -> None:
    item.revision += 1
    item.updated_at = utcnow()


def _set_moderation(session: Session, item: FeedbackItem, state: CommentStatus, actor: str,
                    action: FeedbackAuditAction, reason: str | None) -> FeedbackItem:
    previous = item.moderation
    item.moderation = state
    item.status_reason = (reason or PUBLIC_REASONS[state]) if state in PUBLIC_REASONS else None
    item.updated_at = utcnow()
    audit(session, actor, action, item, reason, previous=previous.value)
    return item


def approve(session: Session, item_id: int, actor: str, reason: str | None = None) -> FeedbackItem:
    """Approve an item; its page is published after the commit."""
    item = get_item(session, item_id)
    if item.moderation is CommentStatus.APPROVED:
        return item
    return _set_moderation(session, item, CommentStatus.APPROVED, actor, FeedbackAuditAction.APPROVE, reason)


def _take_down(state: CommentStatus, action: FeedbackAuditAction) -> Callable[..., FeedbackItem]:
    def act(session: Session, item_id: int, actor: str, reason: str | None = None) -> FeedbackItem:
        item = get_item(session, item_id)
        if item.moderation is state:
            return item
        duplicates = session.scalars(select(FeedbackItem.id).where(FeedbackItem.merged_into_id == item.id)).all()
        if duplicates and item.moderation is CommentStatus.APPROVED:
            raise ActionConflict(f"items {', '.join(map(str, duplicates))} are merged into it; take those down first")
        return _set_moderation(session, item, state, actor, action, reason)

    act.__doc__ = f"Mark an item {state.value}; a published one is taken off the site after the commit."
    return act


reject = _take_down(CommentStatus.REJECTED, FeedbackAuditAction.REJECT)
mark_spam = _take_down(CommentStatus.SPAM, FeedbackAuditAction.SPAM)
delete = _take_down(CommentStatus.DELETED, FeedbackAuditAction.DELETE)


def ban(session: Session, item_id: int, actor: str, reason: str | None = None) -> FeedbackItem:
    """Ban the author's e-mail and IP address (for comments too); their held items become spam."""
    item = mark_spam(session, item_id, actor, reason)
    for kind, value in ((BanKind.EMAIL, (item.email or "").lower()), (BanKind.IP, item.ip or "")):
        exists = session.scalar(select(Ban.id).where(Ban.kind == kind, Ban.value == value))
        if value and exists is None:
            session.add(Ban(kind=kind, value=value, reason=reason, actor=actor))
    audit(session, actor, FeedbackAuditAction.BAN, item, reason, email=item.email, ip=item.ip)
    senders = [FeedbackItem.ip == item.ip] if item.ip else []
    if item.email:
        senders.append(FeedbackItem.email == item.email)
    if senders:
        held = session.scalars(select(FeedbackItem).where(FeedbackItem.moderation == CommentStatus.PENDING,
                                                          or_(*senders)))
        for other in held:
            _set_moderation(session, other, CommentStatus.SPAM, actor, FeedbackAuditAction.SPAM,
                            f"author banned: {reason or ''}")
    return item


ACTIONS: dict[FeedbackVerb, Callable[..., FeedbackItem]] = {
    FeedbackVerb.APPROVE: approve, FeedbackVerb.REJECT: reject, FeedbackVerb.SPAM: mark_spam,
    FeedbackVerb.DELETE: delete, FeedbackVerb.BAN: ban,
}


def _record_status(session: Session, item: FeedbackItem, status: str, by: str) -> None:
    item.status = status
    session.add(FeedbackStatusChange(item_id=item.id, status=status, at=utcnow(), by=by))


def set_status(session: Session, settings: FeedbackSettings, item_id: int, actor: str, *, status: str | None,
               answer: str | None, answer_given: bool, by: str | None = None,
               reason: str | None = None) -> FeedbackItem:
    """Move an item to ``status`` and/or set its official answer (an empty answer removes it)."""
    item = get_item(session, item_id)
    if item.merged_into_id is not None:
        raise ActionConflict(f"item {item.id} is merged into {item.merged_into_id}; change that one instead")
    errors: dict[str, str] = {}
    if status is not None and status not in settings.statuses:
        errors["status"] = f"unknown status {status!r} (use {', '.join(settings.statuses)})."
    elif status == settings.duplicate_status and status != item.status:
        errors["status"] = "merge the item into its original instead (POST …/merge)."
    clean_answer = None
    if answer_given and answer is not None and answer.strip():
        try:
            clean_answer = check_description(answer)
        except ValueError as exc:
            errors["answer"] = str(exc).replace("description", "answer")
    if errors:
        raise InvalidEdit(errors)
    name = by or settings.answer_author
    if status is not None and status != item.status:
        audit(session, actor, FeedbackAuditAction.STATUS, item, reason, previous=item.status, status=status)
        _record_status(session, item, status, name)
        _changed(item)
    if answer_given and clean_answer != item.answer_body:
        audit(session, actor, FeedbackAuditAction.ANSWER, item, reason, previous=item.answer_body)
        item.answer_body = clean_answer
        item.answer_html = render_markdown(clean_answer) if clean_answer else None
        item.answer_by = name if clean_answer else None
        item.answer_at = utcnow() if clean_answer else None
        _changed(item)
    return item


def edit(session: Session, item_id: int, actor: str, changes: dict[str, Any], reason: str | None = None) -> FeedbackItem:
    """Change kind, title, tags or description (checked like a submission); the slug stays."""
    item = get_item(session, item_id)
    try:
        clean = validate_feedback_edit(changes)
    except FieldErrors as exc:
        raise InvalidEdit(exc.errors) from exc
    clean = {name: list(value) if name == "tags" else value for name, value in clean.items()}
    before = {name: getattr(item, name) for name in clean if getattr(item, name) != clean[name]}
    if not before:
        return item
    for name in before:
        setattr(item, name, clean[name])
    if "body" in before:
        item.html = render_markdown(item.body)
        item.body_hash = keys.body_hash(item.body)
    audit(session, actor, FeedbackAuditAction.EDIT, item, reason,
          before={k: (v.value if hasattr(v, "value") else v) for k, v in before.items()})
    _changed(item)
    return item


def recount(session: Session, item: FeedbackItem) -> None:
    """Set ``votes`` from the base count and the vote rows."""
    rows = session.scalar(select(func.count()).select_from(FeedbackVote).where(FeedbackVote.item_id == item.id))
    item.votes = item.votes_base + (rows or 0)


def merge(session: Session, settings: FeedbackSettings, duplicate_id: int, original_id: int, actor: str,
          by: str | None = None, reason: str | None = None) -> FeedbackItem:
    """Merge a duplicate into its original: votes and comments follow, the duplicate points there."""
    duplicate, original = get_item(session, duplicate_id), get_item(session, original_id)
    if duplicate.id == original.id:
        raise ActionConflict("an item cannot be merged into itself")
    if original.merged_into_id is not None:
        raise ActionConflict(f"item {original.id} is itself merged into {original.merged_into_id}; merge into that")
    if original.moderation is not CommentStatus.APPROVED:
        raise ActionConflict(f"item {original.id} is not published")
    if duplicate.merged_into_id is not None:
        raise ActionConflict(f"item {duplicate.id} is already merged into {duplicate.merged_into_id}")
    if session.scalar(select(FeedbackItem.id).where(FeedbackItem.merged_into_id == duplicate.id).limit(1)):
        raise ActionConflict(f"other items are merged into {duplicate.id}; merge those into {original.id} first")
    if duplicate.moderation not in (CommentStatus.APPROVED, CommentStatus.PENDING):
        raise ActionConflict(f"item {duplicate.id} is {duplicate.moderation.value}")
    # One vote per browser: a browser that voted for both keeps its vote on the original only.
    both = select(FeedbackVote.voter_hash).where(FeedbackVote.item_id == original.id)
    session.execute(sql_delete(FeedbackVote).where(FeedbackVote.item_id == duplicate.id,
                                                  FeedbackVote.voter_hash.in_(both)))
    session.execute(update(FeedbackVote).where(FeedbackVote.item_id == duplicate.id).values(item_id=original.id))
    original.votes_base += duplicate.votes_base
    duplicate.votes_base = 0
    session.flush()
    recount(session, original)
    recount(session, duplicate)
    # Comment rows follow now; their files move when the duplicate's file is written (the outbox).
    session.execute(update(Comment).where(Comment.thread == duplicate.thread_key).values(thread=original.thread_key))
    if duplicate.moderation is CommentStatus.PENDING:
        _set_moderation(session, duplicate, CommentStatus.APPROVED, actor, FeedbackAuditAction.APPROVE, reason)
    duplicate.merged_into_id = original.id
    _record_status(session, duplicate, settings.duplicate_status, by or settings.answer_author)
    audit(session, actor, FeedbackAuditAction.MERGE, duplicate, reason, into=original.id)
    _changed(duplicate)
    _changed(original)
    return duplicate
