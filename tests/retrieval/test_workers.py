"""Building on every core gives the same engine as building in one process, and survives a
worker that dies."""

from __future__ import annotations

import multiprocessing
import os
import time

import numpy as np
import pytest

from retrieval.corpus.document import Document
from retrieval.corpus.loading import Corpus, load_corpus
from retrieval.index import workers
from retrieval.search.engine import SearchEngine
from tests.support.paths import PROJECT


@pytest.fixture(scope="module")
def some_reports() -> Corpus:
    corpus = load_corpus(PROJECT / "corpus" / "gov-reports")
    return Corpus(corpus.root, corpus.documents[:6])


@pytest.fixture()
def two_cores(monkeypatch) -> None:
    monkeypatch.setattr(workers, "PARALLEL_PASSAGES", 0)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)


def columns(engine: SearchEngine) -> dict[str, tuple[list[int], list[float]]]:
    matrix = engine.index.matrix
    return {
        term: (
            matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]].tolist(),
            matrix.data[matrix.indptr[i] : matrix.indptr[i + 1]].tolist(),
        )
        for term, i in engine.index.vocabulary.items()
    }


@pytest.fixture(scope="module")
def serial_engine(some_reports: Corpus) -> SearchEngine:
    return SearchEngine(some_reports)


def test_parallel_build_is_the_serial_build(
    some_reports: Corpus, serial_engine: SearchEngine, two_cores: None
) -> None:
    serial, parallel = serial_engine, SearchEngine(some_reports)
    assert columns(parallel) == columns(serial)
    for name in ("doc", "paragraph", "start", "end"):
        assert np.array_equal(getattr(parallel.passages, name), getattr(serial.passages, name))
    assert parallel.commitments == serial.commitments


def doc_id_unless_in_a_worker(document: Document) -> str:
    if multiprocessing.parent_process() is not None:
        os._exit(1)  # the worker dies, as one killed for lack of memory would
    time.sleep(0.3)  # slow enough here that the worker starts and takes a chunk
    return document.doc_id


def test_work_of_a_dead_worker_is_done_here(some_reports: Corpus, two_cores: None) -> None:
    documents = some_reports.documents
    assert workers.map_documents(doc_id_unless_in_a_worker, documents) == [d.doc_id for d in documents]
