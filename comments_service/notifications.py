"""Notifications by e-mail: audit-log events become queued mails; a background thread sends them with backoff.

Events are read from the audit log after a cursor, in the same transaction that queues the
mails and moves the cursor, so every event is mailed once even across crashes, and nothing
is queued before a comment is approved (replies, confirmations) or held (moderators). A
request never waits for SMTP.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comments_service import keys
from comments_service.background import PollingLoop
from comments_service.db import Database
from comments_service.digest import queue_digest
from comments_service.mailer import MailDeliveryError, SmtpSettings, compose, mail_environment, one_line, send
from comments_service.manifest import ManifestUnavailable
from comments_service.models import AuditAction, AuditEntry, Comment, utcnow
from comments_service.notification_models import (
    EventCursor,
    MailKind,
    MailStatus,
    OutboxMail,
    Subscription,
    SubscriptionKind,
)

log = logging.getLogger(__name__)
AUDIT_CURSOR = "audit"
MODERATION_LINK_SALT = "cluetrain-mail-moderation"
EXCERPT_LENGTH = 300
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
# The opt-in checkbox as a form sends it ("on") or as JSON ("notify": true).
NOTIFY_YES = frozenset({"on", "1", "true", "yes", True})


def wants_notifications(value: object) -> bool:
    """Whether the form's or JSON's ``notify`` value means yes."""
    return isinstance(value, (str, bool)) and value in NOTIFY_YES


def moderation_links(secret: str) -> URLSafeTimedSerializer:
    """Signs and checks the approve/reject links in moderators' mails."""
    return URLSafeTimedSerializer(secret, salt=MODERATION_LINK_SALT)


def excerpt(text: str) -> str:
    """The start of a comment, for a mail body."""
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH].rsplit(" ", 1)[0] + " …"


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try after ``attempts`` failures."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS))


def _queue(session: Session, kind: MailKind, recipient: str, name: str | None, variables: dict[str, Any],
           unsubscribe_token: str | None = None) -> None:
    session.add(OutboxMail(kind=kind, recipient=recipient, recipient_name=name, variables=variables,
                           unsubscribe_token=unsubscribe_token, status=MailStatus.PENDING, attempts=0,
                           next_attempt_at=utcnow()))


def active_subscription(session: Session, email: str, kind: SubscriptionKind) -> Subscription | None:
    """The confirmed, not unsubscribed subscription of ``email``, if any."""
    found = session.scalar(select(Subscription).where(Subscription.email == email.lower(), Subscription.kind == kind))
    return found if found and found.confirmed_at and not found.unsubscribed_at else None


def request_replies(session: Session, comment: Comment) -> None:
    """Remember that ``comment``'s author ticked "notify me"; confirmation is mailed once it is approved."""
    if not comment.email:
        return
    email = comment.email.lower()
    existing = session.scalar(select(Subscription).where(Subscription.email == email,
                                                         Subscription.kind == SubscriptionKind.REPLIES))
    if existing is None:
        session.add(Subscription(email=email, kind=SubscriptionKind.REPLIES, token=keys.new_receipt_token(),
                                 requested_by_comment=comment.id))
    elif existing.unsubscribed_at is not None or existing.confirmed_at is None:
        # Asking again after unsubscribing starts a new double opt-in.
        existing.unsubscribed_at, existing.confirmed_at = None, None
        existing.requested_by_comment = comment.id


