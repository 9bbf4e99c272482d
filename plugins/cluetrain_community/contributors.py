"""Contributors ranked by what they gave: approved comments, feedback filed and done, votes, helpful answers.

People are told apart by the ``Contributor`` key of their files (a keyed hash of an address
they confirmed), never by the name they typed: only confirmed commenters are ranked. Points
and levels come from the site settings ``COMMUNITY_CONTRIBUTOR_POINTS`` and ``..._LEVELS``.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cluetrain.content_format import Comment
from cluetrain.site_settings import SiteSettingError


class Measure(enum.StrEnum):
    """What earns points; the keys of COMMUNITY_CONTRIBUTOR_POINTS."""

    COMMENT = "comment"  # each approved comment
    FEEDBACK = "feedback"  # each feedback item filed (merged duplicates included: they were filed)
    DONE = "done"  # each item filed that reached a COMMUNITY_DONE_STATUSES status
    VOTE = "vote"  # each vote the items they filed received
    HELPFUL = "helpful"  # each comment a moderator marked helpful


@dataclass(frozen=True, slots=True)
class Level:
    """A level reached at ``points``; ``slug`` names its CSS badge class."""

    name: str
    points: int

    @property
    def slug(self) -> str:
        return "".join(ch if ch.isalnum() else "-" for ch in self.name.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class Standing:
    """One contributor's counts, points and level; ``name`` is the one on their newest comment or item."""

    key: str
    name: str
    counts: Mapping[Measure, int]
    rewards: tuple[str, ...]
    points: int
    level: Level | None


@dataclass(slots=True)
class _Tally:
    name: str = ""
    newest: datetime | None = None
    counts: dict[Measure, int] = field(default_factory=lambda: dict.fromkeys(Measure, 0))
    rewards: list[str] = field(default_factory=list)

    def seen(self, name: str, when: datetime) -> None:
        if self.newest is None or when >= self.newest:
            self.name, self.newest = name, when


@dataclass(frozen=True, slots=True)
class Contribution:
    """One contributor's part of one thread or feedback item: its counts, rewards and the name on its newest entry."""

    counts: dict[Measure, int]
    rewards: tuple[str, ...]
    newest: datetime
    name: str


def _count_comment(tallies: dict[str, _Tally], comment: Comment) -> None:
    """Count one approved comment for its contributor (a comment without a key counts for nobody)."""
    if not comment.contributor:
        return
    tally = tallies.setdefault(comment.contributor, _Tally())
    tally.seen(comment.author, comment.date)
    tally.counts[Measure.COMMENT] += 1
    tally.counts[Measure.HELPFUL] += comment.helpful
    if comment.rewarded:
        tally.rewards.append(comment.rewarded)


def contributions_of(comments: Iterable[Comment]) -> dict[str, Contribution]:
    """Each contributor's part of one thread's ``comments`` (in display order), as ``rank`` tallies them."""
    tallies: dict[str, _Tally] = {}
    for comment in comments:
        _count_comment(tallies, comment)
    return {key: Contribution(tally.counts, tuple(tally.rewards), tally.newest, tally.name)
            for key, tally in tallies.items() if tally.newest is not None}


def item_contribution(item: Any, done_statuses: Collection[str]) -> Contribution | None:
    """What a feedback item gives the contributor who filed it (None without a contributor key)."""
    if not getattr(item, "contributor", None):
        return None
    done = any(change.status in done_statuses for change in item.history) or item.status in done_statuses
    return Contribution({Measure.FEEDBACK: 1, Measure.DONE: int(done), Measure.VOTE: item.votes}, (),
                        item.date, item.author)


def standing_of(key: str, name: str, counts: Mapping[Measure, int], rewards: Sequence[str],
                points: Mapping[Measure, int], levels: Sequence[Level]) -> Standing:
    """A contributor's standing from their counts (in Measure order, as the page lists them)."""
    counted = {measure: counts.get(measure, 0) for measure in Measure}
    total = sum(points[measure] * count for measure, count in counted.items())
    return Standing(key=key, name=name, counts=counted, rewards=tuple(rewards), points=total,
                    level=level_for(total, levels))


