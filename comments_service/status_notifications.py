"""E-mails to feedback authors about their items: status changes and official answers (double opt-in).

The author opts in from their item's receipt (the receipt token proves they filed it), once
the item is published; a confirmation goes to the item's address, and only a confirmed,
not unsubscribed address hears about changes. Events come from the feedback audit log
after a cursor of their own, in the transaction that queues the mails, like reply mails.
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cluetrain.content_format import status_label
from comments_service import keys
from comments_service.feedback_models import FeedbackAuditAction, FeedbackAuditEntry, FeedbackItem
from comments_service.models import CommentStatus, utcnow
from comments_service.notification_models import (
    EventCursor, MailKind, MailStatus, OutboxMail, Subscription, SubscriptionKind,
)
from comments_service.notifications import active_subscription, excerpt

FEEDBACK_CURSOR = "feedback_audit"


class OptIn(enum.StrEnum):
    """What asking for updates from a receipt did."""

    CONFIRMATION_SENT = "confirmation_sent"
    ALREADY_ACTIVE = "already_active"
    TOO_SOON = "too_soon"  # a confirmation went out less than IDENTITY_REQUEST_INTERVAL ago
    NO_ADDRESS = "no_address"
    NOT_PUBLISHED = "not_published"


def _mail(session: Session, kind: MailKind, recipient: str, name: str, variables: dict[str, Any],
          unsubscribe_token: str | None = None) -> None:
    session.add(OutboxMail(kind=kind, recipient=recipient, recipient_name=name, variables=variables,
                           unsubscribe_token=unsubscribe_token, status=MailStatus.PENDING, attempts=0,
                           next_attempt_at=utcnow()))


def request_updates(session: Session, item: FeedbackItem, *, base_url: str, site_name: str,
                    interval_seconds: int) -> OptIn:
    """Start the double opt-in for ``item``'s author: record the request and queue the confirmation."""
    if not item.email:
        return OptIn.NO_ADDRESS
    if item.moderation is not CommentStatus.APPROVED:
        return OptIn.NOT_PUBLISHED  # the site never mails on behalf of text a moderator has not approved
    email = item.email.lower()
    found = session.scalar(select(Subscription).where(Subscription.email == email,
                                                      Subscription.kind == SubscriptionKind.FEEDBACK))
    if found is not None and found.confirmed_at and not found.unsubscribed_at:
        return OptIn.ALREADY_ACTIVE
    if found is not None and utcnow() - found.created_at < timedelta(seconds=interval_seconds):
        return OptIn.TOO_SOON
    if found is None:
        found = Subscription(email=email, kind=SubscriptionKind.FEEDBACK, token=keys.new_receipt_token())
        session.add(found)
    found.confirmed_at, found.unsubscribed_at, found.created_at = None, None, utcnow()
    _mail(session, MailKind.CONFIRM_FEEDBACK, email, item.author,
          {"name": item.author, "site_name": site_name, "title": item.title,
           "confirm_url": f"{base_url}/notifications/confirm/{found.token}"})
    return OptIn.CONFIRMATION_SENT


def start_feedback_cursor(session: Session) -> None:
    """Begin reading the feedback audit log where it ends now (called when notifications start)."""
    if session.get(EventCursor, FEEDBACK_CURSOR) is None:
        newest = session.scalar(select(func.max(FeedbackAuditEntry.id))) or 0
        session.add(EventCursor(name=FEEDBACK_CURSOR, last_id=newest))


def collect_feedback_events(session: Session, *, thread_url: Any, site_name: str) -> int:
    """Queue update mails for status changes and answers after the cursor; returns events read.

    ``thread_url(key)`` gives the public URL of a thread (None when the manifest lacks it).
    """
    cursor = session.get(EventCursor, FEEDBACK_CURSOR)
    if cursor is None:  # start_feedback_cursor() was not called: never mail old events
        start_feedback_cursor(session)
        return 0
    events = session.scalars(select(FeedbackAuditEntry).where(FeedbackAuditEntry.id > cursor.last_id)
                             .order_by(FeedbackAuditEntry.id)).all()
    # One mail per item per batch: a status change with an answer is one moderator action, two events.
    changed: dict[int, set[FeedbackAuditAction]] = {}
    for event in events:
        if event.action in (FeedbackAuditAction.STATUS, FeedbackAuditAction.ANSWER) and event.item_id is not None:
            changed.setdefault(event.item_id, set()).add(event.action)
    for item_id, actions in changed.items():
        item = session.get(FeedbackItem, item_id)
        if item is None or not item.email or item.moderation is not CommentStatus.APPROVED:
            continue
        subscription = active_subscription(session, item.email, SubscriptionKind.FEEDBACK)
        if subscription is None:
            continue
        answered = FeedbackAuditAction.ANSWER in actions and bool(item.answer_body)
        if not answered and FeedbackAuditAction.STATUS not in actions:
            continue  # only an answer taken down: not news for the author
        _mail(session, MailKind.FEEDBACK_UPDATE, item.email, item.author,
              {"name": item.author, "site_name": site_name, "title": item.title,
               "status": status_label(item.status), "status_changed": FeedbackAuditAction.STATUS in actions,
               "answer": excerpt(item.answer_body) if answered else None,
               "url": thread_url(f"feedback-{item.id}")},
              unsubscribe_token=subscription.token)
    if events:
        cursor.last_id = events[-1].id
    return len(events)
