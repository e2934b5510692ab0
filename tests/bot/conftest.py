"""Shared fixtures: the seed corpus copied to a temp folder, and engines built on it once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from seedpaths import SEED

from retrieval.search import SearchEngine


@pytest.fixture(scope="session", autouse=True)
def private_index_cache(tmp_path_factory):
    """Keep the index cache of these tests (and their subprocesses) out of ~/.cache."""
    previous = os.environ.get("SPEECHBOT_CACHE")
    os.environ["SPEECHBOT_CACHE"] = str(tmp_path_factory.mktemp("index-cache"))
    yield
    if previous is None:
        os.environ.pop("SPEECHBOT_CACHE", None)
    else:
        os.environ["SPEECHBOT_CACHE"] = previous


@pytest.fixture(scope="session")
def seed_engine(private_index_cache) -> SearchEngine:
    return SearchEngine.from_folder(SEED)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of corpus/seed."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED, target)
    return target
