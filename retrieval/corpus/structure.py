"""Speech structure: header (title, date line, speaker), salutation, opening, numbered parts
(一、 on its own line or opening its paragraph), sub-sections (（一）), points inside
paragraphs (一是, 一要, 第一, 1.), the closing remarks, paragraphs and sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.corpus.document import (
    CLOSING,
    HEADER,
    HEADING,
    OPENING,
    SECTION,
    Paragraph,
    Point,
    Section,
    Subsection,
)
from retrieval.text.wordlists import speech_words

CN_DIGITS = "一二三四五六七八九十"
# 一、科学谋划 (or a bare 一 on its own line, as some older reports number their parts)
PART_RE = re.compile(rf"^([{CN_DIGITS}]{{1,3}})(?:[、．.]\s*(.+))?$")
SUBSECTION_RE = re.compile(rf"^[（(]([{CN_DIGITS}]{{1,3}})[）)]\s*(.+)$")
AUDIENCE = (
    r"(?:同志们|各位代表|各位委员|各位领导|各位来宾|各位同事|同事们|朋友们|同学们|老师们|女士们|先生们)"
)
SALUTATION_RE = re.compile(rf"^{AUDIENCE}(?:[、，,]{AUDIENCE})*[：:！!，,]?$")
CLOSING_START_RE = re.compile(rf"^{AUDIENCE}[，,！!：:]")
TITLE_ENDINGS = ("致辞稿", "总结", "动员令")  # besides the words that name a speech itself
TITLE_RE = re.compile(
    rf"({'|'.join(sorted({*speech_words(), *TITLE_ENDINGS}, key=len, reverse=True))})(（[^）]*）)?$|^在.{{2,40}}(上|中)的"
)
DATE_LINE_RE = re.compile(r"^[—－\-]{1,3}|^[\d〇零一二三四五六七八九十]{4}\s*年.{1,6}月.{1,6}日")
APPENDIX_RE = re.compile(r"^(附件|附录|名词解释|注释|附：.{0,20})\s*\d*[：:]?$")
POINT_BOUNDARY_RE = re.compile(r"(?:^|(?<=\n)|[。！？；：!?;:][”’」』）)]*)\s*", re.M)
POINT_RE = re.compile(
    rf"(?:([{CN_DIGITS}]{{1,2}})(?:是|要|则|来)|第([{CN_DIGITS}]{{1,2}})(?=[，、,：:])|(\d{{1,2}})[.．、](?!\d))"
)
SENTENCE_END_RE = re.compile(r"[。！？；!?;…]+[”’」』）)]*")
MAX_HEADING = 40
MAX_HEADER_LINE = 60
MAX_SENTENCE = 200
MAX_POINT_LABEL = 30


def cn_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23."""
    values = [CN_DIGITS.index(c) + 1 for c in text]
    if len(values) == 1:
        return values[0]
    if values[0] == 10:
        return 10 + values[1]
    if values[1] == 10:
        return values[0] * 10 + (values[2] if len(values) > 2 else 0)
    return -1


def is_speech_start(line: str) -> bool:
    """Whether a line can begin a speech: a title, a salutation or a first part heading."""
    if SALUTATION_RE.match(line) or line.startswith("一、"):
        return True
    return len(line) <= MAX_HEADER_LINE and "。" not in line and bool(TITLE_RE.search(line))


@dataclass
class Header:
    title: str | None = None
    subtitle: str | None = None
    date_line: str | None = None
    speaker_line: str | None = None
    length: int = 0  # number of lines the header takes


def parse_header(lines: list[str]) -> Header:
    """The title, ——date/occasion line and speaker line at the top of a speech, if any."""
    header = Header()
    for line in lines[:5]:
        if (
            SALUTATION_RE.match(line)
            or PART_RE.match(line)
            or len(line) > MAX_HEADER_LINE
            or line.endswith(("。", "；"))
        ):
            break
        if DATE_LINE_RE.match(line) and header.date_line is None:
            header.date_line = line
        elif (
            header.title is None and header.date_line is None and (TITLE_RE.search(line) or not header.length)
        ):
            header.title = line
        elif header.title is not None and header.date_line is None and header.subtitle is None:
            header.subtitle = line
        elif header.speaker_line is None and header.title is not None and len(line) <= 30:
            header.speaker_line = line
        else:
            break
        header.length += 1
    return header


def heading_title(rest: str) -> tuple[str, bool] | None:
    """The title of a heading line's remainder, and whether the heading is inline.

    A short remainder is a heading on its own line; a long one is an inline heading whose
    title is its first sentence; a long first sentence means a list item, not a heading.
    """
    if len(rest) <= MAX_HEADING and "。" not in rest.rstrip("。"):
        return rest.rstrip("。 "), False
    end = rest.find("。")
    if 0 < end <= MAX_HEADING:
        return rest[:end], True
    return None


