"""The comment cache: parsed files reused only while each file's stat signature holds; same output as without it."""

from __future__ import annotations

import os
import pickle
import shutil
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import blinker
import pytest

from cluetrain.build import COMMENTS_LOADED_SIGNAL, BuildError
from cluetrain.content_format import Comment, CommentSource, ContentFormatError, load_comments, write_comment
from cluetrain.content_format.comment_cache import CACHE_FILE, SETTLE_NS, CommentCache, format_version, record, restore

from .conftest import Site

WHEN = datetime(2026, 2, 1, tzinfo=UTC)


def settle() -> None:
    """Wait until files written so far are old enough to be kept (newer ones are read again each build)."""
    time.sleep(SETTLE_NS / 1e9 + 0.05)


def kept_once(root: Path) -> tuple[Path, dict]:
    """One comment written and settled, read once and kept: the cache folder and what was read."""
    write_comment(root, Comment(id="c1", thread="hello", author="Ada", body="Hi.", date=WHEN))
    cache_dir = root / "cache"
    cache_dir.mkdir()
    settle()
    cache = CommentCache.load(cache_dir, root)
    read = load_comments(root, cache)
    cache.save(cache_dir)
    return cache_dir, read


class Loads:
    """The comment counts each build reports: how many files it parsed and how many it reused."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []
        blinker.signal(COMMENTS_LOADED_SIGNAL).connect(self._loaded, weak=False)

    def _loaded(self, _sender: object, **counts: int) -> None:
        self.seen.append((counts["parsed"], counts["reused"]))

    def close(self) -> None:
        blinker.signal(COMMENTS_LOADED_SIGNAL).disconnect(self._loaded)

    @property
    def last(self) -> tuple[int, int]:
        return self.seen[-1]


@pytest.fixture
def loads():
    counter = Loads()
    yield counter
    counter.close()


def outputs(site: Site) -> dict[str, bytes]:
    return {str(path.relative_to(site.output)): path.read_bytes() for path in site.output.rglob("*") if path.is_file()}


def threaded_site(site: Site) -> Site:
    site.post("hello")
    site.post("other")
    site.comment("hello", "c1", body="First words.")
    site.comment("hello", "c2", body="A reply.", parent="c1", date=WHEN + timedelta(hours=1))
    site.comment("other", "c3", author="Zoë", body="Elsewhere.", website="https://example.org/",
                 date=datetime(2026, 2, 2, 3, 4, 5, 600, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    return site


def fresh_outputs(site: Site, tmp_path: Path, name: str) -> dict[str, bytes]:
    """What a build of the same content into an empty folder without any cache writes."""
    other = Site(tmp_path / name)
    shutil.copytree(site.content, other.content)
    other.build(LOAD_CONTENT_CACHE=False, CACHE_CONTENT=False)
    return outputs(other)


def test_record_round_trip_is_the_comment_field_for_field():
    full = Comment(id="c1", thread="hello", author="Ada", body="Body\n\nwith lines", parent="c0",
                   date=datetime(2026, 3, 4, 5, 6, 7, 891, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
                   website="https://example.org/a", avatar="ab" * 8, source=CommentSource.IMPORT,
                   contributor="cd" * 8, helpful=True, rewarded="T-shirt")
    plain = Comment(id="c2", thread="hello", author="Bo", body="Hi.", date=WHEN)
    for comment in (full, plain):
        again = restore(comment.thread, pickle.loads(pickle.dumps(record(comment))))
        assert again == comment and type(again) is Comment
        assert again.date.utcoffset() == comment.date.utcoffset() and repr(again) == repr(comment)
    assert restore("hello", record(plain)).date.tzinfo is UTC  # as datetime.fromisoformat gives it


def test_a_cached_build_parses_no_unchanged_file_and_writes_the_same_bytes(site, loads, tmp_path):
    threaded_site(site)
    site.build()
    assert loads.last == (3, 0)  # the files were just written: parsed, not kept (they could still change)
    settle()
    site.build()
    assert loads.last == (3, 0)
    assert (site.root / "cache" / CACHE_FILE).is_file()
    first = outputs(site)
    site.build()
    assert loads.last == (0, 3)
    assert outputs(site) == first == fresh_outputs(site, tmp_path, "fresh")


def test_edits_additions_and_removals_are_read_again(site, loads, tmp_path):
    threaded_site(site)
    settle()
    site.build()
    site.build()
    assert loads.last == (0, 3)

    # An editor rewriting a file in place: same inode, same size, even the old mtime put back.
    path = site.content / "comments" / "hello" / "c1.md"
    stat = path.stat()
    with open(path, "r+b") as handle:
        text = handle.read()
        handle.seek(0)
        handle.write(text.replace(b"First words.", b"Fixed words."))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_ino, path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_ino, stat.st_size,
                                                                                   stat.st_mtime_ns)
    site.build()
    assert loads.last == (1, 2)
    page = site.read("posts/hello/index.html")
    assert "Fixed words." in page and "First words." not in page

    write_comment(site.content, Comment(id="c4", thread="other", author="Ada", body="New here.", date=WHEN))
    site.build()
    assert loads.last == (2, 2)  # c4, and c1 again: it changed too recently to be kept
    assert "New here." in site.read("posts/other/index.html")

    (site.content / "comments" / "hello" / "c2.md").unlink()
    site.build()
    assert sum(loads.last) == 3
    assert "A reply." not in site.read("posts/hello/index.html")
    assert outputs(site) == fresh_outputs(site, tmp_path, "fresh")


def test_another_content_root_or_no_cache_loading_reads_every_file(site, loads, tmp_path):
    threaded_site(site)
    settle()
    site.build()
    site.build()
    assert loads.last == (0, 3)
    site.build(LOAD_CONTENT_CACHE=False)
    assert loads.last == (3, 0)
    copy = tmp_path / "copy"
    shutil.copytree(site.content, copy, copy_function=shutil.copy2)  # same names, sizes and mtimes
    (copy / "comments" / "hello" / "c1.md").write_text(
        (copy / "comments" / "hello" / "c1.md").read_text().replace("First words.", "Copied words"))
    site.build(PATH=str(copy))
    assert loads.last == (3, 0)
    assert "Copied words" in site.read("posts/hello/index.html")


def test_duplicate_ids_and_stray_files_fail_with_a_warm_cache(site, loads):
    threaded_site(site)
    settle()
    site.build()
    site.build()
    assert loads.last == (0, 3)
    duplicate = write_comment(site.content, Comment(id="c1", thread="other", author="Ada", body="Again.", date=WHEN))
    with pytest.raises(BuildError) as info:
        site.build()
    assert "comment id 'c1' also used by" in str(info.value) and str(duplicate) in str(info.value)
    duplicate.unlink()
    stray = site.content / "comments" / "hello" / "notes.txt"
    stray.write_text("not a comment")
    with pytest.raises(BuildError) as info:
        site.build()
    assert "must end in .md" in str(info.value) and str(stray) in str(info.value)
    stray.unlink()
    site.build()
    assert loads.last == (0, 3)


def test_a_cache_from_other_code_a_damaged_one_or_another_root_is_ignored(tmp_path):
    cache_dir, expected = kept_once(tmp_path)
    again = CommentCache.load(cache_dir, tmp_path)
    assert load_comments(tmp_path, again) == expected and (again.parsed, again.reused) == (0, 1)

    saved = (cache_dir / CACHE_FILE).read_bytes()
    version, root, folders = pickle.loads(saved)
    assert version == format_version()
    (cache_dir / CACHE_FILE).write_bytes(pickle.dumps(("another version", root, folders)))
    stale = CommentCache.load(cache_dir, tmp_path)
    assert load_comments(tmp_path, stale) == expected and (stale.parsed, stale.reused) == (1, 0)
    (cache_dir / CACHE_FILE).write_bytes(saved[: len(saved) // 2])
    damaged = CommentCache.load(cache_dir, tmp_path)
    assert load_comments(tmp_path, damaged) == expected and (damaged.parsed, damaged.reused) == (1, 0)
    (cache_dir / CACHE_FILE).write_bytes(saved)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(tmp_path / "comments", elsewhere / "comments")
    other = CommentCache.load(cache_dir, elsewhere)
    assert load_comments(elsewhere, other) == expected and (other.parsed, other.reused) == (1, 0)


def test_a_file_rewritten_by_the_service_is_read_again(tmp_path):
    cache_dir, _read = kept_once(tmp_path)
    write_comment(tmp_path, Comment(id="c1", thread="hello", author="Ada", body="Hello there.", date=WHEN))
    again = CommentCache.load(cache_dir, tmp_path)
    assert load_comments(tmp_path, again)["hello"][0].body == "Hello there."
    assert (again.parsed, again.reused) == (1, 0)


def test_an_unchanged_file_with_a_bad_name_still_fails(tmp_path):
    """A file's own checks ran when it was parsed; moving it to another name or folder makes it a new file."""
    cache_dir, _read = kept_once(tmp_path)
    folder = tmp_path / "comments" / "hello"
    os.replace(folder / "c1.md", folder / "c2.md")  # rename keeps the inode; the name is part of the key
    with pytest.raises(ContentFormatError, match="file name does not match"):
        load_comments(tmp_path, CommentCache.load(cache_dir, tmp_path))
