"""Atom feeds whose bytes depend only on their entries, so a build is reproducible (and checkable)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from feedgenerator import Atom1Feed

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class ReproducibleAtom(Atom1Feed):
    """An Atom feed whose <updated> is its newest entry's date, never the clock's."""

    def __init__(self, *args: Any, fallback_date: datetime = EPOCH, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fallback_date = fallback_date

    def latest_post_date(self) -> datetime:
        dates = [item["pubdate"] for item in self.items if item.get("pubdate")]
        return max(dates, default=self.fallback_date)
