"""What the hostile tests share besides fixtures: paths, the admin id, and a bot on its own
event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.config import Settings
from bot.service.holder import EngineHolder
from bot.telegram.application import build_application
from retrieval.search.engine import SearchEngine
from tests.support.fake_telegram import TOKEN, RecordingRequest

ADMIN = 42


class LoopBot:
    """An Application over the seed corpus on its own event loop, for synchronous
    (hypothesis) tests: `bot.run(coroutine)`."""

    def __init__(self, corpus: Path, engine: SearchEngine, **settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.request = RecordingRequest()
        # One user asks hundreds of generated questions: the per-user rate limit
        # (tests/security/test_question_limits.py) would refuse most of them.
        settings.setdefault("user_questions_per_minute", 1_000_000)
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
