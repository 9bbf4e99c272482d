"""The community's running totals against the full pass: after any sequence of replaced, added and removed
threads and feedback items, the totals give exactly what ``monthly_activity``, ``headline``, ``author_activity``
and ``rank`` give for the same content (ties of names and the order of rewards included)."""

from __future__ import annotations

import dataclasses
import random
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from cluetrain.content_format import Answer, Comment, FeedbackItem, FeedbackKind, StatusChange
from cluetrain.content_format.moderation_stats import ModerationMonth
from plugins.cluetrain_community.activity import headline, monthly_activity
from plugins.cluetrain_community.authors import author_activity
from plugins.cluetrain_community.contributors import check_levels, check_points, rank
from plugins.cluetrain_community.stats_charts import community_charts
from plugins.cluetrain_community.summaries import ThreadSummaries
from plugins.cluetrain_community.tallies import SortedValues, add_counts, add_members
from plugins.cluetrain_community.totals import CommunityData, CommunityTotals, changed_objects

CLOSED = ("done", "declined")
DONE = ("done",)
POINTS = check_points({"comment": 1, "feedback": 2, "done": 5, "vote": 1, "helpful": 3})
LEVELS = check_levels(((0, "Newcomer"), (4, "Regular"), (9, "Expert")))
KEYS = ("a" * 16, "b" * 16, "c" * 16, None)
NAMES = ("Ada", "Ada L.", "Bo", "Cy")
# Few dates, so that names tie on the newest date and months fill and empty.
DATES = tuple(datetime(2026, month, day, 12, tzinfo=UTC) for month in (1, 2, 4) for day in (1, 15))


@dataclass(eq=False)
class FakeThread:
    """What the community reads of a thread: its key, count and nodes in display order (replaced, never edited)."""

    key: str
    comments: tuple[Comment, ...]

    @property
    def count(self) -> int:
        return len(self.comments)

    def walk(self) -> list[Any]:
        return [SimpleNamespace(comment=comment) for comment in self.comments]


