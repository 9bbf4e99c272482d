"""The resident site: one full build kept in memory, then incremental updates for comment and feedback changes."""

from __future__ import annotations

import dataclasses
import enum
import gc
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluetrain.build import BuildError, build_site, load_settings
from cluetrain.content_format import ContentFormatError
from cluetrain.output_files import SELECTION_CONTEXT_KEY, OutputSelection

from .changes import ChangeSet, changed_since, classify, read_thread, restamp, snapshot
from .fanout import Target, TargetKind, article_targets, page_targets
from .feedback_update import HubState, ItemUpdate, plan_hub
from .pelican_outputs import render_target
from .plan import NeedsFullBuild, Plan
from .post_edits import feed_paths, forget_memoized_all, known_posts, reread
from .resident import COMMENTS_PLUGIN, ResidentPelican
from .search_update import apply_document_changes, thread_documents
from .writer import SelectiveWriter, remove_outputs

log = logging.getLogger(__name__)
# A generator with this method drops what it derived from threads and items and names its changed outputs.
CONTENT_CHANGED_HOOK = "after_content_changed"
# A generator with this method (called after the one above) names threads whose pages show what it changed.
THREADS_HOOK = "threads_to_rerender"
# A generator with this method loads, after a full build, what its first incremental update would otherwise load.
WARM_UP_HOOK = "warm_up"


class UpdateMode(enum.StrEnum):
    """How an update brought output/ up to date."""

    FULL = "full"
    INCREMENTAL = "incremental"


@dataclass
class UpdateReport:
    """What one update did."""

    mode: UpdateMode
    reason: str | None = None  # why a full build
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # outputs of removed content, deleted
    first_page_seconds: float | None = None  # until the changed threads' own pages were on disk
    seconds: float = 0.0
    search_documents: int = 0


@dataclass
class _Changed:
    """What the first phase of an update changed, for the second to fan out from."""

    articles: list[Any] = field(default_factory=list)
    shown: set[int] = field(default_factory=set)  # hub items whose cards changed


