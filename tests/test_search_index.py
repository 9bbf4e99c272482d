"""Search over a real Pelican build of a small site: what is indexed, how it ranks, and incremental updates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import blinker
import pytest
from pelican import signals

from cluetrain.build import BuildError
from cluetrain.search import (
    INDEX_REPORT_SIGNAL,
    DocType,
    IndexReport,
    SearchDocument,
    SearchIndex,
    SearchRequest,
    SearchResults,
    SortOrder,
    synchronize,
)

from .conftest import Site

WEEKLY_UPDATES = 12
FILLER = "Our analytics keep working while you sleep, and nothing leaves your servers. "
FILLER_WORDS = set(FILLER.split())


class _FeedbackStub:
    """Stands in for the feedback plugin's generator: offers documents through ``search_documents()``."""

    documents: tuple[SearchDocument, ...] = ()

    def __init__(self, **_: Any) -> None:
        pass

    def search_documents(self) -> Iterator[SearchDocument]:
        yield from self.documents


def feedback_item(item_id: str, title: str, body: str, status: str, day: int) -> SearchDocument:
    return SearchDocument(
        id=f"feedback:{item_id}", type=DocType.FEEDBACK, url=f"http://127.0.0.1:8000/feedback/{item_id}/",
        title=title, body=body, status=status, authors=("Ada Customer",),
        date=datetime(2026, 4, day, tzinfo=timezone.utc),
    )


@contextmanager
def offering(*documents: SearchDocument) -> Iterator[None]:
    """During a build, a generator offers ``documents`` the way the feedback plugin will."""
    stub = type("FeedbackStub", (_FeedbackStub,), {"documents": documents})

    def add_stub(_pelican: Any) -> type:
        return stub

    signals.get_generators.connect(add_stub)
    try:
        yield
    finally:
        signals.get_generators.disconnect(add_stub)


@contextmanager
def index_reports() -> Iterator[list[IndexReport]]:
    """Collect the search plugin's reports of what each build changed in the index."""
    reports: list[IndexReport] = []

    def receive(_sender: Any, report: IndexReport) -> None:
        reports.append(report)

    blinker.signal(INDEX_REPORT_SIGNAL).connect(receive)
    try:
        yield reports
    finally:
        blinker.signal(INDEX_REPORT_SIGNAL).disconnect(receive)


def write_search_site(site: Site) -> None:
    """A small site with something for every search feature."""
    site.post("login-crash", title="Login crash on Safari", date="2026-01-10 09:00", tags="bugs, safari",
              body="The dashboard crashes right after login on Safari 17. Attach the crash report, please.")
    site.post("larkspur-3", title="Larkspur 3 release notes", date="2026-03-01 09:00", author="Jonas Berg",
              tags="releases",
              body="Funnels, retention charts and a faster exporter. We fixed a crash in the exporter.")
    site.post("webhooks", title="Webhooks", date="2026-02-01 09:00", tags="integrations",
              body="Send events to your own endpoints as they happen.")
    site.post("integrations-roundup", title="Integrations roundup", date="2026-02-20 09:00",
              body="Slack, email digests, a Zapier app, and webhooks for everything else. " * 3)
    site.post("secret-draft", title="Unannounced pricing", status="draft", body="Pricing zeppelin secrets.")
    site.post("hidden-post", title="Hidden launch", status="hidden", body="A hidden zeppelin.")
    for number in range(1, WEEKLY_UPDATES + 1):
        site.post(f"weekly-update-{number}", title=f"Weekly update {number}", date=f"2025-06-{number:02d} 09:00",
                  body="This week in the changelog: small fixes and polish.")
    site.post("long-read", title="A long read", date="2025-12-01 09:00",
              body=FILLER * 10 + "Then came the quarterly zebra migration report. " + FILLER * 10)
    site.page("about", title="About Larkspur", body="Larkspur is privacy-friendly web analytics.")
    site.comment("login-crash", "c1", author="Grace Hopper", body="Same crash here on Safari 16, every morning.",
                 date=datetime(2026, 1, 11, tzinfo=timezone.utc))
    site.comment("login-crash", "c2", author="Mallory", date=datetime(2026, 1, 12, tzinfo=timezone.utc),
                 body="I typed `<script>alert('owned')</script>` into the dashboard filter and it froze.")
    site.comment("secret-draft", "c3", body="A zeppelin comment on a draft.")


def build_search_site(site: Site, **overrides: Any) -> IndexReport:
    """Build ``site`` with two feedback items offered; return the search plugin's report."""
    items = (
        feedback_item("f1", "Export funnels to CSV", "Please add a CSV export for funnels.", "planned", 2),
        feedback_item("f2", "Dark mode", "A dark theme for the dashboard at night.", "done", 3),
    )
    with offering(*items), index_reports() as reports:
        site.build(**overrides)
    assert len(reports) == 1
    return reports[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, SearchIndex]]:
    """One real build of the search site, shared by the read-only tests of a module."""
    site = Site(tmp_path_factory.mktemp("search-site"))
    (site.content / "posts").mkdir(parents=True)
    write_search_site(site)
    build_search_site(site)
    index = SearchIndex(site.root / "search_index")
    yield site, index
    index.close()


