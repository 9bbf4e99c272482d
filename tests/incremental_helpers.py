"""Helpers for the incremental-builder tests: a fixture site with listings to fan out to, and output comparison."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import blinker

from cluetrain.build import build_site, load_settings
from cluetrain.incremental import ResidentSite
from cluetrain.search import INDEX_REPORT_SIGNAL
from tests.conftest import NOW, REPO, Site
from tests.feedback_events import FeedbackEvents
from tests.feedback_helpers import write_item

TAGS = ("alpha", "beta", "gamma")
AUTHORS = ("Maya Okafor", "Tom Reyes")


def populate(site: Site, posts: int = 23, items: int = 6) -> list[str]:
    """Posts over two years (paginated index, tag, category, author pages), a page with a thread, feedback items."""
    for number in range(posts):
        site.post(f"post-{number}", date=f"{2025 + number % 2}-0{1 + number % 9}-1{number % 10} 09:00",
                  author=AUTHORS[number % 2], tags=", ".join(TAGS[: 1 + number % 3]),
                  category="news" if number % 3 else "engineering")
    site.page("about", comments="open")
    for number in range(1, items + 1):
        write_item(site.content, number, f"Item number {number}", votes=number, created=number,
                   tags=("ui",) if number % 2 else ("api",))
    return [f"post-{n}" for n in range(posts)] + ["about"] + [f"feedback-{n}" for n in range(1, items + 1)]


def overrides(site: Site, output: Path | None = None, cache: Path | None = None) -> dict[str, Any]:
    """Settings overrides for a build of ``site`` (into ``output`` with ``cache`` if given)."""
    return {"PATH": str(site.content), "OUTPUT_PATH": str(output or site.output),
            "CACHE_PATH": str(cache or site.root / "cache"), "COMMENTS_NOW": NOW}


def resident(site: Site, **settings: Any) -> ResidentSite:
    """A resident site for ``site`` (with extra ``settings``), built once."""
    resident_site = ResidentSite(REPO, overrides(site) | settings)
    resident_site.full_build("start")
    return resident_site


def fresh_build(site: Site, **settings: Any) -> tuple[Path, Any]:
    """A full build into an empty folder with an empty cache; returns the folder and the search index report."""
    reports: list[Any] = []

    def reported(_sender: object, report: Any) -> None:
        reports.append(report)

    for folder in ("fresh", "fresh-cache"):  # empty each time: a test may compare more than once
        shutil.rmtree(site.root / folder, ignore_errors=True)
    signal = blinker.signal(INDEX_REPORT_SIGNAL)
    signal.connect(reported, weak=False)
    try:
        build_site(load_settings(REPO, overrides(site, site.root / "fresh", site.root / "fresh-cache") | settings))
    finally:
        signal.disconnect(reported)
    return site.root / "fresh", reports[-1] if reports else None


def unlike_fresh(site: Site, **settings: Any) -> list[str]:
    """Outputs that differ from a full build from scratch, files the fresh build has not included."""
    return differences(site.output, fresh_build(site, **settings)[0])


def differences(left: Path, right: Path) -> list[str]:
    """Relative paths that exist on one side only or differ in bytes."""
    def files(root: Path) -> dict[str, Path]:
        return {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}

    a, b = files(left), files(right)
    return sorted(set(a) ^ set(b)) + sorted(k for k in set(a) & set(b) if a[k].read_bytes() != b[k].read_bytes())


class EventMaker:
    """Random comment publish/unpublish and feedback events on a fixture site, from a seed."""

    def __init__(self, site: Site, threads: list[str], seed: int, feedback_share: float = 0.35, *,
                 contributors: tuple[str, ...] = (), post_share: float = 0.0) -> None:
        self.site = site
        self.post_share = post_share  # of events that edit a post's text (its metadata stays)
        self.contributors = contributors  # confirmed commenters' keys, so that levels are crossed
        self.threads = list(threads)
        self.feedback_share = feedback_share
        self.random = random.Random(seed)
        self.published: dict[str, list[str]] = {}  # thread → comment ids
        self.parents: dict[str, str | None] = {}
        self.counter = 0

    def publish(self) -> Path:
        """A new comment, sometimes a reply; its date is random, so listings reorder."""
        thread = self.random.choice(self.threads)
        self.counter += 1
        comment_id = f"c{self.counter:04d}"
        existing = self.published.setdefault(thread, [])
        parent = self.random.choice(existing) if existing and self.random.random() < 0.4 else None
        date = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=self.random.randrange(3000))
        contributor = self.random.choice((None, *self.contributors)) if self.contributors else None
        self.site.comment(thread, comment_id, author=self.random.choice(("Ada", "Bo", "Cy")),
                          body=f"Comment {comment_id} with *words* {self.random.random()}", date=date, parent=parent,
                          contributor=contributor)
        existing.append(comment_id)
        self.parents[comment_id] = parent
        return self.site.content / "comments" / thread / f"{comment_id}.md"

    def unpublish(self) -> Path | None:
        """Remove a comment nobody replied to (a reply's parent must stay, or no build can succeed)."""
        leaves = [(t, c) for t, ids in self.published.items() for c in ids if c not in self.parents.values()]
        if not leaves:
            return None
        thread, comment_id = self.random.choice(leaves)
        path = self.site.content / "comments" / thread / f"{comment_id}.md"
        path.unlink()
        self.published[thread].remove(comment_id)
        del self.parents[comment_id]
        return path

    def edit_post(self) -> Path:
        """A post's text edited (a sentence added, sometimes with a link or emphasis), its metadata unchanged."""
        slug = self.random.choice([thread for thread in self.threads if thread.startswith("post-")])
        path = self.site.content / "posts" / f"{slug}.md"
        self.counter += 1
        sentence = self.random.choice(("A fix.", "Now *emphasised*.", "See [the docs](https://example.org/docs)."))
        path.write_text(path.read_text(encoding="utf-8") + f"\n{sentence} {self.counter}\n", encoding="utf-8")
        return path

    def feedback(self) -> list[Path]:
        """A random feedback event: new item, votes, status, answer, edit, merge or removal."""
        return FeedbackEvents(self.site.content, self.random, self.threads, self.published, self.parents).any()

    def batch(self) -> list[Path]:
        """One to three events, as the publisher hands them over."""
        paths: list[Path] = []
        for _ in range(self.random.randint(1, 3)):
            if self.post_share and self.random.random() < self.post_share:
                paths.append(self.edit_post())
                continue
            roll = self.random.random()
            if roll < self.feedback_share:
                paths += self.feedback()
            elif (path := self.publish() if roll < 0.7 + 0.3 * self.feedback_share else self.unpublish()):
                paths.append(path)
        return paths
