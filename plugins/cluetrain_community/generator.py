"""The community generator: the stats page with its charts, per-author pages and the rules in force."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from cluetrain.content_format.moderation_stats import ModerationMonth, read_moderation_stats
from cluetrain.output_files import content_urls, replace_file, wanted
from cluetrain.rules_summary import RuleInForce, load_rules_document, rules_in_force

from .activity import Headline, MonthActivity, headline, monthly_activity
from .authors import AuthorActivity, author_activity
from .charts import Chart, chart_cache_for, load_renderer, render_svg
from .contributors import Level, LevelBadges, Standing, check_levels, check_points, rank
from .stats_charts import author_chart, community_charts
from .summaries import ThreadSummaries
from .totals import CommunityData, CommunityTotals
from .updates import changed_outputs


@dataclass(frozen=True, slots=True)
class Community:
    """What every template gets as ``community``: the pages' URLs and the moderation rules in force."""

    stats_url: str
    authors_url: str
    charts_url: str
    rules_url: str | None
    rules: list[RuleInForce]
    contributors_url: str = ""


def _rules_file(settings: dict[str, Any]) -> Path | None:
    configured = settings["COMMUNITY_RULES_FILE"]
    if not configured:
        return None
    path = Path(configured)
    # Relative to the project folder (the parent of PATH), like the service's paths.
    return path if path.is_absolute() else Path(settings["PATH"]).resolve().parent / path


