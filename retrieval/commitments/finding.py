"""Commitments: sentences that oblige or decide something checkable — how often (每周三,
每半年), how much (不少于X次, 3%), by when (年底, 2025年前), or by whom (分管副市长).

A sentence is a commitment when it holds an obligation or decision (要, 必须, 我提出, 拟…,
or the imperative of a report's work-plan part) and at least one checkable element. The
rules and word lists live in data/commitments.yaml; eval/labels/commitments.yaml is the
hand-labelled sample they are measured on (`score_labels`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from retrieval.corpus.document import CLOSING, OPENING, Document, Paragraph
from retrieval.data_files import data_text
from retrieval.index.passages import Passage
from retrieval.text.normalize import fold

FIELDS = ("how_often", "how_much", "when", "who")  # checkable elements, in the order shown
RULE_FOR_FIELD = {"how_often": "frequency", "how_much": "quantity", "when": "deadline", "who": "owner"}
CLAUSE_END_RE = re.compile(r"[，,；;。！!？?：:]")
POINT_OBLIGATION_RE = re.compile(r"^(?:[一二三四五六七八九十]{1,2}|第[一二三四五六七八九十]{1,2})要")
PLAN_LEAD_RE = re.compile(r"[:：]")
QUOTED_RE = re.compile(r"“[^“”]{0,30}”|《[^《》]{0,40}》")
TITLE_RE = re.compile(r"《[^《》]{0,40}》")
QUESTION_END_RE = re.compile(r"[？?][”’」』）)]*$")


@dataclass(frozen=True)
class Rules:
    obligation: re.Pattern[str]
    plan_title: re.Pattern[str]
    plan_not_title: re.Pattern[str]
    owner_obligation: re.Pattern[str]
    fields: dict[str, re.Pattern[str]]
    question: re.Pattern[str]


def _alternatives(items: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{item})" for item in items))


@lru_cache(maxsize=1)
def rules() -> Rules:
    data: dict[str, Any] = yaml.safe_load(data_text("commitments.yaml"))
    return Rules(
        obligation=_alternatives(data["obligation"]),
        plan_title=re.compile(data["plan_part"]["title"]),
        plan_not_title=re.compile(data["plan_part"]["not_title"]),
        owner_obligation=re.compile(data["owner_obligation"]),
        fields={name: _alternatives(data[rule]) for name, rule in RULE_FOR_FIELD.items()},
        question=_alternatives(data["question"]),
    )


def is_commitment_question(question: str) -> bool:
    """Whether a question asks for a commitment: 多久, 几次, 星期几, 什么时候, 由谁负责, 要求是什么…"""
    return bool(rules().question.search(fold(question)))


@dataclass(frozen=True)
class Commitment:
    """One commitment sentence: `text` is `Document.text[start:end]`; `what` is the clause
    holding its first checkable element (also an exact substring, at what_start)."""

    doc_id: str
    paragraph: int
    start: int
    end: int
    text: str
    what: str
    what_start: int
    obligation: str  # the word that makes it binding, or 工作安排 for a work-plan part
    how_often: tuple[str, ...] = ()
    how_much: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    who: tuple[str, ...] = ()

    def fields(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in FIELDS}


class Scan:
    """Every rule's matches in one document, found in one pass per rule over the folded
    text (fold keeps offsets), then looked up per sentence."""

    def __init__(self, document: Document) -> None:
        current = rules()
        self.folded = fold(document.text)
        self.obligation = self._spans(current.obligation, unquoted(self.folded))
        untitled = TITLE_RE.sub(lambda m: " " * len(m.group()), self.folded)
        self.fields = {
            name: self._spans(pattern, untitled if name == "who" else self.folded)
            for name, pattern in current.fields.items()
        }

    @staticmethod
    def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]

    @staticmethod
    def within(spans: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
        first = bisect.bisect_left(spans, (start, start))
        last = bisect.bisect_left(spans, (end, end), first)
        return [span for span in spans[first:last] if span[1] <= end]


def _found(spans: list[tuple[int, int]], original: str, offset: int) -> list[tuple[int, str]]:
    """Matches as (offset in the sentence, original text), distinct texts in order."""
    seen: dict[str, int] = {}
    for start, end in spans:
        seen.setdefault(original[start - offset : end - offset].strip(), start - offset)
    return sorted((at, text) for text, at in seen.items())


def is_review_part(document: Document, paragraph: Paragraph) -> bool:
    """Whether a paragraph is in a part that looks back (2023年工作回顾): what it 坚持 and 确保
    was done, not promised."""
    section = document.section(paragraph.section)
    return section is not None and bool(rules().plan_not_title.search(fold(section.title)))


def is_plan_part(document: Document, paragraph: Paragraph) -> bool:
    """Whether a paragraph is in a part whose title marks a work plan (2024年政府工作任务)."""
    section = document.section(paragraph.section)
    if paragraph.appendix:  # an appendix after the closing (2026年省十件民生实事) can be a plan too
        title = fold(paragraph.appendix)
    elif section is None or paragraph.kind in (OPENING, CLOSING):
        return False
    else:
        title = fold(section.title)
    current = rules()
    return bool(current.plan_title.search(title)) and not current.plan_not_title.search(title)


def unquoted(folded: str) -> str:
    """The text with quoted names blanked (“五个必须”, 《…条例》): a word inside them obliges nobody."""
    return QUOTED_RE.sub(lambda m: " " * len(m.group()), folded)


def owner_is_bound(folded: str, owners: list[tuple[int, str]]) -> bool:
    """Whether some owner is followed, within its clause, by a binding word (必须, 负责…)."""
    for offset, _ in owners:
        clause_end = CLAUSE_END_RE.search(folded, offset)
        if rules().owner_obligation.search(folded, offset, clause_end.start() if clause_end else len(folded)):
            return True
    return False


def _inherited_obligation(document: Document, paragraph: Paragraph, start: int) -> str | None:
    """An obligation a sentence takes from its context: a point 一要…/二要… it belongs to, or a
    lead-in 目标是：/要求： that opens its paragraph and lists it."""
    point = document.point_at(paragraph, start)
    if point and point.start < start and POINT_OBLIGATION_RE.match(point.label):
        return point.label
    first_start, first_end = paragraph.sentences[0]
    if first_start == start:
        return None
    lead = document.text[first_start:first_end]
    colon = PLAN_LEAD_RE.search(lead)
    if colon and start < first_end + 200:
        found = rules().obligation.search(unquoted(fold(lead[: colon.start()])))
        if found:
            return lead[found.start() : found.end()]
    return None


def sentence_commitment(
    document: Document, paragraph: Paragraph, start: int, end: int, plan: bool, scan: Scan
) -> Commitment | None:
    """The commitment a sentence states, or None."""
    original = document.text[start:end]
    if QUESTION_END_RE.search(original.rstrip()):
        return None  # 明年准备达到什么目标？ asks, it does not commit
    obligation = scan.within(scan.obligation, start, end)
    marker: str | None
    if obligation:
        marker = document.text[obligation[0][0] : obligation[0][1]]
    else:
        marker = _inherited_obligation(document, paragraph, start) or ("工作安排" if plan else None)
    if marker is None:
        return None
    elements = {
        name: _found(scan.within(spans, start, end), original, start) for name, spans in scan.fields.items()
    }
    checkable = any(elements[name] for name in FIELDS if name != "who")
    folded = scan.folded[start:end]
    if not checkable and not (elements["who"] and owner_is_bound(folded, elements["who"])):
        return None
    first = min(offset for found in elements.values() for offset, _ in found)
    clause_start = max((m.end() for m in CLAUSE_END_RE.finditer(original, 0, first)), default=0)
    clause_end = CLAUSE_END_RE.search(original, first)
    what = original[clause_start : clause_end.start() if clause_end else len(original)]
    lead = len(what) - len(what.lstrip())
    return Commitment(
        doc_id=document.doc_id,
        paragraph=paragraph.number,
        start=start,
        end=end,
        text=original,
        what=what.strip(),
        what_start=start + clause_start + lead,
        obligation=marker,
        **{name: tuple(text for _, text in found) for name, found in elements.items()},
    )


def document_commitments(document: Document) -> list[Commitment]:
    """Every commitment sentence of a document, in text order."""
    found: list[Commitment] = []
    scan = Scan(document)
    for paragraph in document.paragraphs:
        if not paragraph.indexed or is_review_part(document, paragraph):
            continue
        plan = is_plan_part(document, paragraph)
        for start, end in paragraph.sentences:
            commitment = sentence_commitment(document, paragraph, start, end, plan, scan)
            if commitment is not None:
                found.append(commitment)
    return found


@dataclass
class CommitmentIndex:
    """The commitments of an engine's documents (by document index), and a lookup of the
    commitment sentences in a paragraph, for ranking."""

    by_document: list[list[Commitment]] = field(default_factory=list)
    spans: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def build(cls, by_document: list[list[Commitment]]) -> CommitmentIndex:
        """The index of every document's commitments (in the engine's document order)."""
        index = cls(by_document=by_document)
        for doc, commitments in enumerate(by_document):
            for commitment in commitments:
                index.spans.setdefault((doc, commitment.paragraph), []).append(
                    (commitment.start, commitment.end)
                )
        return index

    def weight(self, passage: Passage) -> float:
        """1 for a passage that opens with a commitment sentence, 0.5 for one that holds one
        further on, else 0: a commitment question then quotes the commitment itself."""
        spans = self.spans.get((passage.doc, passage.paragraph))
        if not spans:
            return 0.0
        if any(start == passage.start for start, _ in spans):
            return 1.0
        return 0.5 if any(passage.start < s and e <= passage.end for s, e in spans) else 0.0

    def __len__(self) -> int:
        return sum(map(len, self.by_document))
