"""Fitting: a deterministic split, the top answer for any weights, coordinate ascent and the threshold."""

from __future__ import annotations

import numpy as np

from retrieval.evaluate.tuning import (
    MAX_REFUSED,
    START,
    Recorded,
    Table,
    figures,
    fit,
    fit_threshold,
    held_out,
)
from retrieval.search.features import FEATURES, Candidates


def question(
    values: list[dict[str, float]],
    coverage: list[float],
    right: list[bool],
    negative: bool = False,
    set_name: str = "set",
):
    matrix = np.array([[row.get(name, 0.0) for name in FEATURES] for row in values])
    candidates = Candidates(np.arange(len(values)), matrix, np.array(coverage))
    recorded = Recorded(set_name, False, negative, candidates)
    recorded.right_document = np.array(right)
    recorded.right_quote = np.array(right)
    return recorded


def test_the_split_is_deterministic_and_holds_out_about_a_quarter() -> None:
    keys = [f"set/{i}" for i in range(2000)]
    assert [held_out(k) for k in keys] == [held_out(k) for k in keys]
    assert 0.2 < np.mean([held_out(k) for k in keys]) < 0.3


def test_the_top_answer_is_the_best_score_above_the_threshold() -> None:
    table = Table([question([{"bm25": 2.0}, {"bm25": 1.0}], [0.6, 1.0], [False, True])])
    weights = START.vector()  # scores: 0.6 × 2 = 1.2 and 1.0 × 1 = 1.0
    assert table.tops(weights, 0.5).tolist() == [0]
    assert table.tops(weights, 0.7).tolist() == [1]
    assert table.tops(weights, 1.01).tolist() == [-1]


def test_fitting_finds_the_feature_that_tells_right_from_wrong() -> None:
    # In every question the right passage has less BM25 but the window feature; off-topic ones cover little.
    questions = [
        question([{"bm25": 2.0}, {"bm25": 1.5, "window": 1.0}], [1.0, 1.0], [False, True]) for _ in range(5)
    ] + [question([{"bm25": 3.0}], [0.3], [False], negative=True)]
    table = Table(questions)
    assert figures(table, START.vector(), START.min_coverage)[("set", "training")].right_quote == 0
    weights, threshold = fit(table, START)
    assert weights[FEATURES.index("window")] > 0.5
    result = figures(table, weights, threshold)[("set", "training")]
    assert (result.right_quote, result.questions, result.refused, result.negatives) == (5, 5, 1, 1)
    assert 0.3 < threshold <= 1.0


def test_the_threshold_refuses_off_topic_questions_only_within_the_refusal_budget() -> None:
    # 600 answerable questions, one of them weakly covered (0.4); an off-topic question covers 0.5.
    answerable = [question([{"bm25": 1.0}], [0.9], [True]) for _ in range(599)]
    weak = question([{"bm25": 1.0}], [0.4], [True])
    off_topic = question([{"bm25": 1.0}], [0.5], [False], negative=True)
    table = Table([*answerable, weak, off_topic])
    # Refusing the off-topic question would refuse 1 of 600 answerable ones (0.17% ≤ MAX_REFUSED): allowed.
    assert MAX_REFUSED >= 1 / 600
    assert 0.5 < fit_threshold(table, START.vector()) <= 0.8
    # With 300 answerable questions the same would refuse 0.33% of them: the threshold stays under 0.4.
    table = Table([*answerable[:299], weak, off_topic])
    assert fit_threshold(table, START.vector()) <= 0.4


def test_the_refusal_budget_holds_for_every_set_not_only_for_all_together() -> None:
    # 1 weak question of 10 in a small set: 1 of 600 together (0.17%), but 10% of its own set.
    big = [question([{"bm25": 1.0}], [0.9], [True], set_name="big") for _ in range(590)]
    small = [question([{"bm25": 1.0}], [0.9], [True], set_name="small") for _ in range(9)]
    weak = question([{"bm25": 1.0}], [0.4], [True], set_name="small")
    off_topic = question([{"bm25": 1.0}], [0.5], [False], negative=True)
    assert fit_threshold(Table([*big, *small, weak, off_topic]), START.vector()) <= 0.4
