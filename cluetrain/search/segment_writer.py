"""A Whoosh segment writer that analyses each stemmed text once and does not stat missing column files."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader
from whoosh.index import Index
from whoosh.reading import IndexReader, SegmentReader
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from cluetrain.search.analysis import one_pass_fields

_ONCE = pack_uint(1)


class _ColumnCachingReader(W3PerDocReader):
    """Remembers that a column is absent too (Whoosh 2.7 caches only the columns it found)."""

    def _cached_reader(self, fieldname: str, column: Any) -> Any:
        # Fields without lengths (ids, keywords, spelling) have no length column: Whoosh's own
        # reader stats the file again for each of their postings (~250,000 stats for 7,600 documents).
        # Sound here: this reader is opened on a segment whose per-document files are closed.
        if fieldname not in self._readers:
            self._readers[fieldname] = super()._cached_reader(fieldname, column)
        return self._readers[fieldname]


class _Lengths:
    """Document lengths as the per-document reader gives them at commit, from the writer's memory."""

    def __init__(self, lengths: dict[str, bytearray]) -> None:
        self._lengths = lengths

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        """The field's length in the document, quantised as stored (W3PerDocReader.doc_field_length)."""
        column = self._lengths.get(fieldname)
        if column is None:
            return default
        lbyte = column[docnum] if docnum < len(column) else 0
        return byte_to_length(lbyte) if lbyte else None


class SegmentWriter3(SegmentWriter):
    """Whoosh's SegmentWriter, with one analysis per stemmed text field and cached absent columns."""

    def __init__(self, index: Index, **options: Any) -> None:
        super().__init__(index, **options)
        self._one_pass = one_pass_fields(self.schema)
        # Unstemmed words per spelling field, written once per segment (see _flush_segment).
        self._spelling: dict[str, set[str]] = defaultdict(set)
        # Each added document's length byte per field, as the length columns get them (see _flush_segment).
        self._lengths: dict[str, bytearray] = defaultdict(bytearray)
        self._merged = False

    def add_document(self, **fields: Any) -> None:
        """Whoosh's add_document (2.7.4), except where noted."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        add_post = self.pool.add
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            # Changed: a stemmed text is analysed once, giving its postings and its spelling words.
            one_pass = self._one_pass.get(fieldname) if isinstance(value, str) else None
            words = None
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                if one_pass is not None:
                    items, words = one_pass.postings(field, value)
                else:
                    items = field.index(value)
                scorable = field.scorable
                for tbytes, freq, weight, vbytes in items:
                    if scorable:
                        length += freq
                    add_post((fieldname, tbytes, docnum, weight * fieldboost, vbytes))
            if field.separate_spelling():
                # Changed: collected for the segment. Whoosh adds each word as a posting of document 0
                # once per document; only the field's word list is ever read (spelling.py).
                if words is None:
                    words = field.spellable_words(value)
                self._spelling[field.spelling_fieldname(fieldname)].update(words)
            if field.vector:
                vitems = field.vector.word_values(value, field.analyzer, mode="index")
                vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                perdocwriter.add_vector_items(fieldname, field, vitems)
            if length:  # changed: also kept in memory for the commit
                lengths = self._lengths[fieldname]
                lengths.extend(bytes(docnum - len(lengths)))
                lengths.append(length_to_byte(length))
            customval = fields.get(f"_stored_{fieldname}", value)
            perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
            column = field.column_type
            if column and customval is not None:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        # The spelling words join the postings before Whoosh sorts and writes them. A spelling field's
        # format stores a 4-byte frequency per posting; a merge reads it back, so it must be there.
        add_post = self.pool.add
        for fieldname, words in self._spelling.items():
            for word in words:
                add_post((fieldname, word.encode("utf-8"), 0, 1, _ONCE))
        self._spelling.clear()
        if self._merged or self.docbase or type(self.codec) is not W3Codec:  # lengths not all in memory
            super()._flush_segment()
            return
        # Whoosh's, but each posting's document length comes from memory instead of the column just written.
        self.perdocwriter.close()
        self.fieldwriter.add_postings(self.schema, _Lengths(self._lengths), self.pool.iter_postings())
        self.fieldwriter.close()

    def add_reader(self, reader: IndexReader) -> None:
        """Merge ``reader``'s segment in, without a stat per document and length-less field."""
        perdoc = getattr(reader, "_perdoc", None)
        self._merged = True  # its documents' lengths are in its columns, not in self._lengths
        if isinstance(reader, SegmentReader) and type(perdoc) is W3PerDocReader:
            # Committed segment files do not change, so remembering an absent column is sound; the
            # merge asks for every field's length of every document (write_per_doc).
            perdoc.__class__ = _ColumnCachingReader
        super().add_reader(reader)

    def per_document_reader(self) -> W3PerDocReader:
        if type(self.codec) is not W3Codec:  # another codec: its own reader
            return super().per_document_reader()
        if not self.perdocwriter.is_closed:
            raise RuntimeError("per-document writer is still open")
        return _ColumnCachingReader(self.storage, self.get_segment())


def open_writer(index: Index, **options: Any) -> SegmentWriter:
    """A single-process writer on ``index`` (what ``index.writer(**options)`` gives, minus the repeated stats)."""
    return SegmentWriter3(index, **options)