def split_sentences(text: str, offset: int) -> list[tuple[int, int]]:
    """Sentence spans of a paragraph (absolute offsets); over-long sentences split at commas."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in SENTENCE_END_RE.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    result: list[tuple[int, int]] = []
    for begin, end in spans:
        while end - begin > MAX_SENTENCE:
            cut = text.rfind("，", begin, begin + MAX_SENTENCE // 2 + 60)
            if cut <= begin + 20:
                cut = begin + MAX_SENTENCE // 2
            else:
                cut += 1
            result.append((begin, cut))
            begin = cut
        if text[begin:end].strip():
            result.append((begin, end))
    return [(offset + b, offset + e) for b, e in result]


def find_points(text: str, start: int, end: int) -> list[Point]:
    """Points (一是/二是, 一要, 第一, 1.) that open a sentence or follow a colon inside
    text[start:end], numbered 1, 2, 3… in order."""
    starts: list[tuple[int, str]] = []
    expected = 1
    for boundary in POINT_BOUNDARY_RE.finditer(text, start, end):
        match = POINT_RE.match(text, boundary.end(), end)
        if not match:
            continue
        digits = match.group(1) or match.group(2)
        number = cn_number(digits) if digits else int(match.group(3))
        if number == 1:
            expected = 1
        if number != expected:
            continue
        expected += 1
        sentence_end = SENTENCE_END_RE.search(text, match.start(), end)
        starts.append(
            (match.start(), point_label(text[match.start() : sentence_end.end() if sentence_end else end]))
        )
    return [
        Point(label, begin, starts[i + 1][0] if i + 1 < len(starts) else end)
        for i, (begin, label) in enumerate(starts)
    ]


def point_label(sentence: str) -> str:
    label = SENTENCE_END_RE.sub("", sentence).strip()
    if len(label) > MAX_POINT_LABEL:
        comma = label.find("，")
        label = label[:comma] if 4 <= comma <= MAX_POINT_LABEL else label[:MAX_POINT_LABEL] + "…"
    return label


def parse_body(lines: list[str], text: str, first_body_line: int) -> tuple[list[Paragraph], list[Section]]:
    """Paragraphs (one per line) with their part, section, sub-section, sentences and points.
    A speech without 一、 parts whose top level is （一）（二）… has those as its parts."""
    paragraphs, sections = _parse_body(lines, text, first_body_line, PART_RE, SUBSECTION_RE)
    if not sections:
        paragraphs, sections = _parse_body(lines, text, first_body_line, SUBSECTION_RE, None)
    return paragraphs, sections


def _parse_body(
    lines: list[str],
    text: str,
    first_body_line: int,
    part_re: re.Pattern[str],
    sub_re: re.Pattern[str] | None,
) -> tuple[list[Paragraph], list[Section]]:
    paragraphs: list[Paragraph] = []
    sections: list[Section] = []
    offset = 0
    for index, line in enumerate(lines):
        number = index + 1
        paragraph = Paragraph(number=number, start=offset, end=offset + len(line), kind=OPENING)
        offset += len(line) + 1
        paragraphs.append(paragraph)
        if index < first_body_line:
            paragraph.kind = HEADER
            continue
        current = sections[-1] if sections else None
        part = part_re.match(line)
        sub = sub_re.match(line) if sub_re else None
        parsed = (heading_title(part.group(2)) if part.group(2) else ("", False)) if part else None
        if part and parsed and cn_number(part.group(1)) == len(sections) + 1:
            title, inline = parsed
            sections.append(Section(len(sections) + 1, title, number, inline))
            current = sections[-1]
            paragraph.kind = SECTION if inline else HEADING
        elif sub and current and (parsed := heading_title(sub.group(2))):
            if cn_number(sub.group(1)) == len(current.subsections) + 1:
                title, inline = parsed
                current.subsections.append(Subsection(len(current.subsections) + 1, title, number))
                paragraph.kind = SECTION if inline else HEADING
            else:
                paragraph.kind = SECTION
        elif current:
            paragraph.kind = SECTION
        if current:
            paragraph.section = current.number
            paragraph.subsection = len(current.subsections) or None
    _mark_closing(paragraphs, lines, sections)
    for paragraph in paragraphs:
        if paragraph.indexed:
            paragraph.sentences = split_sentences(lines[paragraph.number - 1], paragraph.start)
            paragraph.points = find_points(text, paragraph.start, paragraph.end)
    return paragraphs, sections


def _mark_closing(paragraphs: list[Paragraph], lines: list[str], sections: list[Section]) -> None:
    """After the last part, the last paragraph addressed to the audience (同志们，…) and
    everything after it are the closing; an appendix heading (名词解释) after it opens an appendix."""
    if not sections:
        return
    last_heading = sections[-1].paragraph
    candidates = [
        p
        for p in paragraphs[last_heading:]
        if p.kind == SECTION
        and (CLOSING_START_RE.match(lines[p.number - 1]) or SALUTATION_RE.match(lines[p.number - 1]))
    ]
    if not candidates:
        return
    appendix: str | None = None
    for paragraph in paragraphs[candidates[-1].number - 1 :]:
        line = lines[paragraph.number - 1]
        if APPENDIX_RE.match(line):
            appendix = line.rstrip("：:")
        paragraph.section = None
        paragraph.subsection = None
        paragraph.appendix = appendix
        if SALUTATION_RE.match(line) or line == appendix:
            paragraph.kind = HEADING
        else:
            paragraph.kind = CLOSING
