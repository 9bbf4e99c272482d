"""A generated site for the speed benchmarks: N posts (~600 words), ~10 comments per post, feedback items."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cluetrain.content_format import (
    Comment,
    CommentSource,
    FeedbackItem,
    FeedbackKind,
    StatusChange,
    slugify,
    write_comment,
    write_feedback,
)

WORDS = ("analytics event funnel visitor cohort retention dashboard query latency ingest pipeline schema "
         "privacy cookie consent export release metric chart segment sampling storage index cluster").split()
START = datetime(2018, 1, 1, tzinfo=UTC)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


# Every third comment carries some Markdown, as real ones do (a link, emphasis, code, a list, a quote); the others
# are prose. Chosen by the comment's number, so the random stream (and so the rest of the site) stays as it was.
MARKDOWN = (" See [the guide](https://example.com/guide) for more.", " This is *really* useful.",
            " Run `cluetrain build --fast` first.", "\n\n- one step\n- another step", "\n\n> quoted from above")


def _comment_body(rng: random.Random, number: int) -> str:
    body = _text(rng, 40)
    return body + MARKDOWN[number // 3 % len(MARKDOWN)] if number % 3 == 0 else body


def generate(root: Path, posts: int, comments_per_post: int = 10, feedback: int = 2000, seed: int = 1) -> Path:
    """Write content/ under ``root``; returns the content folder."""
    rng = random.Random(seed)
    content = root / "content"
    (content / "posts").mkdir(parents=True, exist_ok=True)
    for number in range(posts):
        date = START + timedelta(hours=number * 7)
        paragraphs = "\n\n".join(_text(rng, 100) for _ in range(6))
        tags = ", ".join(rng.sample(WORDS, 2))
        (content / "posts" / f"post-{number}.md").write_text(
            f"Title: Post {number}\nDate: {date:%Y-%m-%d %H:%M}\nSlug: post-{number}\nAuthor: Author {number % 7}\n"
            f"Category: cat-{number % 5}\nTags: {tags}\n\n{paragraphs}\n", encoding="utf-8")
        for index in range(rng.randint(0, 2 * comments_per_post)):
            write_comment(content, Comment(
                id=f"p{number}c{index}", thread=f"post-{number}", author=f"Reader {rng.randrange(500)}",
                body=_comment_body(rng, number * 20 + index), date=date + timedelta(hours=index + 1),
                source=CommentSource.WEB))
    for number in range(1, feedback + 1):
        title = f"Feedback {number} {rng.choice(WORDS)}"
        date = START + timedelta(hours=number * 3)
        write_feedback(content, FeedbackItem(
            id=number, slug=slugify(title), kind=rng.choice(list(FeedbackKind)), status="new", title=title,
            author=f"Customer {number % 300}", date=date, body=_text(rng, 60), votes=rng.randrange(50),
            tags=(rng.choice(WORDS),), history=(StatusChange("new", date),)))
    return content
