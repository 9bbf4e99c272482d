"""Writing many index documents in a separate process while the build writes its pages (a first index, a reindex).

The build process is never forked (``cluetrain serve`` builds inside a threaded Flask process): the
worker is a new interpreter (``subprocess``, which execs at once as multiprocessing's ``spawn`` does,
but without re-running the build's ``__main__`` script in the child, which ``spawn`` does and which
would run a whole build again when that script is not guarded). It gets plain data on stdin (each
document's fields; a post's body as HTML, whose text it extracts itself) and answers with pickled
messages on stdout: progress, then its outcome. It commits once, after the last document, so a worker
that fails or is killed leaves the index as it was (Whoosh writes the new table of contents to a
temporary file and renames it; its lock is a ``flock``, released when the process dies).

A build that fails after starting a worker never joins it: the process kills it when it exits (the
index stays as it was); a resident process (``cluetrain serve``) lets it finish and commit what the
failed build had read, as the in-process writer does when a later generator fails, and reaps it when
the next worker starts."""

from __future__ import annotations

import atexit
import enum
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol, cast

from cluetrain.search import index as index_module
from cluetrain.search.documents import DocType, SearchDocument, text_digest
from cluetrain.search.index import SearchIndex, SearchIndexLocked
from cluetrain.search.indexer import PROGRESS_EVERY, IndexPlan, IndexReport, ProgressCallback

# A plan writes in a worker from this many documents on (and only with a second usable CPU). Handing the
# documents over costs the build ~5 µs each (57,332 documents, 48 MB pickled: 0.3 s CPU); the worker starts
# in ~0.25 s and writes ~3,000 documents a second, as the build would (~0.3 ms each). Below ~2,000 documents
# the index costs the build under ~0.6 s, and a cached build (a few changed documents) never starts one.
MIN_WORKER_WRITES = 2000
# A second CPU counts as idle when the CPUs were at least this idle, on average, while the build read the
# site (an idle one reads ~1.0, one that another build keeps busy ~0.0).
MIN_SPARE_CPUS = 0.5
# Without one, the worker and the build share a CPU with that other build and the build's pages (the critical
# path) slow down: a cold build of 500 posts (7,617 documents) took 11.4-11.8 s with a worker against 9.7-10.2 s
# without; one of 5,000 posts (57,332 documents) still gained, 39.5-50.7 s against 48.2-57.9 s. So a busy
# machine takes this many times the threshold.
BUSY_FACTOR = 10
# A shorter reading says little (clock ticks are 10 ms).
MIN_METERED_SECONDS = 0.2
# The interpreter the worker runs: it imports only the search package, not the build's __main__.
_BOOT = "from cluetrain.search.worker import serve; serve()"
# The folder holding the cluetrain package, put first on the worker's path (a checkout need not be installed).
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])

# A document as the worker gets it: SearchDocument's fields in order (the type as its value), then
# whether the body is HTML whose text the worker extracts (a post's), not the text itself.
PlainFields = tuple[str, str, str, str, str, datetime | None, tuple[str, ...], tuple[str, ...], str | None,
                    str | None, bool]


class IndexWorkerFailed(RuntimeError):
    """The index worker stopped before reporting a commit; the message says why."""


class Message(enum.Enum):
    """What the worker tells the build, first in each pickled message."""

    PROGRESS = "progress"  # done, total
    DONE = "done"  # seconds, the text digests of the HTML bodies in the order they were sent
    LOCKED = "locked"  # the SearchIndexLocked message
    FAILED = "failed"  # the error's type and message


class PlainIndexable(Protocol):
    """An Indexable that hands the worker its fields without building its text (see :data:`PlainFields`)."""

    def plain_fields(self) -> PlainFields: ...


class HtmlIndexable(PlainIndexable, Protocol):
    """A PlainIndexable whose fields may carry an HTML body; it is told the digest of the text extracted."""

    def text_extracted(self, digest: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class IndexJob:
    """Everything the worker needs, as plain data."""

    path: str
    replace_all: bool
    lock_timeout: float
    documents: list[PlainFields]
    removals: list[str]
    progress_every: int = PROGRESS_EVERY


def usable_cpus() -> int:
    """How many CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _idle_seconds() -> float | None:
    """How long the CPUs this process may use have been idle, in all, since boot (None where unknown)."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
        mine = {f"cpu{number}" for number in os.sched_getaffinity(0)}
        # "cpuN user nice system idle iowait ...", in clock ticks.
        ticks = sum(int(fields[4]) + int(fields[5]) for fields in map(str.split, lines) if fields and fields[0] in mine)
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, ValueError, IndexError):  # not Linux, or a /proc/stat of another form
        return None


