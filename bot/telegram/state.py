"""Everything the handlers share, kept in application.bot_data["state"]."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.service.answering import Asker
from bot.service.conversation import Dialogue, MemoryContextStore
from bot.service.holder import EngineHolder, Stats
from bot.telegram.callbacks import QuestionStore


@dataclass
class BotState:
    settings: Settings
    holder: EngineHolder
    stats: Stats = field(default_factory=Stats)
    questions: QuestionStore = field(default_factory=QuestionStore)
    asker: Asker = field(init=False)
    dialogue: Dialogue = field(init=False)

    def __post_init__(self) -> None:
        self.asker = Asker(self.holder, self.stats, self.settings.top, self.settings.max_question_chars)
        self.dialogue = Dialogue(self.asker, MemoryContextStore(ttl=self.settings.context_seconds))


def get_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data["state"]
