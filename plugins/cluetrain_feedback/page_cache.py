"""Feedback pages kept between full builds: a page whose inputs did not change is neither rendered nor written.

Each page is keyed by a digest of everything it is drawn from (cluetrain.fingerprints): the code
(loaded modules' sources, installed versions), its templates' sources, the settings, the values of
the context names its templates read, and the variables it is written with. The key and the
output file's stat signature are kept in CACHE_PATH; a page is skipped only when its key is the
same and its file is still the one written then (any other writer, the resident builder included,
replaces files atomically: a new inode). Only full builds use it: an incremental update renders
what it selected, and a file it replaces no longer matches its signature.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pelican.contents import Content
from pelican.paginator import Page, Paginator

from cluetrain import cache_files
from cluetrain.dropped_outputs import report_dropped
from cluetrain.fingerprints import Digester, Unkeyable, static_digest, template_key
from cluetrain.output_files import SELECTION_CONTEXT_KEY, Signature, file_signature

from .items import FeedbackEntry
from .listings import Listing

CACHE_FILE = "cluetrain_feedback_pages.pickle"
CACHE_VERSION = 2  # 2: the ctime joined the signature
# The file holds no code version of its own: every page's key holds the code's digest (static_digest,
# which is fingerprints.code_digest: the project's code and the site's own loaded modules),
# so a page from other code never matches.
IDENTITY = (CACHE_VERSION,)

class PageCache:
    """Keys of the pages a build wrote, by output path, with their files' stat signatures."""

    def __init__(self, generator: Any, known: dict[str, tuple[bytes | None, Signature]]) -> None:
        self.settings: Mapping[str, Any] = generator.settings
        self.context: Mapping[str, Any] = generator.context
        self.environment = generator.env
        self.get_template = generator.get_template  # "feedback/item" → its Template (named with ".html")
        self.output_path = generator.output_path
        self.known = known
        self.kept: dict[str, tuple[bytes | None, Signature]] = {}  # key None: rendered, not keyable
        self.rendered: list[str] = []  # kept in the file too: what a build rendered, for tests and curiosity
        self.digester = Digester(self.settings, self.context, FeedbackEntry, (Listing, Paginator, Page), Content)
        self.skipped = 0
        self._static: bytes | None = None
        self._templates: dict[tuple[str, tuple[str, ...]], bytes | None] = {}

    @classmethod
    def open(cls, generator: Any) -> PageCache | None:
        """The cache for a full build (None in an incremental update, with relative URLs or with caching off)."""
        settings = generator.settings
        if (generator.context.get(SELECTION_CONTEXT_KEY) is not None or settings.get("RELATIVE_URLS")
                or not settings.get("CACHE_PATH") or not settings.get("CACHE_CONTENT")
                or not settings["KEEP_UNCHANGED_PAGES"]):
            return None
        saved = None
        if settings.get("LOAD_CONTENT_CACHE"):
            saved = cache_files.load(Path(settings["CACHE_PATH"]) / CACHE_FILE, IDENTITY, (dict, list))
        return cls(generator, saved[0] if saved is not None else {})

    def _static_digest(self) -> bytes:
        """The code and the settings: the same for every page of a build."""
        if self._static is None:
            self._static = static_digest(self.digester)
        return self._static

    def _template_digest(self, template: str, variables: tuple[str, ...]) -> bytes | None:
        """The template's sources and the values of the context names it reads besides ``variables``."""
        key = (template, variables)
        if key not in self._templates:
            try:
                static = self._static_digest()
            except Unkeyable:
                self._templates[key] = None
            else:
                self._templates[key] = template_key(self.digester, self.get_template(template), self.context,
                                                    variables, static)
        return self._templates[key]

    def key(self, template: str, save_as: str, variables: dict[str, Any]) -> bytes | None:
        """The page's key; None when something it shows cannot be digested (it is rendered, not kept)."""
        base = self._template_digest(template, tuple(sorted(variables)))
        if base is None:
            return None
        try:
            if all(type(value) is FeedbackEntry for value in variables.values()):
                # An item page: its entry's digest (with the entries it links to) stands for it, without a pickle.
                return self.digester.combine(base, save_as.encode(), *(
                    name.encode() + b"=" + self.digester.closed_digest(value)[1]
                    for name, value in sorted(variables.items())))
            return self.digester.digest((base, save_as, variables))
        except Unkeyable:
            return None

    def output_key(self, relative: str, shown: Any) -> bytes | None:
        """The key of an output other than a page (a feed) drawn from ``shown`` only, with the code and settings."""
        try:
            return self.digester.digest((self._static_digest(), relative, shown))
        except Unkeyable:
            return None

    def unchanged(self, save_as: str, key: bytes) -> bool:
        """Whether the page at ``save_as`` was written with ``key`` and its file is still that one."""
        found = self.known.get(save_as)
        if found is None or found[0] != key:
            return False
        signature = file_signature(os.path.join(self.output_path, save_as))
        if signature != found[1]:
            return False
        self.kept[save_as] = found
        self.skipped += 1
        return True

    def written(self, save_as: str, key: bytes | None) -> None:
        """The page was just rendered with ``key`` (None: it could not be keyed): remember its file."""
        self.rendered.append(save_as)
        # Unkeyed too (never matched: no key equals None), so that its file is known when the page goes.
        signature = file_signature(os.path.join(self.output_path, save_as))
        if signature is not None:
            self.kept[save_as] = (key, signature)

    def save(self) -> None:
        """Keep the keys of this build's pages (only those), and report the files of the last build's pages gone."""
        dropped = [os.path.join(self.output_path, save_as) for save_as in self.known if save_as not in self.kept]
        report_dropped(self, dropped)
        cache_files.save(Path(self.settings["CACHE_PATH"]) / CACHE_FILE, IDENTITY, self.kept, self.rendered)
