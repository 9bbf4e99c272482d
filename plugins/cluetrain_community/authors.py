"""Per-author activity for evangelists' pages: their posts and the comments those posts received."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .activity import months_between
from .summaries import ThreadSummaries, month_of, months_of


@dataclass(frozen=True, slots=True)
class PostShown:
    """What an author's page shows of a post (a value: the resident builder compares pages' data by it)."""

    url: str
    title: str
    date: datetime


@dataclass(frozen=True, slots=True)
class PostActivity:
    """One of an author's posts and how many comments it received."""

    article: PostShown
    comments: int


@dataclass(frozen=True, slots=True)
class AuthorActivity:
    """An author (Pelican's Author: name, slug, url), their posts newest first, and comments by month."""

    author: Any
    posts: list[PostActivity]
    comments_received: int
    months: list[tuple[date, int, int]]  # (month, posts, comments received)
    commenters: int = 0  # distinct public names among the comments on the author's posts

    @property
    def slug(self) -> str:
        return self.author.slug


def author_activity(author: Any, articles: list[Any], summaries: ThreadSummaries,
                    url_of: Callable[[Any], str]) -> AuthorActivity:
    """What one author published and what their posts received, month by month (``url_of``: a post's URL)."""
    # The post's URL read once per build (url_of), not formatted anew by Pelican on the page.
    posts = [PostActivity(PostShown(url_of(article), article.title, article.date),
                          article.thread.count if getattr(article, "thread", None) else 0)
             for article in sorted(articles, key=lambda a: a.date, reverse=True)]
    threads = [article.thread for article in articles if getattr(article, "thread", None)]
    published = Counter(month_of(article.date) for article in articles)
    received = months_of(summaries, threads)
    commenters = len(frozenset().union(*(summaries.of(thread).authors for thread in threads)))
    return activity_of(author, posts, published, received, commenters)


def activity_of(author: Any, posts: list[PostActivity], published: Mapping[date, int], received: Mapping[date, int],
                commenters: int) -> AuthorActivity:
    """An author's activity from their posts (newest first) and counts by month (none with a count 0)."""
    seen = set(published) | set(received)
    months = [(month, published.get(month, 0), received.get(month, 0))
              for month in (months_between(min(seen), max(seen)) if seen else [])]
    return AuthorActivity(author=author, posts=posts, comments_received=sum(p.comments for p in posts), months=months,
                          commenters=commenters)