class IdleMeter:
    """How many of this process's CPUs were idle, on average, since it was made (over the build's reading)."""

    def __init__(self) -> None:
        self._since = time.perf_counter()
        self._idle = _idle_seconds()

    def spare_cpus(self) -> float | None:
        """Idle CPUs on average since the meter was made; None if unknown or too soon to tell (under 0.2 s)."""
        idle, elapsed = _idle_seconds(), time.perf_counter() - self._since
        if idle is None or self._idle is None or elapsed < MIN_METERED_SECONDS:
            return None
        return (idle - self._idle) / elapsed


def worth_a_worker(writes: int, threshold: int | None, spare_cpus: float | None = None) -> bool:
    """Whether ``writes`` documents go to a worker: ``threshold`` None never does, 0 always does.

    Otherwise it takes a second usable CPU and ``threshold`` documents, BUSY_FACTOR times as many if
    ``spare_cpus`` (see :class:`IdleMeter`; None: unknown) is below MIN_SPARE_CPUS.
    """
    if threshold is None:
        return False
    if threshold == 0:  # forced on (tests, or a site that wants it even on one CPU)
        return True
    if usable_cpus() < 2:
        return False
    busy = spare_cpus is not None and spare_cpus < MIN_SPARE_CPUS
    return writes >= threshold * (BUSY_FACTOR if busy else 1)


def plain_fields(document: SearchDocument) -> PlainFields:
    """The fields of a built document, in the form the worker takes."""
    return (document.id, document.type.value, document.url, document.title, document.body, document.date,
            document.tags, document.authors, document.status, document.context_title, False)


# --- the build's side -------------------------------------------------------------------------------


class IndexWorker:
    """One running worker writing one plan; :meth:`join` waits for its commit and returns the plan's report."""

    def __init__(self, path: Path, plan: IndexPlan, *, lock_timeout: float | None = None) -> None:
        """Start the worker (OSError if it cannot be) and hand it the plan's documents."""
        started = time.perf_counter()
        # Started first, so that the interpreter boots while the documents are taken apart.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (_PACKAGE_ROOT,
                                                                          os.environ.get("PYTHONPATH"))))}
        self._process = subprocess.Popen([sys.executable, "-c", _BOOT], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=env, close_fds=True)
        self._plan = plan
        _running.add(self)
        try:
            payload, self._extracting = _job(path, plan, lock_timeout)
        except BaseException:
            self.abandon()
            raise
        # A thread writes it, so the build goes on while the worker is still starting and reading.
        self._feeder = threading.Thread(target=_feed, args=(self._process.stdin, payload),
                                        name="search-index-job", daemon=True)
        self._feeder.start()
        self._handed_over = plan.seconds + time.perf_counter() - started

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self._process.pid

    def join(self, on_progress: ProgressCallback | None = None) -> IndexReport:
        """Wait for the commit, passing on progress; raises SearchIndexLocked or IndexWorkerFailed."""
        outcome: tuple[Any, ...] | None = None
        try:
            while outcome is None:
                try:
                    message = pickle.load(self._process.stdout)
                except (EOFError, pickle.UnpicklingError):  # it died without a word
                    break
                if message[0] is Message.PROGRESS:
                    if on_progress:
                        on_progress(*message[1:])
                else:
                    outcome = message
        finally:
            self._process.stdout.close()
            status = self._process.wait()
            self._feeder.join()
            _running.discard(self)
        return self._outcome(outcome, status)

    def _outcome(self, outcome: tuple[Any, ...] | None, status: int) -> IndexReport:
        if outcome is None:
            how = (f"was killed by {signal.Signals(-status).name}" if status < 0
                   else f"exited with status {status}")
            raise IndexWorkerFailed(f"the index worker {how} before committing; the index was left as it was")
        kind = outcome[0]
        if kind is Message.LOCKED:
            raise SearchIndexLocked(outcome[1])
        if kind is Message.FAILED:
            raise IndexWorkerFailed(f"the index worker failed: {outcome[1]}; the index was left as it was")
        seconds, digests = outcome[1:]
        for entry, digest in zip(self._extracting, digests, strict=True):
            entry.text_extracted(digest)
        report = self._plan.report
        # Planning and handing over here, then the worker's own time: pages written meanwhile are not the index's.
        report.seconds = self._handed_over + seconds
        return report

    def finished(self) -> bool:
        """Whether the worker's process has ended."""
        return self._process.poll() is not None

    def abandon(self) -> None:
        """Kill a worker whose build will never join it (the build failed; a killed worker commits nothing)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:  # the feeder's last write to a dead worker
                    pass
        _running.discard(self)


def _job(path: Path, plan: IndexPlan, lock_timeout: float | None) -> tuple[bytes, list[HtmlIndexable]]:
    """The pickled job for ``plan``, and the entries to tell their bodies' digests, in the order sent."""
    documents: list[PlainFields] = []
    extracting: list[HtmlIndexable] = []
    for entry in plan.writes:
        # Not isinstance(entry, PlainIndexable): a runtime Protocol check costs ~8 µs (0.5 s for 57,000).
        plain = getattr(entry, "plain_fields", None)
        if plain is None:
            documents.append(plain_fields(entry.document()))
            continue
        fields = plain()
        if fields[-1]:
            extracting.append(cast(HtmlIndexable, entry))
        documents.append(fields)
    job = IndexJob(str(path), plan.replace_all,
                   index_module.WRITE_LOCK_TIMEOUT if lock_timeout is None else lock_timeout,
                   documents, plan.report.removed)
    return pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL), extracting


