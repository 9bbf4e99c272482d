"""Visitor views: the form POST, the reply form, the JSON submission and form tokens."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy.exc import OperationalError

from cluetrain import content_format as cf
from cluetrain.markup import render_markdown, stored_html
from comments_service import keys
from comments_service.identity_views import current_identity
from comments_service.intake import Submission, SubmissionRefused, submit
from comments_service.manifest import ManifestUnavailable
from comments_service.models import Comment, CommentStatus
from comments_service.origins import origin_allowed
from comments_service.receipts import make_receipt
from comments_service.runtime import get_runtime
from comments_service.validation import FORM_FIELDS

bp = Blueprint("submission", __name__)
JSON_KEYS = (*FORM_FIELDS, "hp", "form_token", "idempotency_key", "notify")  # notify: community notifications
UNAVAILABLE = ("The comment service is restarting or busy, so your comment was not sent. "
               "Please send it again in a moment.")
FORBIDDEN_ORIGIN = "This page is not allowed to post comments here."


def _form_token() -> str:
    return keys.issue_form_token(current_app.config["SECRET_KEY"])


def _parent_for_display(thread: str, parent_id: str) -> dict[str, Any] | None:
    """The comment being replied to, from the database or its file; None if not published."""
    with get_runtime().database.read() as session:
        row = session.get(Comment, parent_id)
        if row is not None:
            if row.thread != thread or row.status is not CommentStatus.APPROVED:
                return None
            return {"id": row.id, "author": row.author, "date": row.created_at, "html": stored_html(row.html)}
    try:
        found = cf.read_comment(cf.comment_path(current_app.config["CONTENT_PATH"], thread, parent_id))
    except (cf.ContentFormatError, OSError):
        return None
    return {"id": found.id, "author": found.author, "date": found.date, "html": Markup(render_markdown(found.body))}


def render_form(values: dict[str, str], *, status: int = 200, message: str | None = None,
                errors: dict[str, str] | None = None, form_token: str | None = None):
    """The comment form with every field as typed and what to fix."""
    thread_key, parent_id = values.get("thread", ""), values.get("parent", "")
    try:
        thread = get_runtime().manifest.get(thread_key)
    except ManifestUnavailable:
        thread = None
    parent = None
    if parent_id and thread is not None:
        try:
            parent = _parent_for_display(thread.key, cf.validate_id(parent_id))
        except (cf.ContentFormatError, OperationalError):
            parent = None
    secret, max_age = current_app.config["SECRET_KEY"], current_app.config["FORM_TOKEN_MAX_AGE"]
    # Keep the original token while it is valid, so the time spent before an error still counts.
    token = form_token if keys.form_age(form_token, secret, max_age) is not None else _form_token()
    proven = current_identity()
    if proven is not None and not values.get("author") and not values.get("email"):
        values = values | {"author": proven.name, "email": proven.email}  # community: a confirmed commenter's own
    html = render_template("comment_form.html", values=values, errors=errors or {}, message=message,
                           thread=thread, parent=parent, form_token=token)
    return html, status


def _sender() -> dict[str, Any]:
    return {"ip": request.remote_addr, "user_agent": request.user_agent.string or None,
            "proven": current_identity()}  # community identity cookie


@bp.get("/comments")
@bp.get("/comments/reply")
def form_page():
    """A form for a new comment or a reply (the no-JavaScript reply link lands here)."""
    values = {name: request.args.get(name, "") for name in ("thread", "parent")}
    try:
        thread = get_runtime().manifest.get(values["thread"])
    except ManifestUnavailable:
        return render_form(values, status=HTTPStatus.SERVICE_UNAVAILABLE, message=UNAVAILABLE)
    if thread is None:
        abort(404)
    if values["parent"] and _parent_for_display(thread.key, values["parent"]) is None:
        abort(404)
    return render_form(values)


@bp.post("/comments")
def post_form():
    """The site's form posts here; success redirects to the receipt, errors show the form again."""
    values = {name: request.form.get(name, "") for name in (*FORM_FIELDS, "idempotency_key", "notify")}
    form_token = request.form.get("form_token") or None
    if not origin_allowed():
        return render_form(values, status=HTTPStatus.FORBIDDEN, message=FORBIDDEN_ORIGIN, form_token=form_token)
    submission = Submission(fields=values, source=cf.CommentSource.WEB,
                            idempotency_key=values["idempotency_key"] or None, honeypot=request.form.get("hp", ""),
                            form_token=form_token, **_sender())
    try:
        accepted = submit(submission)
    except SubmissionRefused as exc:
        return render_form(values, status=exc.status, message=exc.message, errors=exc.errors, form_token=form_token)
    except (ManifestUnavailable, OperationalError):
        current_app.logger.exception("cannot accept a comment right now")
        return render_form(values, status=HTTPStatus.SERVICE_UNAVAILABLE, message=UNAVAILABLE, form_token=form_token)
    return redirect(url_for("receipts.show", token=accepted.comment.receipt_token), code=HTTPStatus.SEE_OTHER)


def _json_error(status: int, message: str, errors: dict[str, str] | None = None):
    return jsonify({"error": message, "errors": errors or {}}), status


@bp.post("/api/comments")
def post_json():
    """Submit a comment as JSON; 201 when published at once, 202 when held, 4xx naming each bad field."""
    if not origin_allowed():
        return _json_error(HTTPStatus.FORBIDDEN, FORBIDDEN_ORIGIN)
    if not request.is_json:
        return _json_error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Send the comment as application/json.")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(HTTPStatus.BAD_REQUEST, "The request body must be a JSON object.")
    unknown = {key: "unknown field." for key in data if key not in JSON_KEYS}
    if unknown:
        return _json_error(HTTPStatus.BAD_REQUEST, "The request has unknown fields.", unknown)
    extras = {key: data.get(key) for key in ("hp", "form_token", "idempotency_key")}
    wrong = {key: "must be text." for key, value in extras.items() if value is not None and not isinstance(value, str)}
    if wrong:
        return _json_error(HTTPStatus.BAD_REQUEST, "Please fix the marked fields.", wrong)
    key = request.headers.get("Idempotency-Key") or extras["idempotency_key"]
    submission = Submission(fields=data, source=cf.CommentSource.API, idempotency_key=key,
                            honeypot=extras["hp"] or "", form_token=extras["form_token"], **_sender())
    try:
        accepted = submit(submission)
    except SubmissionRefused as exc:
        return _json_error(exc.status, exc.message, exc.errors)
    except (ManifestUnavailable, OperationalError):
        current_app.logger.exception("cannot accept a comment right now")
        return _json_error(HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE)
    with get_runtime().database.read() as session:
        receipt = make_receipt(accepted.comment, session)
    approved = accepted.comment.status is CommentStatus.APPROVED
    code = HTTPStatus.CREATED if approved else HTTPStatus.ACCEPTED
    body = receipt.as_json() | {"replayed": accepted.replayed}
    return jsonify(body), code, {"Location": body["receipt_url"]}  # built once: url_for is not cheap


@bp.get("/api/form-token")
def form_token():
    """A signed timestamp for the page's form (the minimum fill time rule)."""
    response = jsonify({"form_token": _form_token()})
    response.headers["Cache-Control"] = "no-store"
    return response

