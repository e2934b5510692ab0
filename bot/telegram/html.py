"""Telegram HTML for answers, paragraphs, parts, outlines, the speech list and reports.

Every corpus and user string goes through `esc`; every text stays within Telegram's
4,096 characters (counted in UTF-16 units, as Telegram does) by dropping whole hits
or lines, or by shortening plain text before it is marked up, never by cutting HTML.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.service.catalog import document_kind
from retrieval.corpus.document import OPENING, SECTION, Document, Paragraph
from retrieval.corpus.references import chinese_number, part_label, reference
from retrieval.render.highlight import mark
from retrieval.render.terminal import hit_heading, outline_lines, partial_note, placeholder_note
from retrieval.search.results import Answer, Hit

LIMIT = 4096
ELLIPSIS = "…"
QUESTION_PREFIX = "问："
HEADING_MAX = 300  # a reference line (title, part, point) is shortened to this: a hit always fits


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, budget: int) -> str:
    """Plain text cut to `budget` UTF-16 units, ending in … when cut."""
    if length(text) <= budget:
        return text
    if budget <= 0:  # not even the …: without this, `quoted` would shorten "…" forever
        return ""
    cut = text[: max(0, budget - 1)]
    while cut and length(cut) > budget - 1:
        cut = cut[:-1]
    return cut + ELLIPSIS


def escaped_within(text: str, budget: int) -> str:
    """`text` escaped, cut (before escaping, so never inside an entity) to fit `budget`."""
    if length(esc(text)) <= budget:
        return esc(text)
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if length(esc(text[:middle])) + 1 <= budget:
            low = middle
        else:
            high = middle - 1
    return esc(text[:low]) + ELLIPSIS


def bold_terms(text: str, terms: Iterable[str]) -> str:
    return mark(text, list(terms), "<b>", "</b>", esc)


def quoted(text: str, terms: Iterable[str], budget: int) -> str:
    """A blockquote of `text` with matched words bold, within `budget` characters in all."""
    terms = list(terms)
    body = bold_terms(text, terms)
    overhead = length("<blockquote></blockquote>")
    while length(body) + overhead > budget and text:
        text = shorten(text, max(0, length(text) - max(1, (length(body) + overhead - budget))))
        body = bold_terms(text, terms)
    return f"<blockquote>{body}</blockquote>"


@dataclass
class Rendered:
    text: str
    shown: list[Hit]  # the hits that fit (buttons are made for these only)


def question_line(question: str) -> str:
    return f"{QUESTION_PREFIX}<b>{esc(question)}</b>"


def hit_block(hit: Hit, number: int, terms: list[str], budget: int = LIMIT) -> str:
    heading = f"<b>{number}. {esc(shorten(hit_heading(hit), HEADING_MAX))}</b>\n"
    return heading + quoted(hit.quote, terms, budget - length(heading))


def answer_html(answer: Answer, offset: int = 0, limit: int = LIMIT) -> Rendered:
    """The question, then each hit under its reference; hits that do not fit are dropped."""
    head = question_line(shorten(answer.query, 600))
    if not answer.found or not answer.hits:
        return Rendered(head + "\n\n" + not_found_html(answer), [])
    text = head
    shown: list[Hit] = []
    if answer.unmatched:
        text += "\n<i>" + esc(shorten(partial_note(answer), 300)) + "</i>"
    for number, hit in enumerate(answer.hits, start=offset + 1):
        room = limit - length(text) - 2
        block = hit_block(hit, number, answer.terms, room if not shown else LIMIT)
        if length(block) > room:
            break
        text += "\n\n" + block
        shown.append(hit)
    note = placeholder_note(shown)
    if note and length(text) + length(note) + 9 <= limit:
        text += f"\n<i>{esc(note)}</i>"
    return Rendered(text, shown)


def not_found_html(answer: Answer) -> str:
    if not answer.terms:
        return esc("问题里没有可检索的词语，请换个说法，例如：「廉政责任书多久签一次」。")
    lines = ["没有找到与问题相符的段落。"]
    if answer.missing_terms:
        lines.append("语料中没有出现的词：" + "、".join(esc(t) for t in answer.missing_terms))
    lines.append("可以换个说法，或用 /speeches 查看收录的讲话。")
    return "\n".join(lines)


def no_more_html(question: str) -> str:
    return question_line(shorten(question, 600)) + "\n\n没有更多结果了。"


def paragraph_reference(document: Document, paragraph: Paragraph) -> str:
    section = document.section(paragraph.section)
    subsection = None
    if section and paragraph.subsection and paragraph.subsection <= len(section.subsections):
        sub = section.subsections[paragraph.subsection - 1]
        subsection = f"（{chinese_number(sub.number)}）{sub.title}"
    title = section.title if section else paragraph.appendix
    return reference(
        document.meta.title, paragraph.kind, section.number if section else None, title, subsection, None
    )


def paragraph_html(document: Document, paragraph: Paragraph, terms: Iterable[str] = ()) -> str:
    extras = "，".join(x for x in (document.meta.speaker, document.meta.date, f"第{paragraph.number}段") if x)
    place = shorten(paragraph_reference(document, paragraph), HEADING_MAX)
    heading = f"<b>{esc(place)}（{esc(extras)}）</b>\n"
    return heading + quoted(document.paragraph_text(paragraph), terms, LIMIT - length(heading))


def part_key(paragraph: Paragraph) -> str:
    """'0' for the opening, the section number, or 'c' for the closing."""
    if paragraph.kind == SECTION and paragraph.section:
        return str(paragraph.section)
    return "0" if paragraph.kind == OPENING else "c"


def part_paragraphs(document: Document, key: str) -> list[Paragraph]:
    return [p for p in document.paragraphs if p.indexed and part_key(p) == key]


def part_title(document: Document, key: str) -> str:
    if key == "0":
        return "开场白"
    if key == "c":
        return "结束语"
    section = document.section(int(key)) if key.isdigit() else None
    return f"{chinese_number(section.number)}、{section.title}" if section else key


def part_keys(document: Document) -> list[str]:
    return list(dict.fromkeys(part_key(p) for p in document.paragraphs if p.indexed))


def part_messages(document: Document, key: str, limit: int = LIMIT) -> list[str]:
    """A whole part as one or more messages, split between paragraphs."""
    paragraphs = part_paragraphs(document, key)
    if not paragraphs:
        return []
    first = paragraphs[0]
    label = part_label(first.kind, first.section, part_title(document, key).split("、", 1)[-1])
    messages = [f"<b>{esc(shorten(f'《{document.meta.title}》{label}', HEADING_MAX))}</b>"]
    for paragraph in paragraphs:
        body = escaped_within(document.paragraph_text(paragraph), limit - 40)
        piece = f"<i>第{paragraph.number}段</i>\n" + body
        if length(messages[-1]) + 2 + length(piece) <= limit:
            messages[-1] += "\n\n" + piece
        else:
            messages.append(piece)
    return messages


def fit_lines(lines: list[str], limit: int = LIMIT) -> str:
    """Escaped-HTML lines joined, dropping the tail (with a … line) if they do not fit."""
    text = ""
    for index, line in enumerate(lines):
        candidate = f"{text}\n{line}" if index else line
        if length(candidate) > limit - 2:
            return text + "\n" + ELLIPSIS
        text = candidate
    return text


def outline_html(document: Document) -> str:
    lines = [esc(line) for line in outline_lines(document)]
    lines[0] = f"<b>{lines[0]}</b>"
    return fit_lines([*lines, "", "点下面的按钮阅读各部分全文。"])


def speeches_html(documents: Sequence[Document], page: int, per_page: int) -> str:
    if not documents:
        return "语料中还没有讲话。"
    pages = (len(documents) + per_page - 1) // per_page
    lines = [f"<b>收录的讲话</b>（共 {len(documents)} 篇，第 {page + 1}/{pages} 页）"]
    kind = None
    for number, document in enumerate(
        documents[page * per_page : (page + 1) * per_page], page * per_page + 1
    ):
        if document_kind(document) != kind:
            kind = document_kind(document)
            lines.append(f"<u>{esc(kind)}</u>")
        details = " · ".join(x for x in (document.meta.speaker, document.meta.date) if x)
        lines.append(f"{number}. 《{esc(document.meta.title)}》" + (f" {esc(details)}" if details else ""))
    lines.append("\n选择一篇查看提纲。")
    return fit_lines(lines)


def age_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} 秒"
    if seconds < 3600:
        return f"{seconds / 60:.0f} 分钟"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} 小时"
    return f"{seconds / 86400:.1f} 天"


def stats_html(documents: int, passages: int, built_at: float, build_seconds: float, stats) -> str:
    median = stats.median_seconds
    lines = [
        "<b>运行统计</b>",
        f"文档：{documents} 篇",
        f"片段：{passages} 个",
        f"索引已建立：{age_text(time.time() - built_at)}（建立用时 {build_seconds:.1f} 秒）",
        f"已回答问题：{stats.questions} 个",
        "回答时间中位数：" + (f"{median * 1000:.0f} 毫秒" if median is not None else "暂无"),
    ]
    return "\n".join(lines)


def reload_html(report, old_documents: int = 0, old_passages: int = 0) -> str:
    """What a reload did, or why it kept the old index."""
    if not report.ok:
        lines = [
            f"❌ 重新载入失败：{esc(report.error or '未知错误')}",
            f"仍在使用原来的索引（{old_documents} 篇，{old_passages} 个片段）。",
        ]
    else:
        changes = report.changes
        lines = [
            f"✅ 已重新载入语料，用时 {report.seconds:.1f} 秒。",
            f"文档 {report.documents} 篇，片段 {report.passages} 个。",
        ]
        for label, items in (("新增", changes.added), ("删除", changes.removed), ("修改", changes.changed)):
            lines.append(f"{label}：" + ("、".join(esc(i) for i in items) if items else "无"))
    if report.warnings:
        lines.append(f"警告（{len(report.warnings)}）：")
        lines.extend(f"• {esc(w)}" for w in report.warnings[:30])
        if len(report.warnings) > 30:
            lines.append(f"…另有 {len(report.warnings) - 30} 条")
    if getattr(report, "unchanged", 0):
        lines.append(f"（另有 {report.unchanged} 条警告与上次相同、文件未改，不再重复列出）")
    return fit_lines(lines)


def inline_hit_html(answer: Answer, hit: Hit) -> str:
    text = question_line(shorten(answer.query, 300)) + "\n\n"
    return text + hit_block(hit, 1, answer.terms, LIMIT - length(text)).replace("<b>1. ", "<b>", 1)
