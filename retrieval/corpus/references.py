"""Human-readable references: 《在市长办公会议上的讲话》第二部分「立即行动，行动改变XX」· 三是坚持“三聚”."""

from __future__ import annotations

from retrieval.corpus.document import CLOSING, SECTION, Kind
from retrieval.corpus.structure import CN_DIGITS

DIGITS = "零" + CN_DIGITS[:-1]


def chinese_number(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (1 ≤ number ≤ 99)."""
    tens, ones = divmod(number, 10)
    if not tens:
        return DIGITS[ones]
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def part_label(part: Kind, section_number: int | None, section_title: str | None) -> str:
    if part == SECTION and section_number:
        titled = f"「{section_title}」" if section_title else ""
        return f"第{chinese_number(section_number)}部分{titled}"
    if part == CLOSING:
        return f"附「{section_title}」" if section_title else "结束语"
    return "开场白"


def reference(
    title: str,
    part: Kind,
    section_number: int | None,
    section_title: str | None,
    subsection_title: str | None,
    point: str | None,
) -> str:
    pieces = [f"《{title}》{part_label(part, section_number, section_title)}"]
    if subsection_title:
        pieces.append(subsection_title)
    if point:
        pieces.append(point)
    return " · ".join(pieces)
