"""Moderation API routes of community recognition: mark a comment helpful, record a reward."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, Flask, jsonify

from comments_service.api import _json_object, _reason, _run
from comments_service.auth import token_required
from comments_service.recognition import mark_helpful, mark_rewarded

bp = Blueprint("recognition_api", __name__)


def _bad(message: str, errors: dict[str, str] | None = None):
    return jsonify({"error": message, "errors": errors or {}}), HTTPStatus.BAD_REQUEST


@bp.post("/api/moderation/comments/<comment_id>/helpful")
@token_required
def helpful(comment_id: str):
    """Mark a published comment as a helpful answer (``{"helpful": false}`` removes the mark)."""
    data = _json_object()
    if data is None:
        return _bad("The request body must be a JSON object (or empty).")
    value = data.get("helpful", True)
    reason, errors = _reason(data)
    if not isinstance(value, bool):
        errors["helpful"] = "must be true or false."
    if errors:
        return _bad("Please fix the marked fields.", errors)
    return _run(mark_helpful, comment_id, value, reason)


@bp.post("/api/moderation/comments/<comment_id>/rewarded")
@token_required
def rewarded(comment_id: str):
    """Record the reward given for a published comment (``{"label": "T-shirt"}``; null or "" clears it)."""
    data = _json_object()
    if data is None or "label" not in data:
        return _bad("Send a JSON object with a label (text, or null to clear).", {"label": "required."})
    reason, errors = _reason(data)
    if errors:
        return _bad("Please fix the marked fields.", errors)
    return _run(mark_rewarded, comment_id, data["label"], reason)


def init_app(app: Flask) -> None:
    """Register the recognition routes."""
    app.register_blueprint(bp)
