"""Speed of the resident builder: approval → page written, feedback change → item page, full builds, memory.

    uv run python benchmarks/builder_benchmark.py                 # N = 500, 2000, 5000
    uv run python benchmarks/builder_benchmark.py --sizes 200 --rounds 1    # a quick run
    uv run python benchmarks/builder_benchmark.py --updates-only   # the resident builder's updates only

Each size has a site generated under benchmarks/_work/. Its full builds (cold, cached, after a post
edit, after a setting change; plain Pelican's, then ours) run in rounds, each round in a process of
its own; the tables show each build's median time over the rounds and the median of the rounds'
ratios (ours / plain, measured a minute apart at most): on this shared machine one build's time
varies by tens of percent, up to 2x, from one minute to the next. The resident builder's
updates then run in a process of their own (so peak memory is the builder's). Feedback changes
are 20 vote batches then 20 status changes on items spread over the site's 2,000, each written as
the feedback publisher writes it; post edits add a sentence to the text of posts spread over the
site (as an editor saves it). Prints four tables.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "_work" / "builder"
APPROVALS = 40
FEEDBACK_CHANGES = 20  # vote batches, then as many status changes
POST_EDITS = 20  # a sentence added to a post's text (metadata unchanged)
STATUS_CYCLE = ("under-review", "planned", "in-progress", "done", "new")


def site_settings_for(root: Path, output: str, cache: str, **extra: object) -> dict:
    """Settings overrides for a build of the generated site at ``root`` into ``output`` with ``cache``."""
    return {"PATH": str(root / "content"), "OUTPUT_PATH": str(root / output), "CACHE_PATH": str(root / cache),
            "COMMENTS_NOW": datetime(2026, 6, 1, tzinfo=UTC), **extra}


def timed_build(settings: dict) -> float:
    from cluetrain.build import build_site, load_settings

    # Each build as a one-off `cluetrain build` (a process of its own) would run it: the previous build's garbage is
    # collected first, not on this build's clock. And the file system's write-back of what was written or deleted
    # before (a generated site, the output folders a round removes, the previous build's pages) is done first: it
    # ran beside the next build and slowed it by up to 2x (plain Pelican cold at 500 posts: 2.6 s against 1.2 s).
    os.sync()
    gc.collect()
    started = time.perf_counter()
    build_site(load_settings(REPO, settings))
    return time.perf_counter() - started


def plain_pelican(root: Path, cache: str, **extra: object) -> float:
    """Plain Pelican on the same posts: no plugins, its default theme, the same caching."""
    return timed_build(site_settings_for(root, "plain-output", cache, PLUGINS=[], THEME="notmyidea",
                                  DIRECT_TEMPLATES=["index", "tags", "categories", "authors", "archives"],
                                  SEARCH_INDEX_PATH=None, KEEP_UNCHANGED_PAGES=False, **extra))


def full_builds(size: int, round_number: int) -> dict:
    """One round of full builds for one site size (run in a fresh process); round 0 generates the site first."""
    sys.path.insert(0, str(REPO))
    from benchmarks.site_generator import generate
    from benchmarks.warm_up import import_everything

    root = WORK / f"n{size}"
    if round_number == 0:
        shutil.rmtree(root, ignore_errors=True)
        generate(root, size)
    # Cold: no output, cache or search index (ours keeps its index beside content/, as SEARCH_INDEX_PATH says).
    for folder in ("plain-output", "plain-cache", "output", "cache", "search_index"):
        shutil.rmtree(root / folder, ignore_errors=True)
    import_everything()
    result: dict = {}
    # Plain Pelican first: a build with our plugins leaves their signal receivers connected in this process.
    # A full build rarely finds nothing changed: it also runs after one post's text is edited (an evangelist's
    # `cluetrain build`), and after a setting changed, which makes every page render again (ours keeps pages by
    # their inputs). Each build gets its own edit of the same post, and each round its own setting value.
    edited = root / "content" / "posts" / f"post-{size // 2}.md"
    renamed = f"Renamed in round {round_number}"
    result["plain_cold"] = plain_pelican(root, "plain-cache")
    result["plain_cached"] = plain_pelican(root, "plain-cache")
    _append(edited, "A sentence added before plain Pelican's build.")
    result["plain_edited"] = plain_pelican(root, "plain-cache")
    result["plain_setting"] = plain_pelican(root, "plain-cache", SITESUBTITLE=renamed)
    result["ours_cold"] = timed_build(site_settings_for(root, "output", "cache"))
    result["ours_cached"] = timed_build(site_settings_for(root, "output", "cache"))
    _append(edited, "A sentence added before our build.")
    result["ours_edited"] = timed_build(site_settings_for(root, "output", "cache"))
    result["ours_setting"] = timed_build(site_settings_for(root, "output", "cache", SITESUBTITLE=renamed))
    return result


def live_updates(size: int) -> dict:
    """The resident builder's updates on the generated site, and its peak memory (run in a fresh process)."""
    sys.path.insert(0, str(REPO))
    from benchmarks.warm_up import import_everything
    from cluetrain.content_format import Comment, CommentSource, write_comment
    from cluetrain.incremental import ResidentSite, UpdateMode

    root = WORK / f"n{size}"
    import_everything()
    result: dict = {"size": size}
    site = ResidentSite(REPO, site_settings_for(root, "output", "cache"))
    site.full_build("start")
    first_page, complete = [], []
    for number in range(APPROVALS):
        thread = f"post-{(number * 7919) % size}"
        comment = Comment(id=f"bench{number}", thread=thread, author="Benchmark", body=f"Approved comment {number}.",
                          date=datetime(2026, 5, 1, tzinfo=UTC) + timedelta(minutes=number),
                          source=CommentSource.WEB)
        started = time.perf_counter()
        path = write_comment(root / "content", comment)  # the publisher's write is part of the path to the page
        report = site.update([path])
        assert report.mode is UpdateMode.INCREMENTAL, report.reason
        first_page.append(time.perf_counter() - started - report.seconds + report.first_page_seconds)
        complete.append(time.perf_counter() - started)
    result["page_p50"], result["page_p95"] = _p50_p95(first_page)
    result["all_p50"], result["all_p95"] = _p50_p95(complete)
    result.update(_feedback_changes(site, root / "content"))
    result.update(_post_edits(site, root / "content", size))
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _feedback_changes(site: object, content: Path) -> dict[str, float]:
    """Vote batches then status changes on items spread over the site: until the item page, until all is done."""
    import dataclasses

    from cluetrain.content_format import StatusChange, find_feedback_file, read_feedback, write_feedback
    from cluetrain.incremental import UpdateMode

    count = len(list((content / "feedback").glob("*.md")))
    timings: dict[str, list[float]] = {"votes": [], "status": [], "all": []}
    for number in range(2 * FEEDBACK_CHANGES):
        path = find_feedback_file(content, 1 + (number * 7919) % count)
        assert path is not None
        item = read_feedback(path)
        if number < FEEDBACK_CHANGES:
            kind, item = "votes", dataclasses.replace(item, votes=item.votes + 3)
        else:
            status = STATUS_CYCLE[(STATUS_CYCLE.index(item.status) + 1) % len(STATUS_CYCLE)]
            change = StatusChange(status, item.history[-1].date + timedelta(days=1), "Benchmark")
            kind, item = "status", dataclasses.replace(item, status=status, history=(*item.history, change))
        started = time.perf_counter()
        write_feedback(content, item)  # the feedback publisher's (fsynced) write is part of the path
        report = site.update([path])  # type: ignore[attr-defined]
        assert report.mode is UpdateMode.INCREMENTAL, report.reason
        timings[kind].append(time.perf_counter() - started - report.seconds + report.first_page_seconds)
        timings["all"].append(time.perf_counter() - started)
    result: dict[str, float] = {}
    for kind, values in timings.items():
        result[f"fb_{kind}_p50"], result[f"fb_{kind}_p95"] = _p50_p95(values)
    result["fb_page_p50"], result["fb_page_p95"] = _p50_p95(timings["votes"] + timings["status"])
    return result


