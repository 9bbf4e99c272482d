"""Site search: documents, the index (add, remove, query) and the incremental indexer.

The build (plugins/cluetrain_search) is the only writer; the comments service opens the
index read-only to answer queries. Nothing outside this package imports Whoosh, so another
backend can take its place behind :class:`SearchIndex`'s methods.
"""

import warnings

with warnings.catch_warnings():
    # Whoosh 2.7.4 (2016) has regex strings without r"" and an `is 0`; Python flags them each time
    # it compiles the files, i.e. on every run where bytecode is not cached. Harmless, so kept quiet.
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", DeprecationWarning)  # what Python 3.11 calls the same
    import whoosh.analysis
    import whoosh.codec.whoosh3  # noqa: F401

from cluetrain.search.documents import (
    DocType,
    Indexable,
    SearchDocument,
    document_id,
    normalize_key,
    sign,
    text_digest,
)
from cluetrain.search.index import SearchIndex, SearchIndexLocked
from cluetrain.search.indexer import (
    INDEX_PROGRESS_SIGNAL,
    INDEX_REPORT_SIGNAL,
    DuplicateDocumentError,
    IndexReport,
    index_location,
    synchronize,
)
from cluetrain.search.query import (
    MAX_QUERY_LENGTH,
    Hit,
    SearchRequest,
    SearchRequestError,
    SearchResults,
    SearchUnavailable,
    Segment,
    SortOrder,
    clean_query_text,
)

__all__ = [
    "INDEX_PROGRESS_SIGNAL",
    "INDEX_REPORT_SIGNAL",
    "MAX_QUERY_LENGTH",
    "DocType",
    "DuplicateDocumentError",
    "Hit",
    "IndexReport",
    "Indexable",
    "SearchDocument",
    "SearchIndex",
    "SearchIndexLocked",
    "SearchRequest",
    "SearchRequestError",
    "SearchResults",
    "SearchUnavailable",
    "Segment",
    "SortOrder",
    "clean_query_text",
    "document_id",
    "index_location",
    "normalize_key",
    "sign",
    "synchronize",
    "text_digest",
]
