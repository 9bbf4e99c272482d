"""A minimal server-rendered moderation UI: log in, see the queue, act on one or many comments."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from cluetrain.markup import stored_html
from comments_service.auth import (
    AuthError,
    authenticate,
    check_csrf,
    log_in,
    log_out,
    login_required,
)
from comments_service.models import CommentStatus
from comments_service.moderation import (
    ACTIONS,
    InvalidEdit,
    ModerationError,
    Verb,
    approve,
    bulk,
    edit,
)
from comments_service.queue import QueueFilter, QueueFilterError
from comments_service.runtime import get_runtime

bp = Blueprint("admin", __name__, url_prefix="/moderate")
QUEUE_PAGE = 50


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login page cannot redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("admin.queue")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; throttled per account and per IP address."""
    error, status = None, HTTPStatus.OK
    if request.method == "POST":
        check_csrf()
        try:
            moderator = authenticate(get_runtime().database, request.form.get("username", ""),
                                     request.form.get("password", ""), request.remote_addr or "")
        except AuthError as exc:
            error, status = str(exc), HTTPStatus.UNAUTHORIZED
        else:
            log_in(moderator)
            return redirect(_safe_next(request.args.get("next")), code=HTTPStatus.SEE_OTHER)
    return render_template("admin/login.html", error=error, username=request.form.get("username", "")), status


@bp.post("/logout")
@login_required
def logout():
    """End the session."""
    log_out()
    return redirect(url_for("admin.login"), code=HTTPStatus.SEE_OTHER)


@bp.get("/")
@login_required
def queue():
    """Comments of one status (held ones by default), newest first; filter by thread and text."""
    try:
        wanted = QueueFilter.from_args(request.args, default_status=CommentStatus.PENDING.value,
                                       default_limit=QUEUE_PAGE)
    except QueueFilterError:
        return redirect(url_for("admin.queue"), code=HTTPStatus.SEE_OTHER)
    with get_runtime().database.read() as session:
        total, rows = wanted.run(session)
    items = [(c, stored_html(c.html)) for c in rows]
    status = wanted.statuses[0].value if len(wanted.statuses) == 1 else CommentStatus.PENDING.value
    pages = {"previous": max(wanted.offset - wanted.limit, 0) if wanted.offset else None,
             "next": wanted.offset + wanted.limit if wanted.offset + wanted.limit < total else None}
    return render_template("admin/queue.html", items=items, status=status, statuses=list(CommentStatus),
                           verbs=list(Verb), moderator=g.moderator, filter=wanted, total=total, pages=pages)


def _back():
    return redirect(_safe_next(request.form.get("back")), code=HTTPStatus.SEE_OTHER)


@bp.post("/comments/<comment_id>/<any(approve, reject, spam, delete, ban):verb>")
@login_required
def act(comment_id: str, verb: str):
    """One action on one comment."""
    runtime = get_runtime()
    try:
        with runtime.database.write() as session:
            ACTIONS[Verb(verb)](session, comment_id, g.actor, request.form.get("reason") or None)
    except ModerationError as exc:
        flash(f"{comment_id}: {exc}", "error")
    else:
        flash(f"{comment_id}: {verb} done.", "ok")
        runtime.after_moderation()
    return _back()


@bp.post("/comments/<comment_id>/edit")
@login_required
def edit_comment(comment_id: str):
    """Save an edit; with the "approve" button, approve it too."""
    runtime = get_runtime()
    changes = {name: request.form[name] for name in ("author", "website", "body") if name in request.form}
    try:
        with runtime.database.write() as session:
            edit(session, comment_id, g.actor, changes, request.form.get("reason") or None)
            if request.form.get("then") == "approve":
                approve(session, comment_id, g.actor)
    except InvalidEdit as exc:
        flash(f"{comment_id}: " + "; ".join(exc.errors.values()), "error")
    except ModerationError as exc:
        flash(f"{comment_id}: {exc}", "error")
    else:
        flash(f"{comment_id}: saved.", "ok")
        runtime.after_moderation()
    return _back()


@bp.post("/bulk")
@login_required
def bulk_action():
    """One action on every ticked comment."""
    verb = request.form.get("action", "")
    ids = request.form.getlist("ids")
    if verb not in Verb.__members__.values() or not ids:
        flash("Choose an action and at least one comment.", "error")
        return _back()
    runtime = get_runtime()
    results = bulk(runtime.database, Verb(verb), ids, g.actor, request.form.get("reason") or None)
    runtime.after_moderation()
    failed = [f"{r['id']}: {r['error']}" for r in results if not r["ok"]]
    flash(f"{verb}: {len(results) - len(failed)} done." + (" Failed: " + "; ".join(failed) if failed else ""),
          "error" if failed else "ok")
    return _back()
