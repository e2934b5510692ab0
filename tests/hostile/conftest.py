"""Fixtures for the hostile-input, fault and access tests (shared code: tests/support/loop_bot.py)."""

from __future__ import annotations

import shutil

import pytest

from tests.support.loop_bot import LoopBot
from tests.support.paths import SEED


@pytest.fixture(scope="module")
def loop_bot(seed_engine, tmp_path_factory):
    corpus = tmp_path_factory.mktemp("loopbot") / "corpus"
    shutil.copytree(SEED, corpus)
    bot = LoopBot(corpus, seed_engine)
    yield bot
    bot.close()
