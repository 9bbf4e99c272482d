"""Signatures: unambiguous, the same whether a source signs a document or the document signs itself, and the
post-text digests kept in CACHE_PATH (used, mended, and invalidated by every change)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pelican import signals
from whoosh.index import open_dir

from cluetrain.search import (
    DocType,
    IndexReport,
    SearchDocument,
    SearchIndex,
    SearchRequest,
    sign,
    synchronize,
    text_digest,
)
from cluetrain.search.schema import INDEX_NAME
from plugins.cluetrain_search.body_digests import BodyDigests
from plugins.cluetrain_search.sources import collect_documents, comment_document, content_document

from .conftest import Site
from .test_search_index import index_reports

DIGESTS_FILE = "cluetrain_search_bodies.pickle"
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def signed(**changes: Any) -> str:
    values = {"doc_id": "post:a", "doc_type": DocType.POST, "url": "https://x/a/", "title": "A", "body": "Text.",
              "date": WHEN, "tags": ("t",), "authors": ("Ada",), "status": None, "context_title": None} | changes
    body = values.pop("body")
    return sign(body_digest=text_digest(body), **values)


def test_a_signature_changes_with_every_value_and_never_reads_two_documents_alike():
    base = signed()
    for change in ({"url": "https://x/b/"}, {"title": "B"}, {"body": "Text!"}, {"date": WHEN + timedelta(seconds=1)},
                   {"date": None}, {"tags": ()}, {"tags": ("t", "u")}, {"authors": ("Bo",)}, {"status": "done"},
                   {"context_title": "Post"}, {"doc_type": DocType.PAGE}):
        assert signed(**change) != base, change
    # Values that read the same when simply joined with the separator, or whose items move between tuples.
    assert signed(url="u\x1fA", title="") != signed(url="u", title="A\x1f")
    assert signed(title="A\x1fB", status=None) != signed(title="A", status="B")
    assert signed(tags=("x",), authors=()) != signed(tags=(), authors=("x",))
    assert signed(tags=("1", "x"), authors=()) != signed(tags=("1",), authors=("x",))
    assert signed(tags=("a,b",)) != signed(tags=("a", "b"))
    # What is indexed alike may sign alike; the same instant in another zone only costs a rewrite.
    assert signed(status="") == signed(status=None) and signed(context_title="") == signed()
    assert signed(date=WHEN.astimezone(timezone(timedelta(hours=2)))) != base
    document = SearchDocument(id="post:a", type=DocType.POST, url="https://x/a/", title="A", body="Text.", date=WHEN,
                              tags=("t",), authors=("Ada",))
    assert document.signature == base and document.document() is document


@contextmanager
def captured_generators() -> Iterator[list[Any]]:
    """The generators of the builds run meanwhile (what the search plugin collects documents from)."""
    found: list[Any] = []

    def keep(generators: list[Any]) -> None:
        found[:] = generators

    signals.all_generators_finalized.connect(keep)
    try:
        yield found
    finally:
        signals.all_generators_finalized.disconnect(keep)


def write_site(site: Site) -> None:
    site.post("cafe-creme", title="Café <em>crème</em> &amp; more", tags="drinks, naïve",
              body="Stirring *milk* into the espresso. Ünïcödé words & entities: &lt;b&gt;")
    site.post("second", title="Second post", author="Jonas Berg", body="Another post, about larkspur.")
    site.page("about", title="About", body="About this site.", comments="open")
    site.comment("cafe-creme", "c1", author="Grace Hopper", body="Lovely *crème*.")
    site.comment("cafe-creme", "c2", author="Bo", body="A reply.", parent="c1",
                 date=datetime(2026, 2, 2, tzinfo=timezone(timedelta(hours=-5))))
    site.comment("about", "c3", body="On the page.")


def build(site: Site, **overrides: Any) -> IndexReport:
    with index_reports() as reports:
        site.build(**overrides)
    return reports[-1]


def test_sources_sign_their_documents_as_the_documents_sign_themselves(site):
    write_site(site)
    with captured_generators() as generators:
        build(site)
    context = generators[0].context
    entries = list(collect_documents(generators, context, context["SITEURL"], BodyDigests.load(site.root / "cache")))
    assert {entry.id for entry in entries} >= {"post:cafe-creme", "post:second", "page:about", "comment:c1",
                                               "comment:c2", "comment:c3"}
    for entry in entries:
        assert entry.signature == entry.document().signature, entry.id
    by_id = {entry.id: entry for entry in entries}
    for content in generators[0].articles:  # what the resident builder calls for one thread
        assert content_document(content, DocType.POST, context["SITEURL"]) == by_id[f"post:{content.slug}"].document()
        for node in content.thread.walk():
            parent = content_document(content, DocType.POST, context["SITEURL"])
            assert comment_document(node, parent) == by_id[f"comment:{node.id}"].document()
    index = SearchIndex(site.root / "search_index")
    try:
        assert index.signatures() == {entry.id: entry.signature for entry in entries}
    finally:
        index.close()


def saved_digests(site: Site) -> tuple[str, dict[bytes, bytes]]:
    with open(site.root / "cache" / DIGESTS_FILE, "rb") as handle:
        return pickle.load(handle)


def save_digests(site: Site, version: str, entries: dict[bytes, bytes]) -> None:
    (site.root / "cache" / DIGESTS_FILE).write_bytes(pickle.dumps((version, entries)))


def test_post_text_digests_are_kept_used_mended_and_invalidated(site):
    write_site(site)
    first = build(site)
    version, digests = saved_digests(site)
    assert len(digests) == 3 and "post:second" in first.added  # two posts and a page
    assert build(site).changed == []

    # Used: a wrong digest makes the post look changed, so it is written again, and the cache mended.
    save_digests(site, version, dict.fromkeys(digests, b"\0" * 16))
    assert sorted(build(site).updated) == ["page:about", "post:cafe-creme", "post:second"]
    assert saved_digests(site) == (version, digests) and build(site).changed == []
    # Another version of the code: its digests are not read.
    save_digests(site, "older code", dict.fromkeys(digests, b"\0" * 16))
    assert build(site).changed == [] and saved_digests(site) == (version, digests)

    # Edited in place with the same size (Pelican re-reads it: its cache checks the file).
    path = site.content / "posts" / "second.md"
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("larkspur", "lupinous"), encoding="utf-8")
    assert path.stat().st_size == before.st_size
    edited = build(site)
    assert (edited.added, edited.updated, edited.removed) == ([], ["post:second"], [])
    index = SearchIndex(site.root / "search_index")
    try:
        assert [hit.id for hit in index.query(SearchRequest(text="lupinous")).hits] == ["post:second"]
        assert index.query(SearchRequest(text="larkspur")).total == 0
    finally:
        index.close()
    assert len(saved_digests(site)[1]) == 3  # the old text's digest is dropped

    site.post("third", body="A third post.")
    assert build(site).added == ["post:third"] and len(saved_digests(site)[1]) == 4
    path.unlink()
    assert build(site).removed == ["post:second"] and len(saved_digests(site)[1]) == 3

    # A setting that changes every URL rewrites every document (the digests of the text stay valid).
    moved = build(site, SITEURL="https://elsewhere.example")
    assert (moved.added, moved.removed, moved.unchanged, len(moved.updated)) == ([], [], 0, 6)
    index = SearchIndex(site.root / "search_index")
    try:
        [hit] = index.query(SearchRequest(text="stirring")).hits
        assert hit.url == "https://elsewhere.example/posts/cafe-creme/"
    finally:
        index.close()


def test_stored_signatures_are_read_from_every_segment_without_deleted_documents(tmp_path: Path):
    def document(key: str, body: str) -> SearchDocument:
        return SearchDocument(id=f"comment:{key}", type=DocType.COMMENT, url=f"https://x/#{key}", title="",
                              body=body, authors=("Ada",))

    index = SearchIndex(tmp_path)
    synchronize(index, [document(f"n{n}", "first") for n in range(30)])
    whoosh_index = open_dir(str(tmp_path), indexname=INDEX_NAME)
    # Small commits without merging: several segments, some with deleted documents, ids beyond ASCII.
    for batch in range(3):
        writer = whoosh_index.writer()
        writer.delete_by_term("id", f"comment:n{batch}")
        writer.add_document(id=f"comment:é{batch}", type="comment", signature=f"sig-é{batch}".encode())
        writer.commit(merge=False)
    with whoosh_index.reader() as reader:
        assert len(list(reader.leaf_readers())) == 4 and reader.has_deletions()
        ids, signatures = reader.column_reader("id"), reader.column_reader("signature")
        expected = {ids[n]: signatures[n].decode("utf-8") for n in reader.all_doc_ids()}
    assert index.signatures() == expected and len(expected) == 30
    assert "comment:n0" not in expected and expected["comment:é2"] == "sig-é2"
    index.close()
