"""A post whose text changed but not its metadata: re-read it in place, so its pages follow without a full build.

An evangelist's typo fix is the most common post change, and a full build blocks approvals for
seconds on a large site. Pelican derives everything site-wide (listings, tags, feeds' order, URLs)
from metadata, so when a re-read post differs from the resident one only in its body, the same
object takes the new body and the pages that show the body (its page, the listing cards with its
summary, the feeds listing it) are re-rendered. Anything else a post edit can change (title, date,
tags, slug, status, summary, translations, linked static files) is a full build.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.contents import Article, Content

from .plan import NeedsFullBuild

# What a body-only edit may change on the re-read object (``thread`` is ours, attached after reading).
BODY_ATTRIBUTES = frozenset({"_content"})
IGNORED_ATTRIBUTES = frozenset({"thread"})
# Pelican memoizes these per (object, siteurl) for the life of the process.
MEMOIZED = ("get_content", "get_summary")
# Pelican's per-post feed settings and the group whose slug fills them.
GROUP_FEEDS = {"CATEGORY": "category", "TAG": "tags", "AUTHOR": "authors"}


def known_posts(generator: Any, paths: Iterable[Path]) -> dict[Path, Any] | None:
    """The resident published posts read from ``paths``; None if any path is something else (or a translation)."""
    paths = list(paths)
    if not paths:
        return {}
    # Pelican keeps absolute source paths: looked up as given, absolute or resolved (no resolve() per post: every
    # update would pay for it). A path named another way is not found: a full build, as before.
    by_source = {article.source_path: article for article in generator.articles}
    found: dict[Path, Any] = {}
    for path in paths:
        article = by_source.get(os.path.abspath(path)) or by_source.get(os.path.realpath(path))
        if article is None or not os.path.isfile(path) or article.translations:
            return None
        found[Path(path)] = article
    return found


def reread(generator: Any, path: Path, article: Any) -> None:
    """Give ``article`` the body ``path`` holds now; NeedsFullBuild if anything but the body changed."""
    try:
        fresh = generator.readers.read_file(
            base_path=generator.path, path=str(Path(path).resolve().relative_to(Path(generator.path).resolve())),
            content_class=Article, context=generator.context, preread_signal=signals.article_generator_preread,
            preread_sender=generator, context_signal=signals.article_generator_context, context_sender=generator)
    except Exception as exc:  # noqa: BLE001 - any reader error: the full build reports it with its context
        raise NeedsFullBuild(f"{path} could not be re-read on its own ({exc})") from exc
    changed = {name for name in set(vars(article)) | set(vars(fresh))
               if name not in IGNORED_ATTRIBUTES and vars(article).get(name) != vars(fresh).get(name)}
    if not changed <= BODY_ATTRIBUTES:
        raise NeedsFullBuild(f"{path} changed more than its text ({', '.join(sorted(changed - BODY_ATTRIBUTES))})")
    if fresh.get_static_links() != article.get_static_links():
        raise NeedsFullBuild(f"{path} links other static files")
    forget_memoized([article])
    for name in changed:
        setattr(article, name, getattr(fresh, name))


def forget_memoized(objects: Iterable[Any]) -> None:
    """Drop Pelican's memoized content and summary of ``objects`` (all of them: ``forget_memoized_all``)."""
    doomed = {id(content) for content in objects}
    for name in MEMOIZED:
        cache = vars(Content)[name].cache
        for key in [key for key in cache if id(key[0]) in doomed]:
            del cache[key]


def forget_memoized_all() -> None:
    """Drop every memoized content and summary: a full build's new objects replace the old ones.

    Pelican keeps them in class-level caches that would otherwise hold every object of every
    earlier build alive in a resident builder.
    """
    for name in MEMOIZED:
        vars(Content)[name].cache.clear()


def feed_paths(settings: dict[str, Any], article: Any) -> Iterator[str]:
    """Every Pelican feed that can list ``article`` (the writer renders those the selection names)."""
    for setting in ("FEED_ATOM", "FEED_RSS", "FEED_ALL_ATOM", "FEED_ALL_RSS"):
        if settings.get(setting):
            yield settings[setting]
    for prefix, attribute in GROUP_FEEDS.items():
        value = getattr(article, attribute, None)
        groups = value if isinstance(value, list) else [value] if value is not None else []
        for kind in ("ATOM", "RSS"):
            pattern = settings.get(f"{prefix}_FEED_{kind}")
            if pattern:
                yield from (pattern.format(slug=group.slug) for group in groups)
