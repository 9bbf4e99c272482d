"""Feedback items as search documents, for the search plugin (cluetrain_search)."""

from __future__ import annotations

from cluetrain.search import DocType, SearchDocument, document_id

from .items import FeedbackEntry


def search_document(entry: FeedbackEntry, siteurl: str) -> SearchDocument:
    """One item's document: title, description and official answer, filterable by status and tag."""
    body = entry.text if entry.answer is None else f"{entry.text}\n\n{entry.answer.text}"
    return SearchDocument(
        id=document_id(DocType.FEEDBACK, str(entry.id)),
        type=DocType.FEEDBACK,
        url=f"{siteurl}/{entry.url}",
        title=entry.title,
        body=body,
        date=entry.date,
        tags=tuple(tag.name for tag in entry.tags),
        authors=(entry.author,),
        status=entry.status.key,
    )
