"""The question-level refusal model: its features as the engine computes them, each feature
deciding an outcome (two real questions, one answered and one refused, both answered when the
feature's weight is 0), and the fitting (logistic regression, the per-set refusal budget)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.evaluate import refusal_fit
from retrieval.evaluate.refusal_fit import Asked, fit_logistic, fit_threshold, sampled
from retrieval.index.substrings import FoldedTexts
from retrieval.search import refusal
from retrieval.search.engine import SearchEngine
from retrieval.search.features import COLUMN, FEATURES, Candidates
from retrieval.search.refusal import (
    REFUSAL_FEATURES,
    RefusalModel,
    best,
    best_first,
    default_refusal,
    question_features,
    read_refusal,
)

FILLER = "今天天气很好。我们一起去公园散步。学校里有很多学生。工厂生产汽车。"
TEXTS = {
    "甲": "我们要建设美丽城市。",
    "乙": "城市的街道很干净，汽车很少。",
    "丙": FILLER,
    "丁": "从码头到海边有二十公里。",
    "戊": "铁路连着铁路，铁路旁边还是铁路。",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    root = tmp_path_factory.mktemp("refusal")
    for stem, text in TEXTS.items():
        (root / f"{stem}.txt").write_text(f"{stem}讲话\n同志们：\n{text}\n", encoding="utf-8")
    return SearchEngine.from_folder(root, use_cache=False)


def features(engine: SearchEngine, question: str) -> dict[str, float]:
    ranked, values = refusal_fit.features_of(engine, question, 0.0)
    assert ranked and values is not None
    return dict(zip(REFUSAL_FEATURES, values.tolist(), strict=True))


def test_the_features_are_shares_of_the_question_idf_mass(engine: SearchEngine) -> None:
    whole = features(engine, "美丽城市")
    first = engine.folded.item(engine.by_id["甲"])  # writes 美丽城市 (乙 城市 only): 2 times
    density = np.log(3 / (1 + len(first) / 1000))
    assert whole == pytest.approx(
        {"coverage": 1.0, "absent": 0.0, "single": 0.0, "untyped": 0.0, "density": density}
    )
    idf = engine.index.term_idf
    dogs = features(engine, "美丽城市狗狗")  # 狗狗: nowhere in the corpus
    absent = idf("狗狗") / (idf("美丽") + idf("城市") + idf("狗狗"))
    assert dogs["absent"] == pytest.approx(absent)
    assert dogs["coverage"] == pytest.approx(1 - absent)
    assert dogs["density"] == pytest.approx(density)  # 美丽, 城市 as before
    guessed = features(engine, "美丽城市阶都")  # 阶都: no word, a guess of the segmenter's
    assert guessed["absent"] == 0.0 and guessed["coverage"] < 1.0
    car = features(engine, "美丽城市的车")  # 车: one character, written in 汽车
    assert car["single"] == pytest.approx(idf("车") / (idf("美丽") + idf("城市") + idf("车")))
    assert car["absent"] == 0.0


# For each feature, two questions whose values of it differ, the fitted weight's sign saying
# which of them is the less answerable.
CASES = [
    pytest.param("coverage", "美丽城市", "美丽城市学生", id="coverage"),
    pytest.param("absent", "美丽城市汽车", "美丽城市狗狗", id="absent"),
    pytest.param("single", "美丽城市汽车", "美丽城市的车", id="single"),
    # 多远 asks for a distance: 丁 writes one (二十公里), 甲 none
    pytest.param("untyped", "码头到海边有多远", "美丽城市有多远", id="untyped"),
    # 戊 writes 铁路 four times, 丙 学生 once
    pytest.param("density", "铁路", "学生", id="density"),
]


@pytest.mark.parametrize(("feature", "answered", "refused"), CASES)
def test_each_feature_decides_an_outcome(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch, feature: str, answered: str, refused: str
) -> None:
    weight = default_refusal().weights[feature]  # the shipped weight: its sign is what was learnt
    low, high = features(engine, answered)[feature], features(engine, refused)[feature]
    assert (high - low) * weight < 0, "the feature should count against the question refused"
    middle = (low + high) / 2
    model = RefusalModel({feature: weight}, bias=-weight * middle, threshold=0.5)
    monkeypatch.setattr(refusal, "default_refusal", lambda: model)
    assert engine.ask(answered).found
    assert not engine.ask(refused).found
    without = RefusalModel({feature: 0.0}, bias=0.0, threshold=0.5)
    monkeypatch.setattr(refusal, "default_refusal", lambda: without)
    assert engine.ask(refused).found  # without the feature, nothing refuses it


def test_the_shipped_model_names_its_features_and_fit() -> None:
    model = read_refusal(refusal.REFUSAL_FILE)
    assert set(model.weights) == set(REFUSAL_FEATURES)
    assert model.fitted and model.data and 0.0 < model.threshold < 1.0
    assert model.weights["coverage"] > 0  # more of the question found: more answerable


def test_logistic_regression_finds_the_direction_that_separates() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(400, 2))
    y = (x[:, 0] - 0.5 > 0).astype(float)
    weights, bias = fit_logistic(x, y, np.ones(len(y)))
    assert weights[0] > 5 and abs(weights[1]) < 0.5 * weights[0]
    assert abs(bias / weights[0] + 0.5) < 0.1  # the boundary at x₀ = 0.5


def asked(name: str, coverage: float, answerable: bool = True) -> Asked:
    return Asked(name, False, answerable, np.array([coverage, 0.0, 0.0, 0.0, 0.0]))


def test_the_threshold_keeps_every_set_within_its_refusal_budget() -> None:
    model = RefusalModel({"coverage": 10.0}, bias=-5.0, threshold=0.5)
    # 2,000 questions of one set (0.1% of them: 2 may be refused), 10 of another (none may be).
    big = [asked("big", 0.9) for _ in range(1997)] + [asked("big", c) for c in (0.3, 0.35, 0.4)]
    small = [asked("small", 0.9) for _ in range(9)] + [asked("small", 0.45)]
    p = lambda c: float(model.probability(np.array([c, 0.0, 0.0, 0.0, 0.0])))  # noqa: E731
    assert fit_threshold(model, big) == pytest.approx(p(0.4))  # 0.3 and 0.35 refused, 0.4 not
    assert fit_threshold(model, big + small) == pytest.approx(p(0.4))
    assert fit_threshold(model, [*big, *small[:-1], asked("small", 0.38)]) == pytest.approx(p(0.38))


def test_a_quarter_of_the_public_questions_are_asked_where_their_article_is_not() -> None:
    keys = [f"set/{i}" for i in range(4000)]
    assert [sampled(k) for k in keys] == [sampled(k) for k in keys]
    assert 0.2 < np.mean([sampled(k) for k in keys]) < 0.3


def test_the_model_file_round_trips(tmp_path: Path) -> None:
    model = RefusalModel(
        {"coverage": 1.5, "absent": -2.0, "single": -3.0, "untyped": -4.0, "density": 0.5},
        -1.0,
        0.02,
        "2026-01-01",
        ["x"],
        "p",
    )
    refusal_fit.write_refusal(model, tmp_path / "refusal.yaml")
    assert read_refusal(tmp_path / "refusal.yaml") == model


def test_a_question_answered_at_the_least_density_is_answered_without_counting(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []
    count = FoldedTexts.occurrences
    monkeypatch.setattr(
        FoldedTexts, "occurrences", lambda self, text, word: counted.append(word) or count(self, text, word)
    )
    assert engine.ask("美丽城市").found and counted == []  # coverage 1: answered however rare its words
    _, ranked = engine.traced("美丽城市")
    assert ranked is not None
    query, candidates = ranked
    least = question_features(engine, query, candidates, least_density=True)
    assert counted == [] and least[-1] < question_features(engine, query, candidates)[-1]
    assert counted == ["美丽", "城市"]


def test_best_is_the_first_of_best_first() -> None:
    rng = np.random.default_rng(0)
    for _ in range(500):
        n = int(rng.integers(1, 20))
        values = np.zeros((n, len(FEATURES)))
        values[:, COLUMN["bm25"]] = rng.integers(0, 3, n)  # ties in coverage and in BM25
        candidates = Candidates(rng.permutation(100)[:n], values, rng.integers(0, 3, n) / 2)
        assert best(candidates) == best_first(candidates)[0]
