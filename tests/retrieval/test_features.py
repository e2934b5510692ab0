"""Every feature of the scoring model decides an order: two real passages, the feature
computed by the engine, and the order of the two flips when the feature's weight is 0."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import numpy as np
import pytest

from retrieval.evaluate.tuning import record_candidates
from retrieval.search.engine import SearchEngine
from retrieval.search.features import (
    COLUMN,
    COVERAGE_FLOOR,
    FEATURES,
    Candidates,
    Query,
    Spans,
    Texts,
    character_pairs,
    containing,
)
from retrieval.search.question import (
    DEFINITION_MARKER_RE,
    MARKER_STARTS,
    defines,
    question_phrases,
    standing_together,
)
from retrieval.search.scoring import Weights, default_weights, score_parts, scores

FILLER = (
    "今天天气很好。我们一起去公园散步。城市的街道很干净。城市的夜景很美。学校里有很多学生。工厂生产汽车。"
)


def engine_over(root: Path, texts: dict[str, str]) -> SearchEngine:
    for stem, text in {"丙": FILLER, **texts}.items():  # a third text, so that idf means something
        (root / f"{stem}.txt").write_text(f"{stem}讲话\n同志们：\n{text}\n", encoding="utf-8")
    return SearchEngine.from_folder(root, use_cache=False)


def row_of(engine: SearchEngine, candidates: Candidates, doc_id: str, quote: str) -> int:
    for row, passage_id in enumerate(candidates.ids.tolist()):
        passage = engine.passages[passage_id]
        document = engine.documents[passage.doc]
        if document.doc_id == doc_id and document.text[passage.start : passage.end] == quote:
            return row
    raise AssertionError(f"no candidate {doc_id} 「{quote}」")


CASES = [
    pytest.param(  # the window with the words more often beats the one defining them
        "bm25",
        {"甲": "提升效能，就要说了算、说了干、马上干，兑现承诺，让群众满意。", "乙": "各部门全力提升效能。"},
        "提升效能要怎么做",
        ("乙", "各部门全力提升效能。"),
        ("甲", "提升效能，就要说了算、说了干、马上干，兑现承诺，让群众满意。"),
        {"bm25": 1.0, "definition": 0.2},
        id="bm25",
    ),
    pytest.param(  # both words in the window beat one word repeated
        "window",
        {"甲": "山水城市。", "乙": "山水山水，山水山水。", "丙": FILLER + "城市城市。城市城市城市。"},
        "山水城市",
        ("甲", "山水城市。"),
        ("乙", "山水山水，山水山水。"),
        {"bm25": 1.0, "window": 3.0},
        id="window",
    ),
    pytest.param(
        "proximity",
        {"甲": "我们要推动绿色发展。", "乙": "发展经济，发展产业，保护绿色，守护绿色。"},
        "绿色发展",
        ("甲", "我们要推动绿色发展。"),
        ("乙", "发展经济，发展产业，保护绿色，守护绿色。"),
        {"bm25": 1.0, "proximity": 1.0},
        id="proximity",
    ),
    pytest.param(
        "definition",
        {"甲": "提升效能，就要说了算、说了干、马上干，兑现承诺，让群众满意。", "乙": "各部门全力提升效能。"},
        "提升效能要怎么做",
        ("甲", "提升效能，就要说了算、说了干、马上干，兑现承诺，让群众满意。"),
        ("乙", "各部门全力提升效能。"),
        {"bm25": 1.0, "definition": 0.5},
        id="definition",
    ),
    pytest.param(
        "heading",
        {
            "甲": "一、山水工作\n要守护生态。\n二、其他工作\n要发展经济。",
            "乙": "一、城市工作\n要守护生态，守护生态。\n二、其他工作\n要发展经济，看好山水。",
        },
        "山水工作要守护生态",
        ("甲", "要守护生态。"),
        ("乙", "要守护生态，守护生态。"),
        {"bm25": 1.0, "heading": 0.5},
        id="heading",
    ),
    pytest.param(  # 什么「要求」: the passage that has the word asked for
        "focus",
        {"甲": "提升质量的要求是精心部署。", "乙": "提升质量，提升质量，精心部署。"},
        "提升质量有什么要求",
        ("甲", "提升质量的要求是精心部署。"),
        ("乙", "提升质量，提升质量，精心部署。"),
        {"bm25": 1.0, "focus": 0.5},
        id="focus",
    ),
    pytest.param(  # the document the question names, over a better match elsewhere
        "named",
        {"黄河": "这条大河很长。", "乙": "黄河是大河，黄河是大河。"},
        "黄河讲话里大河怎么样",
        ("黄河", "这条大河很长。"),
        ("乙", "黄河是大河，黄河是大河。"),
        {"bm25": 1.0, "named": 2.0},
        id="named",
    ),
    pytest.param(  # a short text about the question beats a long one that mentions it in passing
        "document",
        {"甲": "山水很美。", "乙": "山水很美，山水很美。\n" + "这是很长的一段话，和问题没有关系。" * 20},
        "山水很美",
        ("甲", "山水很美。"),
        ("乙", "山水很美，山水很美。"),
        {"bm25": 1.0, "document": 1.0},
        id="document",
    ),
    pytest.param(  # the sentence that opens a paragraph over a shorter one further on
        "opening",
        {"甲": "山水是这座城市的名片。" + "这是很长的一段话，和问题没有关系。" * 10 + "山水很美。"},
        "山水",
        ("甲", "山水是这座城市的名片。" + "这是很长的一段话，和问题没有关系。" * 8),
        ("甲", "山水很美。"),
        {"bm25": 1.0, "opening": 1.0},
        id="opening",
    ),
    pytest.param(  # the question's characters together (水城 as well as 山水, 城市)
        "pairs",
        {"甲": "山水城市。", "乙": "山水山水，山水山水。", "丙": FILLER + "城市城市。城市城市城市。"},
        "山水城市",
        ("甲", "山水城市。"),
        ("乙", "山水山水，山水山水。"),
        {"bm25": 1.0, "pairs": 3.0},
        id="pairs",
    ),
]


@pytest.mark.parametrize(("feature", "texts", "question", "first", "second", "weights"), CASES)
def test_the_order_of_two_passages_flips_without_the_feature(
    tmp_path: Path,
    feature: str,
    texts: dict[str, str],
    question: str,
    first: tuple[str, str],
    second: tuple[str, str],
    weights: dict[str, float],
) -> None:
    engine = engine_over(tmp_path, texts)
    candidates, _ = record_candidates(engine, question)
    assert candidates is not None
    a, b = row_of(engine, candidates, *first), row_of(engine, candidates, *second)
    assert candidates.values[a, COLUMN[feature]] > candidates.values[b, COLUMN[feature]]
    with_it = scores(candidates, Weights(weights, 0.0))
    without = scores(candidates, Weights({**weights, feature: 0.0}, 0.0))
    assert with_it[a] > with_it[b]
    assert without[b] > without[a]


def test_in_a_named_document_bm25_leaves_out_the_naming_words(tmp_path: Path) -> None:
    texts = {"黄河": "黄河很长，黄河很宽，黄河是一条大河。\n大河奔流，大河很宽。", "乙": "长江是大河。"}
    engine = engine_over(tmp_path, texts)
    candidates, _ = record_candidates(engine, "黄河讲话里大河怎么样")
    assert candidates is not None
    about_it = row_of(engine, candidates, "黄河", "大河奔流，大河很宽。")
    naming_it = row_of(engine, candidates, "黄河", "黄河很长，黄河很宽，黄河是一条大河。")
    assert candidates.column("named")[about_it] > 0
    assert candidates.column("bm25")[about_it] > candidates.column("bm25")[naming_it]
    # nor do the words naming it count in the window: both windows have 大河
    assert candidates.column("window")[about_it] == candidates.column("window")[naming_it]


def test_commitment_feature_flips_the_order_for_a_commitment_question(seed_engine: SearchEngine) -> None:
    candidates, _ = record_candidates(seed_engine, "常务会星期几开")
    assert candidates is not None
    column = candidates.column("commitment")
    plain = {"bm25": 1.0, "proximity": 1.0}
    without = scores(candidates, Weights(plain, 0.0))
    with_it = scores(candidates, Weights({**plain, "commitment": 0.3}, 0.0))
    pledges, others = np.flatnonzero(column > 0), np.flatnonzero(column == 0)
    flipped = [(a, b) for a in pledges for b in others if without[b] > without[a] and with_it[a] > with_it[b]]
    assert flipped  # a commitment passage overtakes one that scored higher without the feature


def test_every_feature_has_a_weight_and_score_parts_add_up(seed_engine: SearchEngine) -> None:
    weights = default_weights()
    assert set(weights.weights) == set(FEATURES)
    candidates, _ = record_candidates(seed_engine, "提升效能要怎么做")
    assert candidates is not None
    total = scores(candidates, weights)
    for row in range(min(5, len(candidates.ids))):
        parts = score_parts(candidates, row, weights)
        assert sum(v for k, v in parts.items() if k != "coverage") == pytest.approx(total[row], abs=1e-3)


def features_text_by_text(
    engine: SearchEngine, query: Query, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coverage and the text features read from each candidate's own text, one at a time."""
    idf, total = query.idf, query.total_idf or 1.0
    parts = engine.coverage_parts(query.words)
    phrases = question_phrases(query.folded, query.terms)
    values = np.zeros((len(ids), len(FEATURES)))
    coverage = np.zeros(len(ids))
    for row, passage_id in enumerate(ids.tolist()):
        passage = engine.passages[passage_id]
        folded = engine.folded[passage.doc]
        paragraph = folded[
            engine.places.paragraph_start[passage_id] : engine.places.paragraph_end[passage_id]
        ]
        named = query.naming_words if passage.doc in query.named else set()
        found = 0.0
        for word, (forms, pieces) in parts.items():
            if word in named or any(form in paragraph for form in forms):
                found += idf[word]
            elif pieces:
                found += 0.5 * idf[word] * sum(piece in paragraph for piece in pieces) / len(pieces)
        coverage[row] = found / total
        if coverage[row] < COVERAGE_FLOOR:
            continue
        text = folded[passage.start : passage.end]
        values[row, COLUMN["window"]] = sum(
            idf[w] for w, (forms, _) in parts.items() if w not in named and any(f in text for f in forms)
        )
        naming = set(engine.scoring_terms(list(named)))
        values[row, COLUMN["proximity"]] = sum(
            min(idf[a], idf[b])
            for phrase in phrases
            for a, b in itertools.pairwise([t for t in phrase if t not in naming])
            if standing_together(text, a, b)
        )
        pairs = character_pairs(query.folded, named)
        if pairs:
            values[row, COLUMN["pairs"]] = total * sum(pair in text for pair in pairs) / len(pairs)
        values[row, COLUMN["opening"]] = total * (
            not folded[engine.places.paragraph_start[passage_id] : passage.start].strip()
        )
        values[row, COLUMN["definition"]] = max(
            (sum(idf[t] for t in phrase) for phrase in phrases if defines(text, phrase)), default=0.0
        )
        titles = engine.places.heading_text(passage_id)
        values[row, COLUMN["heading"]] = sum(idf[t] for t in query.terms if t in titles)
        values[row, COLUMN["focus"]] = sum(idf[w] for w in query.focus if w in text and w not in query.words)
    return coverage, values


