"""Sentence windows: they grow within a paragraph up to 150 characters, never into the next point."""

from __future__ import annotations

from pathlib import Path

from retrieval.corpus.loading import load_corpus
from retrieval.index.passages import document_passages, sentence_windows

SENTENCES = [(0, 40), (40, 100), (100, 160), (160, 200)]


def test_a_window_grows_while_it_fits() -> None:
    assert sentence_windows(SENTENCES, limit=100) == [(0, 1), (1, 1), (2, 3), (3, 3)]
    assert sentence_windows(SENTENCES, limit=200) == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_a_window_stops_before_a_sentence_that_opens_a_point() -> None:
    assert sentence_windows(SENTENCES, limit=200, breaks=frozenset({2})) == [(0, 1), (1, 1), (2, 3), (3, 3)]


def test_no_quote_of_the_sample_speech_runs_into_the_next_point(seed_dir: Path) -> None:
    (document,) = load_corpus(seed_dir).documents
    spans = document_passages(document).spans
    pointed = 0
    for number, start, end in spans:
        paragraph = document.paragraphs[number - 1]
        first_sentence_end = next(e for s, e in paragraph.sentences if s == start)
        assert not any(first_sentence_end <= p.start < end for p in paragraph.points), (start, end)
        pointed += document.point_at(paragraph, start) is not None
    assert pointed > 20  # the speech has points (一是/二是, 一要/二要) and windows inside them
