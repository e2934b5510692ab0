"""What the hostile tests share besides fixtures: paths, the admin id, and a bot on its own
event loop. (Tests import this module, never `conftest`: with several conftest.py files in
folders that are not packages, the name `conftest` is ambiguous.)

The test folders are not packages, so the folders of the handler tests' offline Bot API
(tests/bot/fake_telegram.py) and of the end-to-end harness (tests/e2e/harness.py) are put on
sys.path here, after the project's own packages are imported: with tests/ on sys.path first,
tests/bot and tests/retrieval would be taken for namespace packages named bot and retrieval.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.app import build_application
from bot.config import Settings
from bot.holder import EngineHolder
from retrieval.search import SearchEngine

TESTS = Path(__file__).resolve().parents[1]
for folder in (TESTS / "bot", TESTS):
    if str(folder) not in sys.path:
        sys.path.append(str(folder))

from fake_telegram import TOKEN, RecordingRequest  # noqa: E402

PROJECT = TESTS.parent
SEED = PROJECT / "corpus" / "seed"
ADMIN = 42


class LoopBot:
    """An Application over the seed corpus on its own event loop, for synchronous
    (hypothesis) tests: `bot.run(coroutine)`."""

    def __init__(self, corpus: Path, engine: SearchEngine, **settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.request = RecordingRequest()
        self.settings = Settings(corpus=corpus, admins=[ADMIN], **settings)
        self.app = build_application(
            self.settings, EngineHolder(corpus, engine), TOKEN, self.request, RecordingRequest(), False
        )
        self.run(self.app.initialize())

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self.run(self.app.shutdown())
        self.loop.close()
