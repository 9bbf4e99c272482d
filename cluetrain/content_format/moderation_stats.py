"""Monthly moderation counts the service exports for the community stats page: numbers only.

``<content>/stats/moderation.json``::

    {"version": 1, "months": [{"month": "2026-05", "published": 41, "held": 12, "rejected": 2, "spam": 30}]}

``held`` counts comments a rule held for a moderator when they were submitted that month,
``published`` those approved (at once or later); rejected and spam are the rest. No names,
addresses or text: the file is public, like everything in content/.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from .documents import ContentFormatError, atomic_write

MODERATION_STATS_FILE = Path("stats") / "moderation.json"
MODERATION_STATS_VERSION = 1
MONTH_PATTERN = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
COUNT_FIELDS = ("published", "held", "rejected", "spam")


@dataclass(frozen=True, slots=True)
class ModerationMonth:
    """How comments submitted in one month (``YYYY-MM``) were moderated."""

    month: str
    published: int = 0
    held: int = 0
    rejected: int = 0
    spam: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.month, str) or not MONTH_PATTERN.fullmatch(self.month):
            raise ContentFormatError(f"month {self.month!r} is not YYYY-MM")
        for name in COUNT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ContentFormatError(f"{name} of {self.month} must be a whole number ≥ 0, not {value!r}")


def dumps_moderation_stats(months: list[ModerationMonth]) -> str:
    """The file's text, months in order."""
    rows = [asdict(month) for month in sorted(months, key=lambda m: m.month)]
    return json.dumps({"version": MODERATION_STATS_VERSION, "months": rows}, indent=1) + "\n"


def loads_moderation_stats(text: str) -> list[ModerationMonth]:
    """Parse and check the file's text."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentFormatError(f"not valid JSON: {exc.msg}") from exc
    if not isinstance(document, dict) or document.get("version") != MODERATION_STATS_VERSION:
        raise ContentFormatError(f"expected an object with version {MODERATION_STATS_VERSION}")
    rows = document.get("months")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ContentFormatError("months must be a list of objects")
    try:
        return [ModerationMonth(**row) for row in rows]
    except TypeError as exc:
        raise ContentFormatError(f"unexpected field in a month: {exc}") from exc


def read_moderation_stats(content_root: Path, relative: Path | str = MODERATION_STATS_FILE) -> list[ModerationMonth] | None:
    """The exported months, or None when the service has not exported any yet."""
    path = Path(content_root) / relative
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return loads_moderation_stats(text)
    except ContentFormatError as exc:
        raise ContentFormatError(exc.problem, path) from exc


def write_moderation_stats(content_root: Path, months: list[ModerationMonth],
                           relative: Path | str = MODERATION_STATS_FILE) -> bool:
    """Write the file atomically; False when it already held the same numbers."""
    return atomic_write(Path(content_root) / relative, dumps_moderation_stats(months).encode("utf-8"))
