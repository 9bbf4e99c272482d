"""The feedback hub's visitor JSON API: submit an item, read its receipt, vote, read live counts."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import OperationalError

from cluetrain import content_format as cf
from comments_service.feedback_intake import submit_feedback
from comments_service.feedback_receipts import find_receipt, make_receipt
from comments_service.feedback_runtime import get_feedback
from comments_service.feedback_validation import FEEDBACK_FIELDS
from comments_service.intake import Submission, SubmissionRefused
from comments_service.models import CommentStatus
from comments_service.origins import allowed_origins, origin_allowed
from comments_service.runtime import get_runtime
from comments_service.votes import MAX_COUNT_IDS, VoteRefused, cast_vote, live_counts, withdraw_vote

bp = Blueprint("feedback_api", __name__)
JSON_KEYS = (*FEEDBACK_FIELDS, "hp", "form_token", "idempotency_key")
VISITOR_PREFIX = "/api/feedback"
UNAVAILABLE = "The feedback service is restarting or busy, so nothing was stored. Please send it again in a moment."
FORBIDDEN_ORIGIN = "This page is not allowed to send feedback here."


def _error(status: int, message: str, errors: dict[str, str] | None = None):
    return jsonify({"error": message, "errors": errors or {}}), status


def _json_object() -> dict[str, Any] | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


@bp.post("/api/feedback")
def submit():
    """Submit an item; 201 when published at once, 202 when held, 4xx naming each bad field."""
    if not origin_allowed():
        return _error(HTTPStatus.FORBIDDEN, FORBIDDEN_ORIGIN)
    if not request.is_json:
        return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Send the feedback as application/json.")
    data = _json_object()
    if data is None:
        return _error(HTTPStatus.BAD_REQUEST, "The request body must be a JSON object.")
    unknown = {key: "unknown field." for key in data if key not in JSON_KEYS}
    if unknown:
        return _error(HTTPStatus.BAD_REQUEST, "The request has unknown fields.", unknown)
    extras = {key: data.get(key) for key in ("hp", "form_token", "idempotency_key")}
    wrong = {key: "must be text." for key, value in extras.items() if value is not None and not isinstance(value, str)}
    if wrong:
        return _error(HTTPStatus.BAD_REQUEST, "Please fix the marked fields.", wrong)
    submission = Submission(
        fields=data, source=cf.CommentSource.API, ip=request.remote_addr, user_agent=request.user_agent.string or None,
        idempotency_key=request.headers.get("Idempotency-Key") or extras["idempotency_key"],
        honeypot=extras["hp"] or "", form_token=extras["form_token"],
    )
    try:
        accepted = submit_feedback(submission)
    except SubmissionRefused as exc:
        return _error(exc.status, exc.message, exc.errors)
    except OperationalError:
        current_app.logger.exception("cannot accept feedback right now")
        return _error(HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE)
    with get_runtime().database.read() as session:
        receipt = make_receipt(accepted.item, session)
    code = HTTPStatus.CREATED if accepted.item.moderation is CommentStatus.APPROVED else HTTPStatus.ACCEPTED
    return jsonify(receipt.as_json() | {"replayed": accepted.replayed}), code, {"Location": receipt.url}


@bp.get("/api/feedback/receipts/<token>")
def receipt(token: str):
    """An item's receipt as JSON."""
    return jsonify(find_receipt(token).as_json())


def _vote(withdraw: bool):
    def answer(item_id: int):
        if not origin_allowed():
            return _error(HTTPStatus.FORBIDDEN, "This page is not allowed to vote here.")
        data = _json_object() or {}
        token = data.get("voter")
        runtime, secret = get_runtime(), current_app.config["SECRET_KEY"]
        try:
            if withdraw:
                result = withdraw_vote(runtime.database, secret, item_id, token)
            else:
                result = cast_vote(runtime.database, get_feedback().settings, secret, item_id, token,
                                   request.remote_addr)
        except VoteRefused as exc:
            return _error(exc.status, str(exc))
        return jsonify(result.as_json())
    return answer


bp.add_url_rule("/api/feedback/<int:item_id>/vote", "vote", _vote(withdraw=False), methods=["POST"])
bp.add_url_rule("/api/feedback/<int:item_id>/vote", "unvote", _vote(withdraw=True), methods=["DELETE"])


@bp.get("/api/feedback/votes")
def counts():
    """Live vote counts: ?ids=1,2,3 → {"votes": {"1": 12, ...}} (published items only)."""
    raw = [part for part in request.args.get("ids", "").split(",") if part.strip()]
    if len(raw) > MAX_COUNT_IDS or not all(part.strip().isdigit() for part in raw):
        return _error(HTTPStatus.BAD_REQUEST, f"ids must be up to {MAX_COUNT_IDS} item numbers, comma-separated.",
                      {"ids": "must be item numbers separated by commas."})
    found = live_counts(get_runtime().database, [int(part) for part in raw])
    response = jsonify({"votes": {str(item_id): votes for item_id, votes in sorted(found.items())}})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def _allow_site_scripts(response: Response) -> Response:
    """Let the site's pages call the visitor API from their origin (the moderation API stays closed)."""
    origin = request.headers.get("Origin")
    if origin and request.path.startswith(VISITOR_PREFIX) and origin.lower() in allowed_origins():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Idempotency-Key, Accept"
        response.headers["Access-Control-Max-Age"] = "600"
    response.vary.add("Origin")
    return response