def rank_order(standing: Standing) -> tuple[int, str, str]:
    """Most points first, then name, then key (keys are unique: a total order, for stable pages)."""
    return -standing.points, standing.name.casefold(), standing.key


def check_points(points: Any) -> dict[Measure, int]:
    """COMMUNITY_CONTRIBUTOR_POINTS as measures → points; raise SiteSettingError naming what is wrong."""
    if not isinstance(points, Mapping):
        raise SiteSettingError("setting COMMUNITY_CONTRIBUTOR_POINTS must be a dict")
    unknown = set(points) - {m.value for m in Measure}
    if unknown:
        raise SiteSettingError(f"setting COMMUNITY_CONTRIBUTOR_POINTS has unknown keys {sorted(unknown)} "
                               f"(known: {', '.join(Measure)})")
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in points.values()):
        raise SiteSettingError("setting COMMUNITY_CONTRIBUTOR_POINTS values must be whole numbers ≥ 0")
    return {measure: points.get(measure.value, 0) for measure in Measure}


def check_levels(levels: Any) -> tuple[Level, ...]:
    """COMMUNITY_CONTRIBUTOR_LEVELS as Levels in ascending order; raise SiteSettingError when malformed."""
    try:
        parsed = tuple(Level(name=str(name), points=threshold) for threshold, name in levels)
    except (TypeError, ValueError) as exc:
        raise SiteSettingError("setting COMMUNITY_CONTRIBUTOR_LEVELS must be (points, name) pairs") from exc
    thresholds = [level.points for level in parsed]
    if any(isinstance(t, bool) or not isinstance(t, int) or t < 0 for t in thresholds) or \
            thresholds != sorted(set(thresholds)) or not all(level.name.strip() for level in parsed):
        raise SiteSettingError("setting COMMUNITY_CONTRIBUTOR_LEVELS needs named levels at rising, distinct points")
    return parsed


def level_for(points: int, levels: Sequence[Level]) -> Level | None:
    """The highest level whose threshold ``points`` reaches."""
    reached = [level for level in levels if points >= level.points]
    return reached[-1] if reached else None


def rank(comments: Iterable[Comment], feedback: Iterable[Any], points: Mapping[Measure, int],
         levels: Sequence[Level], done_statuses: Iterable[str]) -> list[Standing]:
    """Everyone with a contributor key, most points first (then name, then key, for stable pages)."""
    done = set(done_statuses)
    tallies: dict[str, _Tally] = {}
    for comment in comments:
        _count_comment(tallies, comment)
    for item in feedback:
        part = item_contribution(item, done)
        if part is None:
            continue
        tally = tallies.setdefault(item.contributor, _Tally())
        tally.seen(part.name, part.newest)
        for measure, count in part.counts.items():
            tally.counts[measure] += count
    standings = [standing_of(key, tally.name, tally.counts, tally.rewards, points, levels)
                  for key, tally in tallies.items()]
    return sorted(standings, key=rank_order)


class LevelBadges:
    """What templates get as ``contributor_levels``: ``get(key)`` → the Level of that contributor, or None.

    Asks its source only when a template first calls it: threads are attached to content after
    every generator has read, so the ranking cannot be computed when the context is set up.
    """

    def __init__(self, levels_by_key: Any) -> None:
        self._levels_by_key = levels_by_key  # a callable returning {key: Level}

    def get(self, key: str | None) -> Level | None:
        """The level of the contributor with ``key``."""
        return self._levels_by_key().get(key) if key else None

    def digest_state(self) -> dict[str, Level]:
        """What a page key holds for it (``cluetrain.fingerprints``): the levels, not the callable that ranks them."""
        return dict(self._levels_by_key())
