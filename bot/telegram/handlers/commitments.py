"""/commitments: a speech's commitments, paged, each under its reference with a button to
its paragraph, and the list as a CSV file (a document message) for spreadsheets.

Buttons (bot/telegram/callbacks.py): ``cl|<page>`` the speech chooser, ``c|<doc>|<page>`` a page of
commitments, ``cp|<doc>|<paragraph>|<page>`` a paragraph, ``cx|<doc>`` the CSV file.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.service.answering import DocumentNotFound, find_document
from bot.telegram import texts
from bot.telegram.callbacks import decode, doc_key, find_by_key
from bot.telegram.handlers.common import message_of, query_of
from bot.telegram.html import LIMIT, esc, length, paragraph_html, quoted
from bot.telegram.keyboards import SPEECHES_PER_PAGE, button, speeches_keyboard
from bot.telegram.state import get_state
from retrieval.corpus.document import Document
from retrieval.render.commitments import Listed, field_summary, listed_commitments
from retrieval.render.csv import commitments_csv
from retrieval.search.engine import SearchEngine

PER_PAGE = 5
CALLBACK_PATTERN = re.compile(r"^c[plx]?\|")
NONE_FOUND = "这篇讲话中没有找到带有时间、频次、数量或责任人的承诺与要求。"
CHOOSE = "<b>承诺与要求</b>\n选择一篇讲话，查看其中带有时间、频次、数量或责任人的承诺与要求。"


# --------------------------------------------------------------------------- rendering


def commitments_page_html(document: Document, items: list[Listed], page: int) -> tuple[str, list[Listed]]:
    """One page: the speech, then each commitment under its part and reference, its checkable
    words in bold; returns the text and the items shown (buttons are made for these)."""
    pages = max(1, (len(items) + PER_PAGE - 1) // PER_PAGE)
    head = f"<b>《{esc(document.meta.title)}》承诺与要求</b>（共 {len(items)} 条，第 {page + 1}/{pages} 页）"
    if not items:
        return f"<b>《{esc(document.meta.title)}》</b>\n{esc(NONE_FOUND)}", []
    text, shown, last_part = head, [], None
    for number, item in enumerate(items[page * PER_PAGE : (page + 1) * PER_PAGE], page * PER_PAGE + 1):
        block = ""
        if item.part_heading != last_part:
            block += f"\n\n<u>{esc(item.part_heading)}</u>"
        extras = " · ".join(x for x in (item.hit.subsection, item.hit.point) if x)
        place = (
            f"{extras}（第{item.commitment.paragraph}段）" if extras else f"第{item.commitment.paragraph}段"
        )
        block += f"\n\n<b>{number}. {esc(place)}</b>\n"
        words = [w for values in item.commitment.fields().values() for w in values]
        summary = f"\n<i>{esc(field_summary(item.commitment))}</i>"
        room = LIMIT - length(text) - length(block) - length(summary)
        if room < 200:
            break
        block += quoted(item.commitment.text, words, room) + summary
        text += block
        last_part = item.part_heading
        shown.append(item)
    return text, shown


def commitments_keyboard(
    document: Document, items: list[Listed], shown: list[Listed], page: int, chooser_page: int
) -> InlineKeyboardMarkup:
    key = doc_key(document.doc_id)
    first = page * PER_PAGE + 1
    rows = []
    paragraphs = [
        button(f"原文 {n}", "cp", key, item.commitment.paragraph, page) for n, item in enumerate(shown, first)
    ]
    if paragraphs:
        rows.append(paragraphs)
    paging = []
    if page > 0:
        paging.append(button("◀ 上一页", "c", key, page - 1))
    if page * PER_PAGE + len(shown) < len(items):
        paging.append(button("下一页 ▶", "c", key, page + 1))
    if paging:
        rows.append(paging)
    bottom = [button("◀ 讲话列表", "cl", chooser_page)]
    if items:
        bottom.insert(0, button("导出 CSV", "cx", key))
    rows.append(bottom)
    return InlineKeyboardMarkup(rows)


def chooser_keyboard(documents: Sequence[Document], page: int) -> InlineKeyboardMarkup | None:
    return speeches_keyboard(documents, page, "c", "cl", 0)


def csv_filename(document: Document) -> str:
    stem = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", document.doc_id.rsplit("/", 1)[-1]).strip("_") or "speech"
    return f"{stem}_承诺.csv"


# --------------------------------------------------------------------------- views


def page_view(engine: SearchEngine, document: Document, page: int) -> tuple[str, InlineKeyboardMarkup]:
    items = listed_commitments(engine, document)
    pages = max(1, (len(items) + PER_PAGE - 1) // PER_PAGE)
    page = min(max(page, 0), pages - 1)
    text, shown = commitments_page_html(document, items, page)
    chooser_page = engine.documents.index(document) // SPEECHES_PER_PAGE
    return text, commitments_keyboard(document, items, shown, page, chooser_page)


async def _edit(update: Update, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await query_of(update).edit_message_text(text, reply_markup=keyboard)
    except BadRequest as err:
        if "not modified" not in str(err).lower():
            raise


# --------------------------------------------------------------------------- handlers


async def on_commitments(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/commitments [speech]: the chooser, or straight to the speech named (or the only one)."""
    message = message_of(update)
    engine = get_state(context).holder.engine
    parts = (message.text or "").split(maxsplit=1)
    key = parts[1].strip() if len(parts) > 1 else ""
    if not key and len(engine.documents) != 1:
        await message.reply_text(CHOOSE, reply_markup=chooser_keyboard(engine.documents, 0))
        return
    try:
        document = find_document(engine, key) if key else engine.documents[0]
    except DocumentNotFound as err:
        await message.reply_text(esc(str(err)), do_quote=True)
        return
    text, keyboard = await asyncio.to_thread(page_view, engine, document, 0)
    await message.reply_text(text, reply_markup=keyboard)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The c, cp, cx and cl buttons; anything unresolvable gets the stale alert."""
    query = query_of(update)
    callback = decode(query.data)
    engine = get_state(context).holder.engine
    handled = False
    if callback is not None and callback.kind == "cl":
        last = max(0, (len(engine.documents) - 1) // SPEECHES_PER_PAGE)
        page = min(callback.number(0), last)
        await _edit(update, CHOOSE, chooser_keyboard(engine.documents, page))
        handled = True
    elif callback is not None:
        document = find_by_key(engine.documents, callback.fields[0])
        if document is not None:
            handled = await BUTTONS[callback.kind](update, context, engine, document, callback.fields[1:])
    if handled:
        await query.answer()
    else:
        await query.answer(texts.STALE, show_alert=True)


async def _page(update, context, engine: SearchEngine, document: Document, fields) -> bool:
    text, keyboard = await asyncio.to_thread(page_view, engine, document, int(fields[0]))
    await _edit(update, text, keyboard)
    return True


async def _paragraph(update, context, engine: SearchEngine, document: Document, fields) -> bool:
    paragraph = document.paragraph(int(fields[0]))
    if paragraph is None or not paragraph.indexed:
        return False
    page = int(fields[1])
    marked = [c for c in listed_commitments(engine, document) if c.commitment.paragraph == paragraph.number]
    words = [w for item in marked for values in item.commitment.fields().values() for w in values]
    keyboard = InlineKeyboardMarkup([[button("↩ 返回承诺列表", "c", doc_key(document.doc_id), page)]])
    await _edit(update, paragraph_html(document, paragraph, words), keyboard)
    return True


async def _csv(update, context, engine: SearchEngine, document: Document, fields) -> bool:
    message = query_of(update).message
    if message is None:
        return False
    items = await asyncio.to_thread(listed_commitments, engine, document)
    await context.bot.send_document(
        message.chat.id,
        document=commitments_csv(items),
        filename=csv_filename(document),
        caption=esc(f"《{document.meta.title}》承诺与要求，共 {len(items)} 条（CSV，UTF-8）"),
    )
    return True


BUTTONS = {"c": _page, "cp": _paragraph, "cx": _csv}
