"""Where a full build's time goes: one table per phase, cold and cached, with plain Pelican alongside.

    uv run python benchmarks/build_profile.py                  # N = 500 posts
    uv run python benchmarks/build_profile.py --posts 200      # quicker
    uv run python benchmarks/build_profile.py --cprofile 25    # also the top functions of the cached build
    uv run python benchmarks/build_profile.py --cpu            # process CPU time instead of wall time (busy machine)

Generates (or reuses) the site of benchmarks/site_generator.py under benchmarks/_work/profile/,
then runs plain Pelican cold and cached, and our build cold (empty cache, output and search
index) and cached, in this order, in this one process. Each phase's time is *exclusive*:
a timed call inside another (a file read inside a generator's context phase) counts only
for itself, so the rows add up to the build's time. The search index worker's CPU (a process of
its own) is printed below the table; with ``--cpu``, so is the least time both processes' CPU
could take spread evenly over the machine's cores.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import os
import pstats
import resource
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "_work" / "profile"
NOW = "2026-06-01T00:00:00+00:00"

# (module, attribute path, phase label): sub-phases worth their own row (missing ones are skipped).
SUB_PHASES = [
    ("pelican.readers", "Readers.read_file", "Pelican: read sources (parse, or load from cache)"),
    ("pelican", "Pelican.__init__", "Pelican: set-up (settings, plugins)"),
    ("pelican.generators", "ArticlesGenerator.generate_feeds", "Pelican: post feeds"),
    ("cluetrain_feedback.generator", "load_feedback", "feedback: read item files"),
    ("cluetrain_feedback.generator", "make_entry", "feedback: item Markdown → HTML"),
    ("cluetrain_feedback.generator", "FeedbackGenerator._write_items", "feedback: item pages"),
    ("cluetrain_feedback.generator", "FeedbackGenerator._write_listings", "feedback: listing pages"),
    ("cluetrain_feedback.generator", "FeedbackGenerator._write_feeds", "feedback: feeds"),
    ("cluetrain_comments", "load_comments", "comments: read comment files"),
    ("cluetrain_community.charts", "draw_svg", "community: draw charts (matplotlib)"),
    ("cluetrain_community.generator", "render_svg", "community: charts (cache look-up, or draw)"),
    ("cluetrain_search.generator", "synchronize", "search: documents + synchronize index"),
]
# Not Jinja filters: they sit in the settings, which Pelican's content cache pickles (inside every Tag,
# Category and Author), and a wrapper cannot be pickled by name; the cache would silently stay empty.


class PhaseTimer:
    """Exclusive time per label (wall, or ``clock``): a timed call nested in another is subtracted from its parent."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.clock = clock
        # CPU seconds of the processes the build started and reaped (the search index worker): not in any phase.
        self.worker_cpu = 0.0
        self._stack: list[list[float]] = []  # [start, time spent in timed children]

    @contextmanager
    def phase(self, label: str) -> Iterator[None]:
        frame = [self.clock(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            spent = self.clock() - frame[0]
            self.seconds[label] += spent - frame[1]
            if self._stack:
                self._stack[-1][1] += spent

    def wrap(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.phase(label):
                return function(*args, **kwargs)
        return timed


class Patches:
    """Attribute replacements, undone in reverse order."""

    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, Any, bool]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        self._undo.append((owner, name, getattr(owner, name), name in vars(owner)))
        setattr(owner, name, value)

    def undo(self) -> None:
        for owner, name, old, own in reversed(self._undo):
            if own:
                setattr(owner, name, old)
            else:
                delattr(owner, name)
        self._undo.clear()


def _resolve(module: str, dotted: str) -> tuple[Any, str] | None:
    import importlib

    try:
        owner: Any = importlib.import_module(module)
    except ImportError:
        return None
    *path, name = dotted.split(".")
    for part in path:
        owner = getattr(owner, part, None)
    return (owner, name) if owner is not None and hasattr(owner, name) else None


def _receiver_name(receiver: Any) -> str:
    return f"{getattr(receiver, '__module__', '?')}.{getattr(receiver, '__qualname__', receiver)}"


@contextmanager
def instrumented(timer: PhaseTimer) -> Iterator[None]:
    """Time every generator's two phases, every signal receiver and the SUB_PHASES while inside."""
    import blinker
    from pelican import Pelican

    patches = Patches()
    for module, dotted, label in SUB_PHASES:
        found = _resolve(module, dotted)
        if found:
            patches.set(found[0], found[1], timer.wrap(getattr(*found), label))

    original_classes = Pelican._get_generator_classes

    def generator_classes(self: Any) -> list[type]:
        classes = original_classes(self)
        for cls in classes:
            for method in ("generate_context", "generate_output"):
                if hasattr(cls, method) and not getattr(getattr(cls, method), "_timed", False):
                    timed = timer.wrap(getattr(cls, method), f"{cls.__name__}.{method}")
                    timed._timed = True  # type: ignore[attr-defined]
                    patches.set(cls, method, timed)
        return classes

    def send(self: Any, sender: Any = None, /, **kwargs: Any) -> list[tuple[Any, Any]]:
        results = []
        for receiver in self.receivers_for(sender):
            with timer.phase(f"signal {self.name} → {_receiver_name(receiver)}"):
                results.append((receiver, receiver(sender, **kwargs)))
        return results

    patches.set(Pelican, "_get_generator_classes", generator_classes)
    patches.set(blinker.Signal, "send", send)
    try:
        yield
    finally:
        patches.undo()


def _settings(root: Path, plain: bool) -> dict[str, Any]:
    from datetime import datetime

    settings: dict[str, Any] = {"PATH": str(root / "content"), "COMMENTS_NOW": datetime.fromisoformat(NOW)}
    if plain:  # as benchmarks/builder_benchmark.py: no plugins, the default theme, the same caching
        return {**settings, "OUTPUT_PATH": str(root / "plain-output"), "CACHE_PATH": str(root / "plain-cache"),
                "PLUGINS": [], "THEME": "notmyidea", "SEARCH_INDEX_PATH": None, "KEEP_UNCHANGED_PAGES": False,
                "DIRECT_TEMPLATES": ["index", "tags", "categories", "authors", "archives"]}
    return {**settings, "OUTPUT_PATH": str(root / "output"), "CACHE_PATH": str(root / "cache")}


def _clean(root: Path, plain: bool) -> None:
    names = ("plain-output", "plain-cache") if plain else ("output", "cache", "search_index")
    for name in names:
        shutil.rmtree(root / name, ignore_errors=True)


def build(root: Path, *, plain: bool, cold: bool, profiler: cProfile.Profile | None = None,
          clock: Callable[[], float] = time.perf_counter) -> tuple[float, PhaseTimer]:
    """One full build; its time (wall, or ``clock``) and its phases."""
    from cluetrain.build import build_site, load_settings

    if cold:
        _clean(root, plain)
    timer = PhaseTimer(clock)
    settings = load_settings(REPO, _settings(root, plain))
    gc.collect()  # the previous build's garbage: a one-off build (its own process) does not collect it
    workers_before = _children_cpu()
    started = clock()
    with instrumented(timer):
        if profiler:
            profiler.enable()
        build_site(settings)
        if profiler:
            profiler.disable()
    elapsed = clock() - started
    timer.worker_cpu = _children_cpu() - workers_before
    return elapsed, timer


def _children_cpu() -> float:
    """User and system CPU seconds of this process's reaped children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def print_table(results: dict[str, tuple[float, PhaseTimer]], cpu: bool) -> None:
    """One row per phase (largest first in our cached build), plain Pelican's alongside, then totals and ratios."""
    columns = [results[name] for name in ("ours cached", "ours cold", "plain cached", "plain cold")]
    labels = sorted({label for _total, timer in columns for label in timer.seconds},
                    key=lambda label: tuple(-timer.seconds.get(label, 0) for _total, timer in columns))
    print("| phase (exclusive) | ours cached s | ours cold s | plain cached s | plain cold s |")
    print("|---|---|---|---|---|")
    for label in labels:
        values = [timer.seconds.get(label, 0.0) for _total, timer in columns]
        if max(values) >= 0.005:
            print(f"| {label} | " + " | ".join(f"{value:.2f}" for value in values) + " |")
    rest = [total - sum(timer.seconds.values()) for total, timer in columns]
    print("| (untimed: build driver, lock, summary) | " + " | ".join(f"{value:.2f}" for value in rest) + " |")
    print("| **total** | " + " | ".join(f"**{total:.2f}**" for total, _timer in columns) + " |")
    (ours_cached, cached_timer), (ours_cold, cold_timer), (plain_cached, _), (plain_cold, _) = columns
    print(f"\nours / plain: cached {ours_cached / plain_cached:.2f}×, cold {ours_cold / plain_cold:.2f}×")
    print("search index worker (a process of its own, not in the table), CPU: ours cached "
          f"{cached_timer.worker_cpu:.2f} s, ours cold {cold_timer.worker_cpu:.2f} s")
    if cpu:  # what no scheduling can beat: both processes' CPU spread evenly over every core
        cores = len(os.sched_getaffinity(0))
        floor = (ours_cold + cold_timer.worker_cpu) / cores
        print(f"ours cold, both processes' CPU over {cores} cores: at least {floor:.2f} s, "
              f"{floor / plain_cold:.2f}× plain cold (plain Pelican uses one core)")


def print_profile(profiler: cProfile.Profile, top: int) -> None:
    """The costliest functions of the cached build by own time, then own time summed by package."""
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        parts = Path(filename).parts
        anchor = next((i for i, part in enumerate(parts) if part in ("site-packages", "plugins", "cluetrain")), None)
        package = parts[anchor + 1] if anchor is not None and parts[anchor] == "site-packages" else (
            "/".join(parts[anchor:anchor + 2]) if anchor is not None else filename)
        by_package[package] += own
    print("\n| package or module (own time, profiled) | s |\n|---|---|")
    for package, seconds in sorted(by_package.items(), key=lambda pair: -pair[1])[:top]:
        print(f"| {package} | {seconds:.2f} |")
    print()
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--fresh", action="store_true", help="generate the site again even if it exists")
    parser.add_argument("--cprofile", type=int, metavar="TOP", default=0,
                        help="also profile one more cached build and print its TOP functions")
    parser.add_argument("--cpu", action="store_true", help="measure process CPU time instead of wall time")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    sys.path[:0] = [str(REPO), str(REPO / "plugins")]
    from benchmarks.site_generator import generate

    root = WORK / f"n{args.posts}"
    if args.fresh or not (root / "content").is_dir():
        shutil.rmtree(root, ignore_errors=True)
        generate(root, args.posts)
    from benchmarks.warm_up import import_everything

    import_everything()
    print(f"site: {root} ({args.posts} posts); load average before: {_load()}")
    results = {}
    for name, plain, cold in (("plain cold", True, True), ("plain cached", True, False),
                              ("ours cold", False, True), ("ours cached", False, False)):
        results[name] = build(root, plain=plain, cold=cold, clock=clock)
    print(f"load average after: {_load()}\n")
    print_table(results, args.cpu)
    if args.cprofile:
        profiler = cProfile.Profile()
        build(root, plain=False, cold=False, profiler=profiler)
        print_profile(profiler, args.cprofile)


if __name__ == "__main__":
    main()
