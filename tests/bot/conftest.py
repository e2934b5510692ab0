"""Shared fixtures: the seed corpus copied to a temp folder, and engines built on it once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from retrieval.search import SearchEngine

PROJECT = Path(__file__).resolve().parents[2]
SEED = PROJECT / "corpus" / "seed"


@pytest.fixture(scope="session")
def seed_engine() -> SearchEngine:
    return SearchEngine.from_folder(SEED)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of corpus/seed."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED, target)
    return target
