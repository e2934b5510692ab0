"""Fixtures shared by every test folder: the seed corpus (read-only and as a writable copy), an
engine built on it once, an index cache of the session's own, and the end-to-end services."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from retrieval.search.engine import SearchEngine
from tests.support.paths import SEED, SHARED_EVAL


@pytest.fixture(scope="session", autouse=True)
def private_index_cache(tmp_path_factory):
    """Keep the index cache of the tests (and their subprocesses) out of ~/.cache, and the
    key that signs it out of ~/.config."""
    names = ("SPEECHBOT_CACHE", "SPEECHBOT_INDEX_KEY_FILE")
    previous = {name: os.environ.get(name) for name in names}
    os.environ["SPEECHBOT_CACHE"] = str(tmp_path_factory.mktemp("index-cache"))
    os.environ["SPEECHBOT_INDEX_KEY_FILE"] = str(tmp_path_factory.mktemp("index-key") / "index.key")
    yield
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_file(seed_dir: Path) -> Path:
    return seed_dir / "市长办公会议讲话.txt"


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    return SHARED_EVAL


@pytest.fixture(scope="session")
def seed_engine() -> SearchEngine:  # after the autouse private_index_cache
    return SearchEngine.from_folder(SEED)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of corpus/seed."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED, target)
    return target


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def e2e_services():
    """redis-server + moto S3 + telemelya on 127.0.0.1 free ports (see tests/e2e/harness.py).
    Skips when one is missing, but fails when the environment variable CI is set."""
    from tests.e2e.harness import Services, ServicesUnavailable

    workdir = Path(tempfile.mkdtemp(prefix="speechbot-e2e-"))
    try:
        services = Services.start(workdir)
    except ServicesUnavailable as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        if _in_ci():
            pytest.fail(f"e2e services unavailable under CI: {exc}", pytrace=False)
        pytest.skip(f"e2e services unavailable: {exc}")
    try:
        yield services
    finally:
        services.stop()
        if os.environ.get("E2E_KEEP_LOGS"):
            print(f"\ne2e logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