class FakeSite:
    """Posts by two authors, a page and feedback entries, changed as the resident builder changes them."""

    def __init__(self, rng: random.Random) -> None:
        self.random, self.counter = rng, 0
        self.authors = [SimpleNamespace(name="Maya", slug="maya"), SimpleNamespace(name="Tom", slug="tom")]
        self.articles = [SimpleNamespace(slug=f"post-{n}", title=f"Post {n}", date=DATES[n % len(DATES)] - timedelta(
            days=40 * (n % 3)), thread=None) for n in range(8)]
        self.pages = [SimpleNamespace(slug="about", thread=None)]
        self.entries: list[Any] = []
        self.moderation: list[ModerationMonth] | None = None
        for content in (*self.articles, *self.pages):
            content.thread = self.thread(content.slug, ())
        for _ in range(4):
            self.add_item()

    def by_author(self) -> list[tuple[Any, list[Any]]]:
        return [(author, [a for n, a in enumerate(self.articles) if n % 2 == index or n == 5])  # post-5: both
                for index, author in enumerate(self.authors)]

    def contents(self) -> list[Any]:
        return [*self.articles, *self.pages, *self.entries]

    def items(self) -> list[FeedbackItem]:
        return [entry.item for entry in self.entries]

    def comment(self, key: str) -> Comment:
        self.counter += 1
        return Comment(id=f"c{self.counter}", thread=key, author=self.random.choice(NAMES), body="Hi.",
                       date=self.random.choice(DATES), contributor=self.random.choice(KEYS),
                       helpful=self.random.random() < 0.3,
                       rewarded=self.random.choice(("Mug", "T-shirt")) if self.random.random() < 0.2 else None)

    def thread(self, key: str, comments: tuple[Comment, ...]) -> FakeThread:
        return FakeThread(key, comments)

    def item(self, item_id: int) -> FeedbackItem:
        date = self.random.choice(DATES)
        status = self.random.choice(("new", "planned", "done", "declined"))
        history = (StatusChange("new", date),) + ((StatusChange(status, date + timedelta(days=3)),)
                                                  if status != "new" else ())
        answer = Answer("Thanks.", "Priya", date + timedelta(hours=self.random.choice((2, 24, 48)))) \
            if self.random.random() < 0.5 else None
        others = [entry.item.id for entry in self.entries if entry.item.id != item_id]
        merged = self.random.choice(others) if others and self.random.random() < 0.15 else None
        return FeedbackItem(id=item_id, slug=f"item-{item_id}", kind=FeedbackKind.IDEA, status=status,
                            title=f"Item {item_id}", author=self.random.choice(NAMES), date=date, body="Please.",
                            votes=self.random.randrange(6), history=history, merged_into=merged, answer=answer,
                            contributor=self.random.choice(KEYS))

    def add_item(self) -> None:
        item_id = max((entry.item.id for entry in self.entries), default=0) + 1
        self.entries.append(SimpleNamespace(item=self.item(item_id), thread=self.thread(f"feedback-{item_id}", ())))

    def step(self) -> None:
        """One change, as the builder makes it: a thread or an entry replaced, added or removed."""
        roll = self.random.random()
        if roll < 0.55:
            content = self.random.choice([c for c in self.contents() if c.thread is not None])
            comments = list(content.thread.comments)
            action = self.random.random()
            if action < 0.5 or not comments:
                comments.insert(self.random.randrange(len(comments) + 1), self.comment(content.thread.key))
            elif action < 0.75:
                comments.pop(self.random.randrange(len(comments)))
            else:  # a commenter renamed (or given another key): the same comment id, another record
                index = self.random.randrange(len(comments))
                comments[index] = dataclasses.replace(comments[index], author=self.random.choice(NAMES),
                                                      contributor=self.random.choice(KEYS))
            content.thread = self.thread(content.thread.key, tuple(comments))
        elif roll < 0.62:  # comments closed or opened: no thread, or a new empty one
            content = self.random.choice(self.articles)
            content.thread = None if content.thread is not None else self.thread(content.slug, ())
        elif roll < 0.85 and self.entries:  # an item's votes, status, answer, merge or filer changed
            index = self.random.randrange(len(self.entries))
            old = self.entries[index]
            self.entries[index] = SimpleNamespace(item=self.item(old.item.id), thread=old.thread)
        elif roll < 0.93 or len(self.entries) < 2:
            self.add_item()
        else:
            self.entries.pop(self.random.randrange(len(self.entries)))
        if self.random.random() < 0.1:
            self.moderation = self.random.choice((None, [ModerationMonth("2026-03", published=2, held=1)]))


def full_pass(site: FakeSite) -> CommunityData:
    """What a full build shows for ``site``."""
    summaries = ThreadSummaries()
    threads = {c.thread.key: (c, "") for c in site.contents() if c.thread is not None}
    items = site.items()
    months = monthly_activity(site.articles, threads, items, CLOSED, site.moderation, summaries)
    comments = [comment for content, _ in threads.values() for comment in content.thread.comments]
    contributors = rank(comments, items, POINTS, LEVELS, DONE)
    return CommunityData(
        months=months, headline=headline(site.articles, threads, items, CLOSED, summaries),
        authors=[author_activity(author, articles, summaries, lambda a: a.slug)
                 for author, articles in site.by_author()],
        contributors=contributors, levels_by_key={s.key: s.level for s in contributors if s.level},
        charts=community_charts(months))


def new_totals(site: FakeSite) -> CommunityTotals:
    totals = CommunityTotals(site.articles, site.by_author(), lambda a: a.slug, CLOSED, DONE, POINTS, LEVELS)
    totals.refresh(site.contents(), site.items())
    return totals


@pytest.mark.parametrize("seed", range(8))
def test_random_changes_keep_the_totals_equal_to_the_full_pass(seed):
    site = FakeSite(random.Random(seed))
    totals = new_totals(site)
    shown = full_pass(site)
    assert totals.data(site.moderation, shown) == shown
    for _ in range(80):
        site.step()
        changes = totals.refresh(site.contents(), site.items())
        data = totals.data(site.moderation, shown)
        expected = full_pass(site)
        assert data == expected
        # What the update says changed is what did (the generator names outputs from it).
        assert changes.contributors == (shown.contributors != expected.contributors)
        assert changes.levels == {key for key in shown.levels_by_key.keys() | expected.levels_by_key.keys()
                                  if shown.levels_by_key.get(key) != expected.levels_by_key.get(key)}
        assert {i for i, (a, b) in enumerate(zip(shown.authors, expected.authors, strict=True)) if a != b} \
            <= changes.authors
        assert totals.threads_of(changes.levels) == {
            key for key, content in ((c.thread.key, c) for c in site.contents() if c.thread is not None)
            if any(comment.contributor in changes.levels for comment in content.thread.comments)}
        shown = data


