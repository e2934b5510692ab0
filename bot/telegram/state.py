"""Everything the handlers share, kept in application.bot_data["state"]."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.service.answering import Asker
from bot.service.conversation import Dialogue, MemoryContextStore
from bot.service.holder import EngineHolder, Stats
from bot.service.limits import SearchSlots, UserLimits
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
    dialogue: Dialogue = field(init=False)
    limits: UserLimits = field(init=False)
    slots: SearchSlots = field(init=False)

    def __post_init__(self) -> None:
        settings = self.settings
        self.asker = Asker(
            self.holder, self.stats, settings.top, settings.max_question_chars, settings.max_question_words
        )
        self.dialogue = Dialogue(self.asker, MemoryContextStore(ttl=settings.context_seconds))
        self.limits = UserLimits(settings.user_questions_in_flight, settings.user_questions_per_minute)
        self.slots = SearchSlots(settings.concurrent_searches)


def get_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data["state"]
