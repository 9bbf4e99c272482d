"""Where an approval's whole update goes: real time per approval in each part the resident builder runs.

    uv run python benchmarks/update_parts.py                  # N = 5000
    uv run python benchmarks/update_parts.py --sizes 500,5000

On the builder benchmark's generated site (copied, so its content stays as generated): one full
build of a resident site, then 20 approvals on posts spread over the site. Each plugin generator's
``generate_output`` and ``after_content_changed`` hook, the charts, and the search index's commit, are timed
around the call (no profiler: its overhead falls unevenly). Prints the whole update's p50 / p95 and
each part's mean per approval; what no part names (the thread's own page, its listings, the plan)
is the difference.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.builder_benchmark import WORK, site_settings_for  # noqa: E402

APPROVALS = 20
PARTS_WORK = REPO / "benchmarks" / "_work" / "update_parts"


def _timed(owner: Any, name: str, label: str, spent: dict[str, float]) -> None:
    """Replace ``owner.name`` by a wrapper adding each call's time to ``spent[label]`` (once: sizes share classes)."""
    original: Callable[..., Any] = getattr(owner, name)
    if getattr(original, "timed_part", False):
        return

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    wrapper.timed_part = True  # type: ignore[attr-defined]
    setattr(owner, name, wrapper)


def measure(size: int, spent: dict[str, float]) -> list[float]:
    """The whole update of each approval; each part's total time over them goes into ``spent``."""
    from benchmarks.site_generator import generate
    from benchmarks.warm_up import import_everything
    from cluetrain.content_format import Comment, CommentSource, write_comment
    from cluetrain.incremental import ResidentSite, UpdateMode
    from cluetrain.incremental import site as resident_module

    generated = WORK / f"n{size}" / "content"
    if not generated.is_dir():
        generate(WORK / f"n{size}", size)
    root = PARTS_WORK / f"n{size}"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(generated, root / "content")
    import_everything()
    site = ResidentSite(REPO, site_settings_for(root, "output", "cache"))
    site.full_build("start")
    for generator in site.pelican.plugin_generators():
        kind = type(generator)
        _timed(kind, "generate_output", f"{kind.__name__}: write", spent)
        if hasattr(kind, "after_content_changed"):
            _timed(kind, "after_content_changed", f"{kind.__name__}: after_content_changed", spent)
        module = sys.modules[kind.__module__]
        if hasattr(module, "render_svg"):  # the community plugin's charts, drawn inside its write
            _timed(module, "render_svg", f"{kind.__name__}: charts (part of write)", spent)
    _timed(resident_module, "apply_document_changes", "search index commit", spent)  # as the builder calls it
    spent.clear()
    whole = []
    for number in range(APPROVALS):
        comment = Comment(id=f"parts{number}", thread=f"post-{(number * 7919) % size}", author="Benchmark",
                          body=f"Approved comment {number}.", source=CommentSource.WEB,
                          date=datetime(2026, 5, 1, tzinfo=UTC) + timedelta(minutes=number))
        started = time.perf_counter()
        report = site.update([write_comment(root / "content", comment)])
        whole.append(time.perf_counter() - started)
        assert report.mode is UpdateMode.INCREMENTAL, report.reason
    return whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000", help="comma-separated post counts")
    args = parser.parse_args()
    spent: dict[str, float] = defaultdict(float)
    for size in (int(s) for s in args.sizes.split(",")):
        whole = measure(size, spent)
        p95 = sorted(whole)[int(0.95 * len(whole)) - 1]
        print(f"\n{size} posts: whole update p50 {statistics.median(whole) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
        print("| part | ms per approval |")
        print("|---|---|")
        for label, total in sorted(spent.items(), key=lambda item: -item[1]):
            print(f"| {label} | {total / APPROVALS * 1000:.1f} |")


if __name__ == "__main__":
    main()
