"""/commitments: a speech's commitments, paged, each under its reference with a button to
its paragraph, and the list as a CSV file (a document message) for spreadsheets.

Buttons (bot/telegram/callbacks.py): ``cl|<page>`` the speech chooser, ``c|<doc>|<page>`` a page of
commitments, ``cp|<doc>|<paragraph>|<page>`` a paragraph, ``cx|<doc>`` the CSV file; with a filter
(only some kinds, only some horizons: ``/commitments 浙江 今年 目标``, or the filter buttons),
``cf|<doc>|<filter>|<page>`` a page and ``cg|<doc>|<paragraph>|<filter>|<page>`` a paragraph, where
<filter> is `filter_code` (``t.y``: targets for this year).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.service.answering import DocumentNotFound, find_document
from bot.service.catalog import matching, ordered
from bot.telegram import texts
from bot.telegram.callbacks import decode, doc_key, find_by_key
from bot.telegram.handlers.common import message_of, query_of
from bot.telegram.html import LIMIT, esc, length, paragraph_html, quoted
from bot.telegram.keyboards import SPEECHES_PER_PAGE, button, speeches_keyboard
from bot.telegram.replies import documents_keyboard, filtered_speeches_html
from bot.telegram.state import get_state
from retrieval.corpus.document import Document
from retrieval.render.commitments import (
    HORIZON_LABELS,
    KIND_LABELS,
    Listed,
    field_summary,
    kind_label,
    listed_commitments,
    parse_filter,
)
from retrieval.render.csv import commitments_csv
from retrieval.search.engine import SearchEngine

PER_PAGE = 5
CALLBACK_PATTERN = re.compile(r"^c[plxfg]?\|")
NONE_FOUND = "这篇讲话中没有找到带有时间、频次、数量或责任人的承诺与要求。"
CHOOSE = "<b>承诺与要求</b>\n选择一篇讲话，查看其中带有时间、频次、数量或责任人的承诺与要求。"
KIND_CODES = {
    "directive": "d",
    "target": "t",
    "deadline": "l",
    "programme": "p",
    "forecast": "f",
    "result": "r",
}
HORIZON_CODES = {"this_year": "y", "plan_period": "p", "later": "l"}
KIND_BUTTONS = (
    ("全部", ""),
    ("目标", "target"),
    ("项目", "programme"),
    ("要求", "directive"),
    ("期限", "deadline"),
)
HORIZON_BUTTONS = (("不限", ""), ("今年", "this_year"), ("规划期", "plan_period"))


@dataclass(frozen=True)
class Filter:
    """Which commitments a page shows: some kinds, some horizons (empty: all)."""

    kinds: frozenset[str] = frozenset()
    horizons: frozenset[str] = frozenset()

    def code(self) -> str:
        """``t.y`` for this year's targets, ``.`` for no filter (short enough for callback data)."""
        kinds = "".join(sorted(KIND_CODES[k] for k in self.kinds))
        return kinds + "." + "".join(sorted(HORIZON_CODES[h] for h in self.horizons))

    @classmethod
    def decode(cls, code: str) -> Filter | None:
        kinds_code, _, horizons_code = code.partition(".")
        kinds = {k for k, c in KIND_CODES.items() if c in kinds_code}
        horizons = {h for h, c in HORIZON_CODES.items() if c in horizons_code}
        if len(kinds) != len(kinds_code) or len(horizons) != len(horizons_code):
            return None
        return cls(frozenset(kinds), frozenset(horizons))

    def label(self) -> str:
        kinds = "、".join(KIND_LABELS[k] for k in sorted(self.kinds))
        horizons = "、".join(HORIZON_LABELS[h] for h in sorted(self.horizons))
        return "·".join(x for x in (horizons, kinds) if x)

    def __bool__(self) -> bool:
        return bool(self.kinds or self.horizons)


