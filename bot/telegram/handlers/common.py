"""What every handler shares: command arguments, mentions, the admin check, editing a message."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, InlineQuery, Message, MessageEntity, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.telegram import texts
from bot.telegram.state import BotState, get_state


def command_argument(text: str) -> str:
    """The text after a leading /command (with or without @botname)."""
    parts = text.strip().split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def strip_mention(text: str, username: str | None) -> str:
    if not username:
        return text.strip()
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).strip()


def question_in(message: Message | None, username: str | None) -> str | None:
    """The question a message asked (/ask, a mention, or plain text), for rebuilding buttons."""
    if message is None or not message.text:
        return None
    text = message.text
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0].split("@")[0]
        return command_argument(text) if command == "/ask" else None
    return strip_mention(text, username)


def mentions_bot(message: Message, username: str | None, bot_id: int) -> bool:
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
        if username and value.lower() == f"@{username.lower()}":
            return True
    return False


def message_of(update: Update) -> Message:
    """The update's message: the handler's filter (a command or a message handler) guarantees one."""
    message = update.effective_message
    if message is None:
        raise TypeError(f"update {update.update_id} carries no message")
    return message


def query_of(update: Update) -> CallbackQuery:
    """The update's button press: a callback-query handler is only called with one."""
    query = update.callback_query
    if query is None:
        raise TypeError(f"update {update.update_id} carries no callback query")
    return query


def inline_query_of(update: Update) -> InlineQuery:
    """The update's inline query: an inline-query handler is only called with one."""
    inline = update.inline_query
    if inline is None:
        raise TypeError(f"update {update.update_id} carries no inline query")
    return inline


def is_admin(update: Update, state: BotState) -> bool:
    user = update.effective_user
    return state.settings.is_admin(user.id if user else None)


Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def admin_only(handler: Handler) -> Handler:
    """An admin command: anyone else (by the sender's user id, in groups too) gets the polite refusal."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not is_admin(update, get_state(context)):
            await message_of(update).reply_text(texts.NOT_ADMIN)
            return
        await handler(update, context)

    return guarded


async def edit(update: Update, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await query_of(update).edit_message_text(text, reply_markup=keyboard)
    except BadRequest as err:
        if "not modified" not in str(err).lower():
            raise