class CommunityGenerator(Generator):
    """Writes the community stats page, its SVG charts and a page per author."""

    def generate_context(self) -> None:
        """Read the rules in force and expose ``community`` to every template."""
        base = self.settings["COMMUNITY_PATH"].strip("/")
        rules_page = self.settings["COMMUNITY_RULES_PAGE"]
        self.community = Community(
            stats_url=f"{base}/", authors_url=f"{base}/authors/", charts_url=f"{base}/charts/",
            rules_url=self.settings["PAGE_URL"].format(slug=rules_page) if rules_page else None,
            rules=rules_in_force(load_rules_document(_rules_file(self.settings))),
            contributors_url=f"{base}/contributors/",
        )
        self.context["community"] = self.community
        # Contributors: checked now so a bad setting fails the build before anything is written.
        self.points = check_points(self.settings["COMMUNITY_CONTRIBUTOR_POINTS"])
        self.levels = check_levels(self.settings["COMMUNITY_CONTRIBUTOR_LEVELS"])
        self.context["contributor_levels"] = LevelBadges(lambda: self.levels_by_key)
        self._summaries = ThreadSummaries()  # the full pass's, handed to the running totals
        self._data: CommunityData | None = None  # what the pages show: the full pass's, then the totals'
        self._totals: CommunityTotals | None = None  # made after a full build, for the resident builder's updates
        self._changed_levels: frozenset[str] = frozenset()  # contributors whose level the last update changed
        self.chart_cache = chart_cache_for(self.settings)

    # Threads are attached after every generator read its content, so compute at write time.
    @property
    def months(self) -> list[MonthActivity]:
        return self._current().months

    @property
    def headline(self) -> Headline:
        return self._current().headline

    @property
    def authors(self) -> list[AuthorActivity]:
        return self._current().authors

    @property
    def contributors(self) -> list[Standing]:
        return self._current().contributors

    @property
    def levels_by_key(self) -> dict[str, Level]:
        return self._current().levels_by_key

    def _current(self) -> CommunityData:
        if self._data is None:
            self._data = self._full_pass()
        return self._data

    def _full_pass(self) -> CommunityData:
        """Every number from every thread and item (a full build's; updates keep running totals instead)."""
        threads, items = self._threads(), self._feedback_items()
        closed = self.settings["FEEDBACK_CLOSED_STATUSES"]
        urls = content_urls(self.context)
        comments = [comment for content, _ in threads.values()
                    for comment in self._summaries.of(content.thread).comments]
        contributors = rank(comments, items, self.points, self.levels, self.settings["COMMUNITY_DONE_STATUSES"])
        months = monthly_activity(self._articles(), threads, items, closed, self._moderation(), self._summaries)
        return CommunityData(
            months=months,
            headline=headline(self._articles(), threads, items, closed, self._summaries),
            authors=[author_activity(author, articles, self._summaries, urls)
                     for author, articles in self.context.get("authors", ())],
            contributors=contributors,
            levels_by_key={standing.key: standing.level for standing in contributors if standing.level},
            charts=community_charts(months),
        )

    def _moderation(self) -> list[ModerationMonth] | None:
        moderation_file = self.settings["COMMUNITY_MODERATION_STATS"]
        return read_moderation_stats(Path(self.settings["PATH"]), moderation_file) if moderation_file else None

    def _new_totals(self) -> CommunityTotals:
        """Running totals of the content as it is now (the full pass's thread summaries reused)."""
        totals = CommunityTotals(self._articles(), self.context.get("authors", ()), content_urls(self.context),
                                 self.settings["FEEDBACK_CLOSED_STATUSES"], self.settings["COMMUNITY_DONE_STATUSES"],
                                 self.points, self.levels)
        totals.refresh(self._contents(), self._feedback_items(), self._summaries.of)
        self._summaries = ThreadSummaries()  # the totals keep the summaries they need
        return totals

    def _articles(self) -> list[Any]:
        return list(self.context.get("articles", ()))

    def _contents(self) -> list[Any]:
        """Public content that may have a thread, in site order: published posts and pages, and feedback items."""
        return [*self.context.get("articles", ()), *self.context.get("pages", ()),
                *self.context.get("feedback_entries", ())]

    def _threads(self) -> dict[str, tuple[Any, str]]:
        """Public content with a thread: published posts and pages, and feedback items."""
        return {content.thread.key: (content, "") for content in self._contents() if getattr(content, "thread", None)}

    def _feedback_items(self) -> list[Any]:
        return [entry.item for entry in self.context.get("feedback_entries", ())]

    def author_url(self, activity: AuthorActivity) -> str:
        """An author's community page, relative to SITEURL."""
        return f"{self.community.authors_url}{activity.slug}/"

    def sitemap_entries(self) -> Iterator[tuple[str, datetime | None]]:
        """The stats page and every author page (the SEO plugin's extension point)."""
        yield self.community.stats_url, None
        yield self.community.contributors_url, None
        for activity in self.authors:
            yield self.author_url(activity), None

    def after_content_changed(self) -> list[str]:
        """Hook for the resident builder after comments or feedback items changed: the outputs whose data changed."""
        before = self._current()
        if self._totals is None:  # no warm-up after the full build: totals of the content as it is now
            self._totals, changes = self._new_totals(), None
        else:
            entries = self.context.get("feedback_entries", ())
            changes = self._totals.refresh(self._contents(), map(attrgetter("item"), entries))
        after = self._data = self._totals.data(self._moderation(), before)
        if changes is None:
            self._changed_levels = frozenset(key for key in before.levels_by_key.keys() | after.levels_by_key.keys()
                                             if before.levels_by_key.get(key) != after.levels_by_key.get(key))
        else:
            self._changed_levels = changes.levels
        return changed_outputs(self.community, before, after, changes)

    def warm_up(self) -> None:
        """Hook for the resident builder after a full build: load the chart renderer and make the running totals.

        Both now, before an update needs them: the totals cost a pass over every thread and item.
        """
        load_renderer()
        self._current()  # the pages' data before any update (the full build computed it)
        self._totals = self._new_totals()

    def threads_to_rerender(self) -> set[str]:
        """Hook for the resident builder, after ``after_content_changed``: threads showing a changed badge.

        A contributor's level is a badge beside each of their comments, so when it changes (votes on an
        item they filed can do it as well as a comment), every thread they wrote in shows something new.
        """
        changed = self._changed_levels
        if not changed or self._totals is None:
            return set()
        return self._totals.threads_of(changed)

    def generate_output(self, writer: Any) -> None:
        """Write the stats page and its charts, then each author's page and chart."""
        charts = self._current().charts
        self._write_charts(charts)
        self._render(writer, f"{self.community.stats_url}index.html", "community/stats",
                     months=self.months, headline=self.headline, charts=charts,
                     authors=[(activity, self.author_url(activity)) for activity in self.authors])
        self._render(writer, f"{self.community.contributors_url}index.html", "community/contributors",
                     contributors=self.contributors, points=self.points, levels=self.levels)
        for activity in self.authors:
            chart = author_chart(activity)
            self._write_charts([chart] if chart else [])
            self._render(writer, f"{self.author_url(activity)}index.html", "community/author",
                         activity=activity, chart=chart)

    def _write_charts(self, charts: list[Chart]) -> None:
        for chart in charts:
            relative = f"{self.community.charts_url}{chart.file_name}"
            if wanted(self.context, relative):
                target = Path(self.output_path) / relative
                replace_file(target, render_svg(chart, self.chart_cache))
                signals.content_written.send(os.fspath(target), context=self.context)

    def _render(self, writer: Any, save_as: str, template: str, **variables: Any) -> None:
        if wanted(self.context, save_as):
            writer.write_file(save_as, self.get_template(template), self.context,
                              relative_urls=self.settings["RELATIVE_URLS"], **variables)
