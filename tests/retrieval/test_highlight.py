"""Bolding question words inside exact quotes."""

from __future__ import annotations

import html

from retrieval.render.highlight import mark, matched_spans
from retrieval.search.engine import SearchEngine

QUOTE = "每年都要与分管部门“一把手”签订《廉政责任书》，敲响警钟。"


def test_matched_spans_simplified() -> None:
    spans = matched_spans(QUOTE, ["廉政责任书", "签订"])
    assert [QUOTE[s:e] for s, e in spans] == ["签订", "廉政责任书"]


def test_traditional_words_match_simplified_text() -> None:
    assert mark(QUOTE, ["廉政責任書", "簽訂"], "<b>", "</b>") == (
        "每年都要与分管部门“一把手”<b>签订</b>《<b>廉政责任书</b>》，敲响警钟。"
    )


def test_single_characters_and_missing_words_not_marked() -> None:
    assert matched_spans(QUOTE, ["年", "要", "足球"]) == []
    assert mark(QUOTE, [], "【", "】") == QUOTE


def test_longer_word_wins_and_spans_do_not_overlap() -> None:
    spans = matched_spans(QUOTE, ["责任", "廉政责任书", "责任书"])
    assert [QUOTE[s:e] for s, e in spans] == ["廉政责任书"]


def test_repeated_word_marked_everywhere() -> None:
    text = "聚焦，聚神，聚力。聚焦就是抓重点。"
    assert mark(text, ["聚焦"], "【", "】") == "【聚焦】，聚神，聚力。【聚焦】就是抓重点。"


def test_full_width_and_escape() -> None:
    text = "A<B 提升ＸＸ水平"
    assert mark(text, ["xx水平"], "<b>", "</b>", html.escape) == "A&lt;B 提升<b>ＸＸ水平</b>"


def test_traditional_question_terms_bold_simplified_quote(seed_engine: SearchEngine) -> None:
    answer = seed_engine.ask("廉政責任書多久簽一次")
    quote = answer.hits[0].quote
    marked = mark(quote, answer.terms, "【", "】")
    assert "【廉政责任书】" in marked
    assert marked.replace("【", "").replace("】", "") == quote


def test_traditional_text_matches_simplified_words() -> None:
    text = "每年都要簽訂《廉政責任書》。"
    assert mark(text, ["廉政责任书", "签订"], "【", "】") == "每年都要【簽訂】《【廉政責任書】》。"
