"""Where the project and its seed corpus are, and the fixtures built on them that the handler
and hostile tests share (each conftest.py imports them). tests/bot has no __init__.py on
purpose: a tests/bot package would shadow the real `bot` package under pytest's prepend
import mode."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from retrieval.search import SearchEngine

PROJECT = Path(__file__).resolve().parents[2]
SEED = PROJECT / "corpus" / "seed"


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
def seed_engine() -> SearchEngine:  # after the autouse private_index_cache
    return SearchEngine.from_folder(SEED)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of corpus/seed."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED, target)
    return target
