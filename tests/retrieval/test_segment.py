"""rjieba (what we segment with) against jieba (the reference, and the fallback): the same
words for nearly every sentence of the shipped corpus, and the user dictionary honoured by both."""

from __future__ import annotations

import pytest

from retrieval.corpus.loading import load_corpus
from retrieval.text.normalize import fold
from retrieval.text.segment import _jieba_segmenters, _segmenters, user_words
from tests.support.paths import PROJECT


@pytest.fixture(scope="module")
def segmenters():
    pytest.importorskip("rjieba")
    return _segmenters()[0], _jieba_segmenters()[0]


def test_rjieba_agrees_with_jieba_on_the_shipped_corpus(segmenters) -> None:
    rust, python = segmenters
    documents = load_corpus(PROJECT / "corpus").documents
    sentences = [
        fold(document.text[start:end])
        for document in documents[::4]  # a quarter of the documents keeps this test quick
        for paragraph in document.paragraphs
        if paragraph.indexed
        for start, end in paragraph.sentences
    ]
    differing = [s for s in sentences if rust(s) != python(s)]
    assert len(sentences) > 5_000
    assert len(differing) <= 0.005 * len(sentences), differing[:5]


def test_user_dictionary_words_stay_whole(segmenters) -> None:
    for cut in segmenters:
        for word, _, _ in user_words()[:50]:
            assert word in cut(f"我们要落实{word}的要求"), word
