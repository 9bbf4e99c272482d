"""The site's search index on disk, behind a narrow interface: add, remove, query.

One writer (the site build) adds and removes documents; any number of readers (the comments
service's threads) query, each seeing the newest committed version. Another backend can
replace this one by offering the same methods.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError, FileIndex, Index, LockError, create_in, exists_in, open_dir
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, IndexWriter

from cluetrain.search.columns import column_texts, segment_columns
from cluetrain.search.documents import SearchDocument
from cluetrain.search.query import SearchRequest, SearchResults, SearchUnavailable
from cluetrain.search.schema import INDEX_NAME, build_schema, to_fields
from cluetrain.search.searching import SearcherPool, run_query
from cluetrain.search.segment_writer import open_writer

# A second build waits this long for the first to commit before giving up.
WRITE_LOCK_TIMEOUT = 60.0
# Whoosh buffers postings in memory up to this (by its estimate, about 2.5x what they take) before spilling
# them to temporary files, which it merges back in Python. A first index of 5,000 posts and 50,000 comments
# stays in memory at 1024 (+135 MB peak) and costs 30 % less CPU than at 256, where it spilled.
WRITER_MEMORY_MB = 1024
# Our files are named "<index name>_..." or "_<index name>_..." (the TOC); other versions' are stale.
_OUR_FILE = re.compile(r"_?cluetrain_v\d+_")


class SearchIndexLocked(RuntimeError):
    """Another process is writing the index (only one build may write at a time)."""


class IndexChanges:
    """The additions and removals one commit makes; obtained from :meth:`SearchIndex.writing`."""

    def __init__(self, writer: IndexWriter, *, replace: bool, lookup_storage: FileStorage) -> None:
        self._writer = writer
        # In an empty index nothing can be replaced, and add_document skips the lookup.
        self._replace = replace
        self._lookup_storage = lookup_storage
        self._lookup: Searcher | None = None

    def add(self, document: SearchDocument) -> None:
        """Add ``document``, replacing the one with the same id."""
        fields = to_fields(document)
        if self._replace:
            self._writer.delete_by_term("id", document.id, searcher=self._committed())
        self._writer.add_document(**fields)

    def remove(self, document_id: str) -> None:
        """Remove the document ``document_id`` (nothing happens if it is not there)."""
        self._writer.delete_by_term("id", document_id, searcher=self._committed())

    def _committed(self) -> Searcher:
        """The segments the writer started from, opened once per commit and read in place."""
        # Whoosh's update_document and delete_by_term open a searcher per call, and on a memory-mapped
        # index that copies each segment's terms and postings into memory (BufferFile): ~35 ms per call
        # at 5,000 posts, ~1 ms reading the files in place. Same segments, same order: same docnums.
        if self._lookup is None:
            writer = self._writer
            self._lookup = Searcher(FileIndex._reader(self._lookup_storage, writer.schema, writer.segments,
                                                      writer.generation))
        return self._lookup

    def close(self) -> None:
        """Close the lookup searcher, if one was opened."""
        if self._lookup is not None:
            self._lookup.close()
            self._lookup = None


class SearchIndex:
    """The search index in one folder: ``writing()`` to add and remove, ``query()`` to search."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pool = SearcherPool(self._open_for_reading)

    def __repr__(self) -> str:
        return f"SearchIndex({str(self.path)!r})"

    # --- reading (the service) ------------------------------------------------------------

    def exists(self) -> bool:
        """Whether a build has created an index of this schema version here."""
        return self.path.is_dir() and exists_in(str(self.path), indexname=INDEX_NAME)

    def _open_for_reading(self) -> Index:
        if not self.exists():
            raise SearchUnavailable(f"no search index in {self.path}; build the site first")
        try:
            return open_dir(str(self.path), indexname=INDEX_NAME, readonly=True)
        except (EmptyIndexError, OSError) as exc:
            raise SearchUnavailable(f"cannot open the search index in {self.path}: {exc}") from exc

    def query(self, request: SearchRequest) -> SearchResults:
        """One page of results; raises SearchUnavailable without an index, SearchRequestError for bad input."""
        with self._pool.borrow() as searcher:
            return run_query(searcher, request)

    def close(self) -> None:
        """Release the searchers kept open between queries."""
        self._pool.close()

    # --- writing (the build, one process at a time) ---------------------------------------------

    def _open_for_writing(self) -> Index:
        if self.exists():
            return open_dir(str(self.path), indexname=INDEX_NAME)
        return self.clear()

    def clear(self) -> Index:
        """Create the index empty (dropping any documents and older schema versions)."""
        self.path.mkdir(parents=True, exist_ok=True)
        current = re.compile(rf"_?{INDEX_NAME}_")
        for stale in self.path.iterdir():
            if _OUR_FILE.match(stale.name) and not current.match(stale.name):
                stale.unlink()
        return create_in(str(self.path), build_schema(), indexname=INDEX_NAME)

    def signatures(self) -> dict[str, str]:
        """Every indexed document's id and content signature."""
        if not self.exists():
            return {}
        stored: dict[str, str] = {}
        with segment_columns(self._open_for_writing()) as segments:
            for segment in segments:
                ids = column_texts(segment, "id")
                signatures = column_texts(segment, "signature")
                if segment.has_deletions():
                    stored.update((ids[docnum], signatures[docnum]) for docnum in segment.all_doc_ids())
                else:
                    stored.update(zip(ids, signatures, strict=True))
        return stored

    @contextmanager
    def writing(self, *, replace_all: bool = False, timeout: float | None = None) -> Iterator[IndexChanges]:
        """Collect additions and removals and commit them at once; nothing is committed on error.

        With ``replace_all`` the commit drops every document that was not added in it, so a
        full re-index is one atomic switch: readers see the old index until the new one is whole.
        ``timeout`` is how long to wait for another writer (default WRITE_LOCK_TIMEOUT).
        """
        index = self._open_for_writing()
        try:
            writer = open_writer(index, timeout=WRITE_LOCK_TIMEOUT if timeout is None else timeout,
                                 limitmb=WRITER_MEMORY_MB)
        except LockError as exc:
            raise SearchIndexLocked(f"{self.path}: another build is writing the search index") from exc
        changes = IndexChanges(writer, replace=not (replace_all or index.is_empty()),
                               lookup_storage=FileStorage(str(self.path), supports_mmap=False))
        try:
            yield changes
        except BaseException:
            changes.close()
            writer.cancel()
            raise
        changes.close()
        writer.commit(mergetype=CLEAR if replace_all else None)
