"""Search documents from what the site build has read: posts, pages, offered items, and their comments."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from pelican.generators import ArticlesGenerator, PagesGenerator

from cluetrain.markup import plain_text
from cluetrain.search import DocType, SearchDocument, document_id

# The comments plugin's context key (README, "Template variables"): thread key → (content, kind).
THREADS_CONTEXT_KEY = "cluetrain_threads"


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def absolute_url(siteurl: str, relative: str) -> str:
    """A content URL as the site publishes it (the same form threads.json uses)."""
    return f"{siteurl}/{relative}"


def content_document(content: Any, doc_type: DocType, siteurl: str) -> SearchDocument:
    """The document of a Pelican article or page."""
    return SearchDocument(
        id=document_id(doc_type, content.slug),
        type=doc_type,
        url=absolute_url(siteurl, content.url),
        title=plain_text(str(content.title)),
        body=plain_text(content.content or ""),
        date=_aware(getattr(content, "date", None)),
        tags=tuple(tag.name for tag in getattr(content, "tags", None) or ()),
        authors=tuple(author.name for author in getattr(content, "authors", None) or ()),
    )


def comment_document(node: Any, parent: SearchDocument) -> SearchDocument:
    """The document of one comment node; it links to the comment's permalink on its parent's page."""
    return SearchDocument(
        id=document_id(DocType.COMMENT, node.id),
        type=DocType.COMMENT,
        url=f"{parent.url}#{node.anchor}",
        # Untitled on purpose: the parent's title is shown beside it, never matched, so a
        # comment does not outrank the post it is about.
        title="",
        body=node.text,
        date=node.date,
        authors=(node.author,),
        context_title=parent.title,
    )


def _offered(generator: Any, siteurl: str) -> Iterable[SearchDocument]:
    if isinstance(generator, ArticlesGenerator):
        return (content_document(article, DocType.POST, siteurl) for article in generator.articles)
    if isinstance(generator, PagesGenerator):
        return (content_document(page, DocType.PAGE, siteurl) for page in generator.pages)
    if hasattr(generator, "search_documents"):
        return generator.search_documents()
    return ()


def collect_documents(generators: Iterable[Any], context: Mapping[str, Any], siteurl: str) -> Iterator[SearchDocument]:
    """Every public document: published posts and pages, what other generators offer, their comments.

    Drafts, hidden content and translations are left out. A comment is indexed when the
    content of its thread is (matched by URL, so feedback items and any later kind qualify).
    """
    parents: dict[str, SearchDocument] = {}
    for generator in generators:
        for document in _offered(generator, siteurl):
            parents[document.url] = document
            yield document
    threads: Mapping[str, tuple[Any, str]] = context.get(THREADS_CONTEXT_KEY, {})
    for content, _kind in threads.values():
        parent = parents.get(absolute_url(siteurl, content.url))
        if parent is None or getattr(content, "thread", None) is None:
            continue
        for node in content.thread.walk():
            yield comment_document(node, parent)
