"""A Whoosh segment writer that does not look for a missing column file once per posting."""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader
from whoosh.index import Index
from whoosh.writing import SegmentWriter


class _ColumnCachingReader(W3PerDocReader):
    """Remembers that a column is absent too (Whoosh 2.7 caches only the columns it found)."""

    def _cached_reader(self, fieldname: str, column: Any) -> Any:
        # Fields without lengths (ids, keywords, spelling) have no length column: Whoosh's own
        # reader stats the file again for each of their postings (~250,000 stats for 7,600 documents).
        # Sound here: this reader is opened on a segment whose per-document files are closed.
        if fieldname not in self._readers:
            self._readers[fieldname] = super()._cached_reader(fieldname, column)
        return self._readers[fieldname]


class SegmentWriter3(SegmentWriter):
    """Whoosh's SegmentWriter with the caching per-document reader for posting lengths."""

    def per_document_reader(self) -> W3PerDocReader:
        if type(self.codec) is not W3Codec:  # another codec: its own reader
            return super().per_document_reader()
        if not self.perdocwriter.is_closed:
            raise RuntimeError("per-document writer is still open")
        return _ColumnCachingReader(self.storage, self.get_segment())


def open_writer(index: Index, **options: Any) -> SegmentWriter:
    """A single-process writer on ``index`` (what ``index.writer(**options)`` gives, minus the repeated stats)."""
    return SegmentWriter3(index, **options)