def _feed(stream: IO[bytes], payload: bytes) -> None:
    try:
        stream.write(payload)
        stream.close()
    except (BrokenPipeError, ValueError):  # the worker is gone: join() says why
        pass


# Workers started and not joined yet; one left when the process exits belongs to a failed build.
_running: set[IndexWorker] = set()


@atexit.register
def _abandon_unjoined() -> None:
    for worker in list(_running):
        worker.abandon()


# --- the worker's side ------------------------------------------------------------------------------


def _document(fields: PlainFields) -> tuple[SearchDocument, bytes | None]:
    """The document of ``fields``, and the digest of the text extracted from an HTML body (else None)."""
    doc_id, doc_type, url, title, body, date, tags, authors, status, context_title, html = fields
    digest = None
    if html:
        from cluetrain.markup import plain_text

        body = plain_text(body)
        digest = text_digest(body)
    return SearchDocument(id=doc_id, type=DocType(doc_type), url=url, title=title, body=body, date=date, tags=tags,
                          authors=authors, status=status, context_title=context_title), digest


def write_job(job: IndexJob, send: Any) -> tuple[Any, ...]:
    """Write ``job`` in one commit, sending progress through ``send``; returns the outcome message."""
    started = time.perf_counter()
    index = SearchIndex(Path(job.path))
    digests: list[bytes] = []
    total = len(job.documents)
    try:
        with index.writing(replace_all=job.replace_all, timeout=job.lock_timeout) as changes:
            for done, fields in enumerate(job.documents, start=1):
                document, digest = _document(fields)
                changes.add(document)
                if digest is not None:
                    digests.append(digest)
                if done % job.progress_every == 0 or done == total:
                    send((Message.PROGRESS, done, total))
            for doc_id in job.removals:
                changes.remove(doc_id)
    except SearchIndexLocked as exc:
        return (Message.LOCKED, str(exc))
    finally:
        index.close()
    return (Message.DONE, time.perf_counter() - started, digests)


def serve() -> None:
    """The worker's main: read one job on stdin, write it, answer on stdout."""
    # Ctrl-C in a terminal reaches the whole process group: the build decides (it kills a worker it abandons).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything printed (a library's warning) goes to the build's stderr, not into the answers.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    def send(message: tuple[Any, ...]) -> None:
        pickle.dump(message, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()

    try:
        job = pickle.load(sys.stdin.buffer)
    except (EOFError, pickle.UnpicklingError):  # the build went away before handing over the job
        sys.exit(2)
    try:
        outcome = write_job(job, send)
    except BrokenPipeError:  # the build went away; the commit is cancelled
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the process boundary: any error is reported to the build
        outcome = (Message.FAILED, f"{type(exc).__name__}: {exc}")
    try:
        send(outcome)
    except BrokenPipeError:
        sys.exit(2)


def start_worker(path: Path, plan: IndexPlan, *, lock_timeout: float | None = None) -> IndexWorker:
    """Start writing ``plan`` into the index at ``path`` in a worker process; ``join()`` it before the build ends."""
    for worker in [w for w in _running if w.finished()]:
        worker.abandon()  # it finished for a build that failed (and committed): reaped
    return IndexWorker(path, plan, lock_timeout=lock_timeout)


__all__: Sequence[str] = ["BUSY_FACTOR", "MIN_SPARE_CPUS", "MIN_WORKER_WRITES", "IdleMeter", "IndexWorker",
                          "IndexWorkerFailed", "PlainIndexable", "start_worker", "usable_cpus", "worth_a_worker"]
