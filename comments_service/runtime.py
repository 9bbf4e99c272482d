"""The long-lived parts one service process shares: database, manifest, rules, publisher, rebuild worker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from comments_service.builder_doorbell import ring
from comments_service.db import Database
from comments_service.manifest import ThreadManifest
from comments_service.publisher import Publisher
from comments_service.regeneration import Builder, RegenerationWorker, site_is_stale
from comments_service.rules import RuleSet, load_rules

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a request handler needs besides the request."""

    database: Database
    manifest: ThreadManifest
    rules: RuleSet
    publisher: Publisher
    rebuilder: RegenerationWorker | None
    # Hears which content files were published: this process's rebuild worker, or else `cluetrain builder`.
    on_files_changed: Callable[[list[Path]], None]

    def after_moderation(self) -> None:
        """Publish what a moderation action changed, now or in the background loop."""
        if current_app.config["PUBLISH_ON_COMMIT"]:
            self.publisher.reconcile()
        else:
            self.publisher.notify()
        exporter = current_app.extensions.get("cluetrain_moderation_export")  # community: held/published counts
        if exporter is not None:
            exporter.request()

    def request_rebuild_if_stale(self) -> None:
        """Ask for a build when files changed after the last good one (e.g. in another process)."""
        if self.rebuilder is not None and site_is_stale(self.database):
            self.rebuilder.request()

    def stop(self) -> None:
        """Stop the background threads (tests, shutdown)."""
        self.publisher.stop()
        if self.rebuilder is not None:
            self.rebuilder.stop()


def init_app(app: Flask, database: Database, builder: Builder | None) -> Runtime:
    """Create the runtime, publish what is due, and start the background threads."""
    instance = Path(app.instance_path)
    rebuilder = None
    if builder is not None:
        rebuilder = RegenerationWorker(
            builder, database, lock_path=instance / "build.lock",
            delay=app.config["REBUILD_DELAY_SECONDS"], retry_after=app.config["REBUILD_RETRY_SECONDS"],
        )
    # Without a builder of our own, ring the doorbell of a `cluetrain builder` on this host (it polls anyway).
    on_files_changed = rebuilder.request if rebuilder else (lambda _changed: ring(instance))
    publisher = Publisher(
        database, app.config["CONTENT_PATH"], lock_path=instance / "publish.lock", on_change=on_files_changed,
    )
    runtime = Runtime(
        database=database,
        manifest=ThreadManifest(app.config["MANIFEST_PATH"]),
        rules=load_rules(app.config["RULES_FILE"]),
        publisher=publisher,
        rebuilder=rebuilder,
        on_files_changed=on_files_changed,
    )
    app.extensions["cluetrain"] = runtime
    publisher.start_up()
    if rebuilder is not None:
        rebuilder.start()
        runtime.request_rebuild_if_stale()
    if app.config["PUBLISH_POLL_SECONDS"] > 0:
        publisher.start(app.config["PUBLISH_POLL_SECONDS"], also=runtime.request_rebuild_if_stale)
    return runtime


def get_runtime() -> Runtime:
    """The current app's runtime."""
    return current_app.extensions["cluetrain"]
