"""From a SearchRequest to Whoosh queries: the visitor's words, and the filters beside them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from whoosh import qparser
from whoosh.fields import Schema
from whoosh.query import And, DateRange, Every, NullQuery, Or, Query, Term

from cluetrain.search.documents import normalize_key
from cluetrain.search.query import SearchRequest, SearchRequestError
from cluetrain.search.schema import FIELD_BOOSTS, SEARCHED_FIELDS, to_utc_naive

# Syntax a visitor has no use for and that could be expensive or reach internal fields:
# "field:value", wildcards and "*" (a term expansion over the whole lexicon), ranges, "^" boosts.
_DISABLED_PLUGINS = (
    qparser.FieldsPlugin,
    qparser.WildcardPlugin,
    qparser.RangePlugin,
    qparser.BoostPlugin,
    qparser.EveryPlugin,
)


def make_parser(schema: Schema) -> qparser.QueryParser:
    """A parser over title, tags and body (all words required), with quotes for phrases."""
    parser = qparser.MultifieldParser(list(SEARCHED_FIELDS), schema, fieldboosts=FIELD_BOOSTS)
    for plugin in _DISABLED_PLUGINS:
        parser.remove_plugin_class(plugin)
    return parser


def text_query(parser: qparser.QueryParser, text: str) -> Query | None:
    """The query for the visitor's words; None when nothing in them can be searched."""
    try:
        query = parser.parse(text)
    except (qparser.QueryParserError, ValueError, RecursionError) as exc:
        raise SearchRequestError("q", "could not be understood; try plain words") from exc
    if query is NullQuery or next(query.iter_all_terms(phrases=True), None) is None:
        return None
    return query


def filter_query(request: SearchRequest) -> Query | None:
    """The filters as one query (every filter must hold), or None without filters."""
    parts: list[Query] = []
    if request.types:
        parts.append(Or([Term("type", kind.value) for kind in sorted(request.types)]))
    for fieldname, value in (("tag", request.tag), ("status", request.status), ("author", request.author)):
        if value:
            parts.append(Term(fieldname, normalize_key(value)))
    if request.date_from or request.date_to:
        start = _utc(request.date_from, time.min) if request.date_from else None
        end = _utc(request.date_to, time.max) if request.date_to else None
        parts.append(DateRange("date", start, end))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def match_everything() -> Query:
    """The query for a request with filters but no words: list whatever the filters allow."""
    return Every()


def _utc(day: date, at: time) -> datetime:
    return to_utc_naive(datetime.combine(day, at, tzinfo=UTC))
