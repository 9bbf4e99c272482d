"""The ``feedback_card`` template filter: an item's row rendered once and reused by every listing page showing it.

An item is listed 5–6 times (all, top, newest, its status, kind and tags), and its row is the
costliest part of a listing page. A row depends only on the item's state and the site's
constant settings, so it is kept until the item changes: a new entry, thread (the comments
plugin makes a new one on every change), merge, tags or status. Rows are kept on the Jinja
environment, which each generator of each build makes anew: they never outlive their theme or site.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from pelican import signals

FILTER_NAME = "feedback_card"
# The template variables a row reads besides the item (constant within a build, compared all the same).
ROW_SETTINGS = ("SITEURL", "COMMENTS_SERVICE_URL", "DEFAULT_DATE_FORMAT", "THEME_STATIC_DIR")

_CONTEXT_READS = ("feedback_hub", *ROW_SETTINGS)
CARDS_ATTRIBUTE = "cluetrain_feedback_cards"


def _state(context: Context, item: Any) -> tuple[Any, ...]:
    """What the row is drawn from, compared by identity where objects are replaced rather than changed."""
    # Context.get's own look-up (vars, then parent), without its method calls: this runs for every row shown.
    own, parent = context.vars, context.parent
    settings = [own[name] if name in own else parent.get(name) for name in _CONTEXT_READS]
    return (item, item.item, item.thread, item.merged_into, item.status, item.answer, *settings, *item.tags)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(x is y or (isinstance(x, str) and x == y) for x, y in zip(a, b, strict=True))


@pass_context
def feedback_card(context: Context, item: Any, row_macro: Any, compact: bool = False) -> Markup:
    """``row_macro(item, compact)``, from the cache when the item is in the same state as last time."""
    cards: dict[tuple[int, bool], tuple[tuple[Any, ...], Markup]] | None = getattr(
        context.environment, CARDS_ATTRIBUTE, None)
    if cards is None:
        cards = {}
        setattr(context.environment, CARDS_ATTRIBUTE, cards)
    key = (id(item), compact)
    state = _state(context, item)
    found = cards.get(key)
    if found is not None and _same(found[0], state):
        return found[1]
    html = Markup(row_macro(item, compact))
    cards[key] = (state, html)
    return html


# The context names it reads (shared macro modules in cluetrain_comments key on them).
feedback_card.context_reads = _CONTEXT_READS  # type: ignore[attr-defined]


def add_filter(pelican: Any) -> None:
    """At ``initialized``: offer the filter to the templates."""
    pelican.settings.setdefault("JINJA_FILTERS", {})[FILTER_NAME] = feedback_card


signals.initialized.connect(add_filter)