def test_a_share_taken_away_and_added_back_gives_the_totals_before():
    site = FakeSite(random.Random(99))
    for _ in range(30):
        site.step()
    totals = new_totals(site)
    before = full_pass(site)
    article = next(a for a in site.articles if a.thread is not None and a.thread.comments)
    entry = site.entries.pop(0)
    thread, article.thread = article.thread, None
    totals.refresh(site.contents(), site.items())
    assert totals.data(site.moderation, before) == full_pass(site) != before
    article.thread = thread
    site.entries.insert(0, entry)
    totals.refresh(site.contents(), site.items())
    assert totals.data(site.moderation, before) == before


def test_the_name_is_the_one_on_the_newest_entry_and_ties_go_to_the_last_met():
    site = FakeSite(random.Random(1))
    key, day = "d" * 16, datetime(2026, 5, 1, tzinfo=UTC)
    site.entries.clear()

    def said(content: Any, name: str, reward: str | None = None) -> None:
        comment = Comment(id=f"x{name[-1]}", thread=content.slug, author=name, body="Hi.", date=day, contributor=key,
                          rewarded=reward)
        content.thread = FakeThread(content.slug, (*content.thread.comments, comment))

    totals = new_totals(site)
    said(site.articles[3], "Name 3", "Mug")
    said(site.articles[1], "Name 1", "Cap")  # same date, earlier thread
    totals.refresh(site.contents(), site.items())
    ranked = {s.key: s for s in totals.data(None, full_pass(site)).contributors}
    assert (ranked[key].name, ranked[key].rewards) == ("Name 3", ("Cap", "Mug"))  # rewards in thread order
    item = FeedbackItem(id=9, slug="item-9", kind=FeedbackKind.BUG, status="new", title="Item", author="Filer",
                        date=day, body="Please.", history=(StatusChange("new", day),), contributor=key)
    site.entries.append(SimpleNamespace(item=item, thread=None))  # items come after every thread
    totals.refresh(site.contents(), site.items())
    data = totals.data(None, full_pass(site))
    assert data == full_pass(site) and {s.key: s for s in data.contributors}[key].name == "Filer"


def test_changed_objects_compares_in_place_and_falls_back_to_keys():
    one, two, three = (SimpleNamespace(key=k) for k in "abc")
    counted = {"a": (one, None), "b": (two, None)}
    assert changed_objects([one, two], [one, two], lambda o: o.key, counted) == []
    new_two = SimpleNamespace(key="b")
    assert changed_objects([one, new_two], [one, two], lambda o: o.key, counted) == [("b", new_two)]
    assert changed_objects([one, None], [one, two], lambda o: o.key, counted) == [("b", None)]
    # One gone, one new, as many as before: both are seen where they stand.
    assert changed_objects([one, three], [one, two], lambda o: o.key, counted) == [("b", None), ("c", three)]
    assert changed_objects([three, one, two], [one, two], lambda o: o.key, counted) == [("c", three)]


def test_tallies_drop_what_reaches_zero_and_keep_the_median():
    total: dict[str, int] = {}
    add_counts(total, {"may": 2, "june": 0})
    add_members(total, ["may", "july"])
    add_counts(total, {"may": 3}, -1)
    assert total == {"july": 1}
    values = SortedValues([5.0, 1.0])
    for value in (3.5, 1.0, 8.25):
        values.add(value)
    values.remove(5.0)
    assert values.median() == statistics.median([1.0, 1.0, 3.5, 8.25]) and len(values) == 4
    with pytest.raises(ValueError):
        values.remove(2.0)
    assert SortedValues().median() is None
