"""Fixtures for the hostile-input, fault and access tests (shared code: hostile_env.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hostile_env import SEED, LoopBot  # first: it puts tests/ and tests/bot on sys.path

# isort: split
from fake_telegram import private_index_cache  # noqa: F401 (a fixture: conftest must hold it)

from retrieval.search import SearchEngine


@pytest.fixture(scope="session")
def seed_engine() -> SearchEngine:  # after the autouse private_index_cache
    return SearchEngine.from_folder(SEED)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(SEED, target)
    return target


@pytest.fixture(scope="module")
def loop_bot(seed_engine, tmp_path_factory):
    corpus = tmp_path_factory.mktemp("loopbot") / "corpus"
    shutil.copytree(SEED, corpus)
    bot = LoopBot(corpus, seed_engine)
    yield bot
    bot.close()


@pytest.fixture(scope="session")
def services():
    """redis + moto S3 + telemelya on 127.0.0.1 (skipped without redis-server, failed under CI)."""
    from e2e.harness import Services, ServicesUnavailable

    workdir = Path(tempfile.mkdtemp(prefix="speechbot-hostile-"))
    try:
        started = Services.start(workdir)
    except ServicesUnavailable as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"e2e services unavailable under CI: {exc}", pytrace=False)
        pytest.skip(f"e2e services unavailable: {exc}")
    try:
        yield started
    finally:
        started.stop()
        shutil.rmtree(workdir, ignore_errors=True)