@pytest.mark.parametrize(
    "question",
    [
        "提升效能有什么要求",
        "三专指什么",
        "要主动接受哪些监督",
        "班子成员的廉政责任",
        "市长办公会议讲话的廉洁自律",
        "2019年政府工作报告提出的GDP增长目标",
        "怎样理解钉钉子精神",
        "浙江保租房",
    ],
)
def test_features_for_all_candidates_at_once_equal_those_read_text_by_text(
    seed_engine: SearchEngine, question: str
) -> None:
    _, ranked = seed_engine.traced(question)
    assert ranked is not None
    query, candidates = ranked
    coverage, values = features_text_by_text(seed_engine, query, candidates.ids)
    assert np.allclose(candidates.coverage, coverage, rtol=0, atol=1e-9)
    for name in ("window", "proximity", "definition", "heading", "focus", "pairs", "opening"):
        assert np.allclose(candidates.column(name), values[:, COLUMN[name]], rtol=0, atol=1e-9), name


def test_containing_finds_what_in_finds() -> None:
    rng = random.Random(3)
    for _ in range(300):
        texts = ["".join(rng.choices("甲乙丙丁", k=rng.randint(0, 8))) for _ in range(rng.randint(0, 6))]
        words = ["".join(rng.choices("甲乙丙丁", k=rng.randint(1, 3))) for _ in range(4)] + ["", "甲\x00乙"]
        expected = np.array([[word in text for word in words] for text in texts], dtype=bool)
        assert (containing(texts, words) == expected.reshape(len(texts), len(words))).all()


