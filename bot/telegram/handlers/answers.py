"""Questions: /start, /ask, text in private chats and groups, answer pages and their buttons,
inline mode. Rendering lives in html/keyboards, answering in bot.service, state in state."""

from __future__ import annotations

import re

from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.ops.metrics import Metrics, Timer, metrics_of, observe_answer
from bot.service.conversation import ABOUT, ANSWER, CHOOSE, NO_MORE, Reply
from bot.service.limits import Refused
from bot.telegram import texts
from bot.telegram.callbacks import Callback, find_by_key, question_key
from bot.telegram.handlers.common import (
    command_argument,
    edit,
    inline_query_of,
    is_admin,
    mentions_bot,
    message_of,
    query_of,
    question_in,
    strip_mention,
)
from bot.telegram.html import (
    QUESTION_PREFIX,
    answer_html,
    esc,
    inline_hit_html,
    no_more_html,
    not_found_html,
    paragraph_html,
    part_key,
)
from bot.telegram.keyboards import (
    answer_keyboard,
    label,
    paragraph_keyboard,
)
from bot.telegram.replies import about_html, choose_html, choose_keyboard
from bot.telegram.state import BotState, get_state
from retrieval.search.results import Answer

INLINE_TOP = 5
INLINE_OFFSET = re.compile(r"[0-9]{1,3}")  # ASCII digits only ("²".isdigit() is true); at most 999


def inline_offset(text: str) -> int:
    """The offset of an inline query's next page: what the bot sent as next_offset, else 0."""
    return int(text) if INLINE_OFFSET.fullmatch(text) else 0


def sender_id(message: Message) -> int:
    """Whom a message's question counts against: its sender, else (a channel, an anonymous
    admin) the chat it came from."""
    return message.from_user.id if message.from_user else message.chat.id


