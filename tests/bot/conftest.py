"""Shared fixtures: the seed corpus copied to a temp folder, and engines built on it once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fake_telegram import private_index_cache  # noqa: F401 (a fixture: conftest must hold it)
from seedpaths import SEED

from retrieval.search import SearchEngine


@pytest.fixture(scope="session")
def seed_engine() -> SearchEngine:  # after the autouse private_index_cache
    return SearchEngine.from_folder(SEED)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of corpus/seed."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED, target)
    return target
