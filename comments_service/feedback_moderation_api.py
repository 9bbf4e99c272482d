"""The feedback moderation JSON API (the same bearer tokens as for comments)."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Blueprint, g, jsonify, request
from sqlalchemy import func, select

from comments_service.auth import token_required
from comments_service.feedback_models import FeedbackAuditEntry, FeedbackItem, FeedbackStatusChange
from comments_service.feedback_moderation import ACTIONS, FeedbackVerb, edit, merge, set_status
from comments_service.feedback_runtime import get_feedback
from comments_service.feedback_validation import check_public_name
from comments_service.models import CommentStatus
from comments_service.moderation import InvalidEdit, ModerationError
from comments_service.runtime import get_runtime
from comments_service.validation import FieldErrors

bp = Blueprint("feedback_moderation_api", __name__, url_prefix="/api/moderation/feedback")
MAX_LIMIT = 500


def moderator_view(item: FeedbackItem) -> dict[str, Any]:
    """An item with everything a moderator may see, private fields included."""
    return {
        "id": item.id, "kind": item.kind.value, "status": item.status, "moderation": item.moderation.value,
        "status_reason": item.status_reason, "rule": item.rule, "rule_reason": item.rule_reason,
        "title": item.title, "slug": item.slug, "body": item.body, "html": item.html, "tags": list(item.tags),
        "author": item.author, "email": item.email, "ip": item.ip, "user_agent": item.user_agent,
        "source": item.source.value, "votes": item.votes, "merged_into": item.merged_into_id,
        "answer": item.answer_body, "answer_by": item.answer_by,
        "answer_at": item.answer_at.isoformat() if item.answer_at else None,
        "created_at": item.created_at.isoformat(), "updated_at": item.updated_at.isoformat(),
        "revision": item.revision, "published_revision": item.written_revision, "published_votes": item.votes_written,
    }


def _error(status: int, message: str, errors: dict[str, str] | None = None):
    return jsonify({"error": message, "errors": errors or {}}), status


def _body() -> dict[str, Any] | None:
    """The request's JSON object; an empty body counts as {}."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True, force=True)
    return data if isinstance(data, dict) else None


def _reason(data: dict[str, Any]) -> str | None:
    reason = data.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
        raise FieldErrors({"reason": "must be text of at most 1000 characters."})
    return (reason.strip() or None) if reason else None


def _run(action: Callable[..., FeedbackItem], item_id: int):
    """Run one action in a transaction, publish after the commit, answer with the item."""
    runtime = get_runtime()
    try:
        with runtime.database.write() as session:
            item = action(session, item_id)
    except InvalidEdit as exc:
        return _error(exc.status, "Please fix the marked fields.", exc.errors)
    except ModerationError as exc:
        return _error(exc.status, str(exc))
    get_feedback().after_change()
    with runtime.database.read() as session:
        return jsonify(moderator_view(session.get(FeedbackItem, item.id)))


def _with_body(view: Callable[[int, dict[str, Any]], Any]) -> Callable[[int], Any]:
    def wrapped(item_id: int):
        data = _body()
        if data is None:
            return _error(HTTPStatus.BAD_REQUEST, "The request body must be a JSON object (or empty).")
        try:
            return view(item_id, data)
        except FieldErrors as exc:
            return _error(HTTPStatus.BAD_REQUEST, "Please fix the marked fields.", exc.errors)
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@bp.get("")
@token_required
def list_items():
    """Items, newest first, filtered by moderation state and status."""
    args = request.args
    query = select(FeedbackItem)
    if args.get("moderation"):
        try:
            query = query.where(FeedbackItem.moderation == CommentStatus(args["moderation"]))
        except ValueError:
            return _error(HTTPStatus.BAD_REQUEST, "Please fix the marked parameters.",
                          {"moderation": f"use one of {', '.join(CommentStatus)}."})
    if args.get("status"):
        query = query.where(FeedbackItem.status == args["status"])
    limit = min(args.get("limit", 100, type=int) or 100, MAX_LIMIT)
    offset = max(args.get("offset", 0, type=int) or 0, 0)
    with get_runtime().database.read() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.scalars(query.order_by(FeedbackItem.created_at.desc(), FeedbackItem.id.desc())
                               .limit(limit).offset(offset))
        items = [moderator_view(item) for item in rows]
    return jsonify({"items": items, "total": total, "limit": limit, "offset": offset})


