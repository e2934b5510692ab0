"""The character pairs answer "is this text in the corpus?" as a scan of every document would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from retrieval.search.bigrams import CharacterPairs

TEXTS = ["三专即专题、专案、专业", "廉政责任书每年签一次", "abc\n第二行"]
ALPHABET = "三专即题案业廉政责任书每年签一次abc\n第二行x"


@given(st.text(alphabet=ALPHABET, min_size=0, max_size=5))
def test_may_contain_never_denies_a_text_that_is_there(text: str) -> None:
    pairs = CharacterPairs.of(TEXTS)
    there = any(text in t for t in TEXTS)
    if there:
        assert pairs.may_contain(text)
    if len(text) == 2:
        assert pairs.may_contain(text) == there  # a two-character text: exactly


def test_pairs_do_not_span_two_texts() -> None:
    pairs = CharacterPairs.of(["甲乙", "丙丁"])
    assert pairs.may_contain("甲乙") and pairs.may_contain("丙丁")
    assert not pairs.may_contain("乙丙")
    assert not CharacterPairs.of([]).may_contain("甲乙")


def test_engine_in_corpus_agrees_with_a_scan(seed_engine) -> None:
    for text in ["三专", "廉政责任书", "班子成员", "不存在的说法", "专指", "x", "政责"]:
        assert seed_engine.in_corpus(text) == any(text in folded for folded in seed_engine.folded), text
