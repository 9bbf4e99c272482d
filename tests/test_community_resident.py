"""Community pages in the resident builder: an author page follows every value it shows."""

from __future__ import annotations

from datetime import UTC, datetime

from cluetrain.incremental import UpdateMode
from tests.incremental_helpers import resident


def _commenters(site) -> str:
    return site.html("community/authors/maya-okafor/index.html").xpath("//dd[@data-stat='commenters']")[0].text


def test_a_renamed_commenter_reaches_the_author_page(site):
    site.post("p1", author="Maya Okafor")
    site.comment("p1", "c1", author="Ada", date=datetime(2026, 2, 1, tzinfo=UTC))
    site.comment("p1", "c2", author="Bob", date=datetime(2026, 2, 2, tzinfo=UTC))
    resident_site = resident(site)
    assert _commenters(site) == "2"
    # Same count, same months: only the number of distinct names changes.
    path = site.content / "comments" / "p1" / "c2.md"
    site.comment("p1", "c2", author="Ada", date=datetime(2026, 2, 2, tzinfo=UTC))
    report = resident_site.update([path])
    assert report.mode is UpdateMode.INCREMENTAL
    assert "community/authors/maya-okafor/index.html" in report.written
    assert _commenters(site) == "1"
