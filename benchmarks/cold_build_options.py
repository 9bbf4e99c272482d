"""What each product option would take off a cold full build: ours with parts turned off, against plain Pelican.

    uv run python benchmarks/cold_build_options.py                       # N = 500, 2000, 5000, 3 rounds
    uv run python benchmarks/cold_build_options.py --sizes 200 --rounds 1   # a quick run
    uv run python benchmarks/cold_build_options.py --workdir /dev/shm/cluetrain-cold   # on a RAM disk

A cold build (empty output, cache and search index, as on a first deploy) of the builder benchmark's
site, with our defaults and with settings that turn off a part the issue's 1.3x target is up against:
the per-thread comment feeds (COMMENTS_FEED_ATOM), the per-item feedback feeds (FEEDBACK_FEED_ITEM_ATOM,
whose entries already include the item's comments), the search index (SEARCH_INDEX_PATH), and all three.
Each round runs in a process of its own: plain Pelican's cold build, then ours in each variant, each
after the file system's write-back (os.sync, untimed). Prints the median times and the median of the
rounds' ratios to plain Pelican, and how many files each variant wrote. On a disk whose file creation
slows down after many deletions (as this benchmark makes), later builds of a round pay for earlier ones:
``--workdir`` on a RAM disk (tmpfs) measures the builds' own work.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.builder_benchmark import plain_pelican, site_settings_for, timed_build  # noqa: E402

DEFAULT_WORK = REPO / "benchmarks" / "_work" / "cold_options"
# Name → settings that turn the part off (our defaults: none).
VARIANTS: dict[str, dict[str, object]] = {
    "ours": {},
    "no thread feeds": {"COMMENTS_FEED_ATOM": None},
    "no item feeds": {"FEEDBACK_FEED_ITEM_ATOM": None},
    "no search index": {"SEARCH_INDEX_PATH": None},
    "none of the three": {"COMMENTS_FEED_ATOM": None, "FEEDBACK_FEED_ITEM_ATOM": None, "SEARCH_INDEX_PATH": None},
}
COLD_FOLDERS = ("output", "cache", "search_index", "plain-output", "plain-cache")


def _cold(root: Path) -> None:
    for folder in COLD_FOLDERS:
        shutil.rmtree(root / folder, ignore_errors=True)


def _files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


def one_round(work: Path, size: int, round_number: int) -> dict[str, float]:
    """One round for one site size (in a fresh process); round 0 generates the site first."""
    from benchmarks.site_generator import generate
    from benchmarks.warm_up import import_everything

    root = work / f"n{size}"
    if round_number == 0:
        shutil.rmtree(root, ignore_errors=True)
        generate(root, size)
    import_everything()
    _cold(root)
    result = {"plain": plain_pelican(root, "plain-cache"), "plain files": _files(root / "plain-output")}
    for name, overrides in VARIANTS.items():
        _cold(root)
        result[name] = timed_build(site_settings_for(root, "output", "cache", **overrides))
        result[f"{name} files"] = _files(root / "output")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000,5000", help="comma-separated post counts")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size (medians are shown)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORK, help="where the sites are generated and built")
    parser.add_argument("--round", nargs=2, type=int, metavar=("SIZE", "ROUND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.round:
        print(json.dumps(one_round(args.workdir.resolve(), *args.round)))
        return
    print("| posts | plain Pelican | " + " | ".join(f"{name}: time (ratio), files" for name in VARIANTS) + " |")
    print("|---|---|" + "---|" * len(VARIANTS))
    for size in (int(text) for text in args.sizes.split(",")):
        rounds = [_run(args.workdir.resolve(), size, number) for number in range(max(1, args.rounds))]
        plain = statistics.median(one["plain"] for one in rounds)
        cells = [f"{plain:.1f} s, {rounds[0]['plain files']:,} files"]
        for name in VARIANTS:
            ratio = statistics.median(one[name] / one["plain"] for one in rounds)
            seconds = statistics.median(one[name] for one in rounds)
            cells.append(f"{seconds:.1f} s ({ratio:.2f}×), {rounds[0][f'{name} files']:,}")
        print(f"| {size} | " + " | ".join(cells) + " |")


def _run(work: Path, size: int, number: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--workdir", str(work), "--round", str(size), str(number)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
