"""Per-author activity for evangelists' pages: their posts and the comments those posts received."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from .activity import months_between
from .summaries import ThreadSummaries, month_of, months_of


@dataclass(frozen=True, slots=True)
class PostActivity:
    """One of an author's posts and how many comments it received."""

    article: Any
    comments: int


@dataclass(frozen=True, slots=True)
class AuthorActivity:
    """An author (Pelican's Author: name, slug, url), their posts newest first, and comments by month."""

    author: Any
    posts: list[PostActivity]
    comments_received: int
    months: list[tuple[date, int, int]]  # (month, posts, comments received)

    @property
    def slug(self) -> str:
        return self.author.slug

    @property
    def commenters(self) -> int:
        """Distinct public names among the comments on the author's posts."""
        return len({node.author for post in self.posts if post.article.thread for node in post.article.thread.walk()})


def author_activity(author: Any, articles: list[Any], summaries: ThreadSummaries) -> AuthorActivity:
    """What one author published and what their posts received, month by month."""
    posts = [PostActivity(article, article.thread.count if getattr(article, "thread", None) else 0)
             for article in sorted(articles, key=lambda a: a.date, reverse=True)]
    published = Counter(month_of(article.date) for article in articles)
    received = months_of(summaries, (article.thread for article in articles if getattr(article, "thread", None)))
    seen = set(published) | set(received)
    months = [(month, published[month], received[month])
              for month in (months_between(min(seen), max(seen)) if seen else [])]
    return AuthorActivity(author=author, posts=posts, comments_received=sum(p.comments for p in posts), months=months)
