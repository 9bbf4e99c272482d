"""Helpers for the feedback tests: write items through the content format, read listings back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import lxml.html

from cluetrain.content_format import (
    Answer,
    FeedbackItem,
    FeedbackKind,
    StatusChange,
    normalize_tags,
    slugify,
    write_feedback,
)

BASE_DATE = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)


def day(number: int, hour: int = 0) -> datetime:
    """A fixed date: ``day(3)`` is 3 January 2026 (plus ``hour`` hours)."""
    return BASE_DATE + timedelta(days=number - 1, hours=hour)


def write_item(content: Path, item_id: int, title: str, *, kind: str = "idea", status: str = "new",
               votes: int = 0, created: int = 1, tags: tuple[str, ...] = (), body: str = "Details.",
               changed: dict[str, int] | None = None, answer: tuple[str, int, str] | None = None,
               merged_into: int | None = None, author: str = "Ada", initial: str = "new",
               contributor: str | None = None) -> FeedbackItem:
    """Write an item; ``changed`` maps later statuses to their day, ``answer`` is (author, day, text)."""
    history = [StatusChange(initial, day(created))]
    history += [StatusChange(key, day(when), "Mod") for key, when in (changed or {}).items()]
    if status != history[-1].status:
        history.append(StatusChange(status, day(created), "Mod"))
    item = FeedbackItem(
        id=item_id, slug=slugify(title), kind=FeedbackKind(kind), status=status, title=title, author=author,
        date=day(created), body=body, votes=votes, tags=normalize_tags(tags), history=tuple(history),
        merged_into=merged_into, answer=Answer(answer[2], answer[0], day(answer[1])) if answer else None,
        contributor=contributor,
    )
    write_feedback(content, item)
    return item


def listed_ids(site: Any, url: str) -> list[int]:
    """Item ids of a listing in display order, following its pagination to the end."""
    ids: list[int] = []
    relative: str | None = url
    while relative is not None:
        page = site.html(f"{relative}index.html")
        ids += [int(li.get("data-id")) for li in page.xpath('//li[contains(@class, "fb-item")]')]
        following = page.xpath('//a[@rel="next"]')
        relative = following[0].get("href").split("/", 3)[3] if following else None
    return ids


def item_page(site: Any, item: FeedbackItem) -> lxml.html.HtmlElement:
    """The parsed page of ``item``."""
    return site.html(f"feedback/{item.id}-{item.slug}/index.html")