def split_filter(text: str) -> tuple[str, Filter]:
    """`/commitments` arguments as (the speech's key, the filter): words that name a kind or a
    horizon (目标, 项目, 今年, target…) filter, the rest names the speech."""
    key, kinds, horizons = [], set(), set()
    for word in text.split():
        try:
            found_kinds, found_horizons = parse_filter([word])
        except ValueError:
            key.append(word)
            continue
        kinds |= found_kinds
        horizons |= found_horizons
    return " ".join(key), Filter(frozenset(kinds), frozenset(horizons))


# --------------------------------------------------------------------------- rendering


def commitments_page_html(
    document: Document, items: list[Listed], page: int, chosen: Filter | None = None
) -> tuple[str, list[Listed]]:
    """One page: the speech, then each commitment under its part and reference, with its kind
    and its checkable words in bold; returns the text and the items shown (buttons are made
    for these)."""
    pages = max(1, (len(items) + PER_PAGE - 1) // PER_PAGE)
    only = f"（只看：{esc(chosen.label())}）" if chosen else ""
    head = f"<b>《{esc(document.meta.title)}》承诺与要求</b>{only}（共 {len(items)} 条，第 {page + 1}/{pages} 页）"
    if not items:
        return f"<b>《{esc(document.meta.title)}》</b>{only}\n{esc(NONE_FOUND)}", []
    text, shown, last_part = head, [], None
    for number, item in enumerate(items[page * PER_PAGE : (page + 1) * PER_PAGE], page * PER_PAGE + 1):
        block = ""
        if item.part_heading != last_part:
            block += f"\n\n<u>{esc(item.part_heading)}</u>"
        extras = " · ".join(x for x in (item.hit.subsection, item.hit.point) if x)
        place = (
            f"{extras}（第{item.commitment.paragraph}段）" if extras else f"第{item.commitment.paragraph}段"
        )
        block += f"\n\n<b>{number}. 【{esc(kind_label(item.commitment))}】{esc(place)}</b>\n"
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


def page_button(text: str, key: str, page: int, chosen: Filter) -> InlineKeyboardButton:
    """A page of the list, filtered as it is now."""
    return button(text, "cf", key, chosen.code(), page) if chosen else button(text, "c", key, page)


def filter_rows(key: str, chosen: Filter) -> list[list[InlineKeyboardButton]]:
    """Two rows of filter buttons (kinds, horizons); the current choice is ticked."""
    rows = []
    for choices, current, make in (
        (KIND_BUTTONS, chosen.kinds, lambda k: Filter(frozenset({k} if k else ()), chosen.horizons)),
        (HORIZON_BUTTONS, chosen.horizons, lambda h: Filter(chosen.kinds, frozenset({h} if h else ()))),
    ):
        row = []
        for text, value in choices:
            ticked = (current == {value}) if value else not current
            row.append(page_button(("✓" if ticked else "") + text, key, 0, make(value)))
        rows.append(row)
    return rows


def commitments_keyboard(
    document: Document,
    items: list[Listed],
    shown: list[Listed],
    page: int,
    chooser_page: int,
    chosen: Filter | None = None,
) -> InlineKeyboardMarkup:
    chosen = chosen or Filter()
    key = doc_key(document.doc_id)
    first = page * PER_PAGE + 1
    rows = []
    paragraphs = [
        button(f"原文 {n}", "cg", key, item.commitment.paragraph, chosen.code(), page)
        if chosen
        else button(f"原文 {n}", "cp", key, item.commitment.paragraph, page)
        for n, item in enumerate(shown, first)
    ]
    if paragraphs:
        rows.append(paragraphs)
    paging = []
    if page > 0:
        paging.append(page_button("◀ 上一页", key, page - 1, chosen))
    if page * PER_PAGE + len(shown) < len(items):
        paging.append(page_button("下一页 ▶", key, page + 1, chosen))
    if paging:
        rows.append(paging)
    rows += filter_rows(key, chosen)
    bottom = [button("◀ 讲话列表", "cl", chooser_page)]
    if items:
        bottom.insert(0, button("导出 CSV", "cx", key))
    rows.append(bottom)
    return InlineKeyboardMarkup(rows)


def chooser_keyboard(documents: Sequence[Document], page: int) -> InlineKeyboardMarkup | None:
    return speeches_keyboard(ordered(documents), page, "c", "cl", 0)


def csv_filename(document: Document) -> str:
    stem = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", document.doc_id.rsplit("/", 1)[-1]).strip("_") or "speech"
    return f"{stem}_承诺.csv"


# --------------------------------------------------------------------------- views


def page_view(
    engine: SearchEngine, document: Document, page: int, chosen: Filter | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    chosen = chosen or Filter()
    items = listed_commitments(engine, document, chosen.kinds, chosen.horizons)
    pages = max(1, (len(items) + PER_PAGE - 1) // PER_PAGE)
    page = min(max(page, 0), pages - 1)
    text, shown = commitments_page_html(document, items, page, chosen)
    chooser_page = ordered(engine.documents).index(document) // SPEECHES_PER_PAGE
    return text, commitments_keyboard(document, items, shown, page, chooser_page, chosen)


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
    key, chosen = split_filter(parts[1] if len(parts) > 1 else "")
    if not key and len(engine.documents) != 1:
        await message.reply_text(CHOOSE, reply_markup=chooser_keyboard(engine.documents, 0))
        return
    found = matching(engine.documents, key) if key else engine.documents[:1]
    try:
        document = found[0] if len(found) == 1 else find_document(engine, key)
    except DocumentNotFound:  # several or none match the words: the list, titles with buttons
        text = filtered_speeches_html(found, key, len(engine.documents))
        await message.reply_text(text, reply_markup=documents_keyboard(found, "c", 0), do_quote=True)
        return
    text, keyboard = await get_state(context).slots.run(page_view, engine, document, 0, chosen)
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
    text, keyboard = await get_state(context).slots.run(page_view, engine, document, int(fields[0]))
    await _edit(update, text, keyboard)
    return True


async def _filtered_page(update, context, engine: SearchEngine, document: Document, fields) -> bool:
    chosen = Filter.decode(fields[0])
    if chosen is None:
        return False
    text, keyboard = await get_state(context).slots.run(page_view, engine, document, int(fields[1]), chosen)
    await _edit(update, text, keyboard)
    return True


async def _paragraph(update, context, engine: SearchEngine, document: Document, fields) -> bool:
    return await _show_paragraph(update, engine, document, int(fields[0]), int(fields[1]), Filter())


async def _filtered_paragraph(update, context, engine: SearchEngine, document: Document, fields) -> bool:
    chosen = Filter.decode(fields[1])
    if chosen is None:
        return False
    return await _show_paragraph(update, engine, document, int(fields[0]), int(fields[2]), chosen)


async def _show_paragraph(
    update: Update, engine: SearchEngine, document: Document, number: int, page: int, chosen: Filter
) -> bool:
    """A commitment's whole paragraph, its checkable words in bold, and the way back to its page."""
    paragraph = document.paragraph(number)
    if paragraph is None or not paragraph.indexed:
        return False
    marked = [c for c in listed_commitments(engine, document) if c.commitment.paragraph == paragraph.number]
    words = [w for item in marked for values in item.commitment.fields().values() for w in values]
    back = page_button("↩ 返回承诺列表", doc_key(document.doc_id), page, chosen)
    await _edit(update, paragraph_html(document, paragraph, words), InlineKeyboardMarkup([[back]]))
    return True


async def _csv(update, context, engine: SearchEngine, document: Document, fields) -> bool:
    message = query_of(update).message
    if message is None:
        return False
    items = await get_state(context).slots.run(listed_commitments, engine, document)
    await context.bot.send_document(
        message.chat.id,
        document=commitments_csv(items),
        filename=csv_filename(document),
        caption=esc(f"《{document.meta.title}》承诺与要求，共 {len(items)} 条（CSV，UTF-8）"),
    )
    return True


BUTTONS = {"c": _page, "cp": _paragraph, "cx": _csv, "cf": _filtered_page, "cg": _filtered_paragraph}
