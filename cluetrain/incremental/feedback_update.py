"""Feedback item changes for the resident site: re-read only the changed item files, then plan the hub's outputs.

The fan-out of an item change, explicitly:

* the item's own page (always), its own Atom feed (when its events changed);
* its thread's comment feed, threads.json and the all-comments feed, when its comments, title or
  thread state changed (votes and status changes leave them alone);
* the pages of items linked to it by a merge, when the link (id, title, author) or the merge itself changed;
* every hub listing, roadmap and tag listing page whose items or their order changed, or that shows a changed
  item's card (status, votes, counts); every page of a listing whose page count changed; the tag index when
  a tag's count changed; listing pages that no longer exist are deleted;
* the new-items and status-change feeds when the events they show changed; titles.json when its data changed;
* the sitemap and the community outputs (named by the resident site);
* the search documents of the changed items and their comments.

A removed item's page and feeds are deleted, since a fresh full build would not have them (and the old
page of an item whose slug changed; every output that links to it shows it as changed).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluetrain.content_format import FEEDBACK_DIR, FeedbackItem, feedback_thread_key, read_feedback

from .changes import FEEDBACK_FILE, read_thread
from .plan import NeedsFullBuild, Plan

Signature = tuple[object, ...]


def read_items(content_root: Path, ids: Iterable[int]) -> dict[int, FeedbackItem | None]:
    """The current file of each item (None: removed); several files for one id need the full build's error."""
    folder = Path(content_root) / FEEDBACK_DIR
    by_id: dict[int, list[str]] = {}
    for name in sorted(p.name for p in folder.iterdir()) if folder.is_dir() else ():
        if match := FEEDBACK_FILE.fullmatch(name):
            by_id.setdefault(int(match["id"]), []).append(name)
    items: dict[int, FeedbackItem | None] = {}
    for item_id in ids:
        files = by_id.get(item_id, [])
        if len(files) > 1:
            raise NeedsFullBuild(f"feedback item {item_id} has several files ({', '.join(files)})")
        items[item_id] = read_feedback(folder / files[0]) if files else None
    return items


def merge_view(entry: Any) -> Signature:
    """What an item's page shows of the items it is merged with."""
    target = entry.merged_into
    return ((target.id, target.title, target.url) if target is not None else None,
            tuple((d.id, d.title, d.author, d.url) for d in entry.duplicates))


def thread_row(entry: Any) -> Signature | None:
    """What threads.json and the comment feeds show of an item's thread (its comments aside)."""
    thread = entry.thread
    return (entry.title, entry.url, thread.open, thread.count) if thread is not None else None


@dataclass(frozen=True, slots=True)
class HubState:
    """What the hub's shared outputs show, to compare before and after an update (``full``: beyond listings)."""

    full: bool
    members: dict[str, tuple[int, ...]]
    listing_pages: dict[str, tuple[str, ...]]
    feeds: dict[str, Signature]
    titles: list[dict[str, Any]]
    tag_names: dict[str, str]
    tag_index: list[tuple[str, str, int]]

    @classmethod
    def of(cls, hub: Any, *, full: bool) -> HubState:
        """The state of ``hub`` now; without ``full``, only its listing pages' members (comment batches)."""
        if not full:
            return cls(False, hub.page_members(), {}, {}, [], {}, [])
        from_feeds = _feeds_module(hub)
        return cls(True, hub.page_members(), hub.listing_pages(),
                   {path: from_feeds.signature(events) for path, events in hub.hub_feeds().items()},
                   hub.title_items(), {slug: tag.name for slug, tag in hub.tags.items()}, hub.tag_index())


def _feeds_module(hub: Any) -> Any:
    """The feedback plugin's feeds module (plugins are loaded by Pelican, not imported by name here)."""
    return importlib.import_module(f"{type(hub).__module__.rsplit('.', 1)[0]}.feeds")


def item_feed_signature(hub: Any, entry: Any) -> Signature:
    """What an item's own feed shows."""
    return _feeds_module(hub).signature(hub.item_feed_events(entry))


