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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from blinker import signal
from pelican import signals
from pelican.generators import ArticlesGenerator, PagesGenerator

from cluetrain import site_settings
from cluetrain.content_format import ContentFormatError, comment_path, load_comments
from cluetrain.content_format.comment_cache import CommentCache

from .day_format import remember_days
from .generators import CommentFeedsGenerator, ThreadManifestGenerator
from .macro_modules import share_modules
from .rendered import RenderedBodies
from .threads import Thread, build_tree, discussion_state, thread_key_of, walk

THREADS_CONTEXT_KEY = "cluetrain_threads"
# Where a resident builder puts its in-memory RenderedBodies, so full builds reuse them.
RENDERED_BODIES_CONTEXT_KEY = "cluetrain_rendered_bodies"
# Sent with ``count=`` once the comment files are read, for build progress displays; ``parsed=`` and
# ``reused=`` say how many files were parsed and how many taken from the comment cache.
comments_loaded = signal("cluetrain_comments_loaded")

__all__ = ["RENDERED_BODIES_CONTEXT_KEY", "THREADS_CONTEXT_KEY", "RenderedBodies", "Thread", "make_thread", "register"]


def isodate(value: datetime) -> str:
    """ISO 8601 for machines (``<time datetime>``, JSON-LD, sitemaps)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
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


def make_thread(content: Any, kind: str, comments: list[Any], *, settings: dict, now: datetime,
                bodies: RenderedBodies) -> Thread | None:
    """The thread of one content object with these approved ``comments`` (None: it has no thread)."""
    has_thread, is_open, reason = discussion_state(content, is_page=(kind == "page"), settings=settings, now=now)
    if not has_thread:
        return None
    key = thread_key_of(content)
    feed_pattern = settings.get("COMMENTS_FEED_ATOM")
    # The content root as given: build_tree makes a Path of it only to name a file in an error.
    roots = build_tree(settings["PATH"], key, comments, settings["COMMENTS_MAX_DEPTH"], bodies)
    nodes = walk(roots)
    return Thread(
        key=key,
        open=is_open,
        closed_reason=reason,
        comments=roots,
        count=len(nodes),
        latest=max((n.date for n in nodes), default=None),
        feed_url=feed_pattern.format(thread=key) if feed_pattern else None,
    )


def thread_now(settings: dict) -> datetime:
    """The "now" that decides whether a thread closed by age (COMMENTS_NOW in reproducible builds)."""
    return settings.get("COMMENTS_NOW") or datetime.now(UTC)


def attach_threads(generators: list[Any]) -> None:
    """Give every discussable content object its ``thread``; unknown threads fail the build."""
    first = generators[0]
    settings, context = first.settings, first.context
    content_root = Path(settings["PATH"])
    now = thread_now(settings)
    cache_dir = Path(settings["CACHE_PATH"]) if settings.get("LOAD_CONTENT_CACHE") else None
    # The resident builder keeps its bodies in memory; a one-off build loads them from the cache.
    bodies = context.get(RENDERED_BODIES_CONTEXT_KEY) or RenderedBodies.load(cache_dir)
    # Parsed comment files, reused while each file's stat signature holds (every file is still listed
    # and stat()ed). Incremental updates never use it: they read the changed threads' files directly.
    keep = bool(settings.get("CACHE_CONTENT"))
    files = CommentCache.load(cache_dir, content_root) if cache_dir is not None or keep else None
    pending = load_comments(content_root, files)
    count = sum(map(len, pending.values()))
    comments_loaded.send(attach_threads, count=count, parsed=files.parsed if files else count,
                         reused=files.reused if files else 0)
    threads: dict[str, tuple[Any, str]] = {}

    for content, kind in _discussion_contents(generators):
        thread = make_thread(content, kind, pending.get(getattr(content, "slug", None), []), settings=settings,
                             now=now, bodies=bodies)
        content.thread = thread
        if thread is None:
            continue
        pending.pop(thread.key, None)
        if thread.key in threads:
            other = threads[thread.key][0]
            raise ContentFormatError(
                f"slug {thread.key!r} is also the slug of {getattr(other, 'source_path', '?')}; "
                "threads need unique slugs",
                getattr(content, "source_path", None),
            )
        threads[thread.key] = (content, kind)

    for key, orphans in sorted(pending.items()):
        raise ContentFormatError(
            f"thread {key!r} matches no post or page (is the slug right, or was the post removed?)",
            comment_path(content_root, key, orphans[0].id),
        )
    context[THREADS_CONTEXT_KEY] = threads
    if keep and files is not None:
        files.save(Path(settings["CACHE_PATH"]))
    if keep and cache_dir is not None:
        bodies.save(cache_dir)


def add_generators(_pelican: Any) -> list[type]:
    """The generators that write comment feeds and the thread manifest."""
    return [CommentFeedsGenerator, ThreadManifestGenerator]


def register() -> None:
    """Connect the plugin to Pelican's signals."""
    signals.initialized.connect(configure)
    signals.all_generators_finalized.connect(attach_threads)
    signals.get_generators.connect(add_generators)
    signals.generator_init.connect(share_modules)
    signals.generator_init.connect(remember_days)
