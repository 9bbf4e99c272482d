"""Cluetrain crawler basics: sitemap.xml, robots.txt and JSON-LD structured data.

* ``initialized`` adds the ``jsonld`` Jinja filter (article or page → schema.org JSON,
  its comments included as ``Comment``s, safe inside ``<script type="application/ld+json">``);
* ``get_generators`` adds :class:`SitemapGenerator`, which writes sitemap.xml and robots.txt.

A generator from another plugin can add sitemap entries by defining
``sitemap_entries()`` → iterable of ``(relative_url, lastmod datetime or None)``.
"""

from __future__ import annotations

from typing import Any

from pelican import signals

from cluetrain import site_settings

from .sitemap import SitemapGenerator, remember_generators
from .structured_data import jsonld

__all__ = ["SitemapGenerator", "jsonld", "register"]


def add_filters(pelican: Any) -> None:
    """Check our settings (defaults filled in) and make the ``jsonld`` filter available."""
    site_settings.apply(pelican.settings)
    pelican.settings.setdefault("JINJA_FILTERS", {})["jsonld"] = jsonld


def add_generators(_pelican: Any) -> type:
    """The generator that writes sitemap.xml and robots.txt."""
    return SitemapGenerator


def register() -> None:
    """Connect the plugin to Pelican's signals."""
    signals.initialized.connect(add_filters)
    signals.get_generators.connect(add_generators)
    signals.all_generators_finalized.connect(remember_generators)
