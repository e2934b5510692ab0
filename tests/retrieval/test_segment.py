"""rjieba (what we segment with) against jieba (the reference, and the fallback): the same
words for nearly every sentence of the shipped corpus, and the user dictionary honoured by both."""

from __future__ import annotations

import pytest

from retrieval.corpus.loading import load_corpus
from retrieval.text.normalize import fold
from retrieval.text.segment import (
    _jieba_segmenters,
    _segmenters,
    asked_word,
    query_words,
    user_words,
    without_particle,
)
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


@pytest.mark.parametrize(
    ("word", "asked"),
    [
        ("哪一条", ""),  # an interrogative and a measure word: how the answer is counted
        ("第几名", ""),
        ("多少岁", ""),
        ("几世纪", "世纪"),  # the interrogative and the thing it asks about
        ("哪些地方", "地方"),
        ("几乎", "几乎"),  # words that only begin like one
        ("几内亚", "几内亚"),
        ("河流", "河流"),
    ],
)
def test_an_interrogative_is_taken_off_the_word_it_begins(word: str, asked: str) -> None:
    assert asked_word(word) == asked


def test_question_words_leave_out_interrogatives_whatever_the_segmenter_joins() -> None:
    assert query_words("阿拉伯人在幾世紀時來到這裡？") == ["阿拉伯人", "世纪", "时", "来到", "这里"]
    assert query_words("「欽察」一詞有何涵義？") == ["钦察", "一词", "涵义"]  # 有何: a stop word
    assert "几部" not in query_words("推荐几部好看的电影")


def test_an_aspect_particle_the_segmenter_glued_to_a_verb_is_taken_off() -> None:
    assert query_words("常务会提了什么") == ["常务会", "提"]  # cut 常务会|提了|什么
    assert query_words("签了什么责任书") == ["签", "责任书"]
    assert [without_particle(w) for w in ("为了", "除了", "通过", "受过")] == ["为了", "除了", "通过", "受过"]
