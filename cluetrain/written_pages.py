"""Pelican's own pages kept between full builds: a write call whose inputs did not change renders nothing.

Posts, pages, their listings and Pelican's feeds (the write calls of Pelican's generators) are keyed as the
feedback hub's pages are (``cluetrain.fingerprints``): the code, the settings, the templates'
sources, the values of the context names the templates read and the call's arguments, each post
digested once — with its text as pages show it when intrasite links make that text depend on
other content. A call is skipped when its key is the one kept and every file it wrote (a
paginated listing writes several) is still the file written then (stat signature with the ctime:
any other writer replaces files, so a new inode). Only full builds use it: the resident builder's updates
write through their own writer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pelican.contents import Content
from pelican.paginator import Page, Paginator
from pelican.utils import sanitised_join

from cluetrain import cache_files
from cluetrain.dropped_outputs import report_dropped
from cluetrain.fingerprints import Digester, Unkeyable, static_digest, template_key
from cluetrain.output_files import Signature, file_signature

CACHE_FILE = "cluetrain_pelican_pages.pickle"
CACHE_VERSION = 3  # 3: each call's files are kept by name (a build deletes those of calls gone), unkeyed calls too
# Templates Pelican's own generators write with (besides DIRECT_TEMPLATES and a post's or page's own template).
PELICAN_TEMPLATES = frozenset({"article", "page", "draft", "tag", "category", "author", "period_archives",
                               "archives"})
PAGINATION_SUFFIXES = ("_paginator", "_page", "_previous_page", "_next_page")
# What Pelican's Writer.write_feed reads of the context (4.12); the rest comes from the settings and the posts.
FEED_CONTEXT_NAMES = ("SITEURL", "FEED_DOMAIN", "SITENAME", "SITESUBTITLE")
LONG_LIST = 64  # lists at least this long are digested once per build (the same list reaches many calls)


def _identity(output_path: str) -> tuple[int, str]:
    """What a saved cache must have been written for: this layout and this output folder."""
    # No code version of its own: every call's key holds the code's digest (static_digest,
    # which is fingerprints.code_digest: the project's code and the site's own loaded modules),
    # so a call from other code never matches.
    return CACHE_VERSION, os.path.realpath(output_path)


class _NoEntry:
    """Pelican's pages hold no feedback entries: the digester's entry type matches nothing."""


def linked_text(content: Any) -> tuple[str, str] | None:
    """A post's text and summary as pages show them, when intrasite links make them depend on other content."""
    raw = f"{getattr(content, '_content', '') or ''}{content.metadata.get('summary', '')}"
    if not raw or content._get_intrasite_link_regex().search(raw) is None:
        return None  # the text is the one read, already in the digest
    return content.content, content.summary  # also attaches {attach} files, as rendering would


