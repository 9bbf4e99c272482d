"""The outbox: makes content/comments/ match the database, writing each approved comment once.

A comment's row says which ``revision`` its file should carry (when it is approved) and which
one the file carries now (``written_revision``). Reconciling writes or removes files until
the two agree. Writes go through cluetrain.content_format (atomic, and a no-op when the file
already holds the same text), so a reconcile interrupted at any point can simply run again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import and_, or_, select, update

from cluetrain import content_format as cf
from comments_service.background import PollingLoop
from comments_service.db import Database, file_lock
from comments_service.models import AuditAction, AuditEntry, Comment, CommentStatus, utcnow

log = logging.getLogger(__name__)
PUBLISHER_ACTOR = "publisher"


def to_content(comment: Comment) -> cf.Comment:
    """The public part of a comment, as content_format writes it: no e-mail, no IP."""
    return cf.Comment(
        id=comment.id,
        thread=comment.thread,
        parent=comment.parent_id,
        author=comment.author,
        date=comment.created_at,
        website=comment.website,
        avatar=comment.avatar,
        source=comment.source,
        body=comment.body,
        contributor=comment.contributor,  # community: set only for a proven address
        helpful=comment.helpful,
        rewarded=comment.rewarded,
    )


def _out_of_date():
    should_exist = and_(
        Comment.status == CommentStatus.APPROVED,
        or_(Comment.written_revision.is_(None), Comment.written_revision != Comment.revision),
    )
    should_not = and_(Comment.status != CommentStatus.APPROVED, Comment.written_revision.is_not(None))
    return select(Comment).where(or_(should_exist, should_not)).order_by(Comment.created_at)


class Publisher:
    """Writes and removes comment files; ``on_change`` hears which files changed."""

    def __init__(self, database: Database, content_root: Path, *, lock_path: Path,
                 on_change: Callable[[list[Path]], None] | None = None) -> None:
        self.database = database
        self.content_root = Path(content_root)
        self.lock_path = lock_path
        self.on_change = on_change
        self._lock = threading.Lock()
        self._loop = PollingLoop("cluetrain-publisher")

    def start_up(self) -> list[Path]:
        """Remove temp files an interrupted write left, then publish whatever is due."""
        for stale in cf.remove_stale_temp_files(self.content_root):
            log.warning("removed a temp file left by an interrupted write: %s", stale)
        return self.reconcile()

    def reconcile(self) -> list[Path]:
        """Write every approved comment whose file is missing or old; remove unapproved ones."""
        # One pass at a time, across threads and processes: a pass that read older data must not
        # overwrite the file a newer pass wrote.
        with self._lock, file_lock(self.lock_path):
            with self.database.read() as session:
                due = list(session.scalars(_out_of_date()))
            changed = [path for comment in due if (path := self._apply(comment)) is not None]
        if changed and self.on_change:
            self.on_change(changed)
        return changed

    def _apply(self, comment: Comment) -> Path | None:
        publish = comment.status is CommentStatus.APPROVED
        path = cf.comment_path(self.content_root, comment.thread, comment.id)
        if publish:
            cf.write_comment(self.content_root, to_content(comment))
        else:
            cf.remove_comment(self.content_root, comment.thread, comment.id)
        with self.database.write() as session:
            # Only if nobody changed the comment meanwhile; otherwise the next pass handles it.
            done = session.execute(
                update(Comment)
                .where(Comment.id == comment.id, Comment.revision == comment.revision, Comment.status == comment.status)
                .values(written_revision=comment.revision if publish else None, file_changed_at=utcnow())
            )
            if done.rowcount:
                session.add(AuditEntry(actor=PUBLISHER_ACTOR, comment_id=comment.id,
                                       action=AuditAction.PUBLISH if publish else AuditAction.UNPUBLISH,
                                       details={"revision": comment.revision, "path": str(path)}))
        log.info("%s %s", "wrote" if publish else "removed", path)
        return path

    def notify(self) -> None:
        """Wake the background loop now."""
        self._loop.wake()

    def start(self, poll_seconds: float, also: Callable[[], None] | None = None) -> None:
        """Reconcile in a background thread every ``poll_seconds`` and when notified."""
        def work() -> None:
            self.reconcile()
            if also:
                also()

        self._loop.start(work, poll_seconds)

    def stop(self) -> None:
        """Stop the background loop."""
        self._loop.stop()
