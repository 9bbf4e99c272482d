"""The sample feedback in content/: varied enough to show every part of the hub, and consistent."""

from __future__ import annotations

from cluetrain.content_format import DEFAULT_STATUSES, FeedbackKind, load_comments, load_feedback

from .conftest import REPO


def test_sample_feedback_covers_every_kind_and_status_with_votes_answers_merges_and_threads():
    items = load_feedback(REPO / "content")
    threads = load_comments(REPO / "content")
    by_id = {item.id: item for item in items}
    assert len(items) >= 25
    assert {item.kind for item in items} == set(FeedbackKind)
    assert {item.status for item in items} == set(DEFAULT_STATUSES)
    assert sum(item.answer is not None for item in items) >= 10
    assert sum(item.votes > 0 for item in items) >= 20
    merged = [item for item in items if item.merged_into is not None]
    assert merged and all(by_id[m.merged_into].merged_into is None and m.status == "duplicate" for m in merged)
    assert all(f"feedback-{m.id}" not in threads for m in merged)  # their comments moved to the original
    discussed = [key for key in threads if key.startswith("feedback-")]
    assert len(discussed) >= 10 and all(int(key.removeprefix("feedback-")) in by_id for key in discussed)
