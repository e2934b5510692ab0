"""A saved-and-loaded engine answers exactly as the freshly built one: every question of the
evaluation sets, on the whole corpus, with the same JSON, and the same commitments listed."""

from __future__ import annotations

import random

import pytest
import yaml

from retrieval.corpus.loading import load_corpus
from retrieval.index import saved
from retrieval.render.json_lines import answer_json
from retrieval.search import stored
from retrieval.search.engine import SearchEngine
from tests.support.paths import PROJECT, SHARED_EVAL

CORPUS = PROJECT / "corpus"
SETS = sorted(SHARED_EVAL.glob("*.yaml")) + sorted((PROJECT / "eval").glob("*.yaml"))


def questions() -> list[str]:
    asked: list[str] = []
    for path in SETS:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        asked += [item["q"] for item in data.get("questions", [])]
        asked += list(data.get("negatives", []))
    return asked


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[SearchEngine, SearchEngine]:
    cache_dir = tmp_path_factory.mktemp("saved-engine") / "cache"
    fresh = SearchEngine(load_corpus(CORPUS))
    SearchEngine.from_folder(CORPUS, cache_dir=cache_dir)  # builds and saves
    loaded = SearchEngine.from_folder(CORPUS, cache_dir=cache_dir)
    assert isinstance(loaded.documents, saved.Blob)  # really the saved index
    return fresh, loaded


def test_the_sets_have_questions() -> None:
    assert len(SETS) >= 6 and len(questions()) > 100


def test_a_loaded_engine_answers_every_evaluation_question_as_the_built_one(
    engines: tuple[SearchEngine, SearchEngine],
) -> None:
    fresh, loaded = engines
    for question in questions():
        for top, offset in ((3, 0), (3, 3)):
            expected, got = fresh.ask(question, top, offset), loaded.ask(question, top, offset)
            assert answer_json(got) == answer_json(expected), question
            assert got == expected, question  # every field, score parts and full scores included


def test_a_loaded_engine_lists_the_same_commitments(engines: tuple[SearchEngine, SearchEngine]) -> None:
    fresh, loaded = engines
    assert len(fresh.commitments) > 0
    assert loaded.commitments.by_document == fresh.commitments.by_document
    assert loaded.commitments.others == fresh.commitments.others
    assert {k: sorted(v) for k, v in loaded.commitments.spans.items()} == {
        k: sorted(v) for k, v in fresh.commitments.spans.items()
    }


def test_a_loaded_engine_has_the_same_state(engines: tuple[SearchEngine, SearchEngine]) -> None:
    fresh, loaded = engines
    assert list(loaded.documents) == list(fresh.documents)
    assert list(loaded.folded) == list(fresh.folded)
    assert loaded.by_id == fresh.by_id
    for name in ("by_term", "by_year", "title_terms", "by_kind", "from_metadata"):
        assert getattr(loaded.names, name) == getattr(fresh.names, name), name
    for built, opened in ((fresh.index, loaded.index), (fresh.document_index, loaded.document_index)):
        assert opened.vocabulary == built.vocabulary
        assert (opened.matrix != built.matrix).nnz == 0
        assert (opened.idf == built.idf).all() and opened.avgdl == built.avgdl
        assert opened.n_passages == built.n_passages
    assert loaded.substrings.text == fresh.substrings.text
    assert (loaded.substrings.suffixes[:] == fresh.substrings.suffixes[:]).all()
    assert (loaded.substrings.sample == fresh.substrings.sample).all()
    for text in ("廉政责任书", "不在语料中的一句话", "", "\x00"):
        assert loaded.in_corpus(text) == fresh.in_corpus(text)


def test_a_loaded_engine_reads_its_texts_and_suffixes_from_the_files(
    engines: tuple[SearchEngine, SearchEngine],
) -> None:
    fresh, loaded = engines
    assert isinstance(loaded.substrings.suffixes, saved.FileArray)
    assert isinstance(loaded.documents, saved.Blob) and isinstance(loaded.documents.data, saved.FileArray)
    rng = random.Random(3)
    texts = list(fresh.folded)
    for _ in range(3000):  # every block of the suffix array, and the samples between them
        text = rng.choice(texts)
        start = rng.randrange(len(text))
        needle = text[start : start + rng.randint(1, 8)]
        if rng.random() < 0.3:
            needle = needle[:-1] + rng.choice("的了是啊xq1")
        expected = any(needle in t for t in texts)
        assert loaded.in_corpus(needle) == fresh.in_corpus(needle) == expected, needle
    for doc, text in enumerate(texts):
        assert loaded.folded[doc] == text
        begin, end = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        assert loaded.folded.span(doc, begin, end) == text[begin:end]


def test_every_commitment_field_round_trips_through_json(engines: tuple[SearchEngine, SearchEngine]) -> None:
    fresh, _ = engines
    statements = [c for each in fresh.commitments.by_document + fresh.commitments.others for c in each]
    assert any(c.programmes for c in statements) and any(c.horizon for c in statements)
    for commitment in statements:
        assert stored.commitment_from_json(stored.commitment_to_json(commitment)) == commitment


def test_every_paragraph_and_document_round_trips_through_json(
    engines: tuple[SearchEngine, SearchEngine],
) -> None:
    fresh, _ = engines
    paragraphs = [p for d in fresh.documents for p in d.paragraphs]
    assert any(p.appendix for p in paragraphs)
    for paragraph in paragraphs:
        again = stored.paragraph_from_json(stored.paragraph_to_json(paragraph))
        assert again == paragraph and type(again.kind) is type(paragraph.kind)