def test_spans_find_what_in_finds_in_their_own_text() -> None:
    rng = random.Random(5)
    for _ in range(300):
        texts = ["".join(rng.choices("甲乙丙 ", k=rng.randint(0, 10))) for _ in range(rng.randint(1, 5))]
        rows = np.array([rng.randrange(len(texts)) for _ in range(6)])
        bounds = [sorted(rng.randrange(len(texts[row]) + 1) for _ in range(2)) for row in rows.tolist()]
        start, end = np.array([a for a, _ in bounds]), np.array([z for _, z in bounds])
        spans = Spans(Texts(texts), rows, start, end)
        own = [texts[row][a:z] for row, (a, z) in zip(rows.tolist(), bounds, strict=True)]
        assert [spans.text(i) for i in range(len(spans))] == own
        for word in ["".join(rng.choices("甲乙丙", k=rng.randint(1, 3))) for _ in range(4)] + [
            "",
            "甲\x00乙",
        ]:
            assert spans.has(word).tolist() == [word in text for text in own], word
        for first, second in itertools.product(["甲", "甲乙", "甲甲", "乙甲乙"], ["乙", "甲", "丙乙"]):
            assert spans.together(first, second).tolist() == [
                standing_together(text, first, second) for text in own
            ], (first, second)
        marker = re.compile("乙|丙丙")
        for word in ("甲", "乙", "甲乙"):
            assert spans.followed(word, marker).tolist() == [
                any(
                    texts[row].startswith(word, p) and marker.match(texts[row], p + len(word))
                    for p in range(a, z - len(word) + 1)
                )
                for row, (a, z) in zip(rows.tolist(), bounds, strict=True)
            ], word
        assert spans.after_spaces().tolist() == [
            not texts[row][:a].strip() for row, (a, _) in zip(rows.tolist(), bounds, strict=True)
        ]
    # `find` steps over the second 甲甲 (it overlaps the first), and so does the feature
    text = "甲甲甲丙丙乙"
    spans = Spans(Texts([text]), np.array([0]), np.array([0]), np.array([len(text)]))
    assert spans.together("甲甲", "乙").tolist() == [standing_together(text, "甲甲", "乙")] == [False]