class WrittenPages:
    """Keys of Pelican's write calls in the last full build, by output name, with their files' stat signatures."""

    def __init__(self, settings: Mapping[str, Any], output_path: str, known: dict[str, Any]) -> None:
        self.settings = settings
        self.output_path = output_path
        self.known = known
        # Output name -> (key, or None for a call that could not be keyed; its files; their signatures).
        self.kept: dict[str, tuple[bytes | None, tuple[str, ...], tuple[Signature | None, ...]]] = {}
        self.templates = set(settings.get("DIRECT_TEMPLATES", ())) | PELICAN_TEMPLATES
        self.digester: Digester | None = None
        self.static: bytes | None = None
        self.template_keys: dict[tuple[str, tuple[str, ...]], bytes | None] = {}
        self.lists: dict[int, tuple[list[Any], bytes, int]] = {}
        self.skipped = 0
        self.rendered: list[str] = []  # kept in the file too: what a build rendered, for tests and curiosity

    @classmethod
    def open(cls, settings: Mapping[str, Any], output_path: str) -> WrittenPages | None:
        """The cache of a full build (None with relative URLs, with the content cache or KEEP_UNCHANGED_PAGES off)."""
        if (settings.get("RELATIVE_URLS") or not settings.get("CACHE_PATH") or not settings.get("CACHE_CONTENT")
                or not settings.get("KEEP_UNCHANGED_PAGES", True)):
            return None
        saved = None
        if settings.get("LOAD_CONTENT_CACHE"):
            saved = cache_files.load(Path(settings["CACHE_PATH"]) / CACHE_FILE, _identity(output_path), (dict, list))
        return cls(settings, output_path, saved[0] if saved is not None else {})

    def caches(self, template: Any, kwargs: Mapping[str, Any], override_output: bool) -> bool:
        """Whether a call is one of Pelican's own (posts, pages, listings) that this cache keeps."""
        if override_output:
            return False  # an output another call may override: left to Pelican's bookkeeping
        name = getattr(template, "name", None) or ""
        return name.removesuffix(".html") in self.templates or "article" in kwargs or "page" in kwargs

    def key(self, template: Any, context: Mapping[str, Any], call: tuple[Any, ...],
            variables: Iterable[str]) -> bytes | None:
        """The call's key; None when something it shows cannot be digested (it is rendered, not kept)."""
        if context is not self._digester(context).context:
            return None  # a copy made for one call (period archives): rare, rendered
        names = tuple(sorted(variables))
        which = (template.name, names)
        if which in self.template_keys:  # None too: a template whose inputs cannot be digested
            found = self.template_keys[which]
        else:
            try:
                if self.static is None:
                    self.static = static_digest(self.digester)
                found = template_key(self.digester, template, context, names, self.static)
            except Unkeyable:
                found = None
            self.template_keys[which] = found
        if found is None:
            return None
        try:
            return self.digester.digest((found, tuple(self._listed(part) for part in call)))
        except Unkeyable:
            return None

    def feed_key(self, context: Mapping[str, Any], shown: list[Any], call: tuple[Any, ...]) -> bytes | None:
        """A Pelican feed's key: the posts it shows, the context values its writer reads, the call; None: unkeyable."""
        digester = self._digester(context)
        if context is not digester.context:
            return None
        try:
            if self.static is None:
                self.static = static_digest(digester)
            read = {name: context.get(name) for name in FEED_CONTEXT_NAMES}
            return digester.digest(("feed", self.static, read, shown, call))
        except Unkeyable:
            return None

    def _digester(self, context: Mapping[str, Any]) -> Digester:
        if self.digester is None:
            self.digester = Digester(self.settings, context, _NoEntry, (Paginator, Page), Content,
                                     content_text=linked_text)
        return self.digester

    def _listed(self, value: Any) -> Any:
        """A long list (every post, as listings get it) digested once per build, in place of its items."""
        if isinstance(value, dict):
            return {name: self._listed(item) for name, item in value.items()}
        if type(value) is not list or len(value) < LONG_LIST:
            return value
        found = self.lists.get(id(value))
        if found is None or found[0] is not value:
            assert self.digester is not None
            found = self.lists[id(value)] = (value, self.digester.digest(value), len(value))
        # The length too: a list that grew keeps its id. The list stays referenced: its id is not reused.
        return ("list", found[1], len(value)) if found[2] == len(value) else value

    def unchanged(self, name: str, key: bytes, outputs: list[str]) -> bool:
        """Whether the call writing ``name`` was made with ``key`` and its files are still the ones written."""
        found = self.known.get(name)
        if found is None or found[0] != key or list(found[1]) != outputs:
            return False
        if any(file_signature(self._path(output)) != kept for output, kept in zip(outputs, found[2], strict=True)):
            return False
        self.kept[name] = found
        self.skipped += 1
        return True

    def written(self, name: str, key: bytes | None, outputs: list[str]) -> None:
        """The call was just rendered with ``key`` (None: it could not be keyed): remember its files."""
        self.rendered.append(name)
        # Unkeyed too (never matched: no key equals None), so that its files are known when the call goes.
        self.kept[name] = (key, tuple(outputs), tuple(file_signature(self._path(output)) for output in outputs))

    def save(self) -> None:
        """Keep the keys of this build's calls (only those), and report the files of the last build's calls gone."""
        now = {output for _key, outputs, _signatures in self.kept.values() for output in outputs}
        dropped = [self._path(output) for _key, outputs, _signatures in self.known.values() for output in outputs
                   if output not in now]
        report_dropped(self, dropped)
        cache_files.save(Path(self.settings["CACHE_PATH"]) / CACHE_FILE, _identity(self.output_path), self.kept,
                         self.rendered)

    def _path(self, output: str) -> str:
        return sanitised_join(self.output_path, output)


def outputs_of(settings: Mapping[str, Any], name: str, url: str | None, paginated: Mapping[str, Any] | None,
               template_name: str | None, kwargs: Mapping[str, Any]) -> tuple[list[str], tuple[str, ...]]:
    """The files one write call writes (as Pelican's Writer.write_file, 4.12), and the names pagination adds."""
    if paginated is None:
        paginated = {key: value for key, value in kwargs.items() if key in {"articles", "dates"}}
    if not (paginated and template_name in settings["PAGINATED_TEMPLATES"]):
        return [name], ()
    per_page = settings["PAGINATED_TEMPLATES"][template_name] or settings["DEFAULT_PAGINATION"]
    first = Paginator(name, url, next(iter(paginated.values())), settings, per_page)
    added = tuple(f"{key}{suffix}" for key in paginated for suffix in PAGINATION_SUFFIXES)
    return [first.page(number).save_as for number in range(1, first.num_pages + 1)], added


def rendered_last(cache_path: Path, output_path: Path) -> list[str]:
    """The write calls (output names) the last full build into ``output_path`` with this cache rendered, in order."""
    saved = cache_files.load(Path(cache_path) / CACHE_FILE, _identity(str(output_path)), (dict, list))
    return saved[1] if saved is not None else []