def search(index: SearchIndex, text: str = "", **filters: Any) -> SearchResults:
    return index.query(SearchRequest(text=text, **filters))


def ids(results: SearchResults) -> list[str]:
    return [hit.id for hit in results.hits]


def test_posts_pages_feedback_and_comments_are_indexed_but_not_drafts_or_hidden(built):
    site, index = built
    everything = search(index, sort=SortOrder.DATE, types=frozenset(DocType), page_size=50)
    assert {"post:login-crash", "page:about", "feedback:f1", "comment:c1"} <= set(ids(everything))
    assert everything.total == 5 + WEEKLY_UPDATES + 1 + 2 + 2
    assert search(index, "zeppelin").total == 0  # a draft, a hidden post and a comment on the draft


def test_stemming_finds_other_forms_of_a_word(built):
    _, index = built
    assert "post:login-crash" in ids(search(index, "crashing"))
    assert "post:login-crash" in ids(search(index, "CRASHES"))


def test_all_words_must_match(built):
    _, index = built
    assert ids(search(index, "crash exporter")) == ["post:larkspur-3"]


def test_phrase_in_quotes_matches_only_the_words_together(built):
    _, index = built
    assert ids(search(index, '"crash report"')) == ["post:login-crash"]
    assert "post:larkspur-3" in ids(search(index, "crash report OR exporter"))
    assert search(index, '"report crash"').total == 0


def test_a_title_match_outranks_a_body_match(built):
    _, index = built
    assert ids(search(index, "webhooks"))[:2] == ["post:webhooks", "post:integrations-roundup"]
    assert ids(search(index, "crash"))[0] == "post:login-crash"


def test_comment_results_link_to_the_comment_anchor_that_the_page_has(built):
    site, index = built
    [hit] = search(index, "morning").hits
    assert hit.type is DocType.COMMENT and hit.id == "comment:c1"
    assert hit.url == "http://127.0.0.1:8000/posts/login-crash/#comment-c1"
    assert hit.context_title == "Login crash on Safari" and hit.authors == ("Grace Hopper",)
    assert site.html("posts/login-crash/index.html").xpath('//*[@id="comment-c1"]')


def test_filters_by_type_tag_author_status_and_dates(built):
    _, index = built
    assert ids(search(index, "crash", types=frozenset({DocType.COMMENT}))) == ["comment:c1"]
    assert set(ids(search(index, "crash", types=frozenset({DocType.POST, DocType.COMMENT})))) == {
        "post:login-crash", "post:larkspur-3", "comment:c1"}
    assert ids(search(index, "crash", tag="BUGS")) == ["post:login-crash"]
    assert ids(search(index, author="grace hopper")) == ["comment:c1"]
    assert ids(search(index, status="planned")) == ["feedback:f1"]
    assert ids(search(index, "dashboard", types=frozenset({DocType.FEEDBACK}), status="done")) == ["feedback:f2"]
    in_february = search(index, date_from=date(2026, 2, 1), date_to=date(2026, 2, 28), sort=SortOrder.DATE)
    assert ids(in_february) == ["post:integrations-roundup", "post:webhooks"]
    assert search(index, "crash", date_from=date(2026, 1, 11)).total == 2  # the release notes and the comment
    assert search(index, "crash", date_from=date(2026, 1, 11), sort=SortOrder.DATE).total == 2
    assert search(index, "crash", tag="no-such-tag").total == 0
    assert search(index, "crash safari", types=frozenset({DocType.COMMENT})).total == 1


def test_feedback_results_carry_their_status(built):
    _, index = built
    [hit] = search(index, "csv").hits
    assert (hit.type, hit.status, hit.title) == (DocType.FEEDBACK, "planned", "Export funnels to CSV")


def test_snippets_highlight_the_matched_words(built):
    _, index = built
    [hit] = search(index, '"crash report"').hits
    assert [s.text.lower() for s in hit.snippet if s.match] == ["crashes", "crash", "report"]
    assert hit.snippet_text == "The dashboard crashes right after login on Safari 17. Attach the crash report, please."


def test_snippets_of_long_texts_are_whole_words_around_the_match(built):
    _, index = built
    [hit] = search(index, '"zebra migration"').hits
    text = hit.snippet_text
    assert [s.text for s in hit.snippet if s.match] == ["zebra", "migration"]
    assert text.startswith("…") and text.endswith("…") and len(text) < 200
    words = text.strip("…").split()
    assert all(word in (FILLER_WORDS | {"Then", "came", "the", "quarterly", "zebra", "migration", "report."})
               for word in words), words


