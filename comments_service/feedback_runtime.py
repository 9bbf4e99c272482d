"""The feedback hub's part of a service process: its settings, checked once, and its publisher."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from cluetrain import content_format as cf
from comments_service.config import ConfigError
from comments_service.feedback_publisher import FeedbackPublisher
from comments_service.runtime import Runtime

EXTENSION = "cluetrain_feedback"


@dataclass(frozen=True, slots=True)
class FeedbackSettings:
    """The FEEDBACK_* settings, checked against each other."""

    statuses: tuple[str, ...]
    closed_statuses: frozenset[str]
    duplicate_status: str
    answer_author: str
    votes_per_ip: int
    vote_window_seconds: int
    votes_per_ip_per_item: int

    @property
    def initial_status(self) -> str:
        """The status a new item gets."""
        return self.statuses[0]

    @classmethod
    def from_config(cls, config: dict) -> FeedbackSettings:
        """Check the settings; a bad one is a ConfigError naming it."""
        statuses = tuple(config["FEEDBACK_STATUSES"])
        for key in statuses:
            try:
                cf.validate_status(key)
            except cf.ContentFormatError as exc:
                raise ConfigError(f"FEEDBACK_STATUSES: {exc}") from None
        if not statuses or len(set(statuses)) != len(statuses):
            raise ConfigError("FEEDBACK_STATUSES must name at least one status, each once")
        closed = frozenset(config["FEEDBACK_CLOSED_STATUSES"])
        if not closed <= set(statuses):
            raise ConfigError(f"FEEDBACK_CLOSED_STATUSES: {', '.join(sorted(closed - set(statuses)))} "
                              "not in FEEDBACK_STATUSES")
        duplicate = config["FEEDBACK_DUPLICATE_STATUS"]
        if duplicate not in statuses or duplicate == statuses[0]:
            raise ConfigError(f"FEEDBACK_DUPLICATE_STATUS: {duplicate!r} must be one of FEEDBACK_STATUSES "
                              "other than the first")
        return cls(
            statuses=statuses, closed_statuses=closed, duplicate_status=duplicate,
            answer_author=config["FEEDBACK_ANSWER_AUTHOR"] or f"The {config['SITE_NAME']} team",
            votes_per_ip=config["FEEDBACK_VOTES_PER_IP"], vote_window_seconds=config["FEEDBACK_VOTE_WINDOW_SECONDS"],
            votes_per_ip_per_item=config["FEEDBACK_VOTES_PER_IP_PER_ITEM"],
        )


@dataclass
class FeedbackRuntime:
    """The settings and the publisher, shared by every request of this process."""

    settings: FeedbackSettings
    publisher: FeedbackPublisher

    def after_change(self) -> None:
        """Publish what a moderation action changed, now or in the background loop."""
        if current_app.config["PUBLISH_ON_COMMIT"]:
            self.publisher.reconcile()
        else:
            self.publisher.notify()

    def stop(self) -> None:
        """Stop the background publisher (tests, shutdown)."""
        self.publisher.stop()


def init_app(app: Flask, runtime: Runtime) -> FeedbackRuntime:
    """Check the settings, take in existing item files, publish what is due, start the loop."""
    settings = FeedbackSettings.from_config(app.config)
    publisher = FeedbackPublisher(
        runtime.database, app.config["CONTENT_PATH"], lock_path=Path(app.instance_path) / "publish.lock",
        flush_seconds=app.config["FEEDBACK_VOTE_FLUSH_SECONDS"],
        on_change=runtime.on_files_changed,
    )
    feedback = FeedbackRuntime(settings=settings, publisher=publisher)
    app.extensions[EXTENSION] = feedback
    publisher.start_up()
    if app.config["PUBLISH_POLL_SECONDS"] > 0:
        publisher.start(app.config["PUBLISH_POLL_SECONDS"])
    return feedback


def get_feedback() -> FeedbackRuntime:
    """The current app's feedback runtime."""
    return current_app.extensions[EXTENSION]