def test_definition_markers_are_tried_only_where_one_of_their_first_characters_follows() -> None:
    rng = random.Random(7)
    pieces = [
        "效能",
        "就是",
        "就要",
        "即",
        "是指",
        "指的是",
        "也就是",
        "是",
        "，",
        "：",
        "”",
        "。",
        "也",
        "乙",
        " ",
    ]
    for _ in range(300):
        texts = ["".join(rng.choices(pieces, k=rng.randint(0, 8))) for _ in range(rng.randint(1, 4))]
        rows = np.arange(len(texts))
        spans = Spans(
            Texts(texts), rows, np.zeros(len(texts), dtype=np.int64), np.array([len(t) for t in texts])
        )
        for word in ("效能", "乙", "也"):
            assert (
                spans.followed(word, DEFINITION_MARKER_RE, MARKER_STARTS).tolist()
                == spans.followed(word, DEFINITION_MARKER_RE).tolist()
            ), (texts, word)


def test_texts_with_characters_past_16_bits_are_searched_as_well() -> None:
    texts = ["甲𠮷乙", "𠮷甲", "乙甲𠮷"]
    whole = Texts(texts)
    spans = Spans(whole, np.array([0, 1, 2]), np.array([1, 0, 1]), np.array([3, 2, 3]))
    for word in ("𠮷", "甲𠮷", "𠮷乙", "乙", "甲"):
        assert whole.has(word).tolist() == [word in text for text in texts], word
        assert spans.has(word).tolist() == [word in t for t in ("𠮷乙", "𠮷甲", "甲𠮷")], word
    assert Texts(["甲乙"]).has("𠮷").tolist() == [False]
