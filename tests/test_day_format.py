"""The strftime filter remembers formats by day only when they show no time of day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pelican.utils import DateFormatter

from plugins.cluetrain_comments.day_format import DATE_ONLY, DayFormatter


def test_date_only_formats() -> None:
    assert DATE_ONLY.fullmatch("%-d %B %Y") and DATE_ONLY.fullmatch("%d %b, %Y (%A) 100%%")
    assert not DATE_ONLY.fullmatch("%-d %B %Y %H:%M") and not DATE_ONLY.fullmatch("%c")


def test_same_text_as_pelicans_filter() -> None:
    pelican, calls = DateFormatter(), []

    def counted(date: datetime, date_format: str) -> str:
        calls.append(date_format)
        return pelican(date, date_format)

    remembered = DayFormatter(counted)
    start = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    for hours in range(0, 72, 5):
        date = start + timedelta(hours=hours)
        for date_format in ("%-d %B %Y", "%d %b %H:%M", "%-d %b"):
            assert remembered(date, date_format) == pelican(date, date_format)
    assert calls.count("%d %b %H:%M") == 15  # a time of day: every call formats
    assert calls.count("%-d %B %Y") == calls.count("%-d %b") == 4  # 4 distinct days
