"""Authors' activity kept up to date: what each author's posts received, changed only by the threads that changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .authors import PostActivity, PostShown, activity_of
from .summaries import ThreadSummary, month_of
from .tallies import add_counts, add_members


@dataclass(slots=True)
class _Author:
    """One author's running totals: posts newest first, published and received by month, commenters' names."""

    author: Any
    posts: list[PostActivity]
    published: Counter[date]
    received: dict[date, int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)  # public name → how many of the posts' threads have it


@dataclass(slots=True)
class _Post:
    """One post of one author, with the thread (and its summary) counted in that author's totals."""

    article: Any
    author: int  # index into the authors
    index: int  # into that author's posts
    counted: tuple[Any, ThreadSummary] | None = None


class AuthorTotals:
    """``author_activity`` for every author, kept by taking away a changed thread's old share and adding its new one.

    A post's metadata (title, date, URL, authors) changes only with a full build, which makes a
    new generator; here only the threads of posts change (the resident builder replaces them).
    """

    def __init__(self, authors: Iterable[tuple[Any, list[Any]]], url_of: Callable[[Any], str]) -> None:
        self._authors: list[_Author] = []
        self._posts: dict[str, list[_Post]] = {}  # by slug, the key of a post's thread
        for author, articles in authors:
            # As author_activity: the post's URL read once, newest first (a stable sort, as there).
            ordered = sorted(articles, key=lambda article: article.date, reverse=True)
            posts = [PostActivity(PostShown(url_of(article), article.title, article.date), 0) for article in ordered]
            for index, article in enumerate(ordered):
                self._posts.setdefault(article.slug, []).append(_Post(article, len(self._authors), index))
            self._authors.append(_Author(author, posts, Counter(month_of(article.date) for article in articles)))
        self._dirty: set[int] = set()
        # Before any thread is counted: what each author's page shows while their posts have no comments.
        self.activities = [activity_of(state.author, state.posts, state.published, {}, 0) for state in self._authors]

    def thread_changed(self, key: str, share_of: Callable[[Any], ThreadSummary]) -> None:
        """Follow the thread ``key`` of the posts with that slug (if it is their thread that changed)."""
        for post in self._posts.get(key, ()):
            thread = getattr(post.article, "thread", None)
            if (post.counted[0] if post.counted else None) is thread:
                continue  # this post's thread is the one counted (the key's thread is another content's)
            state = self._authors[post.author]
            if post.author not in self._dirty:
                self._dirty.add(post.author)
                state.posts = list(state.posts)  # the previous activity keeps the list it was made with
            if post.counted is not None:
                add_counts(state.received, post.counted[1].months, -1)
                add_members(state.names, post.counted[1].authors, -1)
            post.counted = (thread, share_of(thread)) if thread is not None else None
            if post.counted is not None:
                add_counts(state.received, post.counted[1].months)
                add_members(state.names, post.counted[1].authors)
            state.posts[post.index] = PostActivity(state.posts[post.index].article,
                                                   thread.count if thread is not None else 0)

    def settle(self) -> frozenset[int]:
        """Make the activity of each author whose posts' threads changed; returns their indexes."""
        activities = list(self.activities)  # a new list: the previous one is what the pages showed before
        for index in self._dirty:
            state = self._authors[index]
            activities[index] = activity_of(state.author, state.posts, state.published, state.received,
                                            len(state.names))
        dirty, self._dirty = frozenset(self._dirty), set()
        self.activities = activities
        return dirty
