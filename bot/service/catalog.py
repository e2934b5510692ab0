"""The speeches as a user browses them: grouped by kind (speeches, national reports,
provincial reports), the corpus's own speeches first then newest first, filtered by words
matching title, speaker, year, issuer or occasion."""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.corpus.document import Document
from retrieval.text.normalize import fold

SPEECH, NATIONAL, PROVINCIAL, OTHER = "讲话", "国务院政府工作报告", "地方政府工作报告", "其他报告"
KINDS = (SPEECH, NATIONAL, PROVINCIAL, OTHER)
NATIONAL_ISSUERS = frozenset({"国务院"})


def document_kind(document: Document) -> str:
    """讲话, 国务院政府工作报告, 地方政府工作报告 or 其他报告."""
    meta = document.meta
    if "报告" not in meta.title and "报告" not in document.doc_id:
        return SPEECH
    if meta.issuer in NATIONAL_ISSUERS:
        return NATIONAL
    return PROVINCIAL if meta.issuer else OTHER


def sort_key(document: Document) -> tuple[int, int, str]:
    """Kind first (speeches, national, provincial), then newest first, then title."""
    return (KINDS.index(document_kind(document)), -(document.meta.year or 0), document.meta.title)


def ordered(documents: Sequence[Document]) -> list[Document]:
    return sorted(documents, key=sort_key)


def searchable(document: Document) -> str:
    meta = document.meta
    fields = (meta.title, meta.speaker, str(meta.year or ""), meta.issuer, meta.occasion, document.doc_id)
    return fold(" ".join(f for f in fields if f)).replace(" ", "")


def matching(documents: Sequence[Document], words: str) -> list[Document]:
    """The documents every word of `words` (split at spaces) names, in browsing order."""
    wanted = [fold(w) for w in words.split() if w]
    return ordered([d for d in documents if all(w in searchable(d) for w in wanted)])


def grouped(documents: Sequence[Document]) -> list[tuple[str, list[Document]]]:
    """(kind, its documents) in browsing order, kinds without documents left out."""
    order = ordered(documents)
    return [
        (kind, [d for d in order if document_kind(d) == kind])
        for kind in KINDS
        if any(document_kind(d) == kind for d in order)
    ]


def short_name(document: Document) -> str:
    """How a user would name a speech: 2025年国务院政府工作报告, 市长办公会议讲话."""
    title = document.meta.title
    match = re.fullmatch(r"在(.{2,20}?)(?:上|中)的(讲话|发言|致辞)", title)
    return f"{match.group(1)}{match.group(2)}" if match else title


def naming_phrase(document: Document) -> str:
    """Words that name this speech to the search engine's naming (a follow-up is rewritten
    with them): 广东省 2026年报告 for a report named by issuer and year, else the short name."""
    meta = document.meta
    if meta.issuer and meta.year and meta.issuer in meta.title:
        return f"{meta.issuer} {meta.year}年报告"
    return short_name(document)
