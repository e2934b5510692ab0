"""The structured document: what a corpus file becomes after cleaning and parsing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What a paragraph is. The header and the headings of parts are not searched; the opening
    (before 一、), the numbered sections and the closing are the parts of a speech."""

    HEADER = "header"
    HEADING = "heading"
    OPENING = "opening"
    SECTION = "section"
    CLOSING = "closing"


OPENING, SECTION, CLOSING, HEADER, HEADING = (
    Kind.OPENING,
    Kind.SECTION,
    Kind.CLOSING,
    Kind.HEADER,
    Kind.HEADING,
)
PARTS = (OPENING, SECTION, CLOSING)


@dataclass(frozen=True)
class DroppedLine:
    line_number: int  # 1-based line in the file as read
    text: str
    reason: str


@dataclass
class Metadata:
    title: str
    speaker: str | None = None
    date: str | None = None  # ISO date, or a year alone when only the year is known
    occasion: str | None = None
    source: str | None = None
    issuer: str | None = None
    year: int | None = None


@dataclass
class Point:
    label: str  # e.g. 三是坚持“三聚”
    start: int  # offsets into Document.text
    end: int


@dataclass
class Subsection:
    number: int
    title: str
    paragraph: int  # 1-based paragraph number where it starts


@dataclass
class Section:
    number: int  # 1-based: 一、 is 1
    title: str
    paragraph: int  # 1-based paragraph number of its heading
    inline_heading: bool
    subsections: list[Subsection] = field(default_factory=list)


@dataclass
class Paragraph:
    number: int  # 1-based within the document
    start: int  # offsets into Document.text
    end: int
    kind: Kind
    section: int | None = None  # Section.number
    subsection: int | None = None  # Subsection.number within the section
    appendix: str | None = None  # heading of an appendix after the closing (名词解释…)
    sentences: list[tuple[int, int]] = field(default_factory=list)  # offsets into Document.text
    points: list[Point] = field(default_factory=list)

    @property
    def indexed(self) -> bool:
        return self.kind in PARTS


@dataclass
class Document:
    doc_id: str  # corpus-relative path without suffix
    path: str  # corpus-relative path
    meta: Metadata
    text: str  # cleaned text: kept lines joined by "\n"; every quote is a substring of it
    paragraphs: Sequence[Paragraph]  # a saved index decodes each on first use
    sections: list[Section]
    salutation: str | None
    dropped: list[DroppedLine]
    encoding: str
    content_hash: str

    def section(self, number: int | None) -> Section | None:
        if number is None or not 1 <= number <= len(self.sections):
            return None
        return self.sections[number - 1]

    def paragraph(self, number: int) -> Paragraph | None:
        return self.paragraphs[number - 1] if 1 <= number <= len(self.paragraphs) else None

    def paragraph_text(self, paragraph: Paragraph) -> str:
        return self.text[paragraph.start : paragraph.end]

    def point_at(self, paragraph: Paragraph, offset: int) -> Point | None:
        return next((p for p in paragraph.points if p.start <= offset < p.end), None)
