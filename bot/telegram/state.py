"""Everything the handlers share, kept in application.bot_data["state"]."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.service.answering import Asker
from bot.service.holder import EngineHolder, Stats
from bot.service.replicas import Replicas
from bot.telegram.callbacks import QuestionStore


@dataclass
class BotState:
    settings: Settings
    holder: EngineHolder
    stats: Stats = field(default_factory=Stats)
    questions: QuestionStore = field(default_factory=QuestionStore)
    replicas: Replicas | None = None  # set when settings.redis_url is: reloads and /stats span replicas
    asker: Asker = field(init=False)

    def __post_init__(self) -> None:
        self.asker = Asker(self.holder, self.stats, self.settings.top, self.settings.max_question_chars)


def get_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data["state"]
