"""Feedback items as the theme sees them: rendered, linked to their statuses, tags and merges.

Descriptions and answers are rendered through a :class:`~cluetrain.markup.MarkdownCache` kept
in CACHE_PATH (loaded by the hub's generator before it reads the items, saved once all were read),
as comment bodies are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from markupsafe import Markup

from cluetrain.content_format import (
    ContentFormatError,
    FeedbackItem,
    FeedbackKind,
    feedback_path,
    tag_slug,
)
from cluetrain.markup import MarkdownCache

from . import cards  # noqa: F401  (offers templates the feedback_card filter)
from .statuses import FeedbackStatus, StatusScheme

HUB_URL = "feedback/"
ANSWER_ANCHOR = "answer"
HISTORY_ANCHOR = "status-history"


class RenderedFeedback(MarkdownCache):
    """Description or answer hash → (sanitized HTML, plain text) of feedback items."""

    FILE_NAME = "cluetrain_feedback_html.pickle"


def load_rendering_cache(settings: dict[str, Any]) -> RenderedFeedback:
    """The site's rendering cache from CACHE_PATH (with LOAD_CONTENT_CACHE), or an empty one."""
    cache_path = settings.get("CACHE_PATH")
    return RenderedFeedback.load(Path(cache_path) if cache_path and settings.get("LOAD_CONTENT_CACHE") else None)


def save_rendering_cache(rendered: RenderedFeedback, settings: dict[str, Any]) -> None:
    """After every item was rendered: keep exactly those renderings (with CACHE_CONTENT)."""
    cache_path = settings.get("CACHE_PATH")
    if cache_path and settings.get("CACHE_CONTENT"):
        Path(cache_path).mkdir(parents=True, exist_ok=True)
        rendered.save(Path(cache_path))


@dataclass(frozen=True, slots=True)
class FeedbackTag:
    """A tag: the name as first written, and the slug of its listing."""

    name: str
    slug: str

    @property
    def url(self) -> str:
        """The tag's listing, relative to SITEURL."""
        return f"feedback/tags/{self.slug}/"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One status change as shown: the status, when, and the moderator's public name."""

    status: FeedbackStatus
    date: datetime
    by: str | None
    previous: FeedbackStatus | None


@dataclass(frozen=True, slots=True)
class OfficialAnswer:
    """The company's answer, rendered."""

    html: Markup
    text: str
    author: str
    date: datetime
    anchor: str = ANSWER_ANCHOR


@dataclass(eq=False)
class FeedbackEntry:
    """One feedback item for templates, feeds, the sitemap and the comments plugin."""

    item: FeedbackItem
    status: FeedbackStatus
    tags: list[FeedbackTag]
    history: list[HistoryEntry]
    html: Markup
    text: str
    answer: OfficialAnswer | None
    content_root: Path
    feed_url: str | None
    merged_into: FeedbackEntry | None = None
    duplicates: list[FeedbackEntry] = field(default_factory=list)
    # Set by the comments plugin (cluetrain_comments) once threads are attached.
    thread: Any = None

    @property
    def id(self) -> int:
        return self.item.id

    @cached_property
    def source_path(self) -> str:
        """The item's file, for error messages: found only when asked (~40 µs of path look-ups each)."""
        return str(feedback_path(self.content_root, self.item.id, self.item.slug))

    @property
    def slug(self) -> str:
        """The thread key: the comments plugin keys threads by ``slug`` (``feedback-<id>``)."""
        return self.item.thread_key

    @property
    def title(self) -> str:
        return self.item.title

    @property
    def kind(self) -> FeedbackKind:
        return self.item.kind

    @property
    def author(self) -> str:
        return self.item.author

    @property
    def date(self) -> datetime:
        return self.item.date

    @property
    def votes(self) -> int:
        return self.item.votes

    @property
    def url(self) -> str:
        """The item's page, relative to SITEURL."""
        return f"{HUB_URL}{self.item.id}-{self.item.slug}/"

    @property
    def save_as(self) -> str:
        return f"{self.url}index.html"

    @property
    def metadata(self) -> dict[str, str]:
        """What the comments plugin reads: a merged item's discussion is closed (it moved)."""
        return {"comments": "closed"} if self.merged_into is not None else {}

    @property
    def voting_open(self) -> bool:
        """Whether the item takes votes: not merged, not in a closed status."""
        return self.merged_into is None and not self.status.closed

    @property
    def status_date(self) -> datetime:
        """When the item entered its current status."""
        return self.history[-1].date

    @property
    def comment_count(self) -> int:
        return self.thread.count if self.thread is not None else 0

    @property
    def modified(self) -> datetime:
        """The newest change to the item itself: a status change or the answer."""
        return max([self.status_date, *([self.answer.date] if self.answer else [])])

    @property
    def activity(self) -> datetime:
        """The newest of its changes and its comments (listings "recently active", sitemap lastmod)."""
        latest = self.thread.latest if self.thread is not None else None
        return max([self.modified, *([latest] if latest else [])])


def _history(item: FeedbackItem, scheme: StatusScheme) -> list[HistoryEntry]:
    changes = item.history or ()
    if not changes:
        return [HistoryEntry(scheme.get(item.status), item.date, None, None)]
    entries: list[HistoryEntry] = []
    for change in changes:
        previous = entries[-1].status if entries else None
        entries.append(HistoryEntry(scheme.get(change.status), change.date, change.by, previous))
    return entries


def make_entry(item: FeedbackItem, scheme: StatusScheme, content_root: Path, feed_pattern: str | None,
               rendered: MarkdownCache) -> FeedbackEntry:
    """Render one item (through ``rendered``); unknown statuses are errors naming its file."""
    try:
        status, history = scheme.get(item.status), _history(item, scheme)
    except ContentFormatError as exc:
        raise ContentFormatError(exc.problem, feedback_path(content_root, item.id, item.slug)) from None
    html, text = rendered.render(item.body)
    answer = None
    if item.answer is not None:
        answer_html, answer_text = rendered.render(item.answer.body)
        answer = OfficialAnswer(answer_html, answer_text, item.answer.author, item.answer.date)
    return FeedbackEntry(
        item=item,
        status=status,
        tags=[FeedbackTag(tag, tag_slug(tag)) for tag in item.tags],
        history=history,
        html=html,
        text=text,
        answer=answer,
        content_root=content_root,
        feed_url=feed_pattern.format(id=item.id) if feed_pattern else None,
    )


def link_merges(entries: Iterable[FeedbackEntry]) -> None:
    """Point each merged duplicate at its original and back; dangling or chained merges are errors."""
    by_id = {entry.id: entry for entry in entries}
    for entry in by_id.values():
        target_id = entry.item.merged_into
        if target_id is None:
            continue
        target = by_id.get(target_id)
        if target is None:
            raise ContentFormatError(f"Merged-Into {target_id} is not a feedback item", entry.source_path)
        if target.item.merged_into is not None:
            raise ContentFormatError(
                f"Merged-Into {target_id}, which is itself merged into {target.item.merged_into}; "
                "merge into the original", entry.source_path)
        entry.merged_into = target
        target.duplicates.append(entry)


def unify_tags(entries: Iterable[FeedbackEntry]) -> dict[str, FeedbackTag]:
    """One tag per slug, named as first written (items in id order), shared by every item."""
    tags: dict[str, FeedbackTag] = {}
    for entry in entries:
        entry.tags = [tags.setdefault(tag.slug, tag) for tag in entry.tags]
    return tags


