"""Exports monthly moderation counts (numbers only) to content/ for the community stats page."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from cluetrain.content_format.moderation_stats import ModerationMonth, write_moderation_stats
from comments_service.db import Database
from comments_service.models import AuditAction, AuditEntry, Comment, CommentStatus

log = logging.getLogger(__name__)
_COUNTED = {CommentStatus.APPROVED: "published", CommentStatus.REJECTED: "rejected", CommentStatus.SPAM: "spam"}


def moderation_months(database: Database) -> list[ModerationMonth]:
    """Per month of submission: comments published, held by a rule at submission, rejected and spam."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with database.read() as session:
        for created, status in session.execute(select(Comment.created_at, Comment.status)):
            if status in _COUNTED:
                counts[created.strftime("%Y-%m")][_COUNTED[status]] += 1
        submissions = session.execute(select(Comment.created_at, AuditEntry.details).join(
            AuditEntry, AuditEntry.comment_id == Comment.id).where(AuditEntry.action == AuditAction.SUBMIT))
        for created, details in submissions:
            if (details or {}).get("decision") == "hold":
                counts[created.strftime("%Y-%m")]["held"] += 1
    return [ModerationMonth(month, **dict(values)) for month, values in sorted(counts.items())]


def export_moderation_stats(database: Database, content_root: Path, relative: str) -> bool:
    """Write the counts atomically to ``content_root/relative``; False when they did not change."""
    return write_moderation_stats(content_root, moderation_months(database), relative)


class DebouncedExport:
    """Re-exports the counts after moderation, at most once per ``delay`` seconds of quiet (0: at once).

    A burst of actions (a bulk approve, a ban that marks many comments as spam) writes the file
    once. The file is not built into the site here: the next build shows it, so moderation
    never waits for, nor triggers, a full rebuild of the stats page.
    """

    def __init__(self, database: Database, content_root: Path, relative: str, delay: float) -> None:
        self.database, self.content_root, self.relative, self.delay = database, Path(content_root), relative, delay
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def export(self) -> bool:
        """Write the counts now; False when they did not change."""
        return export_moderation_stats(self.database, self.content_root, self.relative)

    def request(self) -> None:
        """Ask for an export after the next quiet ``delay``."""
        if self.delay <= 0:
            self.export()
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="cluetrain-moderation-export", daemon=True)
            self._thread.start()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            if self._stopping.is_set():
                break
            self._wake.clear()
            while self._wake.wait(self.delay) and not self._stopping.is_set():  # more actions: wait for quiet
                self._wake.clear()
            try:
                self.export()
            except (OSError, SQLAlchemyError):  # retried with the next action; never kills the loop
                log.exception("moderation stats export failed")

    def stop(self) -> None:
        """Stop the background thread (an export already requested is written first)."""
        pending = self._wake.is_set()
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            if pending:
                self.export()


def init_app(app: Flask) -> DebouncedExport | None:
    """Export after moderation actions when MODERATION_STATS_PATH is set (Runtime.after_moderation asks)."""
    relative = app.config["MODERATION_STATS_PATH"]
    if not relative:
        return None
    exporter = DebouncedExport(app.extensions["cluetrain_db"], app.config["CONTENT_PATH"], relative,
                               app.config["MODERATION_STATS_DELAY_SECONDS"])
    app.extensions["cluetrain_moderation_export"] = exporter
    return exporter
