"""Atom feeds of the hub: new items, status changes and answers, and one per item."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from cluetrain.atom import EPOCH, FeedCache

from .items import ANSWER_ANCHOR, HISTORY_ANCHOR, FeedbackEntry


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """Something that happened to an item, as one feed entry."""

    entry: FeedbackEntry
    date: datetime
    title: str
    anchor: str
    text: str
    html: str
    author: str | None


def creation(entry: FeedbackEntry) -> FeedEvent:
    """The item being filed."""
    return FeedEvent(entry, entry.date, f"{entry.kind.label}: {entry.title}", "", entry.text, str(entry.html),
                     entry.author)


def changes(entry: FeedbackEntry) -> Iterator[FeedEvent]:
    """Each status change after the first status, and the official answer."""
    for number, change in enumerate(entry.history):
        if change.previous is None:
            continue
        text = f"Status changed from {change.previous.label} to {change.status.label}."
        yield FeedEvent(entry, change.date, f"“{entry.title}” is now {change.status.label}",
                        f"{HISTORY_ANCHOR}-{number}", text, text, change.by)
    if entry.answer is not None:
        yield FeedEvent(entry, entry.answer.date, f"Official answer on “{entry.title}”", ANSWER_ANCHOR,
                        entry.answer.text, str(entry.answer.html), entry.answer.author)


def comments(entry: FeedbackEntry) -> Iterator[FeedEvent]:
    """Each comment on the item."""
    if entry.thread is None:
        return
    for node in entry.thread.walk():
        yield FeedEvent(entry, node.date, f"{node.author} on “{entry.title}”", node.anchor, node.text,
                        str(node.html), node.author)


def newest(events: Iterable[FeedEvent], limit: int | None) -> list[FeedEvent]:
    """``events`` newest first, at most ``limit`` of them: what a feed shows."""
    return sorted(events, key=lambda e: (e.date, e.entry.id, e.anchor), reverse=True)[:limit]


def hub_events(entries: list[FeedbackEntry], feed_new: str | None, feed_status: str | None,
               limit: int) -> dict[str, list[FeedEvent]]:
    """The hub-wide feeds (new items, status changes and answers) with the events each shows."""
    shown: dict[str, list[FeedEvent]] = {}
    if feed_new:
        shown[feed_new] = newest(map(creation, entries), limit)
    if feed_status:
        shown[feed_status] = newest((event for entry in entries for event in changes(entry)), limit)
    return shown


def signature(events: Iterable[FeedEvent]) -> tuple[tuple[object, ...], ...]:
    """What a feed of ``events`` renders, comparable: equal signatures, equal files."""
    return tuple((e.entry.id, e.entry.url, e.date, e.title, e.anchor, e.text, e.html, e.author,
                  tuple(tag.name for tag in e.entry.tags)) for e in events)


def write_feed(events: Iterable[FeedEvent], *, title: str, link: str, feed_url: str, siteurl: str,
               language: str | None, cache: FeedCache, limit: int | None = None) -> bytes:
    """An Atom document of ``events``, newest first, at most ``limit`` of them (from ``cache`` if unchanged)."""
    head = {"title": title, "link": link, "feed_url": feed_url, "language": language, "fallback_date": EPOCH}
    items = []
    for event in newest(events, limit):
        url = f"{siteurl}/{event.entry.url}" + (f"#{event.anchor}" if event.anchor else "")
        items.append({"title": event.title, "link": url, "description": event.text[:300], "content": event.html,
                      "author_name": event.author, "pubdate": event.date, "unique_id": url,
                      "categories": [tag.name for tag in event.entry.tags]})
    return cache.feed(head, items)
