"""Whoosh's block-quality skipping cannot spin forever (upstream #446/#461): a round that skips nothing ends it."""

from __future__ import annotations

import threading

import pytest
from whoosh.matching import binary, mcore

from cluetrain.search import quality_skipping


class StuckLeaf(mcore.Matcher):
    """A posting list whose blocks look skippable to its parent but that, by rounding, never skips."""

    def __init__(self, docs: list[int], quality: float) -> None:
        self.docs, self.position, self.quality = docs, 0, quality
        self.asked = 0

    def is_active(self) -> bool:
        return self.position < len(self.docs)

    def id(self) -> int:
        return self.docs[self.position]

    def next(self) -> None:
        self.position += 1

    def skip_to(self, target: int) -> None:
        while self.is_active() and self.id() < target:
            self.position += 1

    def supports_block_quality(self) -> bool:
        return True

    def block_quality(self) -> float:
        return self.quality

    def max_quality(self) -> float:
        return self.quality

    def skip_to_quality(self, minquality: float) -> int:
        self.asked += 1
        return 0  # its own comparison says this block may still reach minquality

    def score(self) -> float:
        return self.quality


@pytest.mark.parametrize("matcher", [binary.UnionMatcher, binary.AndMaybeMatcher, binary.DisjunctionMaxMatcher])
def test_a_round_that_skips_nothing_ends_the_loop(matcher):
    quality_skipping.install()
    a, b = StuckLeaf([1, 2, 3], 0.1), StuckLeaf([1, 2, 3], 0.2)
    combined = matcher(a, b)
    answered: list[int] = []
    worker = threading.Thread(target=lambda: answered.append(combined.skip_to_quality(0.30000000000000004)),
                              daemon=True)
    worker.start()
    worker.join(10)  # Whoosh's own loop never returns here (a bound, not a speed assertion)
    assert not worker.is_alive() and answered == [0]
    assert a.asked + b.asked <= 2 and combined.is_active() and combined.id() == 1  # left where it was


def test_skipping_that_progresses_still_skips():
    class Skipping(StuckLeaf):
        def skip_to_quality(self, minquality: float) -> int:
            skipped = 0
            while self.is_active() and self.block_quality() <= minquality:
                self.position += 1
                skipped += 1
                self.quality = 1.0 if self.position >= 2 else self.quality
            return skipped

    quality_skipping.install()
    union = binary.UnionMatcher(Skipping([1, 2, 3], 0.1), StuckLeaf([1, 2, 3], 0.5))
    assert union.skip_to_quality(0.7) == 2 and union.a.id() == 3


def test_a_page_of_any_size_holds_the_hits_a_long_page_ranks_there(tmp_path):
    from whoosh.index import open_dir

    from cluetrain.search import SearchIndex, synchronize
    from cluetrain.search.query import SearchRequest
    from cluetrain.search.schema import INDEX_NAME
    from cluetrain.search.searching import run_query
    from tests.test_search_writer import WORDS, documents

    synchronize(SearchIndex(tmp_path), documents(400))
    with open_dir(str(tmp_path), indexname=INDEX_NAME).searcher() as searcher:
        for word in [*WORDS[:6], "crashing", "post"]:
            ranked = [hit.url for hit in run_query(searcher, SearchRequest(text=word, page_size=50)).hits]
            assert ranked, word
            for size in (1, 2, 3, 7):  # block skipping works hardest for short pages
                for page in (1, 2, 3):
                    hits = run_query(searcher, SearchRequest(text=word, page=page, page_size=size)).hits
                    assert [hit.url for hit in hits] == ranked[(page - 1) * size:page * size], (word, size, page)
