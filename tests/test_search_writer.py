"""Our Whoosh writer (one analysis per stemmed text, spelling words per segment) against Whoosh's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import whoosh.filedb.filestore
import whoosh.highlight
from whoosh.analysis import SimpleAnalyzer, StemmingAnalyzer
from whoosh.fields import TEXT
from whoosh.index import open_dir
from whoosh.writing import SegmentWriter

import cluetrain.search.index
from cluetrain.search import DocType, SearchDocument, SearchIndex, SearchRequest, synchronize
from cluetrain.search.analysis import OnePassStemming, one_pass_fields
from cluetrain.search.schema import INDEX_NAME, build_schema
from cluetrain.search.segment_writer import open_writer

TRICKY = [
    "The quick brown foxes were running; e.g. 3.141 big-time under_score.",
    "a an the of",  # stop words only: no postings, no spelling words
    "",
    "İstanbul ÉCOLE Straße STRASSE ﬁne caféS naïve",  # lower() changes some lengths; offsets stay the source's
    "I I I a x Running RUNS ran runner's dashboards Dashboard",  # one-letter words dropped before positions count
    "v1.2.3 foo..bar 2026-11-24 hello_world_",
]
WORDS = "dashboard crashes export funnel cohort privacy retention charts charting exporting latency".split()


def test_one_pass_gives_what_whoosh_indexes_and_spells() -> None:
    schema = build_schema()
    fields = one_pass_fields(schema)
    assert set(fields) == {"title", "tags", "body"}
    for name, one_pass in fields.items():
        field = schema[name]
        for text in TRICKY:
            postings, words = one_pass.postings(field, text)
            assert sorted(postings) == sorted(field.index(text))
            assert sorted(words) == list(field.spellable_words(text))


def test_only_the_plain_stemming_chain_qualifies() -> None:
    assert OnePassStemming.of(TEXT(analyzer=SimpleAnalyzer()), {}) is None
    assert OnePassStemming.of(TEXT(analyzer=StemmingAnalyzer(gaps=True, expression=r"\s+")), {}) is None
    assert OnePassStemming.of(TEXT(analyzer=StemmingAnalyzer(), chars=True), {}) is not None


def documents(count: int, offset: int = 0) -> list[SearchDocument]:
    """Synthetic posts and comments with overlapping words, so postings and rankings have ties to break."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = []
    for n in range(offset, offset + count):
        body = " ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 40)) + f" The item{n} was Crashing."
        kind = DocType.COMMENT if n % 3 else DocType.POST
        made.append(SearchDocument(
            id=f"{kind.value}:{n}", type=kind, url=f"https://blog.example/{n}/", title="" if n % 3 else f"Post {n}",
            body=body, date=start + timedelta(days=n), tags=("Charts",) if n % 2 else (), authors=(f"Author {n % 4}",)))
    return made


