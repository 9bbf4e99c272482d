"""The dependency fan-out: which outputs show a thread, so a comment change rewrites exactly those.

Explicit on purpose (and tested): a content object's thread shows on its own page, in its
comment feeds and, through the comment count of the theme's ``post_meta``/``post_row``
macros, on the listing pages that show that count: the index, tag, category and author pages
(the one pagination page holding the post), and the newest three posts of each category and
author on the categories and authors pages. The archives (all posts, by year) show no counts,
so a comment does not rewrite them. Site-wide outputs that summarise all threads (sitemap
lastmod, threads.json, the all-comments feed) are listed by the resident site.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pelican.generators import ArticlesGenerator
from pelican.paginator import Paginator

# Direct templates of our theme that show no comment counts: no posts at all, tag names only, or
# the archives (``post_rows(..., counts=false)``, as in period_archives.html).
COUNTLESS_DIRECT_TEMPLATES = frozenset({"404", "tags", "archives"})
# Direct templates that show counts for the first N posts of each group only (``written[:3]``).
PREVIEW_DIRECT_TEMPLATES = {"categories": 3, "authors": 3}
# Whether period archives (year pages) show counts: they do not (period_archives.html).
PERIOD_ARCHIVES_SHOW_COUNTS = False


class TargetKind(enum.StrEnum):
    """What renders a target: one of Pelican's write calls, or the plugins' generators."""

    ARTICLE = "article"
    PAGE = "page"
    DIRECT = "direct"  # index, archives, tags, categories, authors, 404
    TAG = "tag"
    CATEGORY = "category"
    AUTHOR = "author"
    PERIOD = "period"
    FEEDS = "feeds"  # Pelican's post feeds (those of the paths named)
    PLUGINS = "plugins"  # feeds, manifest, sitemap, feedback hub: re-run with a selection


@dataclass(frozen=True, slots=True)
class Target:
    """Outputs to rewrite (paths relative to OUTPUT_PATH) and what renders them."""

    kind: TargetKind
    paths: tuple[str, ...]
    subject: Any = None  # the article, page, tag... the write call is about


def _contains(items: Sequence[Any], target: Any) -> bool:
    return any(item is target for item in items)


def listing_pages(name: str, url: str, items: Sequence[Any], template_name: str, settings: dict[str, Any],
                  target: Any) -> tuple[str, ...]:
    """The output paths of the pages of a listing that show ``target`` (one path if not paginated)."""
    if not _contains(items, target):
        return ()
    paginated = settings["PAGINATED_TEMPLATES"]
    if template_name not in paginated:
        return (name,)
    per_page = paginated[template_name] or settings["DEFAULT_PAGINATION"]
    paginator = Paginator(name, url, list(items), settings, per_page)
    for number in paginator.page_range:
        page = paginator.page(number)
        if _contains(page.object_list, target):
            return (page.save_as,)
    return ()


def _previewed(generator: ArticlesGenerator, template: str, article: Any, shown: int) -> bool:
    """Whether ``article`` is among the first ``shown`` posts of one of its groups on ``template``'s page."""
    groups = generator.categories if template == "categories" else generator.authors
    return any(_contains(articles[:shown], article) for _group, articles in groups)


def direct_template_outputs(settings: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(template, save_as, url) of each direct template Pelican writes."""
    for template in settings["DIRECT_TEMPLATES"]:
        save_as = settings.get(f"{template.upper()}_SAVE_AS", f"{template}.html")
        if save_as:
            yield template, save_as, settings.get(f"{template.upper()}_URL", f"{template}.html")


def article_targets(generator: ArticlesGenerator, article: Any) -> list[Target]:
    """Pelican outputs that show ``article``'s comment count or thread, its own page first."""
    s = generator.settings
    targets = [Target(TargetKind.ARTICLE, (article.save_as,), article)]
    if getattr(article, "status", "published") != "published":
        return targets  # drafts and hidden articles appear in no listing
    for template, save_as, url in direct_template_outputs(s):
        if template in COUNTLESS_DIRECT_TEMPLATES:
            continue
        if template in PREVIEW_DIRECT_TEMPLATES:
            if _previewed(generator, template, article, PREVIEW_DIRECT_TEMPLATES[template]):
                targets.append(Target(TargetKind.DIRECT, (save_as,), template))
            continue
        paths = listing_pages(save_as, url, generator.articles, template, s, article)
        if paths:
            targets.append(Target(TargetKind.DIRECT, paths, template))
    for tag in getattr(article, "tags", None) or ():
        articles = generator.tags.get(tag, [])
        paths = listing_pages(tag.save_as, tag.url, articles, "tag", s, article)
        targets.append(Target(TargetKind.TAG, paths, (tag, articles)))
    for category, articles in generator.categories:
        if category == getattr(article, "category", None):
            paths = listing_pages(category.save_as, category.url, articles, "category", s, article)
            targets.append(Target(TargetKind.CATEGORY, paths, (category, articles)))
    authors = getattr(article, "authors", None) or ()
    for author, articles in generator.authors:
        if author in authors:
            paths = listing_pages(author.save_as, author.url, articles, "author", s, article)
            targets.append(Target(TargetKind.AUTHOR, paths, (author, articles)))
    for granularity in generator.period_archives if PERIOD_ARCHIVES_SHOW_COUNTS else ():
        for period in generator.period_archives[granularity]:
            paths = listing_pages(period["save_as"], period["url"], period["articles"], "period_archives", s, article)
            if paths:
                targets.append(Target(TargetKind.PERIOD, paths, period))
    return [target for target in targets if target.paths]


def page_targets(page: Any) -> list[Target]:
    """A page shows its thread only on itself (menus list titles, not comment counts)."""
    return [Target(TargetKind.PAGE, (page.save_as,), page)]
