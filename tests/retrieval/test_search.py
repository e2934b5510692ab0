"""Search on corpus/seed: right answers, exact quotes, refusals, JSON and references."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.search.engine import SearchEngine, best_first

QUESTION = "廉政责任书多久签一次"
OFF_TOPIC = [
    "NBA总决赛冠军是谁",
    "ＮＢＡ总决赛冠军是谁",
    "红烧肉怎么做",
    "量子计算机的工作原理",
    "世界杯足球赛在哪里举办",
]
QUESTIONS = [QUESTION, "三聚是什么", "如何带好队伍", "目标导向", "钉钉子精神", "新班子组建意味着什么"]
VARIANTS = [
    "廉政責任書多久簽一次",
    "廉政责任书多久签一次？",
    "廉政责任书多久签１次",
    "廉政責任書多久簽１次？",
]


def test_top_hit_for_lianzheng_question(seed_engine: SearchEngine) -> None:
    answer = seed_engine.ask(QUESTION)
    assert answer.found
    top = answer.hits[0]
    assert top.part == "section"
    assert top.section_number == 6
    assert "廉政责任书" in top.quote
    assert top.doc_id == "市长办公会议讲话"
    assert top.title == "在市长办公会议上的讲话"


@pytest.mark.parametrize("variant", VARIANTS)
def test_traditional_and_full_width_input_same_top_hit(seed_engine: SearchEngine, variant: str) -> None:
    expected = seed_engine.ask(QUESTION).hits[0]
    got = seed_engine.ask(variant).hits[0]
    assert (got.doc_id, got.start, got.end) == (expected.doc_id, expected.start, expected.end)


def test_full_width_letters_and_digits_are_folded(seed_engine: SearchEngine) -> None:
    half = seed_engine.ask("XX精神")
    full = seed_engine.ask("ＸＸ精神")
    assert half.found
    assert [(h.start, h.end) for h in full.hits] == [(h.start, h.end) for h in half.hits]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_refused(seed_engine: SearchEngine, question: str) -> None:
    answer = seed_engine.ask(question)
    assert not answer.found
    assert answer.hits == []


def test_empty_question(seed_engine: SearchEngine) -> None:
    answer = seed_engine.ask("？！")
    assert not answer.found
    assert answer.hits == []


@pytest.mark.parametrize("question", QUESTIONS)
def test_quotes_are_exact_short_and_do_not_overlap(seed_engine: SearchEngine, question: str) -> None:
    answer = seed_engine.ask(question, top=5)
    assert answer.found
    spans = []
    for hit in answer.hits:
        document = seed_engine.document(hit.doc_id)
        assert document.text[hit.start : hit.end] == hit.quote
        assert 0 < len(hit.quote) <= 200
        paragraph = document.paragraph(hit.paragraph)
        assert paragraph.start <= hit.start < hit.end <= paragraph.end
        spans.append((hit.doc_id, hit.start, hit.end))
    for i, (doc_a, start_a, end_a) in enumerate(spans):
        for doc_b, start_b, end_b in spans[i + 1 :]:
            assert doc_a != doc_b or end_a <= start_b or end_b <= start_a


def test_scores_descend(seed_engine: SearchEngine) -> None:
    hits = seed_engine.ask("提升质量有什么要求", top=5).hits
    assert len(hits) >= 2
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_offset_pages_return_different_hits(seed_engine: SearchEngine) -> None:
    first = seed_engine.ask("重点项目", top=2)
    second = seed_engine.ask("重点项目", top=2, offset=2)
    assert first.more
    assert first.hits and second.hits
    first_spans = {(h.start, h.end) for h in first.hits}
    assert first_spans.isdisjoint({(h.start, h.end) for h in second.hits})
    assert [h.start for h in seed_engine.ask("重点项目", top=4).hits] == [
        h.start for h in first.hits + second.hits
    ]


def test_answer_json_shape(seed_engine: SearchEngine) -> None:
    data = seed_engine.ask("如何带好队伍", top=5).to_json()
    assert data["query"] == "如何带好队伍"
    assert data["found"] is True
    assert data["hits"]
    for hit in data["hits"]:
        for key in (
            "doc_id",
            "title",
            "date",
            "part",
            "section_number",
            "section_title",
            "point",
            "paragraph",
            "quote",
            "score",
            "reference",
        ):
            assert key in hit
        assert hit["part"] in ("opening", "section", "closing")
        if hit["part"] == "section":
            assert isinstance(hit["section_number"], int)
            assert hit["section_title"]
        else:
            assert hit["section_number"] is None
        assert isinstance(hit["paragraph"], int) and hit["paragraph"] >= 1
        assert isinstance(hit["score"], float)
        assert hit["reference"].startswith("《在市长办公会议上的讲话》")


def test_json_of_opening_and_closing_hits(seed_engine: SearchEngine) -> None:
    opening = seed_engine.ask("新班子组建意味着什么").hits[0]
    assert (opening.part, opening.section_number, opening.section_title) == ("opening", None, None)
    assert opening.reference == "《在市长办公会议上的讲话》开场白"
    closing = seed_engine.ask("面临新的发展重任我们应该怎样").hits[0]
    assert (closing.part, closing.section_number) == ("closing", None)
    assert closing.reference == "《在市长办公会议上的讲话》结束语"


def test_reference_of_point_in_part_two(seed_engine: SearchEngine) -> None:
    hits = seed_engine.ask("三聚是什么", top=5).hits
    hit = next(h for h in hits if h.point == "三是坚持“三聚”")
    assert hit.section_number == 2
    assert hit.section_title == "立即行动，行动改变XX"
    assert hit.reference == "《在市长办公会议上的讲话》第二部分「立即行动，行动改变XX」 · 三是坚持“三聚”"
    assert hit.to_json()["point"] == "三是坚持“三聚”"


def test_passage_count_without_segmenting_matches_the_engine(seed_engine: SearchEngine) -> None:
    from retrieval.index.passages import passage_count

    assert sum(map(passage_count, seed_engine.documents)) == len(seed_engine.passages) > 100


def test_best_first_is_the_full_sort_by_score_then_id() -> None:
    rng = np.random.default_rng(0)
    for _ in range(2000):
        n = int(rng.integers(0, 30))
        score = rng.integers(0, 5, n) / 3.0  # many ties
        if rng.random() < 0.2:
            score[rng.random(n) < 0.3] = np.nan
        ids = rng.permutation(1000)[:n]
        rows = np.flatnonzero(rng.random(n) < 0.8)
        count = int(rng.integers(1, 10))
        full = rows[np.lexsort((ids[rows], -score[rows]))].tolist()
        first, every = best_first(score, ids, rows, count)
        assert first.tolist() == full[:count]
        assert list(every) == full
