"""The moderators' digest: instead of a mail per held comment, one mail every few hours listing them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comments_service.models import Comment, CommentStatus
from comments_service.notification_models import MailKind, MailStatus, OutboxMail

DIGEST_ITEMS = 50  # a digest lists at most this many; the queue link leads to the rest


def queue_digest(session: Session, moderators: list[str], *, every: timedelta,
                 describe: Callable[[Comment], dict[str, Any]], now: datetime) -> bool:
    """Queue one digest per moderator if ``every`` has passed and a comment was held since the last one."""
    last = session.scalar(select(func.max(OutboxMail.created_at)).where(OutboxMail.kind == MailKind.MODERATION_DIGEST))
    if last is not None and now - last < every:
        return False
    held = select(Comment).where(Comment.status == CommentStatus.PENDING)
    if last is not None and session.scalar(held.where(Comment.created_at > last).limit(1)) is None:
        return False  # nothing new since the last digest: no mail
    total = session.scalar(select(func.count()).select_from(held.subquery())) or 0
    if not total:
        return False
    items = [describe(c) for c in session.scalars(held.order_by(Comment.created_at.desc()).limit(DIGEST_ITEMS))]
    variables = {"count": total, "items": items, "more": total - len(items), "queue_url": items[0]["queue_url"],
                 "link_hours": items[0]["link_hours"]}
    for address in moderators:
        session.add(OutboxMail(kind=MailKind.MODERATION_DIGEST, recipient=address, recipient_name=None,
                               variables=variables, status=MailStatus.PENDING, attempts=0,
                               next_attempt_at=now, created_at=now))
    return True
