"""Fixtures for the hostile-input, fault and access tests (shared code: hostile_env.py)."""

from __future__ import annotations

import shutil

import pytest
from hostile_env import SEED, LoopBot  # first: it puts tests/ and tests/bot on sys.path

# isort: split
from e2e.conftest import e2e_services  # noqa: F401 (a fixture: conftest must hold it)
from seedpaths import corpus_dir, private_index_cache, seed_engine  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def loop_bot(seed_engine, tmp_path_factory):  # noqa: F811 (the imported fixture)
    corpus = tmp_path_factory.mktemp("loopbot") / "corpus"
    shutil.copytree(SEED, corpus)
    bot = LoopBot(corpus, seed_engine)
    yield bot
    bot.close()
