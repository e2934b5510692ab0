"""The fast segmentation path (`fold_all`, `encode_terms`, `merge_terms`) gives exactly the
terms of the plain one, on every fifth sentence of the shipped corpus (every sentence takes
seconds; all agreed when this was written)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from retrieval.corpus.loading import load_corpus
from retrieval.text.normalize import fold, fold_all
from retrieval.text.segment import (
    _cut,
    encode_terms,
    folded_terms,
    is_cjk,
    is_content_word,
    merge_terms,
    stop_words,
)
from tests.support.paths import PROJECT

CJK_RE = re.compile("[\u4e00-\u9fff]")
ODD = ["", "abc", "2011-2020年 pm_2.5 的了", "ＡＢＣ１２３繁體字與發展", "😀Ａ的", "的了吗", "\n\t "]


def plain_terms(folded: str) -> list[str]:
    """The index terms as first written: kept words, then every non-stop Chinese character."""
    stop = {ord(w): " " for w in stop_words() if len(w) == 1}
    words = [w for w in _cut(folded, for_search=True) if is_content_word(w) and (len(w) > 1 or not is_cjk(w))]
    return words + CJK_RE.findall(folded.translate(stop))


def decoded(terms) -> list[list[str]]:
    ends = np.cumsum(terms.lengths).tolist()
    return [
        [terms.vocabulary[i] for i in terms.ids[begin:end].tolist()]
        for begin, end in zip([0, *ends], ends, strict=False)
    ]


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    corpus = load_corpus(PROJECT / "corpus")
    found = [
        document.text[start:end]
        for document in corpus.documents
        for paragraph in document.paragraphs
        for start, end in paragraph.sentences
    ]
    return found[::5] + ODD


def test_fold_all_is_fold(sentences: list[str]) -> None:
    assert fold_all(sentences) == [fold(text) for text in sentences]
    assert fold_all([]) == []


def test_encoded_terms_are_the_plain_terms(sentences: list[str]) -> None:
    folded = fold_all(sentences)
    assert decoded(encode_terms(folded)) == [plain_terms(text) for text in folded]
    assert [folded_terms(text) for text in folded[-len(ODD) :]] == [
        plain_terms(text) for text in folded[-len(ODD) :]
    ]


def test_merged_encodings_share_one_vocabulary(sentences: list[str]) -> None:
    folded = fold_all(sentences[:3000])
    parts = [encode_terms(folded[i : i + 700]) for i in range(0, len(folded), 700)]
    merged = merge_terms(parts)
    assert decoded(merged) == [terms for part in parts for terms in decoded(part)]
    assert len(set(merged.vocabulary)) == len(merged.vocabulary)
    assert set(np.unique(merged.ids).tolist()) == set(range(len(merged.vocabulary)))  # only used terms
    assert len(merge_terms([])) == 0 and len(encode_terms([])) == 0


def test_the_vocabulary_follows_the_texts_not_what_the_process_encoded_before() -> None:
    """A built index and one built again after other texts (a saved one, a worker's) get the
    same term ids: the words in the order of their first use."""
    texts = ["城市发展要绿色。", "街道干净，城市美丽。"]
    encode_terms(["美丽街道，绿色发展，干净城市。"])  # the same words first seen in another order
    words = [w for w in encode_terms(texts).vocabulary if len(w) > 1]
    seen = [
        w for text in texts for w in _cut(fold(text), for_search=True) if len(w) > 1 and is_content_word(w)
    ]
    assert words == list(dict.fromkeys(seen))