def plan_hub(hub: Any, ids: set[int], before: HubState, plan: Plan) -> HubState:
    """The listing, roadmap and tag pages, hub feeds and titles.json whose content changed; pages gone.

    Returns the hub's state now (in full, to be the next update's "before").
    """
    hub.forget_listings()  # ordered by comment activity; items changed in place
    after = HubState.of(hub, full=True)
    renamed = sorted(slug for slug, name in before.tag_names.items() if after.tag_names.get(slug, name) != name)
    if renamed:
        raise NeedsFullBuild(f"feedback tag {renamed[0]!r} is now shown under another name (the first written)")
    plan.paths.update(path for path, members in after.members.items()
                      if before.members.get(path) != members or ids & set(members))
    plan.removed.update(set(before.members) - set(after.members))
    if hub.hub.titles_json and (not before.full or before.titles != after.titles):
        plan.paths.add(hub.hub.titles_json)
    if not before.full:
        return after
    for url, pages in after.listing_pages.items():
        if len(before.listing_pages.get(url, ())) != len(pages):  # "page 1 of n" and next links change
            plan.paths.update(pages)
    if before.tag_index != after.tag_index:
        plan.paths.add(f"{hub.hub.tags_url}index.html")
    plan.paths.update(path for path, signature in after.feeds.items() if before.feeds.get(path) != signature)
    return after


class ItemUpdate:
    """Re-reads changed items into the hub generator and the comments plugin's threads, filling a plan."""

    def __init__(self, pelican: Any, comments: Any, bodies: Any, documents: Any) -> None:
        self.pelican, self.comments, self.bodies = pelican, comments, bodies
        self.documents = documents  # (pelican, content, kind, thread) → search documents
        self.hub = pelican.feedback
        if self.hub is None:
            raise NeedsFullBuild("feedback files changed, but the feedback plugin is not on")

    def apply(self, ids: frozenset[int], plan: Plan, comment_keys: frozenset[str]) -> set[str]:
        """Update items ``ids`` (``comment_keys``: threads whose comments changed too); returns their thread keys."""
        settings = self.pelican.settings
        content_root = Path(settings["PATH"])
        threads = self.pelican.context[self.comments.THREADS_CONTEXT_KEY]
        items = read_items(content_root, ids)
        before = {entry.id: entry for entry in self.hub.entries}
        for item_id, item in items.items():
            if item is not None and item_id in before and item.slug != before[item_id].item.slug:
                # A new slug moves the page (the thread key stays): the old page goes, links follow its URL.
                plan.removed.add(before[item_id].save_as)
        views = {entry.id: merge_view(entry) for entry in self.hub.entries}
        old_feeds = {i: item_feed_signature(self.hub, before[i]) for i in ids if i in before}
        old_rows = {i: thread_row(before[i]) for i in ids if i in before}
        old_documents = {i: self._documents(before[i]) for i in ids if i in before}
        self.hub.update_items(items)
        after = {entry.id: entry for entry in self.hub.entries}
        now = self.comments.thread_now(settings)
        for item_id in sorted(ids):
            key, old, new = feedback_thread_key(item_id), before.get(item_id), after.get(item_id)
            comments = read_thread(content_root, key)
            if new is None:
                if comments:
                    raise NeedsFullBuild(f"feedback item {item_id} was removed, but its comments remain")
                threads.pop(key, None)
                plan.threads_changed = True
                if old is not None:
                    plan.removed.update(p for p in (old.save_as, old.feed_url, old.thread and old.thread.feed_url) if p)
                plan.search.append((old_documents.get(item_id, {}), {}))
                continue
            new.thread = self.comments.make_thread(new, "feedback", comments, settings=settings, now=now,
                                                   bodies=self.bodies)
            if new.thread is not None:
                threads[key] = (new, "feedback")
            else:
                threads.pop(key, None)
            if key in comment_keys or thread_row(new) != old_rows.get(item_id):
                plan.threads_changed = True
                if new.thread is not None and new.thread.feed_url:
                    plan.paths.add(new.thread.feed_url)
            plan.own_paths.add(new.save_as)
            if new.feed_url and item_feed_signature(self.hub, new) != old_feeds.get(item_id):
                plan.paths.add(new.feed_url)
            plan.search.append((old_documents.get(item_id, {}), self._documents(new)))
        # Pages that name a changed item through a merge ("merged into #3 …", "also requested as …").
        plan.paths.update(entry.save_as for item_id, entry in after.items()
                          if item_id not in ids and views.get(item_id) != merge_view(entry))
        return {feedback_thread_key(item_id) for item_id in ids}

    def _documents(self, entry: Any) -> dict:
        return self.documents(self.pelican, entry, "feedback", entry.thread)
