"""The feedback outbox: makes content/feedback/ match the database, vote counts in batches.

As for comments, a row says which ``revision`` its file should carry and which one it
carries (``written_revision``). Vote counts do not bump the revision: they mark the item
``votes_dirty_since``, and once the oldest unwritten vote is FEEDBACK_VOTE_FLUSH_SECONDS
old, every dirty item is written in one pass, so a burst of votes costs one rebuild.
A merged duplicate's comment files move to its original's thread when its file is written.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, case, func, or_, select, text, update
from sqlalchemy.orm import Session

from cluetrain import content_format as cf
from comments_service.background import PollingLoop
from comments_service.db import Database, file_lock
from comments_service.feedback_adoption import adopt_files
from comments_service.feedback_models import FeedbackAuditAction, FeedbackAuditEntry, FeedbackItem, FeedbackStatusChange
from comments_service.models import CommentStatus, utcnow
from comments_service.regeneration import last_good_build_start

log = logging.getLogger(__name__)
PUBLISHER_ACTOR = "publisher"


def history_of(session: Session, item_id: int) -> list[FeedbackStatusChange]:
    """An item's status changes, oldest first."""
    query = select(FeedbackStatusChange).where(FeedbackStatusChange.item_id == item_id)
    return list(session.scalars(query.order_by(FeedbackStatusChange.at, FeedbackStatusChange.id)))


def to_content(item: FeedbackItem, history: list[FeedbackStatusChange]) -> cf.FeedbackItem:
    """The public part of an item, as content_format writes it: no e-mail, no IP."""
    answer = None
    if item.answer_body and item.answer_by and item.answer_at:
        answer = cf.Answer(body=item.answer_body, author=item.answer_by, date=item.answer_at)
    return cf.FeedbackItem(
        id=item.id, slug=item.slug, kind=item.kind, status=item.status, title=item.title, author=item.author,
        date=item.created_at, body=item.body, votes=item.votes, tags=tuple(item.tags),
        history=tuple(cf.StatusChange(change.status, change.at, change.by) for change in history),
        merged_into=item.merged_into_id, answer=answer,
        contributor=item.contributor,  # community: set only for a proven address
    )


def _due(flush_before: datetime):
    """Items whose file is missing, old or should be gone; all dirty vote counts once one is due."""
    should_exist = and_(
        FeedbackItem.moderation == CommentStatus.APPROVED,
        or_(FeedbackItem.written_revision.is_(None), FeedbackItem.written_revision != FeedbackItem.revision),
    )
    should_not = and_(FeedbackItem.moderation != CommentStatus.APPROVED, FeedbackItem.written_revision.is_not(None))
    oldest_vote = select(func.min(FeedbackItem.votes_dirty_since)).where(
        FeedbackItem.moderation == CommentStatus.APPROVED).scalar_subquery()
    votes_due = and_(FeedbackItem.moderation == CommentStatus.APPROVED, FeedbackItem.votes_dirty_since.is_not(None),
                     oldest_vote <= flush_before)
    return select(FeedbackItem).where(or_(should_exist, should_not, votes_due)).order_by(FeedbackItem.id)


