"""Cluetrain comments: attaches approved comments to posts and pages, writes feeds and the manifest.

Signals used:
* ``initialized`` checks the site settings and adds the ``isodate`` Jinja filter;
* ``all_generators_finalized`` reads content/comments/ and sets ``thread`` on every
  article and page (see README, "Template variables");
* ``get_generators`` adds the generators that write comment feeds and threads.json.

A generator from another plugin can offer its own content for discussion by defining
``discussion_contents()`` → iterable of ``(content, kind)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from blinker import signal
from pelican import signals
from pelican.generators import ArticlesGenerator, PagesGenerator

from cluetrain import site_settings
from cluetrain.content_format import ContentFormatError, comment_path, load_comments

from .generators import CommentFeedsGenerator, ThreadManifestGenerator
from .threads import Thread, build_tree, discussion_state, thread_key_of, walk

THREADS_CONTEXT_KEY = "cluetrain_threads"
# Sent with ``count=`` once the comment files are read, for build progress displays.
comments_loaded = signal("cluetrain_comments_loaded")

__all__ = ["THREADS_CONTEXT_KEY", "Thread", "register"]


def isodate(value: datetime) -> str:
    """ISO 8601 for machines (``<time datetime>``, JSON-LD, sitemaps)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat(timespec="seconds")


def configure(pelican: Any) -> None:
    """Check our settings (defaults filled in) and make the ``isodate`` filter available."""
    site_settings.apply(pelican.settings)
    pelican.settings.setdefault("JINJA_FILTERS", {})["isodate"] = isodate


def _discussion_contents(generators: Iterable[Any]) -> Iterator[tuple[Any, str]]:
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            for article in (*generator.articles, *generator.hidden_articles, *generator.drafts):
                yield article, "article"
            for article in (*generator.translations, *generator.hidden_translations, *generator.drafts_translations):
                article.thread = None  # a translation shares its original's slug; one thread per key
        elif isinstance(generator, PagesGenerator):
            for page in (*generator.pages, *generator.hidden_pages, *generator.draft_pages):
                yield page, "page"
            for page in (*generator.translations, *generator.hidden_translations, *generator.draft_translations):
                page.thread = None
        elif hasattr(generator, "discussion_contents"):
            yield from generator.discussion_contents()


def attach_threads(generators: list[Any]) -> None:
    """Give every discussable content object its ``thread``; unknown threads fail the build."""
    first = generators[0]
    settings, context = first.settings, first.context
    content_root = Path(settings["PATH"])
    now = settings.get("COMMENTS_NOW") or datetime.now(timezone.utc)
    feed_pattern = settings.get("COMMENTS_FEED_ATOM")
    pending = load_comments(content_root)
    comments_loaded.send(attach_threads, count=sum(map(len, pending.values())))
    threads: dict[str, tuple[Any, str]] = {}

    for content, kind in _discussion_contents(generators):
        has_thread, is_open, reason = discussion_state(content, is_page=(kind == "page"), settings=settings, now=now)
        if not has_thread:
            content.thread = None
            continue
        key = thread_key_of(content)
        if key in threads:
            other = threads[key][0]
            raise ContentFormatError(
                f"slug {key!r} is also the slug of {getattr(other, 'source_path', '?')}; threads need unique slugs",
                getattr(content, "source_path", None),
            )
        roots = build_tree(content_root, key, pending.pop(key, []), settings["COMMENTS_MAX_DEPTH"])
        nodes = walk(roots)
        content.thread = Thread(
            key=key,
            open=is_open,
            closed_reason=reason,
            comments=roots,
            count=len(nodes),
            latest=max((n.date for n in nodes), default=None),
            feed_url=feed_pattern.format(thread=key) if feed_pattern else None,
        )
        threads[key] = (content, kind)

    for key, orphans in sorted(pending.items()):
        raise ContentFormatError(
            f"thread {key!r} matches no post or page (is the slug right, or was the post removed?)",
            comment_path(content_root, key, orphans[0].id),
        )
    context[THREADS_CONTEXT_KEY] = threads


def add_generators(_pelican: Any) -> list[type]:
    """The generators that write comment feeds and the thread manifest."""
    return [CommentFeedsGenerator, ThreadManifestGenerator]


def register() -> None:
    """Connect the plugin to Pelican's signals."""
    signals.initialized.connect(configure)
    signals.all_generators_finalized.connect(attach_threads)
    signals.get_generators.connect(add_generators)