def test_totals_count_every_match_whatever_the_page_size(built, tmp_path):
    _, index = built
    for text, total in (("crash", 3), ("webhooks", 2), ("crash safari", 2), ('"crash report"', 1)):
        assert {search(index, text, page_size=size).total for size in (1, 2, 10)} == {total}, text
    # Whoosh drops sub-queries that can no longer reach the page (body-only matches, once title
    # matches fill it); the total must still count their documents. Whoosh only does this above
    # 5,000 documents, hence a bigger index of tiny ones (half a second).
    many = SearchIndex(tmp_path / "many")
    bodies = [("gadget " + "filler " * (n % 20)) if n % 3 == 0 else "filler" for n in range(5100)]
    titles = ["Gadget" if n % 500 == 250 else "" for n in range(5100)]
    synchronize(many, [SearchDocument(id=f"post:{n}", type=DocType.POST, url="u", title=titles[n], body=bodies[n])
                       for n in range(5100)])
    has_gadget = [bool(titles[n]) or "gadget" in bodies[n] for n in range(5100)]
    both = [has_gadget[n] and "filler" in bodies[n] for n in range(5100)]
    try:
        assert {search(many, "gadget", page_size=size).total for size in (1, 10, 50)} == {sum(has_gadget)}
        assert {search(many, "gadget filler", page_size=size).total for size in (1, 10, 50)} == {sum(both)}
    finally:
        many.close()


def test_pagination_splits_results_without_overlap(built):
    _, index = built
    pages = [search(index, "changelog", page=n, page_size=5, sort=SortOrder.DATE) for n in (1, 2, 3)]
    assert [len(p.hits) for p in pages] == [5, 5, 2] and {p.total for p in pages} == {WEEKLY_UPDATES}
    assert {p.page_count for p in pages} == {3}
    seen = [hit_id for page in pages for hit_id in ids(page)]
    assert len(set(seen)) == WEEKLY_UPDATES
    assert seen[0] == f"post:weekly-update-{WEEKLY_UPDATES}"  # newest first
    assert search(index, "changelog", page=4, page_size=5).hits == ()


def test_did_you_mean_corrects_misspelt_words(built):
    _, index = built
    results = search(index, "dashbord crahs")
    assert results.total == 0 and results.suggestion == "dashboard crash"
    assert search(index, results.suggestion).total > 0
    assert search(index, "crash").suggestion is None
    assert search(index, "qqqqqqqq").suggestion is None  # nothing close: no suggestion
    # Offered only when the corrected words find something the filters let through.
    assert search(index, "dashbord crahs", tag="no-such-tag").suggestion is None
    found = search(index, "dashboard crash")
    kind = found.hits[0].type
    assert search(index, "dashbord crahs", types=frozenset({kind})).suggestion == "dashboard crash"


@pytest.mark.parametrize("text", ["*", "AND OR NOT", "(((", '"', "the of and", "?!"])
def test_queries_without_searchable_words_say_so(built, text):
    _, index = built
    results = search(index, text)
    assert results.nothing_searchable and results.total == 0


def test_a_new_comment_reindexes_only_that_comment(site):
    write_search_site(site)
    first = build_search_site(site)
    assert "comment:c1" in first.added and not first.updated and not first.removed
    index = SearchIndex(site.root / "search_index")
    try:
        assert search(index, "zeiss").total == 0
        site.comment("webhooks", "c9", body="Do webhooks retry when my Zeiss endpoint is down?")
        second = build_search_site(site)
        assert (second.added, second.updated, second.removed) == (["comment:c9"], [], [])
        assert second.unchanged == first.unchanged + len(first.added)
        [hit] = search(index, "zeiss").hits  # the same reader sees the new version
        assert hit.url.endswith("/posts/webhooks/#comment-c9")

        unchanged = build_search_site(site)
        assert unchanged.changed == []

        site.post("webhooks", title="Webhooks, reworked", date="2026-02-01 09:00", body="Now with signatures.")
        (site.content / "comments" / "login-crash" / "c2.md").unlink()
        edited = build_search_site(site)
        # The comment on the retitled post shows that title, so it is rewritten too.
        assert (edited.added, edited.updated, edited.removed) == ([], ["post:webhooks", "comment:c9"], ["comment:c2"])
        assert ids(search(index, "reworked")) == ["post:webhooks"] and search(index, "owned").total == 0
    finally:
        index.close()


def test_reindex_rewrites_everything_in_one_commit(site):
    write_search_site(site)
    first = build_search_site(site)
    again = build_search_site(site, SEARCH_REINDEX=True)
    assert again.rebuilt and sorted(again.added) == sorted(first.added) and not again.removed
    index = SearchIndex(site.root / "search_index")
    try:
        assert search(index, types=frozenset(DocType), page_size=50).total == len(first.added)
    finally:
        index.close()


def test_the_index_may_not_be_published(site):
    site.post("hello")
    with pytest.raises(BuildError, match="SEARCH_INDEX_PATH .* is inside OUTPUT_PATH"):
        site.build(SEARCH_INDEX_PATH=str(site.output / "search"))


def test_no_index_path_means_no_index(site):
    site.post("hello")
    with index_reports() as reports:
        site.build(SEARCH_INDEX_PATH=None)
    assert reports == [] and not (site.root / "search_index").exists()


def test_cli_reindex_reports_what_it_indexed(project: Path):
    from click.testing import CliRunner

    from cluetrain.cli import main

    result = CliRunner().invoke(main, ["--project", str(project), "reindex"])
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt: 1 added" in result.output
    assert SearchIndex(project / "search_index").exists()