@bp.get("/<int:item_id>")
@token_required
def get_item(item_id: int):
    """One item with its status history and audit trail."""
    with get_runtime().database.read() as session:
        item = session.get(FeedbackItem, item_id)
        if item is None:
            return _error(HTTPStatus.NOT_FOUND, f"no feedback item with id {item_id}")
        history = session.scalars(select(FeedbackStatusChange).where(FeedbackStatusChange.item_id == item_id)
                                  .order_by(FeedbackStatusChange.at, FeedbackStatusChange.id))
        audit = session.scalars(select(FeedbackAuditEntry).where(FeedbackAuditEntry.item_id == item_id)
                                .order_by(FeedbackAuditEntry.id))
        return jsonify(moderator_view(item) | {
            "history": [{"status": c.status, "at": c.at.isoformat(), "by": c.by} for c in history],
            "audit": [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action.value, "reason": e.reason,
                       "details": e.details} for e in audit],
        })


@bp.post("/<int:item_id>/<any(approve, reject, spam, delete, ban):verb>")
@token_required
def act(item_id: int, verb: str):
    """Approve, reject, mark as spam, delete, or ban the author of one item."""
    data = _body()
    if data is None:
        return _error(HTTPStatus.BAD_REQUEST, "The request body must be a JSON object (or empty).")
    try:
        reason = _reason(data)
    except FieldErrors as exc:
        return _error(HTTPStatus.BAD_REQUEST, "Please fix the marked fields.", exc.errors)
    return _run(lambda session, i: ACTIONS[FeedbackVerb(verb)](session, i, g.actor, reason), item_id)


@bp.post("/<int:item_id>/status")
@token_required
@_with_body
def change_status(item_id: int, data: dict[str, Any]):
    """{"status": "planned", "answer": "Markdown", "by": "Public Name"}: either or both of status and answer."""
    status, answer_given = data.get("status"), "answer" in data
    errors = {}
    if status is not None and not isinstance(status, str):
        errors["status"] = "must be text."
    if answer_given and data["answer"] is not None and not isinstance(data["answer"], str):
        errors["answer"] = "must be text (empty or null removes the answer)."
    if status is None and not answer_given:
        errors["status"] = "send a status, an answer, or both."
    if errors:
        raise FieldErrors(errors)
    by, reason, settings = check_public_name(data.get("by"), "by"), _reason(data), get_feedback().settings
    return _run(lambda session, i: set_status(session, settings, i, g.actor, status=status, answer=data.get("answer"),
                                              answer_given=answer_given, by=by, reason=reason), item_id)


@bp.post("/<int:item_id>/merge")
@token_required
@_with_body
def merge_item(item_id: int, data: dict[str, Any]):
    """{"into": 12}: merge this duplicate into item 12; votes and comments follow."""
    into = data.get("into")
    if isinstance(into, bool) or not isinstance(into, int):
        raise FieldErrors({"into": "must be the number of the original item."})
    by, reason, settings = check_public_name(data.get("by"), "by"), _reason(data), get_feedback().settings
    return _run(lambda session, i: merge(session, settings, i, into, g.actor, by, reason), item_id)


@bp.patch("/<int:item_id>")
@token_required
@_with_body
def patch_item(item_id: int, data: dict[str, Any]):
    """Edit kind, title, tags or description; the URL (slug) stays."""
    reason = _reason(data)
    changes = {key: value for key, value in data.items() if key != "reason"}
    return _run(lambda session, i: edit(session, i, g.actor, changes, reason), item_id)
