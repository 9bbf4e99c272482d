"""Cluetrain search: keeps the Whoosh index of posts, pages, feedback and comments in step with the site.

Signals used:
* ``initialized`` checks the site settings (the index must live outside OUTPUT_PATH);
* ``all_generators_finalized`` remembers the run's generators;
* ``get_generators`` adds :class:`SearchIndexGenerator`, which compares each document's
  signature with the index and writes only what changed (see ``cluetrain.search``).

A generator from another plugin offers documents by defining ``search_documents()`` →
iterable of :class:`cluetrain.search.SearchDocument`; comments on that content are indexed
with it, found through the comments plugin's threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pelican import signals

from cluetrain import site_settings
from cluetrain.search import index_location

from .generator import GENERATORS_CONTEXT_KEY, SearchIndexGenerator

__all__ = ["SearchIndexGenerator", "register"]


def configure(pelican: Any) -> None:
    """Check our settings (defaults filled in); a public index location is an error."""
    settings = pelican.settings
    site_settings.apply(settings)
    location = index_location(settings)
    if location is not None and location.resolve().is_relative_to(Path(settings["OUTPUT_PATH"]).resolve()):
        raise site_settings.SiteSettingError(
            f"setting SEARCH_INDEX_PATH ({location}) is inside OUTPUT_PATH; the index must not be published"
        )


def remember_generators(generators: list[Any]) -> None:
    """Keep the run's generators in its context, for the index generator to ask for documents."""
    if generators:
        generators[0].context[GENERATORS_CONTEXT_KEY] = generators


def add_generator(_pelican: Any) -> type:
    """The generator that updates the search index."""
    return SearchIndexGenerator


def register() -> None:
    """Connect the plugin to Pelican's signals."""
    signals.initialized.connect(configure)
    signals.all_generators_finalized.connect(remember_generators)
    signals.get_generators.connect(add_generator)
