"""Telegram HTML and buttons for the conversation's replies that are not answer pages:
small talk, facts about a speech, "which speech did you mean?", and the speech lists."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.service.catalog import grouped
from bot.service.conversation import Reply
from bot.telegram.callbacks import doc_key
from bot.telegram.html import LIMIT, esc, fit_lines, question_line, shorten
from bot.telegram.keyboards import button, label
from retrieval.corpus.document import Document

LIST_BUTTONS = 8  # a filtered list shows its first few speeches as buttons
WANTED_LABELS = {
    "who": "是谁讲的",
    "when": "是什么时候讲的",
    "occasion": "在什么会议上讲的",
    "length": "有多长",
    "parts": "有几个部分",
    "opening": "的开场白",
    "closing": "的结束语",
}


def about_html(question: str, reply: Reply) -> str:
    """A fact about a speech, with where the text says so."""
    lines = [question_line(shorten(question, 600)), "", esc(reply.text)]
    if reply.fact and reply.fact.source:
        lines.append(f"<i>出处：{esc(shorten(reply.fact.source, 300))}</i>")
    return "\n".join(lines)


def choose_html(question: str, reply: Reply) -> str:
    wanted = reply.wanted or ""
    asked = WANTED_LABELS.get(wanted) or (f"的第{wanted}部分" if wanted.isdigit() else "")
    return "\n".join(
        [
            question_line(shorten(question, 600)),
            "",
            esc(f"你问的是哪一篇讲话{asked}？请选择（或在问题里写上讲话的名称、年份或地区）："),
        ]
    )


def choose_keyboard(reply: Reply) -> InlineKeyboardMarkup:
    wanted = reply.wanted or ""
    return InlineKeyboardMarkup(
        [[button(label(d.meta.title), "w", doc_key(d.doc_id), wanted)] for d in reply.choices]
    )


def speech_line(number: int, document: Document) -> str:
    details = " · ".join(x for x in (document.meta.speaker, document.meta.date) if x)
    return f"{number}. 《{esc(document.meta.title)}》" + (f" {esc(details)}" if details else "")


def filtered_speeches_html(documents: Sequence[Document], words: str, total: int) -> str:
    """The speeches matching /speeches words, grouped by kind, titles only."""
    if not documents:
        return esc(f"没有找到讲话“{words}”（共收录 {total} 篇）。可以按标题、讲话人、年份或地区查找，") + (
            "例如：<code>/speeches 市长</code>、<code>/speeches 2025</code>、<code>/speeches 广东</code>。"
        )
    lines = [f"<b>与“{esc(shorten(words, 40))}”相符的讲话</b>（{len(documents)} 篇）"]
    number = 0
    for kind, members in grouped(documents):
        lines.append(f"\n<u>{esc(kind)}</u>")
        for document in members:
            number += 1
            lines.append(speech_line(number, document))
    lines.append(
        "\n选择一篇查看提纲。" if len(documents) <= LIST_BUTTONS else f"\n按钮为前 {LIST_BUTTONS} 篇。"
    )
    return fit_lines(lines, LIMIT)


def documents_keyboard(
    documents: Sequence[Document], kind: str = "o", *args: object
) -> InlineKeyboardMarkup | None:
    """A button per document (its title), up to LIST_BUTTONS: its outline, or another kind (with `args`)."""
    order = [d for _, members in grouped(documents) for d in members]
    rows = [
        [button(f"{n}. {label(d.meta.title)}", kind, doc_key(d.doc_id), *args)]
        for n, d in enumerate(order[:LIST_BUTTONS], 1)
    ]
    return InlineKeyboardMarkup(rows) if rows else None
