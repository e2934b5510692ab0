"""Telegram handlers: one async function per kind of update, each thin.

Rendering lives in render_html/keyboards, answering in answering, state in state.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.callbacks import Callback, decode, find_by_key, question_key
from bot.keyboards import (
    SPEECHES_PER_PAGE,
    answer_keyboard,
    label,
    outline_keyboard,
    paragraph_keyboard,
    speeches_keyboard,
)
from bot.metrics import Metrics, Timer, metrics_of, observe_answer, observe_reload
from bot.render_html import (
    QUESTION_PREFIX,
    answer_html,
    esc,
    inline_hit_html,
    no_more_html,
    not_found_html,
    outline_html,
    paragraph_html,
    part_key,
    part_messages,
    reload_html,
    speeches_html,
    stats_html,
)
from bot.state import BotState, get_state
from bot.uploads import UploadRefused, check_file, check_size, safe_name, store
from retrieval.search import Answer

log = logging.getLogger(__name__)
INLINE_TOP = 5
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


# --------------------------------------------------------------------------- helpers


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


def is_admin(update: Update, state: BotState) -> bool:
    user = update.effective_user
    return state.settings.is_admin(user.id if user else None)


Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def admin_only(handler: Handler) -> Handler:
    """An admin command: anyone else (by the sender's user id, in groups too) gets the polite refusal."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not is_admin(update, get_state(context)):
            await update.effective_message.reply_text(texts.NOT_ADMIN)
            return
        await handler(update, context)

    return guarded


def answer_view(state: BotState, question: str, offset: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """The answer page at `offset` for a question, as HTML and its keyboard."""
    text, keyboard, _ = answer_page(state, question, offset)
    return text, keyboard


def answer_page(
    state: BotState, question: str, offset: int
) -> tuple[str, InlineKeyboardMarkup | None, Answer]:
    """`answer_view` and the Answer it shows (for metrics and the log)."""
    answer = state.asker.ask(question, offset=offset)
    qid = state.questions.put(question)
    if offset > 0 and not answer.hits:
        return no_more_html(question), answer_keyboard(qid, offset, state.asker.top, [], False), answer
    rendered = answer_html(answer, offset)
    more = answer.more or len(rendered.shown) < len(answer.hits)
    return rendered.text, answer_keyboard(qid, offset, state.asker.top, rendered.shown, more), answer


async def reply_answer(
    message: Message,
    question: str,
    state: BotState,
    metrics: Metrics | None = None,
    update_id: int | None = None,
) -> None:
    timer = Timer()
    via = "private" if message.chat.type == ChatType.PRIVATE else "group"
    problem = state.asker.problem(question)
    if problem:
        await message.reply_text(esc(problem), do_quote=True)
        observe_answer(metrics, via, question, None, 0.0, timer(), update_id, state.settings.log_questions)
        return
    text, keyboard, answer = await asyncio.to_thread(answer_page, state, question, 0)
    searched = timer()
    await message.reply_text(text, reply_markup=keyboard, do_quote=True)
    observe_answer(metrics, via, question, answer, searched, timer(), update_id, state.settings.log_questions)


def recover_question(update: Update, context: ContextTypes.DEFAULT_TYPE, qid: str) -> str | None:
    """The question behind a button: the store, else the message it answered, else its own text."""
    state = get_state(context)
    known = state.questions.get(qid)
    if known:
        return known
    message = update.callback_query.message if update.callback_query else None
    if not isinstance(message, Message):
        return None
    candidates = [question_in(message.reply_to_message, context.bot.username)]
    if message.text and message.text.startswith(QUESTION_PREFIX):
        candidates.append(message.text.split("\n\n", 1)[0].removeprefix(QUESTION_PREFIX))
    return next((q for q in candidates if q and question_key(q) == qid), None)


async def edit(update: Update, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await update.callback_query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as err:
        if "not modified" not in str(err).lower():
            raise


# --------------------------------------------------------------------------- commands


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help."""
    state = get_state(context)
    private = update.effective_chat.type == ChatType.PRIVATE
    extra = texts.ADMIN_HELP if private and is_admin(update, state) else ""
    await update.effective_message.reply_text(texts.HELP + extra)


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask 问题, in any chat."""
    message = update.effective_message
    question = command_argument(message.text or "")
    if not question:
        await message.reply_text(esc(texts.ASK_USAGE), do_quote=True)
        return
    await reply_answer(message, question, get_state(context), metrics_of(context), update.update_id)


async def on_speeches(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    documents = get_state(context).holder.engine.documents
    await update.effective_message.reply_text(
        speeches_html(documents, 0, SPEECHES_PER_PAGE), reply_markup=speeches_keyboard(documents, 0)
    )


@admin_only
async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload (admins): rebuild in a thread, answer from the old index meanwhile."""
    state = get_state(context)
    message = update.effective_message
    status = await message.reply_text(esc(texts.RELOADING))
    await status.edit_text(await reload_report(state, metrics_of(context), "command"))


async def reload_report(state: BotState, metrics: Metrics | None = None, via: str = "command") -> str:
    old = state.holder.engine
    report = await state.holder.reload()
    if metrics is not None:
        observe_reload(metrics, report, via)
    return reload_html(report, len(old.documents), len(old.passages))


@admin_only
async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state = get_state(context)
    engine = state.holder.engine
    await update.effective_message.reply_text(
        stats_html(
            len(engine.documents), len(engine.passages), engine.built_at, engine.build_seconds, state.stats
        )
    )


# --------------------------------------------------------------------------- messages


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat every text message is a question."""
    message = update.effective_message
    question = strip_mention(message.text or "", context.bot.username)
    await reply_answer(message, question, get_state(context), metrics_of(context), update.update_id)


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups: only messages that mention the bot or reply to it; chatter is ignored."""
    message = update.effective_message
    bot = context.bot
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
    if not (to_bot or mentions_bot(message, bot.username, bot.id)):
        return
    question = strip_mention(message.text or "", bot.username)
    await reply_answer(message, question, get_state(context), metrics_of(context), update.update_id)


@admin_only
async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin sends a speech file: check it, store it under a safe name, reload."""
    state = get_state(context)
    message = update.effective_message
    upload = message.document
    try:
        name = safe_name(upload.file_name)
        check_size(upload.file_size, state.settings.max_upload_bytes)
        with tempfile.TemporaryDirectory(prefix="speechbot-upload-") as folder:
            path = Path(folder) / name
            await (await upload.get_file()).download_to_drive(path)
            check_size(path.stat().st_size, state.settings.max_upload_bytes)
            if upload.file_size and path.stat().st_size != upload.file_size:
                raise UploadRefused("文件下载不完整，请重新发送。")
            document = await asyncio.to_thread(check_file, path)
            target, replaced = store(path, state.holder.folder, name)
    except UploadRefused as refusal:
        await message.reply_text(esc(str(refusal)), do_quote=True)
        return
    action = "已替换" if replaced else "已保存"
    await message.reply_text(
        f"{action} {esc(target.name)}：《{esc(document.meta.title)}》，"
        f"{len(document.sections)} 个部分。正在重新载入……",
        do_quote=True,
    )
    await message.reply_text(await reload_report(state, metrics_of(context), "upload"))


# --------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every inline button; unknown or unresolvable data gets the stale alert."""
    query = update.callback_query
    callback = decode(query.data)
    handled = callback is not None and await BUTTONS[callback.kind](update, context, callback)
    if handled:
        await query.answer()
    else:
        await query.answer(texts.STALE, show_alert=True)


async def page_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    qid, offset = callback.fields[0], callback.number(1)
    question = recover_question(update, context, qid)
    if question is None:
        return False
    text, keyboard = await asyncio.to_thread(answer_view, get_state(context), question, offset)
    await edit(update, text, keyboard)
    return True


async def paragraph_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    key, number, qid, offset = callback.fields[0], callback.number(1), callback.fields[2], callback.number(3)
    engine = get_state(context).holder.engine
    document = find_by_key(engine.documents, key)
    paragraph = document.paragraph(number) if document else None
    if paragraph is None or not paragraph.indexed:
        return False
    question = recover_question(update, context, qid)
    terms = engine.ask(question, top=1).terms if question else []
    text = paragraph_html(document, paragraph, terms)
    await edit(update, text, paragraph_keyboard(document, part_key(paragraph), qid, offset))
    return True


async def part_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    document = find_by_key(get_state(context).holder.engine.documents, callback.fields[0])
    message = update.callback_query.message
    messages = part_messages(document, callback.fields[1]) if document else []
    if not messages or message is None:
        return False
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


BUTTONS = {"m": page_button, "p": paragraph_button, "s": part_button, "l": list_button, "o": outline_button}


# --------------------------------------------------------------------------- inline mode


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot 问题 in any chat: the top passages as shareable results."""
    inline = update.inline_query
    state = get_state(context)
    question = inline.query.strip()
    timer = Timer()
    if not question or state.asker.problem(question):
        await inline.answer([], cache_time=5)
        if question:  # an empty query is the user opening inline mode, not a question
            show = state.settings.log_questions
            observe_answer(
                metrics_of(context), "inline", question, None, 0.0, timer(), update.update_id, show
            )
        return
    offset = int(inline.offset) if inline.offset.isdigit() else 0
    answer = await asyncio.to_thread(state.holder.engine.ask, question, INLINE_TOP, offset)
    searched = timer()
    results = [
        InlineQueryResultArticle(
            id=str(offset + number),
            title=label(hit.reference, 60),
            description=label(hit.quote, 120),
            input_message_content=InputTextMessageContent(
                inline_hit_html(answer, hit), parse_mode=ParseMode.HTML
            ),
        )
        for number, hit in enumerate(answer.hits, start=1)
    ]
    if not answer.found and offset == 0:
        results = [
            InlineQueryResultArticle(
                id="none",
                title="没有找到相符的段落",
                description=label("、".join(answer.missing_terms) or question, 120),
                input_message_content=InputTextMessageContent(
                    not_found_html(answer), parse_mode=ParseMode.HTML
                ),
            )
        ]
    next_offset = str(offset + len(answer.hits)) if answer.more else ""
    await inline.answer(results, cache_time=30, is_personal=False, next_offset=next_offset)
    if offset == 0:  # further pages of the same question are not new questions
        show = state.settings.log_questions
        observe_answer(
            metrics_of(context), "inline", question, answer, searched, timer(), update.update_id, show
        )


# --------------------------------------------------------------------------- errors


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
