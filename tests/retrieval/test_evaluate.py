"""The development question set on corpus/seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.evaluate.questions import evaluate, evaluate_set
from retrieval.search.engine import SearchEngine
from tests.support.paths import PROJECT


@pytest.fixture(scope="module")
def seed_dev(eval_dir: Path) -> Path:
    path = eval_dir / "seed_dev.yaml"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_seed_dev_questions(seed_engine: SearchEngine, seed_dev: Path) -> None:
    result = evaluate_set(seed_engine, seed_dev)
    assert result.questions == 14
    assert result.right >= 13, result.failures
    assert result.negatives >= 3
    assert result.refused == result.negatives, result.failures
    assert 0 < result.median_quote <= 200
    assert "seed_dev" in result.summary()


def test_evaluate_counts_failures(seed_engine: SearchEngine, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "questions:\n"
        "  - {q: 廉政责任书多久签一次, section: 6, quote: [廉政责任书]}\n"
        "  - {q: 廉政责任书多久签一次, section: 1, quote: [廉政责任书]}\n"
        "  - {q: 廉政责任书多久签一次, section: 6, quote: [红烧肉]}\n"
        "negatives: [廉政责任书多久签一次, 红烧肉怎么做]\n",
        encoding="utf-8",
    )
    (result,) = evaluate(seed_engine, [path])
    assert (result.questions, result.right) == (3, 1)
    assert (result.negatives, result.refused) == (2, 1)
    assert len(result.failures) == 3


@pytest.fixture(scope="module")
def shipped_engine() -> SearchEngine:
    return SearchEngine.from_folder(PROJECT / "corpus", use_cache=False)


def test_sample_speech_alone_meets_the_bar(seed_engine: SearchEngine) -> None:
    """Held-out questions (never used for tuning) on the sample speech: ≥95% right, off-topic refused."""
    for result in evaluate(
        seed_engine, [PROJECT / "eval" / "heldout_seed.yaml", PROJECT / "eval" / "offtopic.yaml"]
    ):
        assert result.right >= 0.95 * result.questions, result.failures
        assert result.refused == result.negatives, result.failures


def test_shipped_corpus_meets_the_bar(shipped_engine: SearchEngine, eval_dir: Path) -> None:
    """With all 86 documents: ≥90% of every question set right, quotes short."""
    sets = [eval_dir / "seed_dev.yaml", eval_dir / "gov_dev.yaml"]
    sets = [path for path in sets if path.is_file()] + sorted((PROJECT / "eval").glob("heldout_*.yaml"))
    for result in evaluate(shipped_engine, sets):
        assert result.right >= 0.9 * result.questions, (result.name, result.failures)
        assert result.median_quote <= 200
