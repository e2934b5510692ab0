"""The error handler: log with the update (no text unless allowed), tell the user plainly."""

from __future__ import annotations

import logging

from telegram import (
    Update,
)
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.ops.metrics import metrics_of
from bot.telegram import texts
from bot.telegram.state import get_state

log = logging.getLogger(__name__)


def describe_update(update: object, whole: bool = False) -> object:
    """What the error log says about an update: all of it, or only what carries no text."""
    if not isinstance(update, Update):
        return update
    if whole:
        return update.to_dict()
    kind = next((key for key, value in update.to_dict().items() if key != "update_id" and value), "unknown")
    chat = update.effective_chat
    return {"update_id": update.update_id, "kind": kind, "chat_type": chat.type if chat else None}


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error with its update; tell the user something went wrong (never a traceback).

    The update is logged whole only with log_questions; otherwise its id and kind (no text)."""
    metrics_of(context).error(context.error)
    show = get_state(context).settings.log_questions if "state" in context.bot_data else False
    log.error("error while handling update %s", describe_update(update, show), exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query:
            await update.callback_query.answer(texts.ERROR, show_alert=True)
        elif update.effective_message:
            await update.effective_message.reply_text(texts.ERROR)
    except TelegramError:
        log.warning("could not tell the user about the error")