class Notifier:
    """Turns audit events into queued mails and sends them; one background thread per process."""

    def __init__(self, app: Flask, database: Database) -> None:
        config = app.config
        self.app, self.database = app, database
        self.smtp = SmtpSettings(host=config["SMTP_HOST"], port=config["SMTP_PORT"],
                                 username=config["SMTP_USERNAME"], password=config["SMTP_PASSWORD"],
                                 starttls=config["SMTP_STARTTLS"], sender=config["MAIL_FROM"],
                                 sender_name=config["SITE_NAME"])
        self.moderators: list[str] = list(config["MODERATOR_EMAILS"])
        self.max_attempts: int = config["NOTIFY_MAX_ATTEMPTS"]
        self.link_seconds: int = config["MODERATION_LINK_MAX_AGE"]
        self.digest_hours: int = config["MODERATOR_DIGEST_HOURS"]
        self.environment = mail_environment()
        self._lock = threading.Lock()
        self._loop = PollingLoop("cluetrain-notifier")

    def base_url(self) -> str:
        """Where the service's public pages are (the site's origin: the proxy passes /notifications/)."""
        from comments_service.origins import site_origin

        return site_origin() or ""

    # --- events → outbox ---------------------------------------------------------------------

    def start_cursor(self) -> None:
        """Begin reading the audit log where it ends now: turning notifications on never mails old events."""
        with self.database.write() as session:
            if session.get(EventCursor, AUDIT_CURSOR) is None:
                newest = session.scalar(select(func.max(AuditEntry.id))) or 0
                session.add(EventCursor(name=AUDIT_CURSOR, last_id=newest))
            from comments_service.status_notifications import start_feedback_cursor  # imports this module

            start_feedback_cursor(session)

    def collect(self) -> int:
        """Queue the mails for audit events after the cursor; returns how many events were read."""
        with self._lock, self.database.write() as session:
            cursor = session.get(EventCursor, AUDIT_CURSOR)
            if cursor is None:  # start_cursor() was not called: read from the beginning
                cursor = EventCursor(name=AUDIT_CURSOR, last_id=0)
                session.add(cursor)
            events = session.scalars(select(AuditEntry).where(AuditEntry.id > cursor.last_id)
                                     .where(AuditEntry.action.in_((AuditAction.SUBMIT, AuditAction.PUBLISH)))
                                     .order_by(AuditEntry.id)).all()
            for event in events:
                comment = session.get(Comment, event.comment_id) if event.comment_id else None
                if comment is None:
                    continue
                if event.action is AuditAction.SUBMIT and (event.details or {}).get("decision") == "hold":
                    self._moderation_needed(session, comment, event)
                elif event.action is AuditAction.PUBLISH and self._first_publish(session, event):
                    self._published(session, comment)
            if events:
                cursor.last_id = events[-1].id
        return len(events)

    @staticmethod
    def _first_publish(session: Session, event: AuditEntry) -> bool:
        earlier = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.comment_id == event.comment_id, AuditEntry.action == AuditAction.PUBLISH,
            AuditEntry.id < event.id))
        return not earlier

    def moderation_item(self, comment: Comment) -> dict[str, Any]:
        """What a moderator is told about one held comment, with signed approve/reject links."""
        signer = moderation_links(self.app.config["SECRET_KEY"])
        base = self.base_url()
        links = {f"{verb}_url": f"{base}/notifications/moderate/{signer.dumps({'c': comment.id, 'a': verb})}"
                 for verb in ("approve", "reject")}
        return {"author": one_line(comment.author), "thread": comment.thread, "rule": comment.rule,
                "excerpt": excerpt(comment.body), "queue_url": f"{base}/moderate/",
                "link_hours": self.link_seconds // 3600, **links}

    def _moderation_needed(self, session: Session, comment: Comment, event: AuditEntry) -> None:
        if self.digest_hours:  # the next digest lists it instead
            return
        variables = self.moderation_item(comment)
        for address in self.moderators:
            _queue(session, MailKind.MODERATION_NEEDED, address, None, variables)

    def queue_digest(self, now: datetime | None = None) -> bool:
        """With MODERATOR_DIGEST_HOURS set: one mail per moderator when it is due and something new is held."""
        if not self.digest_hours or not self.moderators:
            return False
        with self._lock, self.database.write() as session:
            return queue_digest(session, self.moderators, every=timedelta(hours=self.digest_hours),
                                describe=self.moderation_item, now=now or utcnow())

    def _published(self, session: Session, comment: Comment) -> None:
        base, site_name = self.base_url(), self.app.config["SITE_NAME"]
        pending = session.scalar(select(Subscription).where(Subscription.requested_by_comment == comment.id,
                                                            Subscription.confirmed_at.is_(None)))
        if pending is not None and comment.email:
            _queue(session, MailKind.CONFIRM_REPLIES, comment.email, comment.author,
                   {"name": comment.author, "site_name": site_name,
                    "confirm_url": f"{base}/notifications/confirm/{pending.token}"})
        parent = session.get(Comment, comment.parent_id) if comment.parent_id else None
        if parent is None or not parent.email or (comment.email or "").lower() == parent.email.lower():
            return
        subscription = active_subscription(session, parent.email, SubscriptionKind.REPLIES)
        if subscription is not None:
            thread = self.app.extensions["cluetrain"].manifest.get(comment.thread)
            url = f"{thread.url}#comment-{comment.id}" if thread else f"{base}/"
            _queue(session, MailKind.REPLY, parent.email, parent.author,
                   {"name": parent.author, "replier": comment.author,
                    "title": thread.title if thread else comment.thread,
                    "excerpt": excerpt(comment.body), "url": url, "site_name": site_name},
                   unsubscribe_token=subscription.token)

    def collect_feedback(self) -> int:
        """Queue mails to feedback authors about status changes and answers (status_notifications)."""
        from comments_service.status_notifications import collect_feedback_events  # imports this module

        manifest = self.app.extensions["cluetrain"].manifest

        def thread_url(key: str) -> str | None:
            try:
                thread = manifest.get(key)
            except ManifestUnavailable:  # the mail still says what changed; the link is left out
                return None
            return thread.url if thread else None

        with self._lock, self.database.write() as session:
            return collect_feedback_events(session, thread_url=thread_url, site_name=self.app.config["SITE_NAME"])

    # --- outbox → SMTP -------------------------------------------------------------------------

    def send_due(self, now: datetime | None = None) -> int:
        """Send every queued mail that is due; failures are retried later with backoff. Returns mails sent."""
        now = now or utcnow()
        with self.database.read() as session:
            due = session.scalars(select(OutboxMail).where(OutboxMail.status == MailStatus.PENDING,
                                                           OutboxMail.next_attempt_at <= now)
                                  .order_by(OutboxMail.id)).all()
        sent = 0
        for mail in due:
            unsubscribe = (f"{self.base_url()}/notifications/unsubscribe/{mail.unsubscribe_token}"
                           if mail.unsubscribe_token else None)
            try:
                send(self.smtp, compose(self.environment, self.smtp, template=mail.kind.value,
                                        recipient=mail.recipient, recipient_name=mail.recipient_name,
                                        variables=mail.variables, unsubscribe_url=unsubscribe))
            except (MailDeliveryError, ValueError) as exc:  # ValueError: an address the email package refuses
                self._failed(mail.id, str(exc), now)
                continue
            with self.database.write() as session:
                row = session.get(OutboxMail, mail.id)
                row.status, row.sent_at, row.attempts = MailStatus.SENT, utcnow(), row.attempts + 1
            sent += 1
        return sent

    def _failed(self, mail_id: int, error: str, now: datetime) -> None:
        with self.database.write() as session:
            row = session.get(OutboxMail, mail_id)
            row.attempts += 1
            row.last_error = error[:2000]
            if row.attempts >= self.max_attempts:
                row.status = MailStatus.FAILED
            row.next_attempt_at = now + backoff(row.attempts)
        log.warning("mail %s not sent (attempt %s): %s", mail_id, row.attempts, error)

    def run_once(self) -> None:
        """Collect events and send what is due (the loop's body; tests call it directly)."""
        with self.app.app_context():
            self.collect()
            self.collect_feedback()
            self.queue_digest()
            self.send_due()

    def notify(self) -> None:
        """Wake the background loop now."""
        self._loop.wake()

    def start(self, poll_seconds: float) -> None:
        """Collect and send in a background thread every ``poll_seconds`` and when notified."""
        self._loop.start(self.run_once, poll_seconds)

    def stop(self) -> None:
        """Stop the background loop."""
        self._loop.stop()
