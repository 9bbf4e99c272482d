"""Cluetrain search: keeps the Whoosh index of posts, pages, feedback and comments in step with the site.

Signals used:
* ``initialized`` checks the site settings (the index must live outside OUTPUT_PATH);
* ``all_generators_finalized`` remembers the run's generators (sent once threads are attached:
  the comments plugin comes first in PLUGINS);
* ``get_writer`` (Pelican asks for its writer once everything is read) plans the index update:
  a large one is written by a worker process while the pages are (``cluetrain.search.worker``);
* ``get_generators`` adds :class:`SearchIndexGenerator`, which compares each document's
  signature with the index and writes only what changed (see ``cluetrain.search``);
* ``finalized`` (all output written) waits for the worker, if there is one, and announces its report.

A generator from another plugin offers documents by defining ``search_documents()`` →
iterable of :class:`cluetrain.search.SearchDocument`; comments on that content are indexed
with it, found through the comments plugin's threads.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from pelican import signals

from cluetrain import site_settings
from cluetrain.search import index_location
from cluetrain.search.worker import IdleMeter

from .generator import GENERATORS_CONTEXT_KEY, SearchIndexGenerator

__all__ = ["SearchIndexGenerator", "register"]


# The build running in this thread: its idle meter (from initialized) and generators (from
# all_generators_finalized to finalized). Pelican sends those signals with itself, not its generators;
# ``cluetrain serve`` builds in threads.
_this_build = threading.local()


def configure(pelican: Any) -> None:
    """Check our settings (defaults filled in); a public index location is an error. Start the idle meter."""
    # How idle the CPUs stay while the site is read says whether a worker would get one of its own.
    _this_build.idle = IdleMeter()
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
    _this_build.generators = generators


def _index_generators() -> list[SearchIndexGenerator]:
    return [g for g in getattr(_this_build, "generators", ()) if isinstance(g, SearchIndexGenerator)]


def plan_index_update(_pelican: Any) -> None:
    """Everything is read and output begins: plan the index update (starting its worker, if it has one)."""
    generators = _index_generators()
    if generators:
        meter = getattr(_this_build, "idle", None)
        spare = meter.spare_cpus() if meter is not None else None
        for generator in generators:
            generator.prepare(spare)
    return None  # as a get_writer receiver: no writer of its own


def finish_index_update(_pelican: Any) -> None:
    """The build's output is done: wait for the index worker, if there is one (its failure fails the build)."""
    generators = _index_generators()
    _this_build.generators = ()
    for generator in generators:
        generator.finish()


def add_generator(_pelican: Any) -> type:
    """The generator that updates the search index."""
    return SearchIndexGenerator


def register() -> None:
    """Connect the plugin to Pelican's signals."""
    signals.initialized.connect(configure)
    signals.all_generators_finalized.connect(remember_generators)
    signals.get_writer.connect(plan_index_update)
    signals.finalized.connect(finish_index_update)
    signals.get_generators.connect(add_generator)
