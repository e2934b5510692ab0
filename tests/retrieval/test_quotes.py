"""Quotes are whole sentences: a quote runs from its window to the end of the sentence it stops
in (a window may stop at a 「；」), never into another point (二是…), on real documents."""

from __future__ import annotations

import statistics
from functools import cache

import pytest

from retrieval.corpus.document import Document, Paragraph
from retrieval.corpus.loading import parse_document
from retrieval.corpus.structure import FULL_STOPS, split_sentences
from retrieval.index.passages import QUOTE_CHARS, document_passages, quote_span
from tests.support.paths import PROJECT

CORPUS = PROJECT / "corpus"
DOCUMENTS = [
    "seed/市长办公会议讲话.txt",
    "gov-reports/1955_国务院_政府工作报告.txt",
    "gov-reports/1975_国务院_政府工作报告.txt",
    "gov-reports/1984_国务院_政府工作报告.txt",
    "gov-reports/2026_广东省_政府工作报告.txt",
]
CLOSERS = "”’」』）)"


@cache
def document(path: str) -> Document:
    return parse_document(CORPUS, CORPUS / path)


def quotes(document: Document) -> list[tuple[Paragraph, int, int]]:
    """Every passage's quote span, with its paragraph."""
    spans = []
    for number, start, end in document_passages(document).spans:
        paragraph = document.paragraphs[number - 1]
        spans.append((paragraph, *quote_span(document.text, paragraph, start, end)))
    return spans


def ends_a_sentence(text: str, paragraph: Paragraph, end: int) -> bool:
    """Whether a quote ending at `end` ends at a full stop, its paragraph's end or right
    before a point (二是… after a 「；」)."""
    body = text[:end].rstrip(CLOSERS)
    rest = text[end : paragraph.end]
    return (
        body.endswith(tuple(FULL_STOPS))
        or not rest.strip()
        or any(point.start == end + len(rest) - len(rest.lstrip()) for point in paragraph.points)
    )


@pytest.mark.parametrize("path", DOCUMENTS)
def test_every_quote_ends_at_a_sentence_end(path: str) -> None:
    doc = document(path)
    spans = quotes(doc)
    assert spans
    # only a window without a full stop, in a sentence too long to quote whole, keeps a clause end
    cut = [
        doc.text[start:end]
        for paragraph, start, end in spans
        if not ends_a_sentence(doc.text, paragraph, end) and any(c in doc.text[start:end] for c in FULL_STOPS)
    ]
    assert cut == []


@pytest.mark.parametrize("path", DOCUMENTS)
def test_no_quote_crosses_a_point(path: str) -> None:
    """A quote holds text of one point at most (a lead-in 要做到四个导向：一是… is no point)."""
    doc = document(path)
    pointed = 0
    for paragraph, start, end in quotes(doc):
        overlapping = [p for p in paragraph.points if p.start < end and start < p.end]
        assert len(overlapping) <= 1, doc.text[start:end]
        pointed += bool(overlapping)
    assert pointed or path != DOCUMENTS[0]


@pytest.mark.parametrize("path", DOCUMENTS)
def test_quotes_stay_short(path: str) -> None:
    spans = quotes(document(path))
    assert all(end - start <= QUOTE_CHARS for _, start, end in spans)
    assert statistics.median(end - start for _, start, end in spans) <= 200


def test_a_window_stopping_at_a_semicolon_is_quoted_to_the_full_stop() -> None:
    doc = document("seed/市长办公会议讲话.txt")
    stopped = [(p, s, e) for p, s, e in quotes(doc) if doc.text[e - 1] == "；"]
    assert all(any(point.start >= e for point in p.points) for p, s, e in stopped)
    semicolons = 0
    for number, start, end in document_passages(doc).spans:
        if doc.text[end - 1] == "；":
            paragraph = doc.paragraphs[number - 1]
            _, quote_end = quote_span(doc.text, paragraph, start, end)
            semicolons += quote_end > end
    assert semicolons > 5  # the speech's windows often stop at a 「；」; their quotes do not


def test_a_stop_inside_a_short_bracket_ends_no_sentence() -> None:
    text = "牛车水（；）是新加坡的唐人街。《卡拉OK.LIVE！‧台北‧我》是第六张专辑。他说：“要干。不要说。”"
    sentences = [text[b:e] for b, e in split_sentences(text, 0)]
    assert sentences == [
        "牛车水（；）是新加坡的唐人街。",
        "《卡拉OK.LIVE！‧台北‧我》是第六张专辑。",
        "他说：“要干。",
        "不要说。”",
    ]
