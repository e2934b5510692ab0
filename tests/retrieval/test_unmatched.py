"""The partial-match note names only whole question words the quoted paragraph really lacks
(tests/retrieval/test_question.py shows a word that is really missing being named)."""

from __future__ import annotations


def test_segmentation_debris_is_never_named(seed_engine):
    answer = seed_engine.ask("廉政责任书由谁来签")
    assert answer.hits and "廉政责任书" in answer.hits[0].quote
    assert answer.unmatched == []
