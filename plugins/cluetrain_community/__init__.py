"""Cluetrain community: the stats page with SVG charts, per-author pages and the moderation rules in force.

Writes, under ``COMMUNITY_PATH`` (``community/``): ``index.html`` (activity by month as
charts and tables, headline numbers), ``charts/*.svg`` (rendered with matplotlib at build
time) and ``authors/<slug>/index.html``. Every template gets ``community`` (URLs and the
rules in force, read from the same rules TOML the service loads). See README, "Community".

Signals used:
* ``initialized`` checks the site settings;
* ``get_generators`` adds :class:`CommunityGenerator`, which offers its pages to the
  sitemap (``sitemap_entries()``).

List it after ``cluetrain_comments`` and ``cluetrain_feedback`` in PLUGINS.
"""

from __future__ import annotations

from typing import Any

from pelican import signals

from cluetrain import site_settings

from .generator import Community, CommunityGenerator

__all__ = ["Community", "CommunityGenerator", "register"]


def configure(pelican: Any) -> None:
    """Check our settings (defaults filled in)."""
    site_settings.apply(pelican.settings)


def add_generators(_pelican: Any) -> type:
    """The generator that writes the community pages."""
    return CommunityGenerator


def register() -> None:
    """Connect the plugin to Pelican's signals."""
    signals.initialized.connect(configure)
    signals.get_generators.connect(add_generators)
