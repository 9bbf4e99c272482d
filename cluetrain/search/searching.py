"""Answering a SearchRequest with Whoosh: a pool of searchers kept fresh, and one page of hits."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from whoosh.collectors import Collector, FilterCollector, SortingCollector, TermsCollector, TopCollector
from whoosh.index import Index
from whoosh.query import Query
from whoosh.searching import Searcher

from cluetrain.search.documents import DocType
from cluetrain.search.highlight import configure, leading_text, snippet
from cluetrain.search.parsing import filter_query, make_parser, match_everything, text_query
from cluetrain.search.quality_skipping import install as install_quality_skipping
from cluetrain.search.query import Hit, SearchRequest, SearchResults, SortOrder
from cluetrain.search.schema import from_utc_naive
from cluetrain.search.spelling import suggest_text

OPEN_ATTEMPTS = 3
install_quality_skipping()  # before any query: Whoosh's own loops can spin forever (see quality_skipping)


class SearcherPool:
    """Searchers over one index for many threads: each query borrows its own.

    A Whoosh searcher reads through file positions, so two threads must not share one.
    Opening a searcher costs milliseconds, so idle ones are kept; a borrowed searcher is
    refreshed first when the builder has committed a newer generation of the index.
    """

    def __init__(self, open_index: Callable[[], Index]) -> None:
        self._open_index = open_index
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._idle: list[Searcher] = []

    @contextmanager
    def borrow(self) -> Iterator[Searcher]:
        """A searcher on the newest committed version of the index, for this thread only."""
        searcher = self._take()
        try:
            yield searcher
        finally:
            with self._lock:
                self._idle.append(searcher)

    def _take(self) -> Searcher:
        with self._lock:
            searcher = self._idle.pop() if self._idle else None
            if searcher is None and self._index is None:
                self._index = self._open_index()
            index = self._index
        for _ in range(OPEN_ATTEMPTS - 1):
            try:
                return _newest(index, searcher)
            except OSError:
                # A commit can delete merged segments between our reading its table of contents and
                # opening them; the next attempt reads the newer table of contents.
                searcher = None
        return _newest(index, searcher)

    def close(self) -> None:
        """Close every idle searcher (borrowed ones close when their owner is done)."""
        with self._lock:
            idle, self._idle, self._index = self._idle, [], None
        for searcher in idle:
            searcher.close()


def _newest(index: Index, searcher: Searcher | None) -> Searcher:
    """``searcher`` if it shows the latest commit, else one that does."""
    if searcher is None:
        return index.searcher()
    # Cheap (one directory listing); refresh() reuses the segments that did not change.
    return searcher if searcher.up_to_date() else searcher.refresh()


def run_query(searcher: Searcher, request: SearchRequest) -> SearchResults:
    """One page of results for ``request``, with a spelling suggestion when nothing matched."""
    words = text_query(make_parser(searcher.schema), request.text) if request.text else None
    if request.text and words is None:
        return SearchResults(request=request, total=0, nothing_searchable=True)
    filters = filter_query(request)
    query = words or match_everything()
    ranking = _ranking(request, words)
    collector = _wrapped(ranking, words, filters)
    searcher.search_with_collector(query, collector)
    results = collector.results()
    configure(results)
    offset = (request.page - 1) * request.page_size
    hits = tuple(_hit(hit, highlight=words is not None) for hit in results[offset : offset + request.page_size])
    total = _count(searcher, ranking, query, filters)
    suggestion = None
    if total == 0 and words is not None:
        suggestion = _suggestion(searcher, request, filters)
    return SearchResults(request=request, total=total, hits=hits, suggestion=suggestion)


def _ranking(request: SearchRequest, words: Query | None) -> Collector:
    """How to pick one page of hits, chosen by what the query is like (see benchmarks/README.md)."""
    limit = request.page * request.page_size
    if request.sort is SortOrder.DATE or words is None:
        return SortingCollector("date", limit=limit, reverse=True)
    if len({text for _, text in words.iter_all_terms(phrases=True)}) > 1:
        # Several words or a phrase: few documents match all of them, so score each once and count
        # as we go. Whoosh's default would skip low-scoring blocks and then run the query a second
        # time to count, twice the cost. replace=0 keeps Whoosh from dropping sub-queries that can
        # no longer reach the page, which would also drop their documents from the count.
        return TopCollector(limit, usequality=False, replace=0)
    # One word can match a tenth of the archive: skipping blocks that cannot reach the page,
    # then counting in a separate unscored pass, is cheaper than scoring every match.
    return TopCollector(limit)


def _wrapped(ranking: Collector, words: Query | None, filters: Query | None) -> Collector:
    """The ranking collector with term recording and filters around it (Whoosh's own order)."""
    collector = ranking
    if words is not None:
        # Which terms matched which document: lets the highlighter use stored offsets (see schema).
        collector = TermsCollector(collector)
    if filters is not None:
        collector = FilterCollector(collector, allow=filters)
    return collector


def _count(searcher: Searcher, ranking: Collector, query: Query, filters: Query | None) -> int:
    """How many documents matched, filters applied."""
    if not (isinstance(ranking, TopCollector) and ranking.usequality):
        return ranking.count()  # it saw every match the filters let through
    # It skipped blocks, so count again without scoring. Not len(results): Whoosh then counts
    # without the filters (and treats an empty filter set as no filter).
    matched = searcher.docs_for_query(query)
    if filters is None:
        return sum(1 for _ in matched)
    allowed = set(searcher.docs_for_query(filters))
    return sum(1 for docnum in matched if docnum in allowed)


def _suggestion(searcher: Searcher, request: SearchRequest, filters: Query | None) -> str | None:
    """A corrected query text, offered only if it finds something."""
    corrected = suggest_text(searcher, request.text)
    if corrected is None:
        return None
    query = text_query(make_parser(searcher.schema), corrected)
    if query is None or not _matches_any(searcher, query, filters):
        return None
    return corrected


def _matches_any(searcher: Searcher, query: Query, filters: Query | None) -> bool:
    """Whether any document matches ``query`` and the filters, without scoring."""
    # Not search(limit=1): with one slot its block skipping can loop forever in Whoosh 2.7.4's
    # AndMaybeMatcher.skip_to_quality ("clster" → "cluster" hung a thread at full CPU).
    matched = searcher.docs_for_query(query)
    if filters is None:
        return next(iter(matched), None) is not None
    allowed = set(searcher.docs_for_query(filters))
    return any(docnum in allowed for docnum in matched)


def _hit(hit: Any, *, highlight: bool) -> Hit:
    stored = hit.fields()
    body = stored.get("body", "")
    return Hit(
        id=stored["id"],
        type=DocType(stored["type"]),
        url=stored["url"],
        title=stored.get("title", ""),
        snippet=snippet(hit, body) if highlight else leading_text(body),
        date=from_utc_naive(stored.get("date")),
        status=stored.get("status"),
        authors=tuple(stored.get("authors", ())),
        context_title=stored.get("context_title"),
    )
