"""Reading whole columns of an index's segments: every build reads every stored id and signature."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from whoosh.columns import EmptyColumnReader, VarBytesColumn
from whoosh.fields import Schema
from whoosh.filedb.filestore import OverlayStorage
from whoosh.index import FileIndex

# Whoosh retries this often when a segment file vanished under it (a writer merged it away meanwhile).
_OPEN_ATTEMPTS = 10


class SegmentColumns:
    """One segment's per-document files (columns, deletions), without its terms and postings.

    Opening a segment the usual way (``index.reader()``) copies its terms and postings files
    into memory (Whoosh's BufferFile); reading two columns needs neither.
    """

    def __init__(self, storage: Any, schema: Schema, segment: Any, stack: ExitStack) -> None:
        self._schema = schema
        if segment.is_compound():
            files = segment.open_compound_file(storage)
            stack.callback(files.close)
            storage = OverlayStorage(files, storage)  # as Whoosh's SegmentReader opens it
        self._perdoc = segment.codec().per_document_reader(storage, segment)
        stack.callback(self._perdoc.close)

    def doc_count_all(self) -> int:
        """How many documents the segment holds, deleted ones included."""
        return self._perdoc.doc_count_all()

    def has_deletions(self) -> bool:
        """Whether some of them are deleted."""
        return self._perdoc.has_deletions()

    def all_doc_ids(self) -> Iterator[int]:
        """The numbers of the documents not deleted."""
        return self._perdoc.all_doc_ids()

    def column_reader(self, field: str, translate: bool = False) -> Any:
        """The field's raw column (values as stored); like ``SegmentReader.column_reader``, without translating."""
        assert not translate, "only raw values"
        column = self._schema[field].column_type
        if not self._perdoc.has_column(field):
            return EmptyColumnReader(column.default_value(False), self.doc_count_all())
        return self._perdoc.column_reader(field, column)


@contextmanager
def segment_columns(index: FileIndex) -> Iterator[list[SegmentColumns]]:
    """The columns of every segment of the index's newest version."""
    for attempt in range(_OPEN_ATTEMPTS):
        with ExitStack() as stack:
            try:
                toc = index._read_toc()
                segments = [SegmentColumns(index.storage, toc.schema, segment, stack) for segment in toc.segments]
            except FileNotFoundError:
                if attempt == _OPEN_ATTEMPTS - 1:
                    raise
                continue
            yield segments
            return


def column_texts(segment: Any, field: str) -> list[str]:
    """The UTF-8 values of ``field``'s column in ``segment``, by document number (deleted ones included)."""
    raw = segment.column_reader(field, translate=False)
    count = segment.doc_count_all()
    if not isinstance(raw, VarBytesColumn.Reader) or count == 0:
        return [raw[docnum].decode("utf-8") for docnum in range(count)]
    # Whoosh reads a value with a seek and a read each (most of a cached build's index time at
    # 57,000 documents); the values lie end to end, so read them in one piece and cut.
    offsets, lengths = raw._offsets, raw._lengths
    data = raw._dbfile.get(raw._basepos, offsets[-1] + lengths[-1])
    if data.isascii():  # then character and byte offsets agree: decode once
        text = data.decode("ascii")
        return [text[start:start + length] for start, length in zip(offsets, lengths, strict=True)]
    return [data[start:start + length].decode("utf-8") for start, length in zip(offsets, lengths, strict=True)]
