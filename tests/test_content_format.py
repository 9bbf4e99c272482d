"""The comment file format: exact round trips, strict validation, confined atomic writes."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluetrain.content_format import (
    FORBIDDEN_CHARACTERS,
    Comment,
    CommentSource,
    ContentFormatError,
    comment_path,
    dumps_comment,
    iter_comment_files,
    load_comments,
    loads_comment,
    read_comment,
    remove_comment,
    remove_stale_temp_files,
    write_comment,
)

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def make(**overrides) -> Comment:
    fields = dict(id="c1", thread="hello", author="Ada", date=WHEN, body="Hi.")
    return Comment(**(fields | overrides))


HOSTILE_TEXT = [
    "Ada\nStatus: published",
    "Ada\r\nThread: other",
    '"quoted"',
    "  padded  ",
    "tab\there",
    "Zoë Åström 李小龙 🙂",
    "line\u2028separator\u2029para\x85nel",
    "back\\slash and \"quotes\"",
    "x" * 245,
    "Id: c2",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("author", HOSTILE_TEXT)
def test_hostile_author_round_trips_and_stays_on_one_line(author):
    comment = make(author=author)
    text = dumps_comment(comment)
    header = text.split("\n\n", 1)[0]
    assert len(header.split("\n")) == 5  # Id, Thread, Author, Date, Source: nothing injected
    assert loads_comment(text) == comment


@pytest.mark.parametrize(
    "body",
    ["Status: draft", "\nStatus: published\n", "Id: c9\nThread: other\n\nbody", "\n\n\n", "x" * 65_525, "tail\n\n"],
)
def test_body_is_kept_verbatim_and_never_read_as_metadata(body):
    if not body.strip():
        with pytest.raises(ContentFormatError, match="body is empty"):
            make(body=body)
        return
    comment = make(body=body)
    parsed = loads_comment(dumps_comment(comment))
    assert parsed.body == body
    assert parsed.thread == "hello" and parsed.id == "c1"


@settings(max_examples=300, deadline=None)
@given(
    author=st.text(min_size=1, max_size=245).filter(lambda s: s.strip() and not FORBIDDEN_CHARACTERS.search(s)),
    body=st.text(min_size=1, max_size=2000).filter(lambda s: s.strip() and not FORBIDDEN_CHARACTERS.search(s)),
    website=st.none() | st.from_regex(r"https?://[a-z0-9.-]{1,30}/[a-zA-Z0-9/?=&%._~-]{0,40}", fullmatch=True),
    minutes=st.integers(min_value=-10**6, max_value=10**6),
    offset=st.integers(min_value=-12 * 60, max_value=14 * 60),
    contributor=st.none() | st.from_regex(r"[0-9a-f]{16}", fullmatch=True),
    helpful=st.booleans(),
    rewarded=st.none() | st.text(min_size=1, max_size=60).filter(
        lambda s: s.strip() and not FORBIDDEN_CHARACTERS.search(s) and "\n" not in s and "\r" not in s),
)
def test_any_valid_comment_round_trips_exactly(author, body, website, minutes, offset, contributor, helpful,
                                               rewarded):
    tz = timezone(timedelta(minutes=offset))
    comment = make(author=author, body=body, website=website, date=(WHEN + timedelta(minutes=minutes)).astimezone(tz),
                   parent="c0", avatar="0123456789abcdef", source=CommentSource.API, contributor=contributor,
                   helpful=helpful, rewarded=rewarded)
    assert loads_comment(dumps_comment(comment)) == comment


@pytest.mark.parametrize("bad_id", ["", "../x", "a/b", "..", ".hidden", "A1", "x" * 65, "a b", "é", "c1\n"])
def test_ids_that_could_build_a_path_are_refused(bad_id):
    with pytest.raises(ContentFormatError, match="id"):
        make(id=bad_id)


@pytest.mark.parametrize("bad_thread", ["", "../posts", "a/b", "..", "Hello", "x" * 201, "feed back"])
def test_thread_keys_that_could_build_a_path_are_refused(bad_thread, tmp_path):
    with pytest.raises(ContentFormatError, match="thread key"):
        make(thread=bad_thread)
    with pytest.raises(ContentFormatError):
        comment_path(tmp_path, bad_thread, "c1")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("author", "   ", "author is empty"),
        ("author", "x" * 246, "author is longer"),
        ("body", "x" * 65_526, "body is longer"),
        ("body", "nul\x00byte", "control character U\\+0000"),
        ("body", "java\x01script:", "control character U\\+0001"),
        ("author", "bell\x07", "control character U\\+0007"),
        ("website", "javascript:alert(1)", "website"),
        ("website", "https://ex ample.org", "website"),
        ("website", 'https://x.org/"onmouseover=alert(1)', "website"),
        ("website", "https://x.org/" + "a" * 200, "longer than 200"),
        ("avatar", "not-hex", "avatar"),
        ("contributor", "ada@example.org", "contributor"),
        ("contributor", "0123456789ABCDEF", "contributor"),
        ("contributor", "0123456789abcdef0", "contributor"),
        ("rewarded", "x" * 61, "rewarded is longer"),
        ("rewarded", "two\nlines", "rewarded"),
        ("date", datetime(2026, 1, 1), "time zone"),
        ("parent", "c1", "reply to itself"),
    ],
)
def test_invalid_values_are_refused_with_the_reason(field, value, message):
    with pytest.raises(ContentFormatError, match=message):
        make(**{field: value})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Id: c1\nThread: hello\nAuthor: A\nDate: 2026-01-01T00:00:00+00:00", "no blank line"),
        ("Id: c1\nThread: hello\nDate: 2026-01-01T00:00:00+00:00\n\nbody", "missing metadata: Author"),
        ("Id: c1\nThread: hello\nAuthor: A\nEmail: a@b.c\nDate: 2026-01-01T00:00:00+00:00\n\nb",
         "unknown metadata key 'Email'"),
        ("Id: c1\nThread: hello\nAuthor: A\nAuthor: B\nDate: 2026-01-01T00:00:00+00:00\n\nb", "appears twice"),
        ("Id: c1\nThread: hello\nAuthor: A\nDate: yesterday\n\nb", "not an ISO 8601"),
        ("Id: c1\nThread: hello\nAuthor: A\nDate: 2026-01-01T00:00:00+00:00\nSource: pigeon\n\nb", "Source 'pigeon'"),
        ('Id: c1\nThread: hello\nAuthor: "unterminated\nDate: 2026-01-01T00:00:00+00:00\n\nb', "JSON string"),
        ("Id: c1\nThread: hello\nAuthor A\nDate: 2026-01-01T00:00:00+00:00\n\nb", "not 'Key: value'"),
    ],
)
def test_malformed_files_name_the_problem(text, message):
    with pytest.raises(ContentFormatError, match=message):
        loads_comment(text)


def test_write_is_atomic_idempotent_and_leaves_no_temp_files(tmp_path):
    comment = make()
    path = write_comment(tmp_path, comment)
    assert path == tmp_path / "comments" / "hello" / "c1.md"
    stat = path.stat()
    write_comment(tmp_path, comment)  # same text: untouched
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert [p.name for p in path.parent.iterdir()] == ["c1.md"]
    assert read_comment(path) == comment


def test_rewrite_replaces_and_remove_deletes(tmp_path):
    write_comment(tmp_path, make())
    write_comment(tmp_path, make(body="Edited by a moderator."))
    assert load_comments(tmp_path) == {"hello": [make(body="Edited by a moderator.")]}
    assert remove_comment(tmp_path, "hello", "c1") is True
    assert remove_comment(tmp_path, "hello", "c1") is False
    assert load_comments(tmp_path) == {}


def test_file_whose_name_or_folder_disagrees_with_its_metadata_is_refused(tmp_path):
    path = write_comment(tmp_path, make())
    moved = path.with_name("c2.md")
    os.replace(path, moved)
    with pytest.raises(ContentFormatError, match="file name does not match") as info:
        load_comments(tmp_path)
    assert info.value.path == moved
    other = tmp_path / "comments" / "other"
    other.mkdir()
    os.replace(moved, other / "c1.md")
    with pytest.raises(ContentFormatError, match="folder does not match"):
        load_comments(tmp_path)


def test_duplicate_ids_across_threads_are_refused(tmp_path):
    write_comment(tmp_path, make())
    write_comment(tmp_path, make(thread="other"))
    with pytest.raises(ContentFormatError, match="also used by"):
        load_comments(tmp_path)


def test_non_utf8_file_is_named(tmp_path):
    path = tmp_path / "comments" / "hello" / "c1.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"Id: c1\nAuthor: \xff\n\nbody")
    with pytest.raises(ContentFormatError, match="UTF-8") as info:
        load_comments(tmp_path)
    assert info.value.path == path


def test_stale_temp_files_are_removed_and_ignored_when_reading(tmp_path):
    write_comment(tmp_path, make())
    stale = tmp_path / "comments" / "hello" / ".c2.md.abcdef.tmp"
    stale.write_text("half a comment")
    assert load_comments(tmp_path) == {"hello": [make()]}
    assert remove_stale_temp_files(tmp_path) == [stale]
    assert not stale.exists()


def test_personal_data_has_no_field():
    with pytest.raises(TypeError):
        Comment(id="c1", thread="t", author="A", date=WHEN, body="b", email="a@example.com")  # type: ignore[call-arg]
    assert "@" not in dumps_comment(make(author="Ada", website="https://example.org/"))


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = write_comment(tmp_path, make())

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_comment(tmp_path, make(body="new text"))
    assert read_comment(path) == make()
    assert [p.name for p in Path(path.parent).iterdir()] == ["c1.md"]



def test_stray_entries_fail_with_the_entry_named_and_subfolders_and_dot_files_are_skipped(tmp_path):
    write_comment(tmp_path, make())
    folder = tmp_path / "comments" / "hello"
    (folder / "attachments").mkdir()  # not a comment file: skipped, as before
    (folder / ".notes.md").write_text("not read")
    assert load_comments(tmp_path) == {"hello": [make()]}
    assert list(iter_comment_files(tmp_path)) == [folder / "c1.md"]
    stray = folder / "c2.txt"
    stray.write_text("Id: c2")
    with pytest.raises(ContentFormatError, match=r"must end in \.md") as info:
        load_comments(tmp_path)
    assert info.value.path == stray
    stray.unlink()
    loose = tmp_path / "comments" / "README"
    loose.write_text("hello")
    with pytest.raises(ContentFormatError, match="only thread folders") as info:
        load_comments(tmp_path)
    assert info.value.path == loose


def test_the_first_bad_file_in_order_is_the_one_reported(tmp_path):
    folder = tmp_path / "comments" / "hello"
    folder.mkdir(parents=True)
    (folder / "a1.md").write_text("Id: a1\n\nno blank line problem but missing fields", encoding="utf-8")
    (folder / "b.txt").write_text("stray")
    with pytest.raises(ContentFormatError, match="missing metadata") as info:
        load_comments(tmp_path)
    assert info.value.path == folder / "a1.md"


def test_a_long_comment_is_read_whole(tmp_path):
    comment = make(body="é" * 40_000)  # 80 KB once encoded: more than one read
    write_comment(tmp_path, make(id="c0"))
    path = write_comment(tmp_path, comment)
    assert path.stat().st_size > 1 << 16
    assert read_comment(path) == comment and read_comment(str(path)) == comment
    assert load_comments(tmp_path)["hello"] == [make(id="c0"), comment]


def test_reading_a_folder_as_a_comment_names_it(tmp_path):
    folder = tmp_path / "comments" / "hello" / "c1.md"
    folder.mkdir(parents=True)
    with pytest.raises(IsADirectoryError) as info:
        read_comment(folder)
    assert info.value.filename == str(folder)
