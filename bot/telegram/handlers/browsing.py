"""Browsing: the list of speeches, outlines and whole parts."""

from __future__ import annotations

import logging

from telegram import (
    Update,
)
from telegram.ext import ContextTypes

from bot.telegram import texts
from bot.telegram.callbacks import Callback, find_by_key
from bot.telegram.handlers.common import edit, message_of, query_of
from bot.telegram.html import (
    outline_html,
    part_messages,
    speeches_html,
)
from bot.telegram.keyboards import (
    SPEECHES_PER_PAGE,
    outline_keyboard,
    speeches_keyboard,
)
from bot.telegram.state import get_state

log = logging.getLogger(__name__)
MAX_PART_MESSAGES = 3  # one button press sends at most this many messages


async def on_speeches(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    documents = get_state(context).holder.engine.documents
    await message_of(update).reply_text(
        speeches_html(documents, 0, SPEECHES_PER_PAGE), reply_markup=speeches_keyboard(documents, 0)
    )


async def part_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    document = find_by_key(get_state(context).holder.engine.documents, callback.fields[0])
    message = query_of(update).message
    messages = part_messages(document, callback.fields[1]) if document else []
    if not messages or message is None:
        return False
    if len(messages) > MAX_PART_MESSAGES:
        messages = [*messages[: MAX_PART_MESSAGES - 1], texts.PART_TOO_LONG]
    for text in messages:
        await context.bot.send_message(message.chat.id, text)
    return True


async def list_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    documents = get_state(context).holder.engine.documents
    last = max(0, (len(documents) - 1) // SPEECHES_PER_PAGE)
    page = min(callback.number(0), last)
    await edit(update, speeches_html(documents, page, SPEECHES_PER_PAGE), speeches_keyboard(documents, page))
    return True


async def outline_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    documents = get_state(context).holder.engine.documents
    document = find_by_key(documents, callback.fields[0])
    if document is None:
        return False
    page = documents.index(document) // SPEECHES_PER_PAGE
    await edit(update, outline_html(document), outline_keyboard(document, page))
    return True
