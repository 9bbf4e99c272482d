"""The moderation JSON API (bearer token), its OpenAPI document, and the health check."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import select

from comments_service.auth import token_required
from comments_service.manifest import ManifestUnavailable
from comments_service.models import AuditEntry, Comment
from comments_service.moderation import (
    ACTIONS,
    InvalidEdit,
    ModerationError,
    Verb,
    approve,
    bulk,
    edit,
)
from comments_service.queue import MAX_LIMIT, QueueFilter, QueueFilterError
from comments_service.runtime import get_runtime

bp = Blueprint("api", __name__)
OPENAPI_FILE = Path(__file__).with_name("openapi.json")


def moderator_view(comment: Comment) -> dict[str, Any]:
    """A comment with everything a moderator may see, private fields included."""
    return {
        "id": comment.id, "thread": comment.thread, "parent": comment.parent_id, "status": comment.status.value,
        "status_reason": comment.status_reason, "rule": comment.rule, "rule_reason": comment.rule_reason,
        "author": comment.author, "email": comment.email, "website": comment.website, "body": comment.body,
        "html": comment.html, "ip": comment.ip, "user_agent": comment.user_agent, "source": comment.source.value,
        "created_at": comment.created_at.isoformat(), "updated_at": comment.updated_at.isoformat(),
        "revision": comment.revision, "published_revision": comment.written_revision,
    }


def _error(status: int, message: str, errors: dict[str, str] | None = None):
    return jsonify({"error": message, "errors": errors or {}}), status


def _json_object() -> dict[str, Any] | None:
    """The request's JSON object; an empty body counts as {}."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True, force=True)
    return data if isinstance(data, dict) else None


def _reason(data: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    reason = data.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
        return None, {"reason": "must be text of at most 1000 characters."}
    return (reason.strip() or None) if reason else None, {}


@bp.get("/api/moderation/comments")
@token_required
def list_comments():
    """Comments, newest first, filtered by status, thread and a text query."""
    try:
        wanted = QueueFilter.from_args(request.args)
    except QueueFilterError as exc:
        return _error(HTTPStatus.BAD_REQUEST, "Please fix the marked parameters.", exc.errors)
    with get_runtime().database.read() as session:
        total, rows = wanted.run(session)
        items = [moderator_view(c) for c in rows]
    return jsonify({"comments": items, "total": total, "limit": wanted.limit, "offset": wanted.offset})


@bp.get("/api/moderation/comments/<comment_id>")
@token_required
def get_comment(comment_id: str):
    """One comment with its audit trail."""
    with get_runtime().database.read() as session:
        comment = session.get(Comment, comment_id)
        if comment is None:
            return _error(HTTPStatus.NOT_FOUND, f"no comment with id {comment_id!r}")
        audit = session.scalars(select(AuditEntry).where(AuditEntry.comment_id == comment_id).order_by(AuditEntry.id))
        trail = [audit_view(entry) for entry in audit]
    return jsonify(moderator_view(comment) | {"audit": trail})


def audit_view(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as JSON."""
    return {"at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action.value,
            "comment_id": entry.comment_id, "reason": entry.reason, "details": entry.details}


def _run(action: Any, comment_id: str, *args: Any):
    """Run one action in a transaction, publish after the commit, answer with the comment."""
    runtime = get_runtime()
    try:
        with runtime.database.write() as session:
            comment = action(session, comment_id, g.actor, *args)
    except InvalidEdit as exc:
        return _error(exc.status, "Please fix the marked fields.", exc.errors)
    except ModerationError as exc:
        return _error(exc.status, str(exc))
    runtime.after_moderation()
    with runtime.database.read() as session:
        return jsonify(moderator_view(session.get(Comment, comment.id)))


@bp.post("/api/moderation/comments/<comment_id>/<any(approve, reject, spam, delete, ban):verb>")
@token_required
def act(comment_id: str, verb: str):
    """Approve, reject, mark as spam, delete, or ban the author of one comment."""
    data = _json_object()
    if data is None:
        return _error(HTTPStatus.BAD_REQUEST, "The request body must be a JSON object (or empty).")
    reason, errors = _reason(data)
    if errors:
        return _error(HTTPStatus.BAD_REQUEST, "Please fix the marked fields.", errors)
    return _run(ACTIONS[Verb(verb)], comment_id, reason)


@bp.patch("/api/moderation/comments/<comment_id>")
@token_required
def patch_comment(comment_id: str):
    """Edit author, website or body; with "approve": true, approve in the same transaction."""
    data = _json_object()
    if data is None:
        return _error(HTTPStatus.BAD_REQUEST, "The request body must be a JSON object.")
    reason, errors = _reason(data)
    then_approve = data.get("approve", False)
    if not isinstance(then_approve, bool):
        errors["approve"] = "must be true or false."
    if errors:
        return _error(HTTPStatus.BAD_REQUEST, "Please fix the marked fields.", errors)
    changes = {k: v for k, v in data.items() if k not in ("reason", "approve")}

    def edit_then_maybe_approve(session: Any, cid: str, actor: str) -> Comment:
        comment = edit(session, cid, actor, changes, reason)
        return approve(session, cid, actor, reason) if then_approve else comment

    return _run(edit_then_maybe_approve, comment_id)


@bp.post("/api/moderation/bulk")
@token_required
def bulk_action():
    """One action on many comments: {"action": "approve", "ids": [...], "reason": "..."}."""
    data = _json_object() or {}
    errors = {}
    if data.get("action") not in Verb.__members__.values():
        errors["action"] = f"must be one of {', '.join(Verb)}."
    ids = data.get("ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_LIMIT or not all(isinstance(i, str) for i in ids):
        errors["ids"] = f"must be a list of 1-{MAX_LIMIT} comment ids."
    reason, reason_errors = _reason(data)
    errors |= reason_errors
    if errors:
        return _error(HTTPStatus.BAD_REQUEST, "Please fix the marked fields.", errors)
    runtime = get_runtime()
    results = bulk(runtime.database, Verb(data["action"]), ids, g.actor, reason)
    runtime.after_moderation()
    return jsonify({"results": results})


@bp.get("/api/moderation/audit")
@token_required
def audit_log():
    """The newest audit entries, optionally for one comment."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(MAX_LIMIT)
    if request.args.get("comment"):
        query = query.where(AuditEntry.comment_id == request.args["comment"])
    with get_runtime().database.read() as session:
        return jsonify({"entries": [audit_view(entry) for entry in session.scalars(query)]})


@bp.get("/api/openapi.json")
def openapi():
    """The OpenAPI 3 description of the JSON API."""
    return Response(OPENAPI_FILE.read_bytes(), mimetype="application/json")


@bp.get("/healthz")
def healthz():
    """200 once the database answers; says whether the site's manifest is there."""
    runtime = get_runtime()
    with runtime.database.read() as session:
        session.scalar(select(1))
    try:
        threads = len(runtime.manifest.threads())
    except ManifestUnavailable:
        threads = None
    return jsonify({"status": "ok", "threads": threads})


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as data (tests compare it with the routes)."""
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
