"""Questions about a speech itself — who gave it, when, at which meeting, how long, how many
parts — answered from its metadata and outline, citing the header line that says so."""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.corpus.document import HEADER, OPENING, Document
from retrieval.corpus.references import chinese_number
from retrieval.text.normalize import fold

WHO, WHEN, OCCASION, LENGTH, PARTS = "who", "when", "occasion", "length", "parts"
FACTS = (WHO, WHEN, OCCASION, LENGTH, PARTS)
# The question must point at a speech (讲话, 报告, 这篇, 它 …), so 「这项工作由谁负责」 stays a search.
DOCUMENT_RE = re.compile(r"讲话|报告|发言|致辞|演讲|讲稿|这篇|这份|该篇|此篇|^它|^那篇")
ASKED = {
    WHO: re.compile(
        r"(?:是|由)?(?:谁|哪位|什么人|哪个人)(?:来)?(?:讲|作|做|发表|说|写|致|宣读|报告)的?|讲话人|报告人|发言人"
    ),
    WHEN: re.compile(
        r"(?:什么时候|何时|哪一?年|哪天|哪一天|几月几[日号]|什么日子|啥时候)(?:讲|作|做|发表|开|召开|的)?|日期是"
    ),
    OCCASION: re.compile(r"(?:在|于)?(?:哪|什么|啥)(?:个|次)?(?:会|会议|场合|大会)上?(?:讲|作|做|发表)?的?"),
    LENGTH: re.compile(r"多长|多少字|几个?字|字数|篇幅|多少段|几段"),
    PARTS: re.compile(r"(?:几|多少)个?(?:部分|方面)|分(?:为|成)?几(?:个)?部分|提纲|结构|大纲"),
}
# Who holds the office a speaker's metadata names (四川省长是谁, 总理叫什么名字): the speaker.
OFFICE_WHO_RE = re.compile(r"(省长|市长|主席|总理|州长|区长|县长)(?:是|叫)(?:谁|哪位|什么名字)")
# A question that asks for content after naming the speech (讲了什么) is not about the speech itself.
CONTENT_RE = re.compile(r"讲了什么|说了什么|提到|要求|内容|怎么|如何|为什么")
QUOTE_AROUND = 20  # characters quoted either side of a fact found in the opening
PLACEHOLDER_RE = re.compile(r"X{1,3}|×{1,3}")


def asked_fact(question: str) -> str | None:
    """Which fact about a speech a question asks for (who, when, occasion, length, parts), or None."""
    folded = fold(question)
    if not DOCUMENT_RE.search(folded) or CONTENT_RE.search(folded):
        return None
    return next((fact for fact, pattern in ASKED.items() if pattern.search(folded)), None)


def asks_speaker_office(question: str, document: Document) -> bool:
    """Whether a question asks who holds the office this document's speaker held (四川省长是谁
    of a report given by 四川省人民政府省长 施小琳); never for a document whose speaker is unknown."""
    match = OFFICE_WHO_RE.search(fold(question))
    return bool(match and document.meta.speaker and match.group(1) in document.meta.speaker)


@dataclass(frozen=True)
class Fact:
    """The answer to a question about a speech: plain text, and where the text says so (or None)."""

    document: Document
    text: str
    source: str | None


def header_line(document: Document, needle: str | None) -> str | None:
    """Where the text says `needle`: a header line (文首第N行「…」) or one of the first
    paragraphs of the opening (第N段「…」, shortened around it)."""
    if not needle:
        return None
    squeeze = re.compile(r"\s+")
    wanted = squeeze.sub("", fold(needle))
    for paragraph in document.paragraphs:
        if paragraph.kind not in (HEADER, OPENING):
            break
        line = document.paragraph_text(paragraph)
        if paragraph.kind == HEADER and (wanted in squeeze.sub("", fold(line)) or needle in line):
            return f"文首第{paragraph.number}行「{line}」"
        at = fold(line).find(wanted)
        if paragraph.kind == OPENING and at >= 0:
            begin = max(0, at - QUOTE_AROUND)
            excerpt = line[begin : at + len(wanted) + QUOTE_AROUND]
            dots = ("…" if begin else "", "…" if at + len(wanted) + QUOTE_AROUND < len(line) else "")
            return f"开场白第{paragraph.number}段「{dots[0]}{excerpt}{dots[1]}」"
    return None


def spoken_date(date: str | None) -> str | None:
    """2026-01-26 → 2026年1月26日; a year alone → 2026年."""
    if not date:
        return None
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})-(\d{2}))?", date)
    if not match:
        return date
    year, month, day = match.groups()
    return f"{year}年{int(month)}月{int(day)}日" if month else f"{year}年"


def name_of(document: Document) -> str:
    return f"《{document.meta.title}》"


def about(document: Document, fact: str) -> Fact:
    """The answer from metadata and outline; says plainly when the metadata is unknown."""
    meta = document.meta
    name = name_of(document)
    placeholder = any(PLACEHOLDER_RE.search(document.paragraph_text(p)) for p in document.paragraphs[:40])
    blank = "（原文用“XX”代替了人名、地名，语料里没有真实的名字。）" if placeholder else ""
    if fact == WHO:
        if meta.speaker:
            return Fact(document, f"{name}的讲话人：{meta.speaker}。", header_line(document, meta.speaker))
        return Fact(document, f"{name}：语料没有注明讲话人。{blank}", None)
    if fact == WHEN:
        when = spoken_date(meta.date)
        if when and meta.date and len(meta.date) > 4:
            place = f"，在{meta.occasion}上" if meta.occasion else ""
            return Fact(document, f"{name}：{when}{place}。", header_line(document, str(meta.year)))
        if when:
            return Fact(document, f"{name}：语料只注明年份 {when}，没有具体日期（年份据文件名）。", None)
        return Fact(document, f"{name}：语料没有注明日期。{blank}", None)
    if fact == OCCASION:
        if meta.occasion:
            return Fact(document, f"{name}：在{meta.occasion}上。", header_line(document, meta.occasion))
        return Fact(document, f"{name}：语料没有注明在什么会议上。{blank}", None)
    if fact == LENGTH:
        indexed = [p for p in document.paragraphs if p.indexed]
        chars = sum(p.end - p.start for p in indexed)
        return Fact(
            document,
            f"{name}：正文 {len(indexed)} 段，约 {chars} 字，{len(document.sections)} 个部分。",
            None,
        )
    return Fact(document, parts_text(document), None)


def parts_text(document: Document) -> str:
    """How many parts and their titles: 共六个部分：一、…；二、…"""
    name = name_of(document)
    if not document.sections:
        return f"{name}没有分成编号的部分（一、二、…）。"
    titles = "；".join(f"{chinese_number(s.number)}、{s.title}" for s in document.sections)
    extras = [
        x
        for kind, x in (("opening", "开场白"), ("closing", "结束语"))
        if any(p.kind == kind for p in document.paragraphs)
    ]
    around = f"（另有{'和'.join(extras)}）" if extras else ""
    return f"{name}共{chinese_number(len(document.sections))}个部分{around}：{titles}。"
