"""Bad content fails the build with the file and the problem named; nothing is silently dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cluetrain.build import BuildError
from cluetrain.cli import main


def problems(site, **overrides) -> str:
    with pytest.raises(BuildError) as info:
        site.build(**overrides)
    return "\n".join(info.value.problems)


def write_raw(site, thread: str, name: str, text: str) -> Path:
    path = site.content / "comments" / thread / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_comment_file_names_the_file(site):
    site.post("hello")
    path = write_raw(site, "hello", "c1.md", "Id: c1\nThread: hello\nAuthor: Ada\n\nno date")
    message = problems(site)
    assert str(path) in message and "missing metadata: Date" in message


def test_comment_for_a_missing_thread_names_the_file(site):
    site.post("hello")
    site.comment("hello", "c1")
    site.comment("gone-post", "c2")
    message = problems(site)
    assert "comments/gone-post/c2.md" in message and "matches no post or page" in message


def test_reply_to_a_missing_parent_names_the_file(site):
    site.post("hello")
    site.comment("hello", "c2", parent="c404")
    message = problems(site)
    assert "comments/hello/c2.md" in message and "Parent 'c404'" in message


def test_reply_cycle_is_an_error_not_a_silent_drop(site):
    site.post("hello")
    site.comment("hello", "c1", parent="c2")
    site.comment("hello", "c2", parent="c1")
    assert "cycle" in problems(site)


def test_unknown_comments_metadata_value_names_the_post(site):
    path = site.post("hello", comments="maybe")
    message = problems(site)
    assert str(path) in message and "unknown value 'maybe' for 'Comments'" in message


def test_slug_that_cannot_key_a_thread_names_the_post(site):
    path = site.post("Hello World")
    message = problems(site)
    assert str(path) in message and "cannot key a comment thread" in message


def test_two_contents_with_one_slug_are_refused(site):
    site.post("hello")
    site.page("hello", comments="open")
    assert "threads need unique slugs" in problems(site)


def test_post_pelican_cannot_read_fails_the_build(site):
    site.post("hello")
    bad = site.content / "posts" / "broken.md"
    bad.write_text("Title: No date\nDate: not a date\n\nbody", encoding="utf-8")
    assert "broken.md" in problems(site)


def test_dotted_and_hostile_comment_files_change_nothing_outside_their_content(site):
    site.post("hello")
    # A file named with ".." whose metadata tries to point elsewhere.
    write_raw(site, "hello", "a..b.md", "Id: ../../posts/evil\nThread: ../posts\nAuthor: x\n"
              "Date: 2026-01-01T00:00:00+00:00\n\nbody")
    before = sorted(p for p in site.root.rglob("*"))
    message = problems(site)
    assert "a..b.md" in message and "not valid" in message
    assert sorted(p for p in site.root.rglob("*") if "cache" not in p.parts) == [
        p for p in before if "cache" not in p.parts
    ]


def test_status_line_in_a_body_stays_body(site):
    site.post("hello")
    site.comment("hello", "c1", body="Status: draft\nTitle: Owned\n\nSlug: evil")
    site.build()
    assert (site.output / "posts" / "hello" / "index.html").is_file()
    page = site.read("posts/hello/index.html")
    assert "Status: draft" in page and "<title>Owned" not in page
    assert not (site.output / "posts" / "evil").exists()


def test_cli_build_prints_a_summary(project):
    result = CliRunner().invoke(main, ["--project", str(project), "build"])
    assert result.exit_code == 0, result.output
    assert "Built" in result.output and "from 1 source files" in result.output
    assert (project / "output" / "posts" / "hello" / "index.html").is_file()


def test_cli_build_failure_names_the_file_and_exits_non_zero(project):
    bad = project / "content" / "comments" / "hello" / "c1.md"
    bad.parent.mkdir(parents=True)
    bad.write_text("Id: c1\nThread: hello\nAuthor: Ada\nDate: 2026-01-01T00:00:00+00:00\nKarma: 5\n\nx")
    result = CliRunner().invoke(main, ["--project", str(project), "build"])
    assert result.exit_code == 1
    assert "c1.md" in result.output and "unknown metadata key 'Karma'" in result.output
    assert "build failed with 1 problem" in result.output
    assert "Traceback" not in result.output


def test_cli_without_settings_file_says_so(tmp_path):
    result = CliRunner().invoke(main, ["--project", str(tmp_path), "build"])
    assert result.exit_code == 1 and "no such settings file" in result.output


def test_a_half_written_cache_is_dropped_not_fatal(site):
    site.post("hello")
    site.build()
    for cache in (site.root / "cache").glob("*Generator*"):
        cache.write_bytes(cache.read_bytes()[:10])  # as if the last build was killed mid-write
    site.post("second")
    site.build()
    assert (site.output / "posts" / "second" / "index.html").is_file()


def test_concurrent_builds_of_one_site_take_turns(site):
    import threading

    site.post("hello")
    errors = []

    def build():
        try:
            site.build()
        except Exception as exc:  # noqa: BLE001 - any failure of either build fails the test
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_cli_build_for_a_public_origin(project):
    result = CliRunner().invoke(main, ["--project", str(project), "build", "--site-url", "https://blog.example.com/"])
    assert result.exit_code == 0, result.output
    sitemap = (project / "output" / "sitemap.xml").read_text()
    assert "<loc>https://blog.example.com/posts/hello/</loc>" in sitemap
    page = (project / "output" / "posts" / "hello" / "index.html").read_text()
    assert 'rel="canonical" href="https://blog.example.com/posts/hello/"' in page
