"""Updating the search index for changed threads only: the documents of one thread, by signature."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from cluetrain.build import BuildError
from cluetrain.search import DocType, SearchDocument, SearchIndex, SearchIndexLocked, index_location

SEARCH_PLUGIN = "cluetrain_search"


def thread_documents(pelican: Any, content: Any, kind: str, thread: Any) -> dict[str, SearchDocument]:
    """What the search plugin would index for ``content`` and its thread (nothing for drafts, hidden, merged)."""
    sources = importlib.import_module(f"{pelican.plugin(SEARCH_PLUGIN).__name__}.sources")
    siteurl = pelican.settings.get("SITEURL", "")
    parent: SearchDocument | None = None
    if kind in ("article", "page") and getattr(content, "status", "published") == "published":
        doc_type = DocType.POST if kind == "article" else DocType.PAGE
        parent = sources.content_document(content, doc_type, siteurl)
    elif kind == "feedback" and pelican.feedback is not None:
        parent = pelican.feedback.search_document_of(content)
    if parent is None or thread is None:
        return {}
    documents = {parent.id: parent}
    for node in thread.walk():
        document = sources.comment_document(node, parent)
        documents[document.id] = document
    return documents


def apply_document_changes(settings: dict[str, Any], changes: Iterable[tuple[dict[str, SearchDocument],
                                                                           dict[str, SearchDocument]]]) -> int:
    """Write documents whose signature changed and remove vanished ones, in one commit; returns how many."""
    location = index_location(settings)
    if location is None:
        return 0
    writes: list[SearchDocument] = []
    removals: list[str] = []
    for before, after in changes:
        writes.extend(doc for doc_id, doc in after.items()
                      if doc_id not in before or before[doc_id].signature != doc.signature)
        removals.extend(doc_id for doc_id in before if doc_id not in after)
    if not writes and not removals:
        return 0
    index = SearchIndex(location)
    try:
        with index.writing() as index_changes:
            for document in writes:
                index_changes.add(document)
            for doc_id in removals:
                index_changes.remove(doc_id)
    except SearchIndexLocked as exc:
        raise BuildError([f"search index: {exc}"]) from exc
    finally:
        index.close()
    return len(writes) + len(removals)
