"""Search documents from what the site build has read: posts, pages, offered items, and their comments."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Protocol

from pelican.generators import ArticlesGenerator, PagesGenerator

from cluetrain.markup import plain_text
from cluetrain.output_files import content_urls
from cluetrain.search import DocType, Indexable, SearchDocument, document_id, sign, text_digest
from cluetrain.search.worker import PlainFields

from .body_digests import BodyDigests

# The comments plugin's context key (README, "Template variables"): thread key → (content, kind).
THREADS_CONTEXT_KEY = "cluetrain_threads"


class Parent(Protocol):
    """What a comment's document takes from the document of what it is on."""

    @property
    def url(self) -> str: ...

    @property
    def title(self) -> str: ...


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def absolute_url(siteurl: str, relative: str) -> str:
    """A content URL as the site publishes it (the same form threads.json uses)."""
    return f"{siteurl}/{relative}"


class ContentEntry:
    """A post or page to index: signed from a digest of its HTML, its text extracted only when it is written."""

    __slots__ = ("_bodies", "_content", "authors", "date", "id", "tags", "title", "type", "url")

    def __init__(self, content: Any, doc_type: DocType, siteurl: str, bodies: BodyDigests | None = None,
                 url: str | None = None) -> None:
        self._content = content
        self._bodies = bodies
        self.id = document_id(doc_type, content.slug)
        self.type = doc_type
        self.url = absolute_url(siteurl, content.url if url is None else url)
        self.title = plain_text(str(content.title))
        self.date = _aware(getattr(content, "date", None))
        self.tags = tuple(tag.name for tag in getattr(content, "tags", None) or ())
        self.authors = tuple(author.name for author in getattr(content, "authors", None) or ())

    @property
    def signature(self) -> str:
        """The document's signature (computed on each call)."""
        html = self._content.content or ""
        body = text_digest(plain_text(html)) if self._bodies is None else self._bodies.of(html)
        return sign(self.id, self.type, self.url, self.title, body, self.date, self.tags, self.authors, None, None)

    def document(self) -> SearchDocument:
        """The whole document, text included."""
        html = self._content.content or ""
        body = plain_text(html)
        if self._bodies is not None:
            self._bodies.correct(html, text_digest(body))
        return SearchDocument(id=self.id, type=self.type, url=self.url, title=self.title, body=body, date=self.date,
                              tags=self.tags, authors=self.authors)

    def plain_fields(self) -> PlainFields:
        """The document's fields for the index worker, the body as HTML: the worker extracts its text."""
        return (self.id, self.type.value, self.url, self.title, self._content.content or "", self.date, self.tags,
                self.authors, None, None, True)

    def text_extracted(self, digest: bytes) -> None:
        """Keep the digest of the text the worker extracted from this entry's HTML (as :meth:`document` does)."""
        if self._bodies is not None:
            self._bodies.correct(self._content.content or "", digest)


class CommentEntry:
    """A comment to index: signed from its node and its parent, made a document only when it is written."""

    __slots__ = ("_node", "_parent", "id")

    def __init__(self, node: Any, parent: Parent) -> None:
        self._node = node
        self._parent = parent
        self.id = document_id(DocType.COMMENT, node.id)

    @property
    def signature(self) -> str:
        """The document's signature (computed on each call), the values as :func:`comment_document` sets them."""
        node = self._node
        return sign(self.id, DocType.COMMENT, f"{self._parent.url}#{node.anchor}", "", text_digest(node.text),
                    node.date, (), (node.author,), None, self._parent.title)

    def document(self) -> SearchDocument:
        """The whole document."""
        return comment_document(self._node, self._parent)

    def plain_fields(self) -> PlainFields:
        """The document's fields for the index worker, as :func:`comment_document` sets them."""
        node = self._node
        return (self.id, DocType.COMMENT.value, f"{self._parent.url}#{node.anchor}", "", node.text, node.date, (),
                (node.author,), None, self._parent.title, False)


def content_document(content: Any, doc_type: DocType, siteurl: str) -> SearchDocument:
    """The document of a Pelican article or page."""
    return ContentEntry(content, doc_type, siteurl).document()


def comment_document(node: Any, parent: Parent) -> SearchDocument:
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


def _offered(generator: Any, siteurl: str, bodies: BodyDigests | None,
             url_of: Callable[[Any], str]) -> Iterable[tuple[Any, Indexable]]:
    """(content or None, its entry) for what ``generator`` offers."""
    if isinstance(generator, ArticlesGenerator):
        return ((post, ContentEntry(post, DocType.POST, siteurl, bodies, url_of(post))) for post in generator.articles)
    if isinstance(generator, PagesGenerator):
        return ((page, ContentEntry(page, DocType.PAGE, siteurl, bodies, url_of(page))) for page in generator.pages)
    if hasattr(generator, "search_documents"):
        return ((None, document) for document in generator.search_documents())
    return ()


def collect_documents(generators: Iterable[Any], context: Mapping[str, Any], siteurl: str,
                      bodies: BodyDigests | None = None) -> Iterator[Indexable]:
    """Every public document: published posts and pages, what other generators offer, their comments.

    Drafts, hidden content and translations are left out. A comment is indexed when the
    content of its thread is (matched by URL, so feedback items and any later kind qualify).
    ``bodies`` keeps posts' and pages' text digests across builds.
    """
    parents: dict[str, Parent] = {}
    # A post's own object finds its entry without formatting its URL again (Pelican formats it on every read).
    by_object: dict[int, Parent] = {}
    # The URLs the build's other generators have read already (Pelican formats one anew on every read).
    url_of = content_urls(context) if isinstance(context, dict) else attrgetter("url")
    for generator in generators:
        for content, entry in _offered(generator, siteurl, bodies, url_of):
            parents[entry.url] = entry
            if content is not None:
                by_object[id(content)] = entry
            yield entry
    threads: Mapping[str, tuple[Any, str]] = context.get(THREADS_CONTEXT_KEY, {})
    for content, _kind in threads.values():
        if getattr(content, "thread", None) is None:
            continue
        parent = by_object.get(id(content)) or parents.get(absolute_url(siteurl, content.url))
        if parent is None:
            continue
        for node in content.thread.walk():
            yield CommentEntry(node, parent)
