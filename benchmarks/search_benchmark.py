"""Search benchmark: a synthetic archive (Zipfian words) indexed by our Whoosh backend and by SQLite FTS5.

Run: ``uv run python benchmarks/search_benchmark.py`` (about 2 minutes on 2 cores; ``--help`` for sizes).
Prints full index time, one-document update time, and query latency (median, p95) for common
words, rare words, two common words and phrases, for both engines side by side.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cluetrain.search import DocType, IndexReport, SearchDocument, SearchIndex, SearchRequest, synchronize

SITE = "https://blog.example"
EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)
# Real text is mostly function words; the analyzer drops them, as it would in real posts.
STOP_WORDS = "the of and to a in is it that for on with as was be this are at by or from not have an but".split()
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["ch", "sh", "th", "qu"]
VOCABULARY_SIZE = 50_000
ZIPF_EXPONENT = 1.07  # word frequencies in English text follow rank^-1.07 closely
STATUSES = ("new", "under-review", "planned", "in-progress", "done", "declined")
QUERIES_PER_KIND = 40
REPEATS = 3


@dataclass(frozen=True)
class Corpus:
    """The generated documents and the words to query them with."""

    documents: list[SearchDocument]
    vocabulary: list[str]

    def content_words(self, first_rank: int, last_rank: int) -> list[str]:
        """Words (not stop words) between two frequency ranks, most frequent first."""
        return self.vocabulary[len(STOP_WORDS) + first_rank : len(STOP_WORDS) + last_rank]


def make_vocabulary(rng: random.Random) -> list[str]:
    words: dict[str, None] = dict.fromkeys(STOP_WORDS)
    while len(words) < VOCABULARY_SIZE:
        words.setdefault("".join(rng.choices(SYLLABLES, k=rng.choice((2, 2, 3, 3, 3, 4)))), None)
    return list(words)


def make_corpus(posts: int, comments: int, feedback: int, seed: int) -> Corpus:
    """Posts of ~600 words, comments of ~60, feedback of ~120, words drawn by Zipf's law."""
    rng = random.Random(seed)
    vocabulary = make_vocabulary(rng)
    weights, total = [], 0.0
    for rank in range(1, len(vocabulary) + 1):
        total += rank**-ZIPF_EXPONENT
        weights.append(total)

    def text(mean: int) -> str:
        count = max(3, int(rng.lognormvariate(0, 0.5) * mean))
        return " ".join(rng.choices(vocabulary, cum_weights=weights, k=count))

    def title() -> str:
        return text(6).capitalize()

    tags = [f"tag-{word}" for word in vocabulary[1000:1200]]
    authors = [f"Author {n}" for n in range(20)]
    documents: list[SearchDocument] = []
    for n in range(posts):
        documents.append(SearchDocument(
            id=f"post:p{n}", type=DocType.POST, url=f"{SITE}/posts/p{n}/", title=title(), body=text(600),
            date=EPOCH + timedelta(hours=n * 7), tags=tuple(rng.sample(tags, rng.randint(1, 3))),
            authors=(rng.choice(authors),)))
    for n in range(feedback):
        documents.append(SearchDocument(
            id=f"feedback:f{n}", type=DocType.FEEDBACK, url=f"{SITE}/feedback/f{n}/", title=title(), body=text(120),
            date=EPOCH + timedelta(hours=n * 17), status=rng.choice(STATUSES), authors=(f"Customer {n % 3000}",)))
    for n in range(comments):
        post = rng.randrange(posts)
        documents.append(SearchDocument(
            id=f"comment:c{n}", type=DocType.COMMENT, url=f"{SITE}/posts/p{post}/#comment-c{n}", title="",
            body=text(60), date=EPOCH + timedelta(hours=post * 7, minutes=n % 5000),
            authors=(f"Visitor {n % 5000}",), context_title=documents[post].title))
    return Corpus(documents, vocabulary)


def query_sets(corpus: Corpus, seed: int) -> dict[str, list[str]]:
    """The queries of each kind: real words at realistic frequencies, phrases taken from posts."""
    rng = random.Random(seed + 1)
    common = corpus.content_words(0, 100)
    rare = corpus.content_words(20_000, 45_000)
    stop = set(STOP_WORDS)
    phrases = []
    while len(phrases) < QUERIES_PER_KIND:
        words = rng.choice(corpus.documents[:1000]).body.split()
        at = rng.randrange(len(words) - 1)
        if not ({words[at], words[at + 1]} & stop):
            phrases.append(f'"{words[at]} {words[at + 1]}"')
    return {
        "common word": rng.sample(common, QUERIES_PER_KIND),
        "rare word": rng.sample(rare, QUERIES_PER_KIND),
        "two common words": [" ".join(rng.sample(corpus.content_words(0, 300), 2)) for _ in range(QUERIES_PER_KIND)],
        "phrase": phrases,
    }


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def latencies(run: Callable[[str], object], queries: list[str]) -> str:
    """Median and p95 in milliseconds after one warm-up pass: wall clock, and this process's CPU time."""
    for query in queries:
        run(query)
    wall, cpu = [], []
    for _ in range(REPEATS):
        for query in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            run(query)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return f"{_median_p95(wall)} (CPU {_median_p95(cpu)}) ms"