def answer_view(state: BotState, question: str, offset: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """The answer page at `offset` for a question, as HTML and its keyboard."""
    text, keyboard, _ = answer_page(state, question, offset)
    return text, keyboard


def answer_page(
    state: BotState, question: str, offset: int
) -> tuple[str, InlineKeyboardMarkup | None, Answer]:
    """`answer_view` and the Answer it shows (for metrics and the log)."""
    answer = state.asker.ask(question, offset=offset)
    text, keyboard = answer_rendered(state, question, offset, answer)
    return text, keyboard, answer


def answer_rendered(
    state: BotState, question: str, offset: int, answer: Answer
) -> tuple[str, InlineKeyboardMarkup | None]:
    """An answer page as HTML and its keyboard (全文 per hit, 上一页/更多)."""
    qid = state.questions.put(question)
    if offset > 0 and not answer.hits:
        return no_more_html(question), answer_keyboard(qid, offset, state.asker.top, [], False)
    rendered = answer_html(answer, offset)
    more = answer.more or len(rendered.shown) < len(answer.hits)
    return rendered.text, answer_keyboard(qid, offset, state.asker.top, rendered.shown, more)


def reply_view(state: BotState, question: str, reply: Reply) -> tuple[str, InlineKeyboardMarkup | None]:
    """Any turn of the conversation as HTML and its keyboard."""
    if reply.kind in (ANSWER, NO_MORE) and reply.answer is not None and reply.question:
        return answer_rendered(state, reply.question, reply.offset, reply.answer)
    if reply.kind == ABOUT:
        return about_html(question, reply), None
    if reply.kind == CHOOSE:
        return choose_html(question, reply), choose_keyboard(reply)
    return esc(reply.text), None


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
    if problem:  # refused before it counts against the sender's limits
        await message.reply_text(esc(problem), do_quote=True)
        observe_answer(metrics, via, question, None, 0.0, timer(), update_id, state.settings.log_questions)
        return
    user = message.from_user.id if message.from_user else 0
    try:
        with state.limits.question(sender_id(message)):
            reply = await state.slots.run(state.dialogue.respond, (message.chat.id, user), question)
    except Refused as refusal:
        await message.reply_text(esc(str(refusal)), do_quote=True)
        observe_answer(metrics, via, question, None, 0.0, timer(), update_id, state.settings.log_questions)
        return
    text, keyboard = reply_view(state, question, reply)
    searched = timer()
    await message.reply_text(text, reply_markup=keyboard, do_quote=True)
    answer = reply.answer if reply.kind == ANSWER else None
    observe_answer(metrics, via, question, answer, searched, timer(), update_id, state.settings.log_questions)


async def chosen_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    """A speech picked for a question that named none: the part or fact asked, as a new message."""
    state = get_state(context)
    document = find_by_key(state.holder.engine.documents, callback.fields[0])
    query = query_of(update)
    message = query.message
    if document is None or not isinstance(message, Message):
        return False
    key = (message.chat.id, query.from_user.id)
    reply = await state.slots.run(state.dialogue.chosen, key, document, callback.fields[1])
    if reply is None:
        return False
    text, keyboard = reply_view(state, reply.question or document.meta.title, reply)
    await context.bot.send_message(message.chat.id, text, reply_markup=keyboard)
    return True


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


# --------------------------------------------------------------------------- commands


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help."""
    state = get_state(context)
    private = message_of(update).chat.type == ChatType.PRIVATE
    extra = texts.ADMIN_HELP if private and is_admin(update, state) else ""
    await message_of(update).reply_text(texts.HELP + extra)


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask 问题, in any chat."""
    message = message_of(update)
    question = command_argument(message.text or "")
    if not question:
        await message.reply_text(esc(texts.ASK_USAGE), do_quote=True)
        return
    await reply_answer(message, question, get_state(context), metrics_of(context), update.update_id)


# --------------------------------------------------------------------------- messages


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat every text message is a question."""
    message = message_of(update)
    question = strip_mention(message.text or "", context.bot.username)
    await reply_answer(message, question, get_state(context), metrics_of(context), update.update_id)


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups: only messages that mention the bot or reply to it; chatter is ignored."""
    message = message_of(update)
    bot = context.bot
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
    if not (to_bot or mentions_bot(message, bot.username, bot.id)):
        return
    question = strip_mention(message.text or "", bot.username)
    await reply_answer(message, question, get_state(context), metrics_of(context), update.update_id)


async def page_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    qid, offset = callback.fields[0], callback.number(1)
    question = recover_question(update, context, qid)
    if question is None:
        return False
    state = get_state(context)
    with state.limits.question(query_of(update).from_user.id):  # Refused: on_button shows it
        text, keyboard = await state.slots.run(answer_view, state, question, offset)
    await edit(update, text, keyboard)
    return True


async def paragraph_button(update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback) -> bool:
    key, number, qid, offset = callback.fields[0], callback.number(1), callback.fields[2], callback.number(3)
    state = get_state(context)
    engine = state.holder.engine
    document = find_by_key(engine.documents, key)
    paragraph = document.paragraph(number) if document else None
    if document is None or paragraph is None or not paragraph.indexed:
        return False
    question = recover_question(update, context, qid)
    terms: list[str] = []
    if question and not state.asker.problem(question):
        with state.limits.question(query_of(update).from_user.id):  # Refused: on_button shows it
            terms = (await state.slots.run(engine.ask, question, 1)).terms
    text = paragraph_html(document, paragraph, terms)
    await edit(update, text, paragraph_keyboard(document, part_key(paragraph), qid, offset))
    return True


# --------------------------------------------------------------------------- inline mode


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot 问题 in any chat: the top passages as shareable results."""
    inline = inline_query_of(update)
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
    offset = inline_offset(inline.offset)
    try:
        with state.limits.question(inline.from_user.id):
            answer = await state.slots.run(state.holder.engine.ask, question, INLINE_TOP, offset)
    except Refused as refusal:  # shown above the (empty) results; pressing it opens the private chat
        button = InlineQueryResultsButton(text=label(str(refusal), 60), start_parameter="limit")
        await inline.answer([], cache_time=0, is_personal=True, button=button)
        return
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
