"""The site build driver: runs Pelican with our plugins, reports progress, fails on any error."""

from __future__ import annotations

import fcntl
import functools
import gc
import io
import logging
import os
import pickle
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import blinker

from cluetrain.content_format import ContentFormatError
from cluetrain.dropped_outputs import DroppedOutputs
from cluetrain.output_files import OUTPUTS_DROPPED_SIGNAL, replace_file
from cluetrain.site_settings import SiteSettingError

SETTINGS_FILE = "pelicanconf.py"
# Named blinker signal the comments plugin sends with ``count=`` (named, so neither imports the other).
COMMENTS_LOADED_SIGNAL = "cluetrain_comments_loaded"
LOCK_FILE = ".build.lock"


class BuildError(Exception):
    """The site could not be built; ``problems`` lists each one, naming the file where known."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class BuildStats:
    """What a build did; updated live while it runs."""

    files_read: int = 0
    pages_written: int = 0
    seconds: float = 0.0
    output_path: Path | None = None
    written: list[str] = field(default_factory=list, repr=False)
    removed: list[str] = field(default_factory=list)  # files of content gone since the last full build, deleted

    def summary(self) -> str:
        """The one-line summary printed after a build."""
        removed = f", removed {len(self.removed)} files of content gone" if self.removed else ""
        return (
            f"Built {self.pages_written} files from {self.files_read} source files "
            f"in {self.seconds:.2f} s into {self.output_path}{removed}"
        )


ProgressCallback = Callable[[BuildStats], None]


def load_settings(project_root: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Pelican settings from ``project_root/pelicanconf.py`` with ``overrides`` applied."""
    from pelican.settings import read_settings

    settings_file = Path(project_root) / SETTINGS_FILE
    if not settings_file.is_file():
        raise BuildError([f"{settings_file}: no such settings file (run from the project folder)"])
    return read_settings(str(settings_file), override=dict(overrides or {}))


class _ErrorCollector(logging.Handler):
    """Keeps every error Pelican logs, so a skipped file fails the build instead of vanishing."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message}: {record.exc_info[1]}"
        self.messages.append(message)


class _OutputBuffer(io.StringIO):
    """One output file as Pelican writes it; on close, the file is replaced only if its bytes changed."""

    def __init__(self, path: str, encoding: str) -> None:
        super().__init__()
        self.path = path
        self.output_encoding = encoding

    def close(self) -> None:
        if not self.closed and self.path != os.devnull:
            replace_file(Path(self.path), self.getvalue().encode(self.output_encoding))
        super().close()


@functools.cache
def unchanged_skipping_writer() -> type:
    """Pelican's Writer, except that an output whose bytes did not change is left alone.

    Rewriting a file in place truncates it first, which costs ~0.1 ms on this machine's ext4
    (block freeing); comparing costs ~0.01 ms, and a cached build leaves most pages as they were.
    Changed files are replaced atomically, as everything else our plugins write.
    """
    from pelican import signals
    from pelican.utils import sanitised_join
    from pelican.writers import FileOverwriteFailedError, Writer

    from cluetrain.written_pages import WrittenPages, outputs_of

    class UnchangedSkippingWriter(Writer):
        def __init__(self, output_path: str, settings: dict[str, Any] | None = None) -> None:
            super().__init__(output_path, settings=settings)
            # Pelican makes one writer per build, after reading: its pages' keys are kept when the build ends.
            self.pages = WrittenPages.open(self.settings, output_path)
            if self.pages is not None:
                # Weakly: a failed build never sends finalized, and its writer then goes with it.
                signals.finalized.connect(self._keep_pages)

        def _keep_pages(self, _pelican: Any) -> None:
            signals.finalized.disconnect(self._keep_pages)
            if self.pages is not None:
                self.pages.save()

        def write_file(self, name: Any, template: Any, context: dict[str, Any], relative_urls: bool = False,
                       paginated: dict[str, Any] | None = None, template_name: str | None = None,
                       override_output: bool = False, url: str | None = None, **kwargs: Any) -> None:
            """Pelican's, unless an earlier build made this call with the same inputs and its files are intact."""
            pages = self.pages
            if pages is None or not name or not pages.caches(template, kwargs, override_output):
                super().write_file(name, template, context, relative_urls, paginated, template_name,
                                   override_output, url, **kwargs)
                return
            outputs, added = outputs_of(self.settings, name, url, paginated, template_name, kwargs)
            call = (name, relative_urls, paginated, template_name, url, kwargs)
            key = pages.key(template, context, call, (*kwargs, *added))
            if key is not None and pages.unchanged(name, key, outputs):
                for output in outputs:
                    self._keep(sanitised_join(self.output_path, output), context)
                return
            super().write_file(name, template, context, relative_urls, paginated, template_name, override_output,
                               url, **kwargs)
            pages.written(name, key, outputs)

        def write_feed(self, elements: Any, context: dict[str, Any], path: str | None = None, url: str | None = None,
                       feed_type: str = "atom", override_output: bool = False, feed_title: str | None = None) -> Any:
            """Pelican's, unless an earlier build wrote this feed from the same inputs and its file is intact."""
            pages = self.pages
            if pages is None or not path or override_output:
                return super().write_feed(elements, context, path, url, feed_type, override_output, feed_title)
            shown = elements[: self.settings["FEED_MAX_ITEMS"]]
            key = pages.feed_key(context, shown, (path, url, feed_type, feed_title))
            if key is not None and pages.unchanged(path, key, [path]):
                self._keep(sanitised_join(self.output_path, path), context)
                return None  # no feed object built: nothing reads it (Pelican's generators ignore it)
            feed = super().write_feed(elements, context, path, url, feed_type, override_output, feed_title)
            pages.written(path, key, [path])
            return feed

        def _keep(self, path: str, context: dict[str, Any]) -> None:
            """An output left as the last build wrote it, accounted for as Pelican's writer accounts for one written."""
            if path in self._overridden_files:
                return  # another call's output is kept, as Pelican's writer keeps it
            if path in self._written_files:
                raise FileOverwriteFailedError(f'Failed to overwrite "{path}" as Pelican has already '
                                               "written to it previously (set `override=True` if intended)")
            self._written_files.add(path)
            signals.content_written.send(path, context=context)

        def _open_w(self, filename: str, encoding: str, override: bool = False) -> Any:
            # Pelican's own bookkeeping of written and overridden files (4.12), then a buffer, not open(…, "w").
            if filename in self._overridden_files:
                if override:
                    raise FileOverwriteFailedError(f'Failed to overwrite "{filename}" a second time '
                                                   "(was previously overwritten)")
                return _OutputBuffer(os.devnull, encoding)
            if filename in self._written_files and not override:
                raise FileOverwriteFailedError(f'Failed to overwrite "{filename}" as Pelican has already '
                                               "written to it previously (set `override=True` if intended)")
            if override:
                self._overridden_files.add(filename)
            self._written_files.add(filename)
            return _OutputBuffer(filename, encoding)

    return UnchangedSkippingWriter