def _median_p95(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"{statistics.median(ordered):.1f} / {ordered[int(len(ordered) * 0.95) - 1]:.1f}"


# --- SQLite FTS5, the reference --------------------------------------------------------------------


class Fts5:
    """The same documents in an FTS5 table (porter stemmer), queried for top 10 + count + snippets."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5("
            "title, tags, body, id UNINDEXED, url UNINDEXED, type UNINDEXED, date UNINDEXED, "
            "tokenize='porter unicode61')"
        )

    def add(self, documents: list[SearchDocument]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT INTO docs (title, tags, body, id, url, type, date) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(d.title, " ".join(d.tags), d.body, d.id, d.url, d.type.value, d.date.isoformat() if d.date else None)
                 for d in documents])

    def query(self, text: str) -> tuple[int, list[tuple[str, ...]]]:
        match = text if text.startswith('"') else " AND ".join(text.split())
        total = self.db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)).fetchone()[0]
        top = self.db.execute(
            "SELECT url, title, snippet(docs, 2, '[', ']', '…', 24) FROM docs WHERE docs MATCH ? "
            "ORDER BY bm25(docs, 3.0, 2.0, 1.0) LIMIT 10", (match,)).fetchall()
        return total, top


# --- the run ------------------------------------------------------------------------------------------


def _megabytes(path: Path) -> float:
    files = path.iterdir() if path.is_dir() else [path]
    return sum(file.stat().st_size for file in files) / 1e6


def _expect_one(report: IndexReport) -> None:
    assert report.changed == ["comment:new"], report.summary()


def one_more_comment(corpus: Corpus) -> SearchDocument:
    return SearchDocument(id="comment:new", type=DocType.COMMENT, url=f"{SITE}/posts/p1/#comment-new", title="",
                          body="A freshly approved comment about " + " ".join(corpus.content_words(5, 12)),
                          date=datetime.now(timezone.utc), authors=("Newcomer",), context_title="Post one")


def run(args: argparse.Namespace) -> Iterator[tuple[str, str, str]]:
    """Measure both engines; yields table rows (measure, Whoosh, FTS5)."""
    work = Path(args.workdir)
    started = time.perf_counter()
    corpus = make_corpus(args.posts, args.comments, args.feedback, args.seed)
    words = sum(len(d.body.split()) for d in corpus.documents)
    print(f"Generated {len(corpus.documents):,} documents ({words:,} words) in {time.perf_counter() - started:.1f} s")
    if not args.queries_only:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    index, fts = SearchIndex(work / "whoosh"), Fts5(work / "fts5.sqlite3")
    if not args.queries_only:
        yield from _indexing(corpus, index, fts, work)
    for kind, queries in query_sets(corpus, args.seed).items():
        yield (f"query: {kind}, median / p95", latencies(lambda q: index.query(SearchRequest(text=q)), queries),
               latencies(fts.query, queries))
    index.close()


def _indexing(corpus: Corpus, index: SearchIndex, fts: Fts5, work: Path) -> Iterator[tuple[str, str, str]]:
    """Full index and one-document update, for both engines."""
    cpu = time.process_time()
    whoosh_full = timed(lambda: synchronize(index, corpus.documents))
    whoosh_cpu, cpu = time.process_time() - cpu, time.process_time()
    fts_full = timed(lambda: fts.add(corpus.documents))
    fts_cpu = time.process_time() - cpu
    # CPU time too: on a shared machine the wall clock also counts other people's work.
    yield "full index (wall / CPU)", f"{whoosh_full:.1f} / {whoosh_cpu:.1f} s", f"{fts_full:.1f} / {fts_cpu:.1f} s"
    yield "size on disk", f"{_megabytes(work / 'whoosh'):.0f} MB", f"{_megabytes(work / 'fts5.sqlite3'):.0f} MB"

    new_comment = one_more_comment(corpus)
    sync_one = timed(lambda: _expect_one(synchronize(index, [*corpus.documents, new_comment])))
    signatures = timed(index.signatures)

    def commit_one() -> None:
        with index.writing() as changes:
            changes.add(replace(new_comment, body=new_comment.body + " (edited)"))

    write = timed(commit_one)
    fts_one = timed(lambda: fts.add([new_comment]))
    yield "one new comment, as a build does it", f"{sync_one * 1000:.0f} ms", "—"
    yield "  of which reading all stored signatures", f"{signatures * 1000:.0f} ms", "—"
    yield "  of which writing + committing one document", f"{write * 1000:.0f} ms", f"{fts_one * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5_000)
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--feedback", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", default=str(Path(__file__).parent / "_work" / "search"),
                        help="scratch folder for this benchmark only (emptied first)")
    parser.add_argument("--queries-only", action="store_true",
                        help="only time queries, on the indexes a previous run (same sizes and seed) left in --workdir")
    args = parser.parse_args()
    rows = [("measure", "Whoosh (ours)", "SQLite FTS5")]
    for row in run(args):
        rows.append(row)
        print(f"  {row[0]}: {row[1]} | {row[2]}", flush=True)
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print()
    for number, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
        if number == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")


if __name__ == "__main__":
    main()
