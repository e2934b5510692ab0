"""Document → passages: windows of consecutive sentences inside one paragraph, each
carrying its place (paragraph, part, point), so the quote shown is the part that answers."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.document import Document
from retrieval.normalize import fold
from retrieval.segment import folded_terms

WINDOW_CHARS = 150  # a window grows sentence by sentence while it stays this short


@dataclass(frozen=True, slots=True)
class Passage:
    doc: int  # index of the document in the engine's document list
    paragraph: int  # 1-based paragraph number
    start: int  # offsets into Document.text
    end: int


def sentence_windows(sentences: list[tuple[int, int]], limit: int = WINDOW_CHARS) -> list[tuple[int, int]]:
    """One window per sentence, as (first, last) sentence indexes: the sentence and those
    after it that fit in `limit` characters. A window always holds its first sentence."""
    windows = []
    for i, (start, _) in enumerate(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - start <= limit:
            j += 1
        windows.append((i, j))
    return windows


@dataclass
class DocumentPassages:
    passages: list[Passage]
    terms: list[list[str]]  # index terms of each passage


def document_passages(doc_index: int, document: Document) -> DocumentPassages:
    """Every passage of a document with its index terms (each sentence segmented once)."""
    result = DocumentPassages([], [])
    for paragraph in document.paragraphs:
        if not paragraph.indexed:
            continue
        folded = fold(document.paragraph_text(paragraph))
        sentence_terms = [
            folded_terms(folded[start - paragraph.start : end - paragraph.start])
            for start, end in paragraph.sentences
        ]
        for first, last in sentence_windows(paragraph.sentences):
            start, end = paragraph.sentences[first][0], paragraph.sentences[last][1]
            result.passages.append(Passage(doc_index, paragraph.number, start, end))
            result.terms.append([t for terms in sentence_terms[first : last + 1] for t in terms])
    return result
