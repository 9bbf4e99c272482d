"""The site's feedback statuses, read from the FEEDBACK_* settings and checked once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cluetrain.content_format import ContentFormatError, status_label, validate_status
from cluetrain.site_settings import SiteSettingError


@dataclass(frozen=True, slots=True)
class FeedbackStatus:
    """One configured status, as templates see it."""

    key: str
    label: str
    closed: bool
    on_roadmap: bool

    @property
    def url(self) -> str:
        """The status's listing, relative to SITEURL."""
        return f"feedback/status/{self.key}/"


@dataclass(frozen=True, slots=True)
class StatusScheme:
    """Every status in workflow order, and which of them form the roadmap."""

    statuses: Mapping[str, FeedbackStatus]
    roadmap: tuple[FeedbackStatus, ...]

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> StatusScheme:
        """Build the scheme; a malformed or inconsistent setting raises SiteSettingError naming it."""
        keys = _keys(settings, "FEEDBACK_STATUSES")
        if not keys:
            raise SiteSettingError("setting FEEDBACK_STATUSES must name at least one status")
        roadmap = _keys(settings, "FEEDBACK_ROADMAP_STATUSES", known=keys)
        closed = set(_keys(settings, "FEEDBACK_CLOSED_STATUSES", known=keys))
        statuses = {key: FeedbackStatus(key, status_label(key), key in closed, key in roadmap) for key in keys}
        return cls(statuses=statuses, roadmap=tuple(statuses[key] for key in roadmap))

    def get(self, key: str, source: object = None) -> FeedbackStatus:
        """The status ``key``; an unknown one is a content error naming ``source``."""
        try:
            return self.statuses[key]
        except KeyError:
            raise ContentFormatError(
                f"unknown status {key!r} (FEEDBACK_STATUSES has {', '.join(self.statuses)})", source
            ) from None


def _keys(settings: Mapping[str, Any], name: str, known: tuple[str, ...] | None = None) -> tuple[str, ...]:
    keys = tuple(settings[name])
    for key in keys:
        try:
            validate_status(key)
        except ContentFormatError as exc:
            raise SiteSettingError(f"setting {name}: {exc}") from exc
        if known is not None and key not in known:
            raise SiteSettingError(f"setting {name}: {key!r} is not one of FEEDBACK_STATUSES")
    if len(set(keys)) != len(keys):
        raise SiteSettingError(f"setting {name} names a status twice")
    return keys
