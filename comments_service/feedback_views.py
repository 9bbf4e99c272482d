"""Visitor pages of the feedback hub that work without JavaScript: the form POST, receipts, votes."""

from __future__ import annotations

import secrets
from http import HTTPStatus

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy.exc import OperationalError

from cluetrain import content_format as cf
from cluetrain.markup import stored_html
from comments_service import keys
from comments_service.feedback_intake import submit_feedback
from comments_service.feedback_models import FeedbackItem
from comments_service.feedback_receipts import find_receipt
from comments_service.feedback_runtime import get_feedback
from comments_service.feedback_validation import FEEDBACK_FIELDS
from comments_service.intake import Submission, SubmissionRefused
from comments_service.manifest import ManifestUnavailable
from comments_service.models import CommentStatus
from comments_service.origins import origin_allowed
from comments_service.receipts import wants_json
from comments_service.runtime import get_runtime
from comments_service.votes import VoteRefused, cast_vote, has_voted, withdraw_vote

bp = Blueprint("feedback_views", __name__)
VOTER_COOKIE = "cluetrain_voter"
VOTER_COOKIE_MAX_AGE = 5 * 365 * 24 * 3600  # a browser keeps its one vote per item for years
UNAVAILABLE = "The feedback service is restarting or busy, so your feedback was not sent. Please send it again."
FORBIDDEN_ORIGIN = "This page is not allowed to send feedback here."


def render_form(values: dict[str, str], *, status: int = HTTPStatus.OK, message: str | None = None,
                errors: dict[str, str] | None = None, form_token: str | None = None) -> tuple[str, int]:
    """The feedback form with every field as typed and what to fix."""
    secret, max_age = current_app.config["SECRET_KEY"], current_app.config["FORM_TOKEN_MAX_AGE"]
    token = form_token if keys.form_age(form_token, secret, max_age) is not None else keys.issue_form_token(secret)
    page = render_template("feedback/form.html", values=values, errors=errors or {}, message=message,
                           kinds=list(cf.FeedbackKind), form_token=token)
    return page, status


@bp.get("/feedback/new")
def form_page():
    """An empty form (the hub's page carries the same one)."""
    return render_form({"kind": cf.FeedbackKind.IDEA.value})


@bp.post("/feedback")
def post_form():
    """The hub's form posts here; success redirects to the receipt, errors show the form again."""
    values = {name: request.form.get(name, "") for name in (*FEEDBACK_FIELDS, "idempotency_key")}
    form_token = request.form.get("form_token") or None
    if not origin_allowed():
        return render_form(values, status=HTTPStatus.FORBIDDEN, message=FORBIDDEN_ORIGIN, form_token=form_token)
    submission = Submission(fields=values, source=cf.CommentSource.WEB, ip=request.remote_addr,
                            user_agent=request.user_agent.string or None,
                            idempotency_key=values["idempotency_key"] or None, honeypot=request.form.get("hp", ""),
                            form_token=form_token)
    try:
        accepted = submit_feedback(submission)
    except SubmissionRefused as exc:
        return render_form(values, status=exc.status, message=exc.message, errors=exc.errors, form_token=form_token)
    except OperationalError:
        current_app.logger.exception("cannot accept feedback right now")
        return render_form(values, status=HTTPStatus.SERVICE_UNAVAILABLE, message=UNAVAILABLE, form_token=form_token)
    return redirect(url_for("feedback_views.receipt", token=accepted.item.receipt_token), code=HTTPStatus.SEE_OTHER)


@bp.get("/feedback/receipts/<token>")
def receipt(token: str):
    """The receipt page (or JSON, when asked for with Accept)."""
    found = find_receipt(token)
    if wants_json():
        return jsonify(found.as_json())
    return render_template("feedback/receipt.html", receipt=found, body_html=stored_html(found.item.html))


def _voter_token() -> tuple[str, bool]:
    """This browser's voter token from its cookie, or a new one (True: set the cookie)."""
    token = request.cookies.get(VOTER_COOKIE, "")
    if token and 16 <= len(token) <= 128:
        return token, False
    return secrets.token_urlsafe(24), True


def _item_page_url(item: FeedbackItem) -> str | None:
    try:
        info = get_runtime().manifest.get(item.thread_key)
    except ManifestUnavailable:
        return None
    return info.url if info else None


@bp.post("/feedback/<int:item_id>/vote")
def vote_form(item_id: int) -> Response:
    """Vote or take the vote back without JavaScript; the browser is known by a cookie."""
    token, new = _voter_token()
    runtime, feedback = get_runtime(), get_feedback()
    error = None
    if not origin_allowed():
        error = FORBIDDEN_ORIGIN
    else:
        try:
            if request.form.get("action") == "unvote":
                withdraw_vote(runtime.database, current_app.config["SECRET_KEY"], item_id, token)
            else:
                cast_vote(runtime.database, feedback.settings, current_app.config["SECRET_KEY"], item_id, token,
                          request.remote_addr)
        except VoteRefused as exc:
            error = str(exc)
    if error:
        flash(error, "error")
    response = redirect(url_for("feedback_views.vote_page", item_id=item_id), code=HTTPStatus.SEE_OTHER)
    if new:
        response.set_cookie(VOTER_COOKIE, token, max_age=VOTER_COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


@bp.get("/feedback/<int:item_id>/vote")
def vote_page(item_id: int):
    """Where this browser's vote stands, with a button to change it."""
    with get_runtime().database.read() as session:
        item = session.get(FeedbackItem, item_id)
        if item is None or item.moderation is not CommentStatus.APPROVED:
            abort(404)
    token = request.cookies.get(VOTER_COOKIE, "")
    voted = bool(token) and _safe_has_voted(item_id, token)
    return render_template("feedback/vote.html", item=item, voted=voted, page_url=_item_page_url(item))


def _safe_has_voted(item_id: int, token: str) -> bool:
    try:
        return has_voted(get_runtime().database, current_app.config["SECRET_KEY"], item_id, token)
    except VoteRefused:
        return False
