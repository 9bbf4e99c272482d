"""Page digests: equal values digest alike in any build, and every difference a page could show changes the digest."""

from __future__ import annotations

import array
import enum
import sys
import types
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

import pytest
from markupsafe import Markup
from pelican.utils import SafeDatetime

from cluetrain import cache_files
from cluetrain.fingerprints import Digester, Unkeyable, code_digest
from plugins.cluetrain_comments.day_format import DayFormatter
from plugins.cluetrain_community.contributors import LevelBadges


class _NoEntry:
    """No feedback entries here."""


def digest(value: object) -> bytes:
    """The value's digest in a digester of its own (as a new build would make)."""
    return Digester({}, {}, _NoEntry, (), None).digest(value)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True, slots=True)
class Frozen:
    name: str
    when: datetime


@dataclass(slots=True)
class Node:
    text: Markup
    replies: list[Node] = field(default_factory=list)


class Plain:
    def __init__(self, **state: object) -> None:
        self.__dict__.update(state)


class Reduced:
    """State only its own reduction shows."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def __reduce__(self) -> tuple[object, ...]:
        return Reduced, (self._secret,)


PARIS = ZoneInfo("Europe/Paris")


def build_value(**changes: object) -> object:
    """A value like a page's: dates in zones, markup, enums, dataclasses (frozen or not) and plain objects."""
    parts = {
        "when": datetime(2026, 3, 1, 9, 30, tzinfo=PARIS),
        "fixed": datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1), "CET")),
        "day": date(2026, 3, 1),
        "text": Markup("<p>Hi</p>"),
        "colour": Colour.RED,
        "frozen": Frozen("a", datetime(2026, 1, 1, tzinfo=UTC)),
        "node": Node(Markup("<p>x</p>"), [Node(Markup("<p>y</p>"))]),
        "plain": Plain(a=1, b=[1, 2]),
        "path": PurePosixPath("posts/p1.md"),
        "reduced": Reduced("s"),
    }
    parts.update(changes)
    return parts


def test_equal_values_digest_alike_in_separate_builds():
    assert digest(build_value()) == digest(build_value())


CHANGED = {
    "a later time": {"when": datetime(2026, 3, 1, 9, 31, tzinfo=PARIS)},
    "another zone, same offset": {"when": datetime(2026, 3, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))},
    "a fixed offset's name": {"fixed": datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1), "X"))},
    "the second of a repeated hour": {"when": datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1)},
    "a date subclass": {"when": SafeDatetime(2026, 3, 1, 9, 30, tzinfo=PARIS)},
    "another day": {"day": date(2026, 3, 2)},
    "text, not markup": {"text": "<p>Hi</p>"},
    "other markup": {"text": Markup("<p>Ho</p>")},
    "another member": {"colour": Colour.BLUE},
    "a frozen field": {"frozen": Frozen("b", datetime(2026, 1, 1, tzinfo=UTC))},
    "a nested reply": {"node": Node(Markup("<p>x</p>"), [Node(Markup("<p>z</p>"))])},
    "an attribute": {"plain": Plain(a=1, b=[1, 3])},
    "another attribute": {"plain": Plain(a=1, b=[1, 2], c=None)},
    "another path": {"path": PurePosixPath("posts/p2.md")},
    "state only a reduction shows": {"reduced": Reduced("t")},
}


@pytest.mark.parametrize("change", sorted(CHANGED))
def test_each_difference_changes_the_digest(change):
    assert digest(build_value(**CHANGED[change])) != digest(build_value())


def test_the_repeated_hour_is_told_apart_from_its_first_pass():
    first = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS)
    assert digest(first) != digest(first.replace(fold=1))


def test_objects_with_state_in_c_are_pickled_as_pickle_does():
    assert digest(array.array("i", [1, 2])) != digest(array.array("i", [1, 3]))


def test_code_holding_state_cannot_be_digested():
    counter = [0]

    def closure() -> int:
        return counter[0]

    with pytest.raises(Unkeyable):
        digest({"filter": closure})
    with pytest.raises(Unkeyable):
        digest({"method": Plain(a=1).__init__})
    assert digest({"function": build_value}) == digest({"function": build_value})  # code: by name


class Ranked:
    """State kept outside the object (a callable) and a memo, stated for digests by ``digest_state``."""

    def __init__(self, levels: dict[str, int], memo: dict[str, int] | None = None) -> None:
        self.levels = lambda: levels  # a closure: pickled as it is, it could not be digested
        self.memo = memo or {}

    def digest_state(self) -> dict[str, int]:
        return self.levels()


def test_an_object_that_states_its_digest_state_is_digested_by_it():
    def shown(value: object) -> bytes:
        return digest({"context value": value})  # as templates get it: a value in the context, not the root

    assert shown(Ranked({"maya": 2})) == shown(Ranked({"maya": 2}, memo={"seen": 1}))  # its memo aside
    assert shown(Ranked({"maya": 2})) != shown(Ranked({"maya": 3}))
    assert shown(LevelBadges(lambda: {"maya": 2})) == shown(LevelBadges(lambda: {"maya": 2}))
    assert shown(LevelBadges(lambda: {"maya": 2})) != shown(LevelBadges(lambda: {"maya": 3}))
    remembered = DayFormatter(build_value)
    remembered.formatted[("%Y", date, 2026, 1, 1)] = "2026"
    assert shown(remembered) == shown(DayFormatter(build_value))


class Elsewhere:
    """Another plugin's namespace."""

    class LevelBadges:
        """Named like the community plugin's class, with state of its own."""

        def __init__(self, shown: int) -> None:
            self.shown = shown


def test_a_class_named_like_one_that_states_its_state_is_digested_as_usual():
    # The state of a few classes was once looked up by their bare name: this one was taken for the plugin's badges.
    assert digest({"badges": Elsewhere.LevelBadges(1)}) != digest({"badges": Elsewhere.LevelBadges(2)})


def test_the_code_digest_leaves_out_the_entry_script_and_the_service(tmp_path, monkeypatch):
    """`cluetrain build` and `cluetrain serve` (which loads the service) key pages alike; a site's own module counts."""
    before = code_digest()
    script = tmp_path / "run_build.py"
    script.write_text("print('building')\n", encoding="utf-8")
    entry = types.ModuleType("__main__")
    entry.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", entry)
    monkeypatch.setitem(sys.modules, "__mp_main__", entry)  # its alias once multiprocessing is imported
    service = types.ModuleType("service_only_probe")
    service.__file__ = str(cache_files.PROJECT_ROOT / "comments_service" / "app.py")
    monkeypatch.setitem(sys.modules, "service_only_probe", service)
    assert code_digest() == before
    filters = types.ModuleType("site_filters_probe")
    filters.__file__ = str(script)  # a module of the site's own, outside the project
    monkeypatch.setitem(sys.modules, "site_filters_probe", filters)
    assert code_digest() != before
