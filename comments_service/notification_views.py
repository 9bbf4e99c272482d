"""Links from notification mails: confirm (double opt-in), unsubscribe (one click), approve/reject by link.

Every link shows a page with a button and acts only on POST: mail scanners fetch links, and
a fetch must never confirm, unsubscribe or moderate. Unsubscribe also takes the RFC 8058
one-click POST that mail clients send.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, Flask, current_app, render_template, request
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select

from comments_service import moderation
from comments_service.models import utcnow
from comments_service.feedback_models import FeedbackItem
from comments_service.notification_models import Subscription, SubscriptionKind
from comments_service.notifications import Notifier, moderation_links
from comments_service.origins import origin_allowed, site_origin
from comments_service.runtime import get_runtime
from comments_service.status_notifications import OptIn, request_updates

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
MAIL_LINK_ACTOR = "mail-link"
_VERBS = {"approve": moderation.approve, "reject": moderation.reject}
# What each kind of subscription is about, for the confirm and unsubscribe pages.
_ABOUT = {SubscriptionKind.REPLIES: "someone replies to my comments",
          SubscriptionKind.FEEDBACK: "the team changes the status of or answers feedback I filed"}
_OPT_IN_PAGES = {
    OptIn.CONFIRMATION_SENT: ("Check your inbox",
                              "We sent a confirmation link to the address you gave with this item."),
    OptIn.ALREADY_ACTIVE: ("Already on", "You already get e-mails about your feedback."),
    OptIn.TOO_SOON: ("Check your inbox", "A confirmation link was sent a moment ago; please use that one."),
    OptIn.NO_ADDRESS: ("No e-mail address",
                       "This item was filed without an e-mail address, so we cannot write to you."),
    OptIn.NOT_PUBLISHED: ("Not yet", "You can ask for e-mails once a moderator has published this item."),
}


def _page(title: str, message: str, *, action: str | None = None, button: str | None = None,
          status: HTTPStatus = HTTPStatus.OK) -> tuple[str, int]:
    return render_template("community/mail_link.html", title=title, message=message, action=action,
                           button=button), status


def _subscription(token: str) -> Subscription | None:
    with get_runtime().database.read() as session:
        return session.scalar(select(Subscription).where(Subscription.token == token))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> tuple[str, int]:
    """Confirm reply notifications (the second step of the double opt-in)."""
    subscription = _subscription(token)
    if subscription is None:
        return _page("Link not valid", "This confirmation link is not valid.", status=HTTPStatus.NOT_FOUND)
    about = _ABOUT[subscription.kind]
    if request.method == "GET":
        return _page("Confirm notifications", f"Send me an e-mail when {about}.", action=request.path,
                     button="Confirm")
    with get_runtime().database.write() as session:
        found = session.scalar(select(Subscription).where(Subscription.token == token))
        found.confirmed_at = found.confirmed_at or utcnow()
        found.unsubscribed_at = None
    return _page("Confirmed", f"You will get an e-mail when {about}.")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> tuple[str, int]:
    """Stop reply notifications; a POST (the page's button or a mail client's one-click) does it."""
    subscription = _subscription(token)
    if subscription is None:
        return _page("Link not valid", "This unsubscribe link is not valid.", status=HTTPStatus.NOT_FOUND)
    about = _ABOUT[subscription.kind]
    if request.method == "GET":
        return _page("Unsubscribe", f"Stop e-mails when {about}.", action=request.path, button="Unsubscribe")
    with get_runtime().database.write() as session:
        found = session.scalar(select(Subscription).where(Subscription.token == token))
        found.unsubscribed_at = found.unsubscribed_at or utcnow()
    return _page("Unsubscribed", f"You will get no more e-mails when {about}.")


@bp.route("/feedback/<receipt_token>", methods=["GET", "POST"])
def feedback_updates(receipt_token: str) -> tuple[str, int]:
    """Opt in, from an item's receipt, to e-mails about its status and answers (a confirmation comes first)."""
    database = get_runtime().database
    with database.read() as session:
        exists = session.scalar(select(FeedbackItem.id).where(FeedbackItem.receipt_token == receipt_token))
    if exists is None:
        return _page("Link not valid", "There is no feedback receipt here.", status=HTTPStatus.NOT_FOUND)
    if not current_app.config["SMTP_HOST"]:
        return _page("No e-mail", "This site sends no e-mail.", status=HTTPStatus.SERVICE_UNAVAILABLE)
    if request.method == "GET":
        return _page("E-mail me about this feedback", "Send me an e-mail when the team changes the status of or "
                     "answers feedback I filed. We send one confirmation first.", action=request.path,
                     button="E-mail me")
    if not origin_allowed():
        return _page("Not allowed", "This page is not allowed to do that.", status=HTTPStatus.FORBIDDEN)
    config = current_app.config
    with database.write() as session:
        item = session.scalar(select(FeedbackItem).where(FeedbackItem.receipt_token == receipt_token))
        outcome = request_updates(session, item, base_url=site_origin() or "", site_name=config["SITE_NAME"],
                                  interval_seconds=config["IDENTITY_REQUEST_INTERVAL"])
    current_app.extensions["cluetrain_notifier"].notify()
    title, message = _OPT_IN_PAGES[outcome]
    return _page(title, message)


@bp.route("/moderate/<token>", methods=["GET", "POST"])
def moderate(token: str) -> tuple[str, int]:
    """Approve or reject a held comment from a moderator's mail, with a signed link that expires."""
    try:
        data = moderation_links(current_app.config["SECRET_KEY"]).loads(
            token, max_age=current_app.config["MODERATION_LINK_MAX_AGE"])
    except SignatureExpired:
        return _page("Link expired", "This link has expired; use the moderation screens.", status=HTTPStatus.GONE)
    except BadSignature:
        return _page("Link not valid", "This moderation link is not valid.", status=HTTPStatus.NOT_FOUND)
    verb, comment_id = data.get("a"), data.get("c")
    if verb not in _VERBS or not isinstance(comment_id, str):
        return _page("Link not valid", "This moderation link is not valid.", status=HTTPStatus.NOT_FOUND)
    if request.method == "GET":
        return _page(f"{verb.capitalize()} comment {comment_id}", f"{verb.capitalize()} this held comment?",
                     action=request.path, button=verb.capitalize())
    runtime = get_runtime()
    try:
        with runtime.database.write() as session:
            _VERBS[verb](session, comment_id, MAIL_LINK_ACTOR)
    except moderation.ModerationError as exc:
        return _page("Not possible", str(exc), status=exc.status)
    runtime.after_moderation()
    return _page("Done", f"Comment {comment_id}: {verb}d.")


def init_app(app: Flask) -> Notifier:
    """Create the notifier, register the links' routes and start the sender thread."""
    notifier = Notifier(app, app.extensions["cluetrain_db"])
    app.extensions["cluetrain_notifier"] = notifier
    app.register_blueprint(bp)
    if app.config["SMTP_HOST"]:  # no SMTP server: notifications are off, nothing is queued
        notifier.start_cursor()
        if app.config["NOTIFY_POLL_SECONDS"] > 0:
            notifier.start(app.config["NOTIFY_POLL_SECONDS"])
    return notifier
