"""The outbox: each approved comment written exactly once, reconciled after a crash, temp files cleaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from cluetrain.content_format import read_comment
from comments_service.models import Comment, CommentStatus
from comments_service.moderation import approve
from tests.service.conftest import comment_json

REPO = Path(__file__).resolve().parents[2]


def held_comment(app) -> str:
    return app.test_client().post("/api/comments", json=comment_json()).get_json()["id"]


def thread_files(project: Path) -> list[Path]:
    return sorted((project / "content" / "comments" / "hello").glob("*"))


def crash(project: Path, comment_id: str, stop_at: str) -> None:
    """Approve in a real subprocess, SIGKILL it at ``stop_at``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.service.crash_helper", str(project), str(project / "rules.toml"), comment_id, stop_at],
        cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        wanted = "committed" if stop_at == "after-commit" else "written"
        for line in process.stdout:
            if line.strip() == wanted:
                break
        else:
            pytest.fail(f"the helper exited ({process.wait()}) before {wanted!r}")
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL


def test_killed_after_commit_before_write_is_published_on_restart(make_app, project):
    app = make_app()
    comment_id = held_comment(app)
    crash(project, comment_id, "after-commit")
    with app.extensions["cluetrain"].database.read() as session:
        row = session.get(Comment, comment_id)
        assert row.status is CommentStatus.APPROVED and row.written_revision is None
    assert thread_files(project) == []
    make_app()  # the restart reconciles
    files = thread_files(project)
    assert [f.name for f in files] == [f"{comment_id}.md"]
    assert read_comment(files[0]).id == comment_id
    inode = files[0].stat().st_ino
    make_app()  # and a second restart does not write it again
    assert thread_files(project)[0].stat().st_ino == inode


def test_killed_after_write_before_recording_it_is_not_written_twice(make_app, project):
    app = make_app()
    comment_id = held_comment(app)
    crash(project, comment_id, "after-write")
    [written] = thread_files(project)
    inode, mtime = written.stat().st_ino, written.stat().st_mtime_ns
    restarted = make_app()
    [again] = thread_files(project)
    assert (again.stat().st_ino, again.stat().st_mtime_ns) == (inode, mtime)  # same file, untouched
    with restarted.extensions["cluetrain"].database.read() as session:
        assert session.get(Comment, comment_id).written_revision == 1


def test_start_up_removes_stale_temp_files(make_app, project):
    stale = project / "content" / "comments" / "hello" / ".cabc.md.1234.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_text("half a comment", encoding="utf-8")
    make_app()
    assert not stale.exists()


def test_publish_on_commit_off_leaves_it_to_the_background_loop(make_app, project):
    app = make_app(PUBLISH_ON_COMMIT=False)
    comment_id = held_comment(app)
    runtime = app.extensions["cluetrain"]
    with app.app_context():
        with runtime.database.write() as session:
            approve(session, comment_id, "moderator:test")
        runtime.after_moderation()
    assert thread_files(project) == []
    assert runtime.publisher.reconcile() == [project.resolve() / "content" / "comments" / "hello" / f"{comment_id}.md"]
    assert runtime.publisher.reconcile() == []  # nothing left to do


def test_no_private_data_reaches_content(make_app, project):
    app = make_app(rules='[default]\naction = "approve"\n[spam]\nmin_fill_seconds = 0\n')
    client = app.test_client()
    client.post("/api/comments", json=comment_json(email="secret.person@private.example"),
                headers={"User-Agent": "SecretAgent/1.0"}, environ_base={"REMOTE_ADDR": "192.0.2.77"})
    text = "".join(p.read_text(encoding="utf-8") for p in (project / "content").rglob("*.md"))
    assert text and "secret.person" not in text and "192.0.2.77" not in text and "SecretAgent" not in text
    with app.extensions["cluetrain"].database.read() as session:
        assert session.scalar(select(Comment.email)) == "secret.person@private.example"
