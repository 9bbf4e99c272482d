"""Spelling suggestions ("did you mean"): unknown words replaced by the closest words the index has."""

from __future__ import annotations

import re

from whoosh.searching import Searcher
from whoosh.spelling import Corrector

# Spelling suggestions come from the unstemmed words of these fields (see schema: spelling=True).
SPELLING_SOURCES = ("body", "title")
_WORD = re.compile(r"\w+")
_OPERATORS = frozenset({"and", "or", "not", "andnot", "andmaybe"})
MIN_WORD_LENGTH = 3
# Edits allowed between a word and its correction; 2 catches most typos and stays fast.
MAX_EDITS = 2
# Typos rarely hit the first letter, and requiring it makes lookups much cheaper.
SHARED_PREFIX = 1


def suggest_text(searcher: Searcher, text: str) -> str | None:
    """``text`` with each unknown word replaced by its best correction, or None if nothing changed."""
    reader = searcher.reader()
    schema = searcher.schema
    spelling_fields = [schema[name].spelling_fieldname(name) for name in SPELLING_SOURCES]
    correctors = [searcher.corrector(name) for name in SPELLING_SOURCES]
    pieces: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if len(word) < MIN_WORD_LENGTH or not word.isalpha() or word in _OPERATORS:
            continue
        if any((field, word) in reader for field in spelling_fields):
            continue
        correction = _best(correctors, word)
        if correction is not None:
            pieces += [text[last:match.start()], correction]
            last = match.end()
    if not pieces:
        return None
    pieces.append(text[last:])
    return "".join(pieces)


def _best(correctors: list[Corrector], word: str) -> str | None:
    for corrector in correctors:
        suggestions = corrector.suggest(word, limit=1, maxdist=MAX_EDITS, prefix=SHARED_PREFIX)
        if suggestions:
            return suggestions[0]
    return None
