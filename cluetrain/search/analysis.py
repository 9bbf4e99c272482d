"""Indexing a stemmed text field in one pass: Whoosh's postings and the unstemmed "did you mean" words together.

Whoosh runs a StemmingAnalyzer as four chained generators (tokenizer, lowercase, stop words,
stemmer), and a second time without the stemmer for a ``spelling=True`` field's words. About
half of a cold build's indexing time went there. :class:`OnePassStemming` does the same work
in one loop and gives exactly what ``field.index(value)`` and ``field.spellable_words(value)``
give (tests/test_search_writer.py compares them); queries still use Whoosh's analyzer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import FieldType
from whoosh.formats import Characters, Positions

# (term bytes, frequency, weight, encoded positions): what Whoosh's FieldType.index() yields.
Posting = tuple[bytes, int, float, bytes]


class OnePassStemming:
    """A StemmingAnalyzer's chain as one loop; built by :meth:`of`, which says whether a field qualifies."""

    def __init__(
        self, tokenizer: RegexTokenizer, stops: StopFilter, stemmer: StemFilter, stems: dict[str, str]
    ) -> None:
        self._finditer = tokenizer.expression.finditer
        self._stops = stops.stops
        self._min = stops.min
        self._max = stops.max
        self._stem: Callable[[str], str] = stemmer.stemfn
        self._ignore = stemmer.ignore
        # Word → stem, shared by the fields with this stemmer; unbounded, as it lives for one writer.
        self._stems = stems

    @classmethod
    def of(cls, field: FieldType, stems: dict[str, str]) -> OnePassStemming | None:
        """The one-pass analysis for ``field``, or None when its analyzer or format is not the plain kind."""
        analyzer = getattr(field, "analyzer", None)
        if type(field.format) not in (Positions, Characters) or not isinstance(analyzer, CompositeAnalyzer):
            return None
        items = analyzer.items
        if [type(item) for item in items] != [RegexTokenizer, LowercaseFilter, StopFilter, StemFilter]:
            return None
        tokenizer, _lower, stops, stemmer = items
        if tokenizer.gaps or not stops.renumber or stemmer.lang:
            return None
        return cls(tokenizer, stops, stemmer, stems)

    def _stemmed(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            stem = word if word in self._ignore else self._stem(word)
            self._stems[word] = stem
        return stem

    def analyse(self, value: str) -> tuple[dict[str, list[tuple[int, int, int]]], set[str]]:
        """Each stem's (position, start char, end char) list, in first-seen order, and the unstemmed words."""
        stops, minsize, maxsize = self._stops, self._min, self._max
        stems = self._stems
        occurrences: dict[str, list[tuple[int, int, int]]] = {}
        words: set[str] = set()
        pos = -1
        renumbered = False
        for raw_pos, match in enumerate(self._finditer(value)):
            word = match.group().lower()
            size = len(word)
            if size < minsize or (maxsize is not None and size > maxsize) or word in stops:
                continue
            # StopFilter's renumbering: the first kept word keeps its place, the others follow it.
            pos = pos + 1 if renumbered else raw_pos
            renumbered = True
            words.add(word)
            stem = stems.get(word) or self._stemmed(word)
            places = occurrences.get(stem)
            if places is None:
                occurrences[stem] = places = []
            places.append((pos, match.start(), match.end()))
        return occurrences, words

    def postings(self, field: FieldType, value: str) -> tuple[list[Posting], set[str]]:
        """What ``field.index(value)`` yields, and the words ``field.spellable_words(value)`` would give."""
        occurrences, words = self.analyse(value)
        format_ = field.format
        boost = format_.field_boost
        encode = format_.encode
        with_chars = type(format_) is Characters
        postings: list[Posting] = []
        for stem, places in occurrences.items():
            count = len(places)
            encoded = encode(places) if with_chars else encode([place[0] for place in places])
            postings.append((stem.encode("utf-8"), count, float(count) * boost, encoded))
        return postings, words


def one_pass_fields(schema: Any) -> dict[str, OnePassStemming]:
    """The one-pass analysis of each field of ``schema`` that qualifies, by field name."""
    found = {}
    # Whoosh's own 50,000-word LFU cache per stemmer spends its time evicting once an archive has more
    # distinct words; a plain dict for one writer's lifetime (one commit) is cheaper and bounded by it.
    stems: dict[str, str] = {}
    for name in schema.names():
        analysis = OnePassStemming.of(schema[name], stems)
        if analysis is not None:
            found[name] = analysis
    return found
