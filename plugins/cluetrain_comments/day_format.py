"""Pelican's ``strftime`` template filter, remembering formats without a time of day by calendar date.

Each call switches the locale twice (~9 µs); a post's comments and the hub's status changes fall
on far fewer days than there are dates to show. Kept on the Jinja environment like the filter it wraps.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

# Directives that read only the calendar date (Pelican adds the "-" that strips leading zeros).
DATE_ONLY = re.compile(r"(?:[^%]|%%|%-?[aAbBCdDeGhjmuUVwWxyY])*")


class DayFormatter:
    """``format_date(date, date_format)``, once per format and day when the format shows no time of day."""

    def __init__(self, format_date: Callable[[Any, str], str]) -> None:
        self.format_date = format_date
        self.formatted: dict[tuple[Any, ...], str] = {}
        self.date_only: dict[str, bool] = {}

    def __call__(self, date: Any, date_format: str) -> str:
        """The formatted date (from the ones already formatted when only its day matters)."""
        date_only = self.date_only.get(date_format)
        if date_only is None:
            date_only = self.date_only[date_format] = DATE_ONLY.fullmatch(date_format) is not None
        if not date_only or not isinstance(date, datetime.date):
            return self.format_date(date, date_format)
        key = (date_format, type(date), date.year, date.month, date.day)
        found = self.formatted.get(key)
        if found is None:
            found = self.formatted[key] = self.format_date(date, date_format)
        return found

    def digest_state(self) -> Callable[[Any, str], str]:
        """What a page key holds for it (``cluetrain.fingerprints``): the formatter it wraps, not its memo."""
        return self.format_date


def remember_days(generator: Any) -> None:
    """At ``generator_init``: wrap the generator's ``strftime`` filter (Pelican's DateFormatter)."""
    filters = getattr(getattr(generator, "env", None), "filters", None)
    if filters is not None and "strftime" in filters and not isinstance(filters["strftime"], DayFormatter):
        filters["strftime"] = DayFormatter(filters["strftime"])
