"""Site regeneration: one background thread calls the injected Builder, coalescing bursts of changes.

The service never builds the site itself (it must not import Pelican): whoever starts it
injects a :class:`Builder`. Submissions never wait for a build; a failed build is logged,
recorded and retried, and the old site stays up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from cluetrain import content_format as cf
from comments_service.db import Database, file_lock
from comments_service.feedback_models import FeedbackItem
from comments_service.models import BuildOutcome, Comment, SiteBuild, utcnow

log = logging.getLogger(__name__)


class RebuildFailed(RuntimeError):
    """A build did not complete; the message says why. The worker retries later."""


class Builder(Protocol):
    """Regenerates the public site after the given content files changed."""

    def rebuild(self, changed: Sequence[Path]) -> None:
        """Bring output/ up to date; raise RebuildFailed when that is not possible."""


def last_good_build_start(session: object) -> datetime | None:
    """When the newest successful build started: files changed before then are on the site."""
    query = select(func.max(SiteBuild.started_at)).where(SiteBuild.outcome == BuildOutcome.OK)
    return session.scalar(query)  # type: ignore[attr-defined]


def site_is_stale(database: Database) -> bool:
    """Whether some comment file changed after the last successful build started."""
    with database.read() as session:
        changed = session.scalar(select(func.max(Comment.file_changed_at)))
        built = last_good_build_start(session)
    return changed is not None and (built is None or changed >= built)


class RegenerationWorker:
    """The single builder thread: gathers requests, builds once per burst, retries failures."""

    def __init__(self, builder: Builder, database: Database, *, lock_path: Path,
                 delay: float = 0.0, retry_after: float = 10.0) -> None:
        self.builder = builder
        self.database = database
        self.lock_path = lock_path
        self.delay = delay
        self.retry_after = retry_after
        self._pending: set[Path] = set()
        self._wanted = False
        self._stopping = False
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cluetrain-rebuild", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to finish its current build and exit."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def request(self, changed: Iterable[Path] = ()) -> None:
        """Ask for a rebuild; returns at once. Requests made during a build cause one more build."""
        with self._condition:
            self._pending.update(changed)
            self._wanted = True
            self._condition.notify_all()

    def _next_batch(self) -> list[Path] | None:
        with self._condition:
            while not self._wanted and not self._stopping:
                self._condition.wait()
            if self._stopping:
                return None
            # A burst that arrives while a build runs shares the next one anyway; the delay only gathers
            # more before the first (at the cost of that much later on the page).
            if self.delay > 0:
                self._condition.wait_for(lambda: self._stopping, timeout=self.delay)
            batch, self._pending, self._wanted = sorted(self._pending), set(), False
            return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            if not self._build(batch):
                with self._condition:
                    self._pending.update(batch)
                    self._wanted = True
                    self._condition.wait_for(lambda: self._stopping, timeout=self.retry_after)

    def _build(self, batch: list[Path]) -> bool:
        return build_and_record(self.builder, self.database, batch, lock_path=self.lock_path,
                                retry_after=self.retry_after)


def build_and_record(builder: Builder, database: Database, batch: Sequence[Path], *, lock_path: Path,
                     retry_after: float) -> bool:
    """Run one build and record it as a SiteBuild row (receipts read those); True if it succeeded."""
    started = utcnow()
    error: str | None = None
    try:
        with file_lock(lock_path):  # one builder per machine, even with several processes
            builder.rebuild(batch)
    except RebuildFailed as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 - the builder thread must outlive any builder bug
        log.exception("the site builder crashed")
        error = f"{type(exc).__name__}: {exc}"
    outcome = BuildOutcome.FAILED if error else BuildOutcome.OK
    if error:
        log.error("site rebuild failed (the previous site stays up; retrying in %s s): %s", retry_after, error)
    try:
        with database.write() as session:
            session.add(SiteBuild(started_at=started, finished_at=utcnow(), outcome=outcome, error=error))
    except SQLAlchemyError:
        # Receipts will say "publishing" until a later build is recorded; build again soon.
        log.exception("could not record the build")
        return False
    return error is None


def changes_since_last_build(database: Database, content_root: Path) -> list[Path] | None:
    """What changed after the last good build started: None if nothing, [] if more than comments (rescan all)."""
    with database.read() as session:
        built = last_good_build_start(session)

        def since(column: Any) -> Any:
            return column >= built if built is not None else column.is_not(None)

        comments = session.execute(select(Comment.thread, Comment.id).where(since(Comment.file_changed_at))).all()
        feedback = session.scalar(select(func.count()).select_from(FeedbackItem)
                                  .where(since(FeedbackItem.file_changed_at)))
    if feedback:
        return []  # the builder finds changed feedback files itself (their names hold the title's slug)
    if not comments:
        return None
    return sorted({cf.comment_path(content_root, thread, comment_id) for thread, comment_id in comments})
