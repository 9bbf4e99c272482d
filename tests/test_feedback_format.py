"""The feedback file format: exact round trips, hostile text kept as text, names only from id and slug."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluetrain.content_format import (
    FORBIDDEN_CHARACTERS,
    MAX_SLUG_LENGTH,
    Answer,
    Comment,
    ContentFormatError,
    FeedbackItem,
    FeedbackKind,
    StatusChange,
    dumps_feedback,
    feedback_path,
    find_feedback_file,
    load_comments,
    load_feedback,
    loads_feedback,
    move_thread_comments,
    normalize_tags,
    read_feedback,
    slugify,
    tag_slug,
    write_comment,
    write_feedback,
)

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def make(**overrides) -> FeedbackItem:
    fields = dict(id=7, slug="dark-mode", kind=FeedbackKind.IDEA, status="new", title="Dark mode", author="Ada",
                  date=WHEN, body="Please.")
    return FeedbackItem(**(fields | overrides))


HOSTILE = [
    "Dark mode\nStatus: done",
    "Dark mode\r\nVotes: 99999",
    "Merged-Into: 1",
    '"quoted"',
    "  padded  ",
    "line\u2028separator\u2029para\x85nel",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "Zoë Åström 李小龙 🙂",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_title_round_trips_and_never_starts_a_metadata_line(title):
    item = make(title=title, author=title, tags=normalize_tags([title]))
    text = dumps_feedback(item)
    header = text.split("\n\n", 1)[0].split("\n")
    assert [line.split(": ", 1)[0] for line in header] == [
        "Id", "Slug", "Kind", "Status", "Title", "Author", "Date", "Votes", "Tags"]
    assert loads_feedback(text) == item


def test_a_body_that_looks_like_metadata_stays_body():
    item = make(body="Status: done\nVotes: 1000\n\nId: 1\n")
    parsed = loads_feedback(dumps_feedback(item))
    assert parsed.status == "new" and parsed.votes == 0 and parsed.body == item.body


def test_full_item_round_trips_and_reads_as_documented():
    item = make(
        status="planned", votes=42, tags=("Dashboard", "self-hosting"),
        history=(StatusChange("new", WHEN), StatusChange("planned", WHEN + timedelta(days=2), "Priya")),
        answer=Answer("Yes.\n\nSoon *enough*.", "Priya", WHEN + timedelta(days=2)),
        contributor="0123456789abcdef",
    )
    text = dumps_feedback(item)
    assert "\nContributor: 0123456789abcdef\n" in text
    assert text.startswith("Id: 7\nSlug: dark-mode\nKind: idea\nStatus: planned\n")
    assert 'Tags: ["Dashboard", "self-hosting"]\n' in text
    assert 'Answer: "Yes.\\n\\nSoon *enough*."\n' in text
    history = json.loads(text.split("History: ", 1)[1].split("\n", 1)[0])
    assert history[1] == {"status": "planned", "date": "2026-03-06T05:06:07+00:00", "by": "Priya"}
    assert "@" not in text
    assert loads_feedback(text) == item


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(min_size=1, max_size=200).filter(lambda t: t.strip() and not FORBIDDEN_CHARACTERS.search(t)),
    body=st.text(min_size=1, max_size=300).filter(lambda t: t.strip() and not FORBIDDEN_CHARACTERS.search(t)),
    tags=st.lists(st.text(min_size=1, max_size=40).filter(lambda t: not FORBIDDEN_CHARACTERS.search(t)), max_size=8),
)
def test_any_text_round_trips(title, body, tags):
    item = make(title=title, body=body, slug=slugify(title), tags=normalize_tags(tags))
    assert loads_feedback(dumps_feedback(item)) == item


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Dark mode, please!", "dark-mode-please"),
        ("Count days at the site's local midnight", "count-days-at-the-sites-local-midnight"),
        ("Zoë's café: naïve résumé", "zoes-cafe-naive-resume"),
        ("../../etc/passwd", "etc-passwd"),
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("李小龙 🙂", "item"),
        ("Status: done\nVotes: 9", "status-done-votes-9"),
        ("a" * 80, "a" * MAX_SLUG_LENGTH),
        ("word " * 30, "-".join(["word"] * 12)),
    ],
)
def test_slugs_are_sanitized_and_length_limited(title, slug):
    assert slugify(title) == slug
    assert len(slug) <= MAX_SLUG_LENGTH


def test_tags_are_trimmed_deduplicated_by_slug_and_get_safe_slugs():
    assert normalize_tags([" Dashboard ", "dashboard", "self  hosting", "", "Self-Hosting"]) == (
        "Dashboard", "self hosting")
    assert tag_slug("<script>") == "script"
    assert tag_slug("日本語") != tag_slug("中文") and tag_slug("日本語").startswith("t-")
    with pytest.raises(ContentFormatError, match="distinct"):
        make(tags=("a", "A"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": 0}, "feedback id"),
        ({"id": "7"}, "feedback id"),
        ({"slug": "Dark mode"}, "slug"),
        ({"slug": "../x"}, "slug"),
        ({"status": "Done"}, "status"),
        ({"status": "done\nVotes: 1"}, "status"),
        ({"votes": -1}, "votes"),
        ({"title": " "}, "title is empty"),
        ({"title": "x" * 201}, "longer than 200"),
        ({"date": datetime(2026, 1, 1)}, "time zone"),
        ({"merged_into": 7}, "into itself"),
        ({"history": (StatusChange("new", WHEN),), "status": "planned"}, "last status"),
        ({"history": (StatusChange("new", WHEN), StatusChange("new", WHEN - timedelta(1)))}, "date order"),
        ({"tags": tuple(f"t{i}" for i in range(9))}, "at most 8"),
    ],
)
def test_invalid_items_are_refused(overrides, message):
    with pytest.raises(ContentFormatError, match=message):
        make(**overrides)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Id: 1\nSlug: a\nKind: rant\nStatus: new\nTitle: t\nAuthor: a\nDate: 2026-01-01T00:00:00+00:00\n\nb", "Kind"),
        ("Id: 1\nSlug: a\nKind: bug\nStatus: new\nTitle: t\nAuthor: a\nDate: 2026-01-01T00:00:00+00:00\n"
         "Tags: dashboard\n\nb", "Tags is not valid JSON"),
        ("Id: 1\nSlug: a\nKind: bug\nStatus: new\nTitle: t\nAuthor: a\nDate: 2026-01-01T00:00:00+00:00\n"
         "Votes: 1e3\n\nb", "Votes"),
        ("Id: 1\nSlug: a\nKind: bug\nStatus: new\nTitle: t\nAuthor: a\nDate: 2026-01-01T00:00:00+00:00\n"
         "Email: a@example.org\n\nb", "unknown metadata key 'Email'"),
        ("Id: 1\nSlug: a\nKind: bug\nStatus: new\nTitle: t\nAuthor: a\nDate: 2026-01-01T00:00:00+00:00\n"
         "Answer: yes\n\nb", "an answer needs all"),
        ("Id: 1\nSlug: a\nKind: bug\nStatus: new\nTitle: t\nDate: 2026-01-01T00:00:00+00:00\n\nb", "Author"),
    ],
)
def test_malformed_files_are_named_errors(text, message):
    with pytest.raises(ContentFormatError, match=message):
        loads_feedback(text)


def test_files_are_named_from_id_and_slug_only(tmp_path: Path):
    item = make(title="../../evil\nStatus: done")
    path = write_feedback(tmp_path, item)
    assert path == tmp_path / "feedback" / "7-dark-mode.md"
    assert read_feedback(path) == item
    assert find_feedback_file(tmp_path, 7) == path
    with pytest.raises(ContentFormatError):
        feedback_path(tmp_path, 7, "../x")


def test_a_new_slug_replaces_the_old_file(tmp_path: Path):
    write_feedback(tmp_path, make())
    write_feedback(tmp_path, make(slug="dark-theme"))
    assert [p.name for p in (tmp_path / "feedback").iterdir()] == ["7-dark-theme.md"]


def test_loading_checks_names_and_unique_ids(tmp_path: Path):
    write_feedback(tmp_path, make())
    write_feedback(tmp_path, make(id=3, slug="b"))
    assert [item.id for item in load_feedback(tmp_path)] == [3, 7]
    (tmp_path / "feedback" / "9-wrong.md").write_text(dumps_feedback(make(id=9, slug="right")))
    with pytest.raises(ContentFormatError, match="does not match"):
        load_feedback(tmp_path)
    (tmp_path / "feedback" / "9-wrong.md").unlink()
    (tmp_path / "feedback" / "notes.txt").write_text("x")
    with pytest.raises(ContentFormatError, match="only <id>-<slug>.md"):
        load_feedback(tmp_path)


def test_merging_moves_comments_between_threads_and_can_run_twice(tmp_path: Path):
    first = Comment(id="c1", thread="feedback-2", author="Ada", date=WHEN, body="One")
    write_comment(tmp_path, first)
    write_comment(tmp_path, Comment(id="c2", thread="feedback-2", author="Bo", date=WHEN, body="Two", parent="c1"))
    moved = move_thread_comments(tmp_path, "feedback-2", "feedback-1")
    assert [c.id for c in moved] == ["c1", "c2"]
    assert move_thread_comments(tmp_path, "feedback-2", "feedback-1") == []
    threads = load_comments(tmp_path)
    assert list(threads) == ["feedback-1"]
    assert threads["feedback-1"][0] == replace(first, thread="feedback-1")
    assert not (tmp_path / "comments" / "feedback-2").exists()


@pytest.mark.parametrize("key", ["ada@example.org", "0123456789ABCDEF", "0123"])
def test_contributor_must_be_a_key_never_an_address(key):
    with pytest.raises(ContentFormatError, match="contributor"):
        make(contributor=key)