class FeedbackPublisher:
    """Writes and removes feedback files; ``on_change`` hears which files changed."""

    def __init__(self, database: Database, content_root: Path, *, lock_path: Path, flush_seconds: float,
                 on_change: Callable[[list[Path]], None] | None = None) -> None:
        self.database = database
        self.content_root = Path(content_root)
        self.lock_path = lock_path
        self.flush_seconds = flush_seconds
        self.on_change = on_change
        self._lock = threading.Lock()
        self._loop = PollingLoop("cluetrain-feedback-publisher")

    def start_up(self) -> list[Path]:
        """Take in item files the database does not know (sample content, a restore), then publish."""
        try:
            adopted = self._adopt()
        except cf.ContentFormatError as exc:
            # The build reports the same file; the service still serves everything else.
            log.error("cannot take in the feedback files: %s", exc)
            adopted = 0
        if adopted:
            log.info("took in %d feedback files written before this database existed", adopted)
        changed = self.reconcile()
        if not changed and self.site_is_stale() and self.on_change:
            self.on_change([])
        return changed

    def _adopt(self) -> int:
        with self._lock, file_lock(self.lock_path), self.database.write() as session:
            adopted = adopt_files(session, self.content_root)
            if adopted and not self.database.is_sqlite:
                # Explicit ids do not move PostgreSQL's sequence; the next new item must not reuse one.
                session.execute(text("SELECT setval(pg_get_serial_sequence('feedback_items', 'id'), "
                                     "(SELECT max(id) FROM feedback_items))"))
        return adopted

    def site_is_stale(self) -> bool:
        """Whether an item file changed after the last successful build started."""
        with self.database.read() as session:
            changed = session.scalar(select(func.max(FeedbackItem.file_changed_at)))
            built = last_good_build_start(session)
        return changed is not None and (built is None or changed >= built)

    def reconcile(self, *, flush_votes: bool = False) -> list[Path]:
        """Write what is due (all waiting vote counts with ``flush_votes``); remove what is not approved."""
        flush_before = utcnow() + timedelta(days=1) if flush_votes else utcnow() - timedelta(seconds=self.flush_seconds)
        with self._lock, file_lock(self.lock_path):
            with self.database.read() as session:
                due = list(session.scalars(_due(flush_before)))
                histories = {item.id: history_of(session, item.id) for item in due}
            changed = [path for item in due for path in self._apply(item, histories[item.id])]
        if changed and self.on_change:
            self.on_change(changed)
        return changed

    def _apply(self, item: FeedbackItem, history: list[FeedbackStatusChange]) -> list[Path]:
        """Write or remove one item's file (moving a duplicate's comments first); the files changed."""
        publish = item.moderation is CommentStatus.APPROVED
        changed: list[Path] = []
        if publish:
            if item.merged_into_id is not None:
                target = cf.feedback_thread_key(item.merged_into_id)
                for comment in cf.move_thread_comments(self.content_root, item.thread_key, target):
                    changed += [cf.comment_path(self.content_root, item.thread_key, comment.id),
                                cf.comment_path(self.content_root, target, comment.id)]
            path = cf.write_feedback(self.content_root, to_content(item, history))
        else:
            path = cf.remove_feedback(self.content_root, item.id)
        with self.database.write() as session:
            # Only if nobody changed the item meanwhile; otherwise the next pass handles it.
            done = session.execute(
                update(FeedbackItem)
                .where(FeedbackItem.id == item.id, FeedbackItem.revision == item.revision,
                       FeedbackItem.moderation == item.moderation)
                .values(written_revision=item.revision if publish else None,
                        votes_written=item.votes if publish else None,
                        votes_dirty_since=case((FeedbackItem.votes == item.votes, None),
                                               else_=FeedbackItem.votes_dirty_since),
                        file_changed_at=utcnow())
            )
            if done.rowcount:
                session.add(FeedbackAuditEntry(
                    actor=PUBLISHER_ACTOR, item_id=item.id,
                    action=FeedbackAuditAction.PUBLISH if publish else FeedbackAuditAction.UNPUBLISH,
                    details={"revision": item.revision, "votes": item.votes, "path": str(path) if path else None}))
        log.info("%s feedback item %s", "wrote" if publish else "removed", item.id)
        return [*changed, path] if path is not None else changed

    def notify(self) -> None:
        """Wake the background loop now."""
        self._loop.wake()

    def start(self, poll_seconds: float) -> None:
        """Reconcile in a background thread every ``poll_seconds`` and when notified."""
        self._loop.start(self.reconcile, poll_seconds)

    def stop(self) -> None:
        """Stop the background loop."""
        self._loop.stop()
