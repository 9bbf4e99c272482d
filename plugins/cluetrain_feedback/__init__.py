"""Cluetrain feedback hub: bugs, ideas, questions and praise as static, crawlable pages.

Reads ``content/feedback/<id>-<slug>.md`` (see cluetrain.content_format.feedback) and
writes, under ``/feedback/``: one page per item, paginated listings (all, top, new,
answered, by status, kind and tag), the roadmap, a tag index, Atom feeds and a JSON
index of titles for "similar items" suggestions. See README, "Feedback hub".

Signals used:
* ``initialized`` checks the site settings and adds the ``feedback_jsonld`` Jinja filter;
* ``get_generators`` adds :class:`FeedbackGenerator`, which offers every item to the
  comments plugin (``discussion_contents()``, threads ``feedback-<id>``) and to the
  sitemap (``sitemap_entries()``).

List it after ``cluetrain_comments`` in PLUGINS (its items join the comment threads).
"""

from __future__ import annotations

from typing import Any

from pelican import signals

from cluetrain import site_settings

from .generator import FeedbackGenerator
from .statuses import StatusScheme
from .structured_data import feedback_jsonld

__all__ = ["FeedbackGenerator", "register"]


def configure(pelican: Any) -> None:
    """Check our settings (defaults filled in) and make the ``feedback_jsonld`` filter available."""
    site_settings.apply(pelican.settings)
    StatusScheme.from_settings(pelican.settings)
    pelican.settings.setdefault("JINJA_FILTERS", {})["feedback_jsonld"] = feedback_jsonld


def add_generators(_pelican: Any) -> type:
    """The generator that writes the hub."""
    return FeedbackGenerator


def register() -> None:
    """Connect the plugin to Pelican's signals."""
    signals.initialized.connect(configure)
    signals.get_generators.connect(add_generators)
