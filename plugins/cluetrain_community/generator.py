"""The community generator: the stats page with its charts, per-author pages and the rules in force."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from cluetrain.content_format.moderation_stats import read_moderation_stats
from cluetrain.output_files import content_urls, replace_file, wanted
from cluetrain.rules_summary import RuleInForce, load_rules_document, rules_in_force

from .activity import Headline, MonthActivity, headline, monthly_activity
from .authors import AuthorActivity, author_activity
from .charts import Chart, chart_cache_for, load_renderer, render_svg
from .contributors import Level, LevelBadges, Standing, check_levels, check_points, rank
from .stats_charts import author_chart, community_charts
from .summaries import ThreadSummaries


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
        self._last_inputs: dict[str, Any] | None = None  # the previous update's "after", this one's "before"
        self._changed_levels: frozenset[str] = frozenset()  # contributors whose level the last update changed
        self._summaries = ThreadSummaries()
        self.chart_cache = chart_cache_for(self.settings)

    # Threads are attached after every generator read its content, so compute at write time.
    @cached_property
    def months(self) -> list[MonthActivity]:
        moderation_file = self.settings["COMMUNITY_MODERATION_STATS"]
        moderation = read_moderation_stats(Path(self.settings["PATH"]), moderation_file) if moderation_file else None
        return monthly_activity(self._articles(), self._threads(), self._feedback_items(),
                                self.settings["FEEDBACK_CLOSED_STATUSES"], moderation, self._summaries)

    @cached_property
    def headline(self) -> Headline:
        return headline(self._articles(), self._threads(), self._feedback_items(),
                        self.settings["FEEDBACK_CLOSED_STATUSES"], self._summaries)

    @cached_property
    def authors(self) -> list[AuthorActivity]:
        urls = content_urls(self.context)
        return [author_activity(author, articles, self._summaries, urls)
                for author, articles in self.context.get("authors", ())]

    @cached_property
    def contributors(self) -> list[Standing]:
        comments = [comment for content, _ in self._threads().values()
                    for comment in self._summaries.of(content.thread).comments]
        return rank(comments, self._feedback_items(), self.points, self.levels,
                    self.settings["COMMUNITY_DONE_STATUSES"])

    @cached_property
    def levels_by_key(self) -> dict[str, Level]:
        return {standing.key: standing.level for standing in self.contributors if standing.level}

    def _articles(self) -> list[Any]:
        return list(self.context.get("articles", ()))

    def _threads(self) -> dict[str, tuple[Any, str]]:
        """Public content with a thread: published posts and pages, and feedback items."""
        contents = [*self.context.get("articles", ()), *self.context.get("pages", ()),
                    *self.context.get("feedback_entries", ())]
        return {content.thread.key: (content, "") for content in contents if getattr(content, "thread", None)}

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

    def _inputs(self) -> dict[str, Any]:
        """Each output with the data it is drawn from (charts are value objects, so equal data, equal file)."""
        charts = community_charts(self.months)
        inputs: dict[str, Any] = {f"{self.community.charts_url}{chart.file_name}": chart for chart in charts}
        inputs[f"{self.community.stats_url}index.html"] = (self.months, self.headline, charts, self.authors)
        inputs[f"{self.community.contributors_url}index.html"] = self.contributors
        for activity in self.authors:
            chart = author_chart(activity)
            inputs[f"{self.author_url(activity)}index.html"] = (activity, chart)
            if chart:
                inputs[f"{self.community.charts_url}{chart.file_name}"] = chart
        return inputs

    def after_content_changed(self) -> list[str]:
        """Hook for the resident builder after comments or feedback items changed: the outputs whose data changed."""
        before = self._last_inputs if self._last_inputs is not None else self._inputs()
        levels_before = self.levels_by_key
        for name in ("months", "headline", "authors", "contributors", "levels_by_key"):
            vars(self).pop(name, None)
        self._summaries.keep_only(content.thread for content, _ in self._threads().values())
        after = self._last_inputs = self._inputs()
        levels_after = self.levels_by_key
        self._changed_levels = frozenset(key for key in levels_before.keys() | levels_after.keys()
                                         if levels_before.get(key) != levels_after.get(key))
        return [path for path, data in after.items() if before.get(path) != data]

    def warm_up(self) -> None:
        """Hook for the resident builder after a full build: load the chart renderer before an update needs it."""
        load_renderer()

    def threads_to_rerender(self) -> set[str]:
        """Hook for the resident builder, after ``after_content_changed``: threads showing a changed badge.

        A contributor's level is a badge beside each of their comments, so when it changes (votes on an
        item they filed can do it as well as a comment), every thread they wrote in shows something new.
        """
        changed = self._changed_levels
        if not changed:
            return set()
        return {key for key, (content, _) in self._threads().items()
                if any(node.comment.contributor in changed for node in content.thread.walk())}

    def generate_output(self, writer: Any) -> None:
        """Write the stats page and its charts, then each author's page and chart."""
        charts = community_charts(self.months)
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
