"""Speech structure: header (title, date line, speaker), salutation, opening, numbered parts
(一、 on its own line or opening its paragraph), sub-sections (（一）), points inside
paragraphs (一是, 一要, 第一, 1.), the closing remarks, paragraphs and sentences."""

from __future__ import annotations

import re
from collections.abc import Iterator
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
BARE_APPENDIX_RE = re.compile(r"^附件\s*\d*$")  # 附件1 alone: its title is the next line
APPENDIX_RE = re.compile(r"^(附件|附录|名词解释|注释|附：.{0,20})\s*\d*[：:]?$")
POINT_BOUNDARY_RE = re.compile(r"(?:^|(?<=\n)|[。！？；：!?;:][”’」』）)]*)\s*", re.M)
POINT_RE = re.compile(
    rf"(?:([{CN_DIGITS}]{{1,2}})(?:是|要|则|来)|第([{CN_DIGITS}]{{1,2}})(?=[，、,：:])|(\d{{1,2}})[.．、](?!\d))"
)
SENTENCE_END_RE = re.compile(r"[。！？；!?;…]+[”’」』）)]*")
# A full stop: what ends a sentence as a reader sees it (a 「；」 only ends a clause of one).
FULL_STOPS = "。！？!?…"
CLOSERS = "”’」』）) \t"
FULL_STOP_RE = re.compile(rf"[{FULL_STOPS}]+[”’」』）)]*")
# A stop inside a short bracket (《卡拉OK.LIVE！‧台北‧我》, 牛车水（；）, a title or an aside
# closing within this many characters) ends no sentence.
OPENING_BRACKETS = "（(《"
CLOSING_BRACKETS = "）)》"
MAX_BRACKETED = 60
MAX_HEADING = 40
MAX_HEADER_LINE = 60
MAX_SENTENCE = 200
MAX_POINT_LABEL = 30
MAX_BARE_HEADING = 16
MAX_SUB_HEADING = 80
BARE_PUNCTUATION_RE = re.compile(r"[，。；：！？、,.;:!?“”\"（）()《》\d]")
CLOSING_HEADINGS = frozenset({"结束语", "结语"})


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


def sub_heading_title(rest: str) -> tuple[str, bool] | None:
    """A sub-section heading's title: as `heading_title`, and also a line that is one longer
    sentence alone (（四）推动供需高水平动态适配，在…投资。), a heading on its own line."""
    parsed = heading_title(rest)
    if parsed is None and rest.endswith("。") and "。" not in rest[:-1] and len(rest) <= MAX_SUB_HEADING:
        return rest[:-1], False
    return parsed


def in_brackets(text: str, position: int, start: int = 0) -> bool:
    """Whether text[position] stands inside a short bracket opened after `start`: a title
    《…》 or an aside （…） that closes within MAX_BRACKETED characters of its opening."""
    opened = max(text.rfind(bracket, start, position) for bracket in OPENING_BRACKETS)
    if opened == -1 or any(text.find(bracket, opened, position) != -1 for bracket in CLOSING_BRACKETS):
        return False
    limit = min(len(text), opened + MAX_BRACKETED)
    return any(text.find(bracket, position, limit) != -1 for bracket in CLOSING_BRACKETS)


def sentence_stops(
    pattern: re.Pattern[str], text: str, start: int = 0, end: int | None = None
) -> Iterator[re.Match[str]]:
    """The matches of a sentence-end pattern in text[start:end] that are not inside a short bracket."""
    end = len(text) if end is None else end
    sentence = start
    for match in pattern.finditer(text, start, end):
        if in_brackets(text, match.start(), sentence):
            continue
        yield match
        sentence = match.end()