@pytest.fixture
def fixed_snippets(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whoosh orders equally scored snippet fragments by id(), i.e. by chance; fix it to compare two indexes.
    monkeypatch.setattr(whoosh.highlight.Fragment, "__lt__", lambda self, other: self.startchar < other.startchar)


def build(path: Path, *, whoosh_writer: bool, monkeypatch: pytest.MonkeyPatch) -> SearchIndex:
    """A cold build, then an update that replaces, removes and adds documents (a second segment, merged)."""
    index = SearchIndex(path)
    with monkeypatch.context() as patch:
        if whoosh_writer:
            patch.setattr(cluetrain.search.index, "open_writer", lambda ix, **options: SegmentWriter(ix, **options))
        synchronize(index, documents(60))
        changed = [SearchDocument(**{**vars_of(doc), "body": doc.body + " retention"}) for doc in documents(5, 10)]
        synchronize(index, documents(10) + changed + documents(40, 15) + documents(8, 100))
    return index


def vars_of(document: SearchDocument) -> dict:
    return {name: getattr(document, name) for name in document.__dataclass_fields__}


def lexicon(path: Path) -> Iterator[tuple[str, bytes, tuple]]:
    """Every term with the statistics ranking uses (spelling fields: the terms only)."""
    with open_dir(str(path), indexname=INDEX_NAME).reader() as reader:
        for fieldname, term in reader.all_terms():
            info = reader.term_info(fieldname, term)
            if fieldname.startswith("spell_"):
                yield fieldname, term, ()
            else:
                yield fieldname, term, (info.doc_frequency(), info.weight(), info.max_weight(),
                                        info.min_length(), info.max_length())


@pytest.mark.usefixtures("fixed_snippets")
def test_our_index_answers_as_whooshs_own_writer_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = build(tmp_path / "whoosh", whoosh_writer=True, monkeypatch=monkeypatch)
    ours = build(tmp_path / "ours", whoosh_writer=False, monkeypatch=monkeypatch)
    assert list(lexicon(ours.path)) == list(lexicon(theirs.path))
    queries = [*WORDS, "crash", "dashboard export", '"cohort privacy"', "item12", "Running", "dashbord", "comented"]
    for text in queries:
        for page in (1, 2):
            request = SearchRequest(text=text, page=page)
            assert ours.query(request) == theirs.query(request), text
    assert ours.query(SearchRequest(text="dashbord")).suggestion == "dashboard"
    ours.close()
    theirs.close()


def test_a_merge_does_not_look_for_absent_columns_per_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = SearchIndex(tmp_path)
    synchronize(index, documents(300))
    synchronize(index, documents(300) + documents(1, 300))
    looked: list[str] = []
    exists = whoosh.filedb.filestore.FileStorage.file_exists

    def counting(storage: whoosh.filedb.filestore.FileStorage, name: str) -> bool:
        looked.append(name)
        return exists(storage, name)

    monkeypatch.setattr(whoosh.filedb.filestore.FileStorage, "file_exists", counting)
    # Small updates merge only small segments; optimize merges the 300 documents too, as a later merge will.
    writer = open_writer(open_dir(str(tmp_path), indexname=INDEX_NAME))
    writer.commit(optimize=True)
    with open_dir(str(tmp_path), indexname=INDEX_NAME).reader() as reader:
        assert reader.doc_count() == 301 and len(reader.leaf_readers()) == 1
    # Whoosh alone looks once per merged document and field without a length (id, type, tag...): over 3,000 here.
    assert len(looked) < 100
    assert index.query(SearchRequest(text="dashbord")).suggestion == "dashboard"
    assert index.query(SearchRequest(text="item300")).total == 1


def test_replacing_and_removing_in_an_index_of_several_segments(tmp_path: Path) -> None:
    # Replacements look up the committed segments read in place (not copied into memory): each document
    # must still be found in whichever segment holds it, and be there once.
    index = SearchIndex(tmp_path)
    synchronize(index, documents(40))
    markers = ("alpha", "bravo", "charlie", "delta")
    for number, marker in enumerate(markers):  # one commit each: the index has several segments
        with index.writing() as changes:
            for doc in [documents(1)[0], *documents(3, 1 + number * 3)]:
                changes.add(SearchDocument(**{**vars_of(doc), "body": f"{doc.body} {marker}"}))
            changes.remove(documents(1, 30 + number)[0].id)
            changes.remove("post:nowhere")  # not there: nothing happens
    with open_dir(str(tmp_path), indexname=INDEX_NAME).reader() as reader:
        ids = [fields["id"] for _, fields in reader.iter_docs()]
        assert len(reader.leaf_readers()) > 1
    assert len(ids) == len(set(ids)) == 36
    assert {doc.id for doc in documents(30)} <= set(ids) and not {doc.id for doc in documents(4, 30)} & set(ids)
    for number, marker in enumerate(markers):
        found = index.query(SearchRequest(text=marker, page_size=50))
        last = {documents(1)[0].id} if marker == markers[-1] else set()  # replaced in every commit: the last stays
        expected = {doc.id for doc in documents(3, 1 + number * 3)} | last
        assert {hit.id for hit in found.hits} == expected, marker
    index.close()
