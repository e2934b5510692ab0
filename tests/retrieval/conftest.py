"""Shared fixtures for the retrieval tests.

No __init__.py here on purpose: with pytest's default (prepend) import mode a package
tests/retrieval would be imported as `retrieval` and shadow the real package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.search import SearchEngine

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    return PROJECT / "corpus" / "seed"


@pytest.fixture(scope="session")
def seed_file(seed_dir: Path) -> Path:
    return seed_dir / "市长办公会议讲话.txt"


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    return PROJECT.parent / "shared" / "eval"


@pytest.fixture(scope="module")
def seed_engine(seed_dir: Path) -> SearchEngine:
    return SearchEngine.from_folder(seed_dir, use_cache=False)