def split_sentences(text: str, offset: int) -> list[tuple[int, int]]:
    """Sentence spans of a paragraph (absolute offsets); over-long sentences split at commas."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in sentence_stops(SENTENCE_END_RE, text):
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


def sentence_end(text: str, position: int, end: int) -> int:
    """Where the sentence holding text[position - 1] ends: `position` itself after a full
    stop (and its closing quotes), else after the next full stop (with its closing quotes),
    else `end` (the paragraph's end)."""
    back = position
    while back > 0 and text[back - 1] in CLOSERS:
        back -= 1
    if back > 0 and text[back - 1] in FULL_STOPS:
        return position
    stop = next(sentence_stops(FULL_STOP_RE, text, position, end), None)
    return stop.end() if stop else end


def find_points(text: str, start: int, end: int, expected: int = 1) -> tuple[list[Point], int]:
    """Points (一是/二是, 一要, 第一, 1.) that open a sentence or follow a colon inside
    text[start:end], numbered 1, 2, 3… in order, continuing from `expected` (第二 may open
    the paragraph after 第一's); returns them and the number the next point would have."""
    starts: list[tuple[int, str]] = []
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
    points = [
        Point(label, begin, starts[i + 1][0] if i + 1 < len(starts) else end)
        for i, (begin, label) in enumerate(starts)
    ]
    return points, expected


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
    if not sections:  # 关于国内建设 / 关于外交工作 / 结束语: headings without numbers
        headings = bare_headings(lines, first_body_line)
        if len(headings) >= 2:
            paragraphs, sections = _parse_body(lines, text, first_body_line, PART_RE, SUBSECTION_RE, headings)
    if not sections:  # parts opened only by a repeated 各位代表！, titled by their first clause
        headings = salutation_parts(lines, first_body_line)
        if len(headings) >= 2:
            paragraphs, sections = _parse_body(lines, text, first_body_line, PART_RE, SUBSECTION_RE, headings)
    return paragraphs, sections


def bare_headings(lines: list[str], first_body_line: int) -> dict[int, str]:
    """Lines that are headings without a number (关于外交工作): short, no punctuation, not a
    salutation, followed by a paragraph; 结束语 is left to the closing."""
    found = {}
    for index in range(first_body_line, len(lines) - 1):
        line = lines[index]
        if (
            2 <= len(line) <= MAX_BARE_HEADING
            and not BARE_PUNCTUATION_RE.search(line)
            and not SALUTATION_RE.match(line)
            and line not in CLOSING_HEADINGS
        ):
            found[index] = line
    return found


def salutation_parts(lines: list[str], first_body_line: int) -> dict[int, str]:
    """Each 各位代表！ after the first opens a part, titled by the first clause after it."""
    salutations = [i for i in range(first_body_line + 1, len(lines) - 1) if SALUTATION_RE.match(lines[i])]
    return {i: first_clause(lines[i + 1]) for i in salutations}


def first_clause(line: str) -> str:
    clause = re.split(r"[，。；：！？,;:!?]", line, maxsplit=1)[0]
    return clause if len(clause) <= MAX_POINT_LABEL else clause[:MAX_POINT_LABEL] + "…"


def _parse_body(
    lines: list[str],
    text: str,
    first_body_line: int,
    part_re: re.Pattern[str],
    sub_re: re.Pattern[str] | None,
    headings: dict[int, str] | None = None,
) -> tuple[list[Paragraph], list[Section]]:
    """Paragraphs and parts. Parts are lines numbered in order (一、二、…) — or, given
    `headings`, those lines — until an appendix (附件, 名词解释) begins. A numbered line
    inside a part whose numbering restarted at 一 is a list item, not the next part."""
    paragraphs: list[Paragraph] = []
    sections: list[Section] = []
    offset = 0
    listing: list[int] = []  # the next number of each open list of 一、二、… items, outermost first
    in_appendix = False
    for index, line in enumerate(lines):
        number = index + 1
        paragraph = Paragraph(number=number, start=offset, end=offset + len(line), kind=OPENING)
        offset += len(line) + 1
        paragraphs.append(paragraph)
        if index < first_body_line:
            paragraph.kind = HEADER
            continue
        current = sections[-1] if sections else None
        in_appendix = in_appendix or bool(current and APPENDIX_RE.match(line))
        part = None if in_appendix or headings is not None else part_re.match(line)
        sub = sub_re.match(line) if sub_re and not in_appendix else None
        parsed = (heading_title(part.group(2)) if part.group(2) else ("", False)) if part else None
        if part:
            item = cn_number(part.group(1))
            if sections and item == 1:  # a list inside the part (perhaps inside another list)
                listing.append(2)
                parsed = None
            elif item in listing:  # the next item of an open list: close the lists inside it
                del listing[len(listing) - listing[::-1].index(item) :]  # the innermost such list
                listing[-1] += 1
                parsed = None
            elif item != len(sections) + 1:
                parsed = None
        if headings is not None and index in headings and not in_appendix:
            parsed = (headings[index], False)
        if parsed is not None and (part or headings is not None):
            title, inline = parsed
            sections.append(Section(len(sections) + 1, title, number, inline))
            current = sections[-1]
            listing = []
            paragraph.kind = SECTION if inline else HEADING
        elif sub and current and (parsed := sub_heading_title(sub.group(2))):
            listing = []
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
    expected, place = 1, None
    for paragraph in paragraphs:
        if paragraph.kind == HEADING or (paragraph.section, paragraph.subsection) != place:
            expected, place = 1, (paragraph.section, paragraph.subsection)  # points restart under a heading
        if paragraph.indexed:
            paragraph.sentences = split_sentences(lines[paragraph.number - 1], paragraph.start)
            paragraph.points, expected = find_points(text, paragraph.start, paragraph.end, expected)
    return paragraphs, sections


def _mark_closing(paragraphs: list[Paragraph], lines: list[str], sections: list[Section]) -> None:
    """After the last part, the last paragraph addressed to the audience (同志们，…) and
    everything after it are the closing; an appendix heading (附件1, 名词解释) after the last
    part opens an appendix, whose paragraphs are closing paragraphs labelled with it."""
    if not sections:
        return
    last_heading = sections[-1].paragraph
    after = paragraphs[last_heading:]
    appendix_at = next((p.number for p in after if APPENDIX_RE.match(lines[p.number - 1])), None)
    candidates = [
        p
        for p in after
        if p.kind == SECTION
        and (appendix_at is None or p.number < appendix_at)
        and (CLOSING_START_RE.match(lines[p.number - 1]) or SALUTATION_RE.match(lines[p.number - 1]))
    ]
    headed = next((p.number for p in after if lines[p.number - 1] in CLOSING_HEADINGS), None)
    if headed is not None and (appendix_at is None or headed < appendix_at):
        first: int | None = headed  # 结束语 on a line of its own
    elif candidates:
        first = candidates[-1].number
    else:
        first = appendix_at
    if first is None:
        return
    appendix: str | None = None
    titled = False  # whether the appendix's own title line (after a bare 附件1) was taken
    for paragraph in paragraphs[first - 1 :]:
        line = lines[paragraph.number - 1]
        heading = False
        bare = bool(appendix and not titled and BARE_APPENDIX_RE.match(appendix))
        if APPENDIX_RE.match(line):
            name = line.rstrip("：:")
            appendix, titled, heading = (f"{appendix} {name}" if bare else name), bare, True
        elif bare and len(line) <= MAX_HEADER_LINE and not SENTENCE_END_RE.search(line):
            appendix, titled, heading = f"{appendix} {line}", True, True
        else:
            titled = True
        paragraph.section = None
        paragraph.subsection = None
        paragraph.appendix = appendix
        heading = heading or line in CLOSING_HEADINGS
        paragraph.kind = HEADING if SALUTATION_RE.match(line) or heading else CLOSING
