"""Moderator screens for feedback: the queue, and per item its status, answer, edits and merges."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from cluetrain.markup import stored_html
from comments_service.auth import login_required
from comments_service.feedback_models import FeedbackAuditEntry, FeedbackItem, FeedbackStatusChange
from comments_service.feedback_moderation import ACTIONS, FeedbackVerb, edit, merge, set_status
from comments_service.feedback_runtime import get_feedback
from comments_service.feedback_validation import check_public_name
from comments_service.models import CommentStatus
from comments_service.moderation import InvalidEdit, ModerationError
from comments_service.runtime import get_runtime
from comments_service.validation import FieldErrors

bp = Blueprint("feedback_admin", __name__, url_prefix="/moderate/feedback")
QUEUE_SIZE = 200


@bp.get("/")
@login_required
def queue():
    """Items in one moderation state (held ones by default), optionally of one status, newest first."""
    state = request.args.get("moderation", CommentStatus.PENDING.value)
    if state not in CommentStatus.__members__.values():
        state = CommentStatus.PENDING.value
    status = request.args.get("status") or None
    query = select(FeedbackItem).where(FeedbackItem.moderation == CommentStatus(state))
    if status:
        query = query.where(FeedbackItem.status == status)
    with get_runtime().database.read() as session:
        items = list(session.scalars(query.order_by(FeedbackItem.created_at.desc()).limit(QUEUE_SIZE)))
    return render_template("feedback/admin_queue.html", items=items, state=state, status=status,
                           states=list(CommentStatus), statuses=get_feedback().settings.statuses,
                           verbs=list(FeedbackVerb), moderator=g.moderator)


@bp.get("/<int:item_id>")
@login_required
def item_page(item_id: int):
    """One item: everything about it, and the forms that change it."""
    with get_runtime().database.read() as session:
        item = session.get(FeedbackItem, item_id)
        if item is None:
            abort(404)
        history = list(session.scalars(select(FeedbackStatusChange).where(FeedbackStatusChange.item_id == item_id)
                                       .order_by(FeedbackStatusChange.at, FeedbackStatusChange.id)))
        audit = list(session.scalars(select(FeedbackAuditEntry).where(FeedbackAuditEntry.item_id == item_id)
                                     .order_by(FeedbackAuditEntry.id.desc())))
    settings = get_feedback().settings
    return render_template("feedback/admin_item.html", item=item, html=stored_html(item.html),
                           answer_html=stored_html(item.answer_html or ""), history=history, audit=audit,
                           statuses=settings.statuses, default_name=settings.answer_author, verbs=list(FeedbackVerb))


def _apply(item_id: int, action: Callable[[Session], FeedbackItem], done: str):
    """Run an action in a transaction, publish, and go back where the form came from."""
    try:
        with get_runtime().database.write() as session:
            action(session)
    except InvalidEdit as exc:
        flash(f"#{item_id}: " + "; ".join(exc.errors.values()), "error")
    except ModerationError as exc:
        flash(f"#{item_id}: {exc}", "error")
    else:
        flash(f"#{item_id}: {done}", "ok")
        get_feedback().after_change()
    back = request.form.get("back", "")
    # Only back into these screens: a path under our prefix cannot name another site.
    if not back.startswith(f"{bp.url_prefix}/"):
        back = url_for("feedback_admin.item_page", item_id=item_id)
    return redirect(back, code=HTTPStatus.SEE_OTHER)


@bp.post("/<int:item_id>/<any(approve, reject, spam, delete, ban):verb>")
@login_required
def act(item_id: int, verb: str):
    """One moderation action on one item."""
    reason = request.form.get("reason") or None
    return _apply(item_id, lambda s: ACTIONS[FeedbackVerb(verb)](s, item_id, g.actor, reason), f"{verb} done.")


def _public_name() -> str | None:
    try:
        return check_public_name(request.form.get("by"), "by")
    except FieldErrors as exc:
        raise InvalidEdit(exc.errors) from exc


@bp.post("/<int:item_id>/status")
@login_required
def change_status(item_id: int):
    """Save the status and the official answer."""
    settings = get_feedback().settings

    def action(session: Session) -> FeedbackItem:
        return set_status(session, settings, item_id, g.actor, status=request.form.get("status") or None,
                          answer=request.form.get("answer", ""), answer_given=True, by=_public_name(),
                          reason=request.form.get("reason") or None)

    return _apply(item_id, action, "status and answer saved.")


@bp.post("/<int:item_id>/edit")
@login_required
def edit_item(item_id: int):
    """Save edits to kind, title, tags and description."""
    changes = {name: request.form[name] for name in ("kind", "title", "tags", "body") if name in request.form}
    return _apply(item_id, lambda s: edit(s, item_id, g.actor, changes, request.form.get("reason") or None), "saved.")


@bp.post("/<int:item_id>/merge")
@login_required
def merge_item(item_id: int):
    """Merge this item into the one named in the form."""
    into = request.form.get("into", "").strip().lstrip("#")
    if not into.isdigit():
        flash(f"#{item_id}: give the number of the original item.", "error")
        return redirect(url_for("feedback_admin.item_page", item_id=item_id), code=HTTPStatus.SEE_OTHER)
    settings = get_feedback().settings
    return _apply(item_id, lambda s: merge(s, settings, item_id, int(into), g.actor, _public_name(),
                                           request.form.get("reason") or None), f"merged into #{into}.")