def _append(path: Path, sentence: str) -> None:
    with open(path, "a", encoding="utf-8") as post:  # in place, as an editor saves it
        post.write(f"\n{sentence}\n")


def _post_edits(site: object, content: Path, size: int) -> dict[str, float]:
    """A sentence added to posts spread over the site: until the post's page, until all is done."""
    from cluetrain.incremental import UpdateMode

    page, complete = [], []
    for number in range(POST_EDITS):
        path = content / "posts" / f"post-{(number * 4111) % size}.md"
        started = time.perf_counter()
        with open(path, "a", encoding="utf-8") as post:  # in place, as an editor saves it
            post.write(f"\nA sentence added by edit {number}.\n")
        report = site.update([path])  # type: ignore[attr-defined]
        assert report.mode is UpdateMode.INCREMENTAL, report.reason
        page.append(time.perf_counter() - started - report.seconds + report.first_page_seconds)
        complete.append(time.perf_counter() - started)
    result: dict[str, float] = {}
    result["post_page_p50"], result["post_page_p95"] = _p50_p95(page)
    result["post_all_p50"], result["post_all_p95"] = _p50_p95(complete)
    return result


def _p50_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000,5000", help="comma-separated post counts")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of full builds per size (medians are shown)")
    parser.add_argument("--updates-only", action="store_true",
                        help="only the resident builder's updates and memory (no rounds of full builds)")
    parser.add_argument("--builds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--live", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.builds:
        print(json.dumps(full_builds(args.builds, args.round)))
        return
    if args.live:
        print(json.dumps(live_updates(args.live)))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        if args.updates_only:
            _generated(size)
            rows.append(_run("--live", size))
            continue
        rounds = [_run("--builds", size, "--round", number) for number in range(max(1, args.rounds))]
        row = _run("--live", size)
        for name in rounds[0]:
            row[name] = statistics.median(one[name] for one in rounds)
            row[f"{name}_rounds"] = [one[name] for one in rounds]
        rows.append(row)
    if args.updates_only:
        _print_updates(rows)
        return
    print("| posts | approval→page p50 / p95 | whole update p50 / p95 | feedback change→item page p50 / p95 "
          "| ours cold / plain cold (ratio) | ours cached / plain cached (ratio) | builder peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {_ms(r, 'page')} | {_ms(r, 'all')} | {_ms(r, 'fb_page')} "
              f"| {_ratio(r, 'cold')} | {_ratio(r, 'cached')} "
              f"| {r['peak_mb']:.0f} MB |")
    print()
    print("| posts | full build, one post's text edited: ours / plain (ratio) "
          "| full build, a setting changed (every page rendered): ours / plain (ratio) |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {_ratio(r, 'edited')} | {_ratio(r, 'setting')} |")
    print()
    print("| posts | ratio in each round (ours / plain): cold | cached | one post's text edited | a setting changed |")
    print("|---|---|---|---|---|")
    for r in rows:
        ratios = " | ".join(_round_ratios(r, name) for name in ("cold", "cached", "edited", "setting"))
        print(f"| {r['size']} | {ratios} |")
    print()
    _print_feedback_and_edits(rows)


def _generated(size: int) -> None:
    """A freshly generated site for ``size`` posts (updates add comments: a second run must not find them)."""
    sys.path.insert(0, str(REPO))
    from benchmarks.site_generator import generate

    root = WORK / f"n{size}"
    shutil.rmtree(root, ignore_errors=True)
    generate(root, size)


def _print_updates(rows: list[dict]) -> None:
    print("| posts | approval→page p50 / p95 | whole update p50 / p95 | feedback change→item page p50 / p95 "
          "| builder peak RSS |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {_ms(r, 'page')} | {_ms(r, 'all')} | {_ms(r, 'fb_page')} | {r['peak_mb']:.0f} MB |")
    print()
    _print_feedback_and_edits(rows)


def _print_feedback_and_edits(rows: list[dict]) -> None:
    print("| posts | feedback votes→page p50 / p95 | status→page p50 / p95 | feedback whole update p50 / p95 "
          "| post text edit→page p50 / p95 | post edit whole update p50 / p95 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {_ms(r, 'fb_votes')} | {_ms(r, 'fb_status')} | {_ms(r, 'fb_all')} "
              f"| {_ms(r, 'post_page')} | {_ms(r, 'post_all')} |")


def _run(*args: object) -> dict:
    out = subprocess.run([sys.executable, __file__, *map(str, args)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ratio(row: dict, name: str) -> str:
    """Median times, and the median of the rounds' ratios (each round's builds ran a minute apart at most)."""
    ours, plain = row[f"ours_{name}"], row[f"plain_{name}"]
    return f"{ours:.1f} / {plain:.1f} s ({statistics.median(_each_ratio(row, name)):.2f}×)"


def _each_ratio(row: dict, name: str) -> list[float]:
    """Ours / plain in each round."""
    return [ours / plain for ours, plain in zip(row[f"ours_{name}_rounds"], row[f"plain_{name}_rounds"], strict=True)]


def _round_ratios(row: dict, name: str) -> str:
    return ", ".join(f"{ratio:.2f}×" for ratio in _each_ratio(row, name))


def _ms(row: dict, name: str) -> str:
    return f"{row[f'{name}_p50'] * 1000:.0f} / {row[f'{name}_p95'] * 1000:.0f} ms"


if __name__ == "__main__":
    main()