def _writer(_pelican: Any) -> type:
    return unchanged_skipping_writer()


@contextmanager
def _observe(stats: BuildStats, on_progress: ProgressCallback | None,
             dropped: DroppedOutputs) -> Iterator[_ErrorCollector]:
    from pelican import signals
    from pelican.log import console

    def file_read(*_args: Any, count: int = 1, **_kwargs: Any) -> None:
        stats.files_read += count
        if on_progress:
            on_progress(stats)

    def page_written(path: str, **_kwargs: Any) -> None:
        stats.pages_written += 1
        stats.written.append(str(path))
        if on_progress:
            on_progress(stats)

    def content_read(*_args: Any, **_kwargs: Any) -> None:
        # Everything read stays alive until the build ends: keep it out of the collector's full passes,
        # which otherwise re-scan it again and again while pages are written (10-25 % of a cached build).
        # Threads are attached next (50,000 comment nodes at 5,000 posts, all kept): no passes over them either.
        gc.freeze()
        gc.disable()

    def output_starts(*_args: Any, **_kwargs: Any) -> None:
        # Pelican asks for its writer once everything is read and attached: keep that out too, collect again.
        gc.freeze()
        gc.enable()
        return None  # as a get_writer receiver: no writer of its own

    collector = _ErrorCollector()
    pelican_logger = logging.getLogger("pelican")
    pelican_logger.addHandler(collector)
    receivers = [
        (signals.content_object_init, file_read),
        (blinker.signal(COMMENTS_LOADED_SIGNAL), file_read),
        (signals.content_written, page_written),
        (signals.feed_written, page_written),
        (signals.get_writer, _writer),
        (signals.all_generators_finalized, content_read),
        (signals.get_writer, output_starts),
        (blinker.signal(OUTPUTS_DROPPED_SIGNAL), dropped.add),
        (signals.static_generator_finalized, dropped.add_static),
    ]
    for signal, receiver in receivers:
        signal.connect(receiver, weak=False)
    was_quiet = console.quiet
    console.quiet = True  # we print our own summary
    try:
        yield collector
    finally:
        gc.enable()
        gc.unfreeze()
        console.quiet = was_quiet
        for signal, receiver in receivers:
            signal.disconnect(receiver)
        pelican_logger.removeHandler(collector)


@contextmanager
def _exclusive(cache_path: Path) -> Iterator[None]:
    """One build at a time per cache: Pelican rewrites its pickles in place, unlocked."""
    cache_path.mkdir(parents=True, exist_ok=True)
    with open(cache_path / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# Makes the Pelican instance that runs a build (the resident builder passes one that keeps its state).
PelicanFactory = Callable[[dict[str, Any]], Any]


def _run_pelican(settings: dict[str, Any], factory: PelicanFactory | None) -> None:
    from pelican import Pelican

    make = factory or Pelican
    try:
        make(settings).run()
    except (EOFError, pickle.UnpicklingError):
        # A cache left half-written by a killed build: it only saves parsing, so drop it and go on.
        for stale in Path(settings["CACHE_PATH"]).glob("*Generator*"):
            stale.unlink(missing_ok=True)
        make(settings).run()


def build_site(settings: dict[str, Any], on_progress: ProgressCallback | None = None, *,
               factory: PelicanFactory | None = None) -> BuildStats:
    """Run a full Pelican build (made by ``factory``, default ``Pelican``); :class:`BuildError` names each problem."""
    from jinja2 import TemplateError
    from pelican.generators import PelicanTemplateNotFound

    stats = BuildStats(output_path=Path(settings["OUTPUT_PATH"]))
    dropped = DroppedOutputs(settings)
    started = time.perf_counter()
    with _exclusive(Path(settings["CACHE_PATH"])), _observe(stats, on_progress, dropped) as collector:
        try:
            try:
                _run_pelican(settings, factory)
            except (ContentFormatError, SiteSettingError) as exc:
                raise BuildError([str(exc)]) from exc
            except (PelicanTemplateNotFound, TemplateError) as exc:
                where = f"{exc.filename}:{exc.lineno}: " if getattr(exc, "lineno", None) else ""
                raise BuildError([f"theme: {where}{exc}"]) from exc
            if collector.messages:
                raise BuildError(collector.messages)
        except BaseException:
            # A failed build deletes nothing (a post Pelican skipped is not gone): the next successful one will.
            dropped.keep_for_next_build()
            raise
        stats.removed = dropped.remove(stats.written)
    stats.seconds = time.perf_counter() - started
    return stats