class ResidentSite:
    """Keeps Pelican's generators and context between builds; ``update`` is the one entry point.

    Not thread-safe by design (Pelican is not): calls are serialised by a lock.
    """

    def __init__(self, project_root: Path, overrides: dict[str, Any] | None = None) -> None:
        self.project_root = Path(project_root)
        self.overrides = dict(overrides or {})
        self.pelican: ResidentPelican | None = None
        self.bodies: Any = None  # the comments plugin's RenderedBodies, kept across builds
        self.stamps: dict[str, int] = {}  # content/ as the resident state last saw it
        # The hub's state after the last update that took it, for that Pelican: the next item change's
        # "before" (taking it costs a walk of every listing, before the item's page could be written).
        self._hub_state: tuple[ResidentPelican, HubState] | None = None
        self._lock = threading.Lock()

    def _make_pelican(self, settings: dict[str, Any]) -> ResidentPelican:
        pelican = ResidentPelican(settings, {})
        comments = pelican.plugin(COMMENTS_PLUGIN)
        if self.bodies is None:
            cache = Path(settings["CACHE_PATH"]) if settings.get("LOAD_CONTENT_CACHE") else None
            self.bodies = comments.RenderedBodies.load(cache)
        pelican.extra_context[comments.RENDERED_BODIES_CONTEXT_KEY] = self.bodies
        return pelican

    def full_build(self, reason: str) -> UpdateReport:
        """Build everything and keep the result resident; raises BuildError (and forgets the old state)."""
        with self._lock:
            return self._full_build(reason)

    def _full_build(self, reason: str) -> UpdateReport:
        started = time.perf_counter()
        made: list[ResidentPelican] = []
        self.pelican = None  # if this build fails, the next update must build in full again
        forget_memoized_all()  # the old objects go with the old build
        stamps = snapshot(Path(load_settings(self.project_root, self.overrides)["PATH"]))

        def factory(settings: dict[str, Any]) -> ResidentPelican:
            made.append(self._make_pelican(settings))
            return made[-1]

        stats = build_site(load_settings(self.project_root, self.overrides), factory=factory)
        self.pelican, self.stamps = made[-1], stamps
        for generator in self.pelican.plugin_generators():
            if hasattr(generator, WARM_UP_HOOK):
                getattr(generator, WARM_UP_HOOK)()  # now, not in the first approval's update
        # The whole site stays in memory: keep it out of the collector's full passes, which would otherwise
        # re-scan it during updates (300+ ms pauses at 2,000 posts). The next build_site unfreezes it.
        gc.collect()
        gc.freeze()
        # Taken now (tens of ms), so that the first item change's page is not waiting for it.
        hub = self.pelican.feedback
        self._hub_state = (self.pelican, HubState.of(hub, full=True)) if hub is not None else None
        elapsed = time.perf_counter() - started
        removed = [Path(path).relative_to(self.pelican.output_path).as_posix() for path in stats.removed]
        return UpdateReport(UpdateMode.FULL, reason, written=stats.written, removed=removed, first_page_seconds=elapsed,
                            seconds=elapsed)

    def update(self, changed: Sequence[Path]) -> UpdateReport:
        """Bring output/ up to date after ``changed`` content files changed (incrementally when possible)."""
        with self._lock:
            if self.pelican is None:
                return self._full_build("no resident build yet")
            content_root = Path(self.pelican.settings["PATH"])
            if not changed:  # someone (another process) changed content without saying what
                # Stamps are taken before reading files, so a change made meanwhile is seen next time.
                stamps = snapshot(content_root)
                changed, self.stamps = changed_since(self.stamps, stamps), stamps
                if not changed:
                    return UpdateReport(UpdateMode.INCREMENTAL, "nothing changed")
            changes = classify(changed, content_root)
            if changes.needs_full_build:
                if known_posts(self.pelican.articles, changes.others) is None:
                    return self._full_build(f"{changes.others[0]} is not a comment, feedback or known post file")
                changes = dataclasses.replace(changes, others=(), posts=changes.others)
            # Taken before the files are read (a change made meanwhile is seen next time), kept once applied:
            # a later update that names nothing then finds only what changed since, not these again.
            named = restamp(changed, content_root)
            try:
                report = self._incremental(changes)
                self.stamps.update(named.stamps)
                for gone in named.removed:
                    self.stamps.pop(gone, None)
                return report
            except NeedsFullBuild as exc:
                return self._full_build(str(exc))
            except ContentFormatError as exc:
                self.pelican = None  # state may be half-updated: rebuild in full next time
                raise BuildError([str(exc)]) from exc
            except BaseException:
                self.pelican = None
                raise

    def _incremental(self, changes: ChangeSet) -> UpdateReport:
        started = time.perf_counter()
        pelican = self.pelican
        assert pelican is not None
        hub = pelican.feedback
        threads = pelican.context[pelican.plugin(COMMENTS_PLUGIN).THREADS_CONTEXT_KEY]
        # Hub listings are ordered by comment activity, so their state is needed from before any thread changes:
        # the one kept from the last full build or update (taking it walks every listing). A comment on a post
        # leaves the hub alone, and that state stays valid.
        touches_hub = changes.feedback_ids or any(threads.get(key, (None, ""))[1] == "feedback"
                                                  for key in changes.threads)
        hub_before = None
        if hub is not None and touches_hub:
            known = self._hub_state
            fresh = known is None or known[0] is not pelican
            hub_before = HubState.of(hub, full=bool(changes.feedback_ids)) if fresh else known[1]
            self._hub_state = None  # until this update's plan takes the state after it
        plan, changed = Plan(), _Changed()
        self._plan_own(pelican, changes, plan, changed)
        report = UpdateReport(UpdateMode.INCREMENTAL)
        report.written += self._write(pelican, plan.own_targets, plan.own_paths, [])
        report.first_page_seconds = time.perf_counter() - started
        # Everything below scales with the listings and site-wide views, so it waits until the pages are live.
        if (hub_after := self._plan_rest(pelican, changed, hub_before, plan)) is not None:
            self._hub_state = (pelican, hub_after)
        # The own pages again, last: a hook may have changed what threads show (a newcomer's first badge).
        again = self._write(pelican, plan.targets + plan.own_targets, plan.paths | plan.own_paths, plan.dependents)
        report.written = list(dict.fromkeys(report.written + again))
        report.removed = remove_outputs(pelican.output_path, plan.removed - set(report.written))
        report.search_documents = apply_document_changes(pelican.settings, plan.search)
        report.seconds = time.perf_counter() - started
        return report

    def _plan_own(self, pelican: ResidentPelican, changes: ChangeSet, plan: Plan, changed: _Changed) -> None:
        """Re-read the changed items and threads; plan their own pages (cheap: nothing site-wide)."""
        comments = pelican.plugin(COMMENTS_PLUGIN)
        settings, context = pelican.settings, pelican.context
        threads = context[comments.THREADS_CONTEXT_KEY]
        changed.shown.update(changes.feedback_ids)  # hub items whose cards changed
        done: set[str] = set()  # threads re-read with their items
        edited = (known_posts(pelican.articles, changes.posts) or {}) if changes.posts else {}
        for path, article in edited.items():
            before = thread_documents(pelican, article, "article", article.thread)
            reread(pelican.articles, path, article)
            plan.search.append((before, thread_documents(pelican, article, "article", article.thread)))
            plan.own_targets.append(Target(TargetKind.ARTICLE, (article.save_as,), article))
            changed.articles.append(article)
            plan.targets.append(Target(TargetKind.FEEDS, tuple(dict.fromkeys(feed_paths(settings, article)))))
        if changes.feedback_ids:
            done = ItemUpdate(pelican, comments, self.bodies, thread_documents).apply(changes.feedback_ids, plan,
                                                                                     changes.threads)
        for key in sorted(changes.threads - done):
            if key not in threads:
                raise NeedsFullBuild(f"comments for {key!r}, which is not a thread of the resident site")
            content, kind = threads[key]
            plan.threads_changed = True
            before = thread_documents(pelican, content, kind, content.thread)
            content.thread = comments.make_thread(content, kind, read_thread(Path(settings["PATH"]), key),
                                                  settings=settings, now=comments.thread_now(settings),
                                                  bodies=self.bodies)
            plan.search.append((before, thread_documents(pelican, content, kind, content.thread)))
            if content.thread.feed_url:
                plan.paths.add(content.thread.feed_url)
            if kind == "article":
                plan.own_targets.append(Target(TargetKind.ARTICLE, (content.save_as,), content))
                changed.articles.append(content)
            elif kind == "page":
                plan.own_targets += page_targets(content)
            else:  # a feedback item: its page and feed
                changed.shown.add(content.id)
                plan.own_paths.add(content.save_as)
                if content.feed_url:
                    plan.paths.add(content.feed_url)

    @staticmethod
    def _plan_rest(pelican: ResidentPelican, changed: _Changed, hub_before: HubState | None,
                   plan: Plan) -> HubState | None:
        """The listings, hub pages, site-wide files and plugin views that show the changed threads and items.

        Returns the hub's state after the update, if it was taken.
        """
        settings, hub = pelican.settings, pelican.feedback
        for article in changed.articles:
            plan.targets += article_targets(pelican.articles, article)[1:]  # [0] is its own page, written already
        hub_after = None
        if hub is not None and hub_before is not None and changed.shown:
            hub_after = plan_hub(hub, changed.shown, hub_before, plan)
        # Site-wide views of comments and items (community stats, contributor pages) name their changed outputs,
        # and the threads whose pages show something they changed (a contributor's badge).
        for generator in pelican.plugin_generators():
            if hasattr(generator, CONTENT_CHANGED_HOOK):
                plan.paths.update(getattr(generator, CONTENT_CHANGED_HOOK)())
                plan.dependents.append(generator)
            if hasattr(generator, THREADS_HOOK):
                _plan_thread_pages(pelican, getattr(generator, THREADS_HOOK)(), plan)
        site_wide = ("COMMENTS_FEED_ALL_ATOM", "COMMENTS_MANIFEST") if plan.threads_changed else ()
        for setting in (*site_wide, "SITEMAP_SAVE_AS"):
            if settings.get(setting):
                plan.paths.add(settings[setting])
        return hub_after

    @staticmethod
    def _write(pelican: ResidentPelican, targets: list[Target], plugin_paths: set[str],
               dependents: list[Any]) -> list[str]:
        paths = {path for target in targets for path in target.paths} | plugin_paths
        if not paths:
            return []
        selection = OutputSelection.of(paths)
        writer = SelectiveWriter(pelican.output_path, pelican.settings, selection)
        for target in targets:
            render_target(target, writer, pelican.articles, pelican.pages)
        if plugin_paths:
            pelican.context[SELECTION_CONTEXT_KEY] = selection
            try:
                for generator in pelican.plugin_generators():
                    # A hooked generator runs only when it asked to (its outputs can be costly to compute).
                    if not hasattr(generator, CONTENT_CHANGED_HOOK) or generator in dependents:
                        generator.generate_output(writer)
            finally:
                del pelican.context[SELECTION_CONTEXT_KEY]
        return writer.written + [p for p in sorted(plugin_paths) if p not in writer.written]


def _plan_thread_pages(pelican: ResidentPelican, keys: set[str], plan: Plan) -> None:
    """Re-render the pages of the threads ``keys`` (unchanged themselves), unless already planned."""
    threads = pelican.context[pelican.plugin(COMMENTS_PLUGIN).THREADS_CONTEXT_KEY]
    planned = {path for target in plan.own_targets + plan.targets for path in target.paths}
    for key in sorted(keys):
        if key not in threads:
            raise NeedsFullBuild(f"a plugin names {key!r}, which is not a thread of the resident site")
        content, kind = threads[key]
        if content.save_as in planned or content.save_as in plan.own_paths:
            continue
        if kind == "article":
            plan.targets.append(Target(TargetKind.ARTICLE, (content.save_as,), content))
        elif kind == "page":
            plan.targets += page_targets(content)
        else:  # a feedback item's page, written by the hub's generator
            plan.paths.add(content.save_as)


__all__ = ["NeedsFullBuild", "ResidentSite", "TargetKind", "UpdateMode", "UpdateReport"]
