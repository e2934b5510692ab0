"""Document → passages: windows of consecutive sentences inside one paragraph, each
carrying its place (paragraph, part, point), so the quote shown is the part that answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.corpus.document import Document, Paragraph
from retrieval.corpus.structure import CLOSERS, FULL_STOPS, sentence_end
from retrieval.text.normalize import fold_all
from retrieval.text.segment import EncodedTerms, encode_terms

WINDOW_CHARS = 150  # a window grows sentence by sentence while it stays this short
QUOTE_CHARS = 200  # a quote runs on to its sentence's end while it stays this short


@dataclass(frozen=True, slots=True)
class Passage:
    doc: int  # index of the document in the engine's document list
    paragraph: int  # 1-based paragraph number
    start: int  # offsets into Document.text
    end: int


def sentence_windows(
    sentences: list[tuple[int, int]], limit: int = WINDOW_CHARS, breaks: frozenset[int] = frozenset()
) -> list[tuple[int, int]]:
    """One window per sentence, as (first, last) sentence indexes: the sentence and those
    after it that fit in `limit` characters, up to (not into) a sentence in `breaks` (one
    opening a new point: 二是…). A window always holds its first sentence."""
    windows = []
    for i, (start, _) in enumerate(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - start <= limit and j + 1 not in breaks:
            j += 1
        windows.append((i, j))
    return windows


def point_breaks(paragraph: Paragraph) -> frozenset[int]:
    """The indexes of a paragraph's sentences in which a point (一是, 二要, 第一…) begins."""
    starts = [point.start for point in paragraph.points]
    return frozenset(
        k for k, (begin, end) in enumerate(paragraph.sentences) if any(begin <= s < end for s in starts)
    )


def quote_span(
    text: str, paragraph: Paragraph, start: int, end: int, limit: int = QUOTE_CHARS
) -> tuple[int, int]:
    """The span of text[start:end]'s quote: the window run on to the end of the sentence its
    last clause belongs to (a window may stop at a 「；」), never into a point that begins
    after it (二是…). A quote that would run past `limit` characters ends instead at the
    window's last full stop; a window with none keeps its last clause end that fits."""
    stop = sentence_end(text, end, paragraph.end)
    stop = min([point.start for point in paragraph.points if end <= point.start < stop], default=stop)
    if stop - start > limit:
        whole = [e for _, e in paragraph.sentences if start < e <= end and is_full_stop(text, e)]
        clauses = [e for _, e in paragraph.sentences if end <= e <= stop and e - start <= limit]
        stop = max(whole) if whole else max(clauses, default=end)
    while stop > start and text[stop - 1].isspace():
        stop -= 1
    return start, stop


def is_full_stop(text: str, position: int) -> bool:
    """Whether text[:position] ends with a full stop (and its closing quotes)."""
    tail = text[max(0, position - 8) : position].rstrip(CLOSERS)
    return bool(tail) and tail[-1] in FULL_STOPS


def passage_count(document: Document) -> int:
    """How many passages a document gives, without segmenting it."""
    return sum(len(p.sentences) for p in document.paragraphs if p.indexed)  # one window per sentence


@dataclass
class DocumentPassages:
    spans: list[tuple[int, int, int]]  # each passage's (paragraph number, start, end)
    sentence_terms: EncodedTerms  # index terms of each indexed sentence, in order
    windows: list[tuple[int, int]]  # each passage's (first, last) index into sentence_terms


def document_passages(document: Document) -> DocumentPassages:
    """Every passage of a document, with the terms of its sentences (each segmented once)."""
    paragraphs = [paragraph for paragraph in document.paragraphs if paragraph.indexed]
    folded = fold_all([document.paragraph_text(paragraph) for paragraph in paragraphs])
    sentences: list[str] = []
    spans, windows = [], []
    for paragraph, text in zip(paragraphs, folded, strict=True):
        first_sentence = len(sentences)
        sentences.extend(
            text[start - paragraph.start : end - paragraph.start] for start, end in paragraph.sentences
        )
        for first, last in sentence_windows(paragraph.sentences, breaks=point_breaks(paragraph)):
            spans.append((paragraph.number, paragraph.sentences[first][0], paragraph.sentences[last][1]))
            windows.append((first_sentence + first, first_sentence + last))
    return DocumentPassages(spans, encode_terms(sentences), windows)


class PassageTable:
    """All passages of an engine as four integer arrays, not a million small objects."""

    _paragraph_keys: np.ndarray | None = None

    def __init__(self, parts: list[DocumentPassages]) -> None:
        rows = [(doc, *span) for doc, part in enumerate(parts) for span in part.spans]
        columns = np.array(rows, dtype=np.int32).reshape(-1, 4)
        self.doc, self.paragraph, self.start, self.end = (
            np.ascontiguousarray(columns[:, i]) for i in range(4)
        )

    @classmethod
    def from_columns(
        cls, doc: np.ndarray, paragraph: np.ndarray, start: np.ndarray, end: np.ndarray
    ) -> PassageTable:
        """A table from the four columns of a built one, used as they are (memory maps stay mapped)."""
        if not len(doc) == len(paragraph) == len(start) == len(end):
            raise ValueError("passage columns of different lengths")
        table = cls.__new__(cls)
        table.doc, table.paragraph, table.start, table.end = doc, paragraph, start, end
        return table

    def document_ranges(self, docs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The ids first … last − 1 of each document's passages (passages are stored document
        by document): the firsts, and the lasts."""
        bounds = np.searchsorted(
            self.doc, np.array([[d, d + 1] for d in docs], dtype=self.doc.dtype).reshape(-1)
        )
        return bounds[0::2], bounds[1::2]

    def paragraph_keys(self, ids: np.ndarray) -> np.ndarray:
        """For each passage id, a number its paragraph's passages share and no other has."""
        keys = self._paragraph_keys
        if keys is None:  # computed on first use: (document, paragraph) of every passage
            keys = self._paragraph_keys = (self.doc.astype(np.int64) << 32) | self.paragraph
        return keys[ids]

    def __len__(self) -> int:
        return len(self.doc)

    def at(self, ids: np.ndarray) -> list[Passage]:
        """`[self[i] for i in ids]`, quicker."""
        columns = (column[ids].tolist() for column in (self.doc, self.paragraph, self.start, self.end))
        return [Passage(*row) for row in zip(*columns, strict=True)]

    def __getitem__(self, index: int) -> Passage:
        return Passage(
            int(self.doc[index]), int(self.paragraph[index]), int(self.start[index]), int(self.end[index])
        )
