"""Inline keyboards under answers, paragraphs, the speech list and outlines."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.callbacks import doc_key, encode
from bot.telegram.html import part_keys, part_title
from retrieval.corpus.document import Document
from retrieval.search.results import Hit

SPEECHES_PER_PAGE = 8
BUTTON_CHARS = 24


def button(text: str, kind: str, *fields: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=encode(kind, *fields))


def label(text: str, chars: int = BUTTON_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def answer_keyboard(
    qid: str, offset: int, top: int, shown: list[Hit], more: bool
) -> InlineKeyboardMarkup | None:
    """全文 per shown hit; 上一页 / 更多 to page through the answers."""
    rows = []
    full = [
        button(f"全文 {offset + n}", "p", doc_key(hit.doc_id), hit.paragraph, qid, offset)
        for n, hit in enumerate(shown, start=1)
    ]
    if full:
        rows.append(full)
    paging = []
    if offset > 0:
        paging.append(button("◀ 上一页", "m", qid, max(0, offset - top)))
    if more and shown:
        paging.append(button("更多 ▶", "m", qid, offset + len(shown)))
    if paging:
        rows.append(paging)
    return InlineKeyboardMarkup(rows) if rows else None


def paragraph_keyboard(document: Document, part: str, qid: str, offset: int) -> InlineKeyboardMarkup:
    key = doc_key(document.doc_id)
    return InlineKeyboardMarkup(
        [[button("整个部分", "s", key, part), button("↩ 返回结果", "m", qid, offset)]]
    )


def speeches_keyboard(
    documents: Sequence[Document], page: int, open_kind: str = "o", page_kind: str = "l", *open_args: object
) -> InlineKeyboardMarkup | None:
    """One page of speeches: a button per speech (callback `open_kind`, its key, `open_args`)
    and 上一页/下一页 (callback `page_kind`)."""
    first = page * SPEECHES_PER_PAGE
    rows = [
        [button(f"{n}. {label(d.meta.title)}", open_kind, doc_key(d.doc_id), *open_args)]
        for n, d in enumerate(documents[first : first + SPEECHES_PER_PAGE], first + 1)
    ]
    paging = []
    if page > 0:
        paging.append(button("◀ 上一页", page_kind, page - 1))
    if first + SPEECHES_PER_PAGE < len(documents):
        paging.append(button("下一页 ▶", page_kind, page + 1))
    if paging:
        rows.append(paging)
    return InlineKeyboardMarkup(rows) if rows else None


def outline_keyboard(document: Document, page: int = 0) -> InlineKeyboardMarkup:
    key = doc_key(document.doc_id)
    parts = [button(label(part_title(document, p), 16), "s", key, p) for p in part_keys(document)]
    rows = [parts[i : i + 2] for i in range(0, len(parts), 2)]
    rows.append([button("◀ 讲话列表", "l", page)])
    return InlineKeyboardMarkup(rows)
