"""Browsing: the list of speeches, outlines and whole parts."""

from __future__ import annotations

from telegram import (
    Update,
)
from telegram.ext import ContextTypes

from bot.service.answering import DocumentNotFound, find_document
from bot.service.catalog import matching, ordered
from bot.telegram import texts
from bot.telegram.callbacks import Callback, find_by_key
from bot.telegram.handlers.common import command_argument, edit, message_of, query_of
from bot.telegram.html import (
    esc,
    outline_html,
    part_messages,
    speeches_html,
)
from bot.telegram.keyboards import (
    SPEECHES_PER_PAGE,
    outline_keyboard,
    speeches_keyboard,
)
from bot.telegram.replies import documents_keyboard, filtered_speeches_html
from bot.telegram.state import get_state

MAX_PART_MESSAGES = 3  # one button press sends at most this many messages


async def on_speeches(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/speeches [words]: every speech, grouped and paged; with words, those matching them."""
    message = message_of(update)
    documents = ordered(get_state(context).holder.engine.documents)
    words = command_argument(message.text or "")
    if words:
        found = matching(documents, words)
        await message.reply_text(
            filtered_speeches_html(found, words, len(documents)), reply_markup=documents_keyboard(found)
        )
        return
    await message.reply_text(
        speeches_html(documents, 0, SPEECHES_PER_PAGE), reply_markup=speeches_keyboard(documents, 0)
    )


async def on_outline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/outline [speech]: its outline with a button per part; without one, what to pick from."""
    message = message_of(update)
    engine = get_state(context).holder.engine
    key = command_argument(message.text or "")
    documents = ordered(engine.documents)
    if not key and len(documents) == 1:
        key = documents[0].doc_id
    if not key:
        await message.reply_text(
            esc(texts.OUTLINE_USAGE) + "\n\n" + speeches_html(documents, 0, SPEECHES_PER_PAGE),
            reply_markup=speeches_keyboard(documents, 0),
        )
        return
    found = matching(documents, key)
    try:
        document = found[0] if len(found) == 1 else find_document(engine, key)
    except DocumentNotFound:
        await message.reply_text(
            filtered_speeches_html(found, key, len(documents)), reply_markup=documents_keyboard(found)
        )
        return
    page = documents.index(document) // SPEECHES_PER_PAGE
    await message.reply_text(outline_html(document), reply_markup=outline_keyboard(document, page))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have: say so, with the help text."""
    message = message_of(update)
    command = (message.text or "").split(maxsplit=1)[0]
    name, _, addressee = command.partition("@")
    username = context.bot.username or ""
    if addressee and addressee.lower() != username.lower():
        return  # meant for another bot in the group
    if message.chat.type != "private" and not addressee:
        return  # a group's /command without @this_bot may be another bot's
    await message.reply_text(esc(texts.UNKNOWN_COMMAND.format(command=name)) + "\n\n" + texts.HELP)


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
    documents = ordered(get_state(context).holder.engine.documents)
    last = max(0, (len(documents) - 1) // SPEECHES_PER_PAGE)
    page = min(callback.number(0), last)
    await edit(update, speeches_html(documents, page, SPEECHES_PER_PAGE), speeches_keyboard(documents, page))
    return True


async def outline_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    documents = ordered(get_state(context).holder.engine.documents)
    document = find_by_key(documents, callback.fields[0])
    if document is None:
        return False
    page = documents.index(document) // SPEECHES_PER_PAGE
    await edit(update, outline_html(document), outline_keyboard(document, page))
    return True
