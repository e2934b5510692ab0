"""Commitments: sentences that commit the government or named officials to something
checkable, each of a kind — a directive (how often, by whom: 每周三, 分管副市长必须…), a target
(a quantity: 增长5%左右), a deadline (年底前) or a named programme (实施城市更新行动).

A sentence is a commitment when it is binding (要, 必须, 我提出, 拟…, the imperative of a
report's work-plan part, or a directive's checkable action such as 列出时间表) and holds a
checkable element. Forecasts (预计…) and results of the past period (a review part, 去年…增长了)
are kept as statements of their own kind, for ranking and labelling, never as commitments.
The rules and word lists live in data/commitments.yaml (described in docs/commitments.md);
eval/labels/ holds the hand-labelled sentences they are measured on.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import yaml

from retrieval.commitments import elements
from retrieval.corpus.document import CLOSING, OPENING, Document, Paragraph
from retrieval.data_files import data_text
from retrieval.index.passages import Passage
from retrieval.index.sorted_arrays import find_sorted
from retrieval.text.normalize import fold

FIELDS = ("how_often", "how_much", "when", "who")  # checkable elements, in the order shown
SCANNED = {"how_often": "frequency", "when": "deadline", "who": "owner"}  # found per document
DIRECTIVE, TARGET, DEADLINE, PROGRAMME = "directive", "target", "deadline", "programme"
KINDS = (DIRECTIVE, TARGET, DEADLINE, PROGRAMME)  # commitments, in the order a kind is decided
FORECAST, RESULT = "forecast", "result"  # statements that are no commitments
CLAUSE_END_RE = elements.CLAUSE_END_RE
POINT_OBLIGATION_RE = re.compile(r"^(?:[一二三四五六七八九十]{1,2}|第[一二三四五六七八九十]{1,2})要")
PLAN_LEAD_RE = re.compile(r"[:：]")
TITLE_RE = re.compile(r"《[^《》]{0,40}》")
QUESTION_END_RE = re.compile(r"[？?][”’」』）)]*$")


@dataclass(frozen=True)
class Rules:
    obligation: re.Pattern[str]
    plan_title: re.Pattern[str]
    plan_not_title: re.Pattern[str]
    owner_obligation: re.Pattern[str]
    fields: dict[str, re.Pattern[str]]
    undated: re.Pattern[str]
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
        fields={name: _alternatives(data[rule]) for name, rule in SCANNED.items()},
        undated=re.compile(data["deadline_undated"]),
        question=_alternatives(data["question"]),
    )


def is_commitment_question(question: str) -> bool:
    """Whether a question asks for a commitment: 多久, 几次, 星期几, 什么时候, 由谁负责, 要求是什么…"""
    return bool(rules().question.search(fold(question)))


def question_stance(question: str) -> int:
    """+1 for a question after a goal (目标, 今年, 计划), -1 for one after what was achieved
    (完成, 去年, 增长了多少), else 0."""
    return elements.question_stance(fold(question))


def is_result_word(word: str) -> bool:
    """Whether a question word only says a past result is asked for (去年, 完成): the sentences
    that give results seldom use it (城镇新增就业124.9万人)."""
    return elements.is_result_word(fold(word))


@dataclass(frozen=True)
class Commitment:
    """One commitment sentence (or, with kind forecast/result, a statement that is none):
    `text` is `Document.text[start:end]`; `what` is its action phrase (an exact substring, at
    what_start); `programmes` the named programmes it carries out; `horizon` the period it is
    meant for (this_year, plan_period, later, or empty when nothing says)."""

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
    kind: str = ""
    horizon: str = ""
    programmes: tuple[str, ...] = ()

    @property
    def is_commitment(self) -> bool:
        return self.kind in KINDS

    def fields(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in FIELDS}


class Scan:
    """Obligations, frequencies, deadlines and owners in one document, found in one pass per
    rule over the folded text (fold keeps offsets), then looked up per sentence."""

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
    return elements.QUOTED_RE.sub(lambda m: " " * len(m.group()), folded)


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


@dataclass(frozen=True)
class Place:
    """Where a sentence stands: its part's kind and title, and the document's year."""

    plan: bool
    review: bool
    title: str
    year: int | None


def _kind(elements_found: dict[str, list[tuple[int, str]]], bound_owner: bool, plan: bool) -> str | None:
    """The kind a sentence's elements make, and its deciding element's name; a directive
    first outside a work plan (a speech's instruction), last inside one."""
    directive = bool(elements_found["how_often"] or elements_found["action"] or bound_owner)
    order = [
        (TARGET, bool(elements_found["how_much"])),
        (DEADLINE, bool(elements_found["when"])),
        (PROGRAMME, bool(elements_found["programmes"])),
    ]
    order = [*order, (DIRECTIVE, directive)] if plan else [(DIRECTIVE, directive), *order]
    return next((kind for kind, present in order if present), None)


ANCHOR = {TARGET: "how_much", DEADLINE: "when", PROGRAMME: "programmes"}


def sentence_statement(
    document: Document, paragraph: Paragraph, start: int, end: int, place: Place, scan: Scan
) -> Commitment | None:
    """The commitment a sentence states — or the forecast or past result it reports — or None."""
    original = document.text[start:end]
    if QUESTION_END_RE.search(original.rstrip()):
        return None  # 明年准备达到什么目标？ asks, it does not commit
    folded = scan.folded[start:end]
    found = {
        name: _found(scan.within(spans, start, end), original, start) for name, spans in scan.fields.items()
    }
    # 如期, 限期 give no date: 如期实现2030年前… has the deadline 2030年前, 如期实现 alone none
    found["when"] = [(at, text) for at, text in found["when"] if not rules().undated.fullmatch(fold(text))]
    found["how_much"] = elements.quantities(folded, original)
    if place.review:
        return (
            _statement(document, paragraph, start, original, found, RESULT, "", place)
            if found["how_much"]
            else None
        )
    found["programmes"] = elements.programmes(folded, original)
    found["action"] = elements.directive_actions(folded, original)
    obligation = scan.within(scan.obligation, start, end)
    found["obligation"] = [(s - start, "") for s, _ in obligation]
    marker: str | None
    if obligation:
        marker = document.text[obligation[0][0] : obligation[0][1]]
    else:
        marker = _inherited_obligation(document, paragraph, start) or ("工作安排" if place.plan else None)
    if marker is None and found["action"]:
        marker = found["action"][0][1]
    if elements.explains_target(folded):
        return None  # 预期目标为5%左右，考虑了…: the reasons for a target, not a pledge
    if found["how_much"] and elements.is_forecast(folded):
        return _statement(document, paragraph, start, original, found, FORECAST, "", place)
    if found["how_much"] and elements.reports_result(folded) and not obligation and "今年" not in folded:
        return _statement(document, paragraph, start, original, found, RESULT, "", place)
    if marker is None:
        return None
    bound = bool(found["who"]) and not place.plan and owner_is_bound(folded, found["who"])
    kind = _kind(found, bound, place.plan)
    if kind is None:
        return None
    statement = _statement(document, paragraph, start, original, found, kind, marker, place)
    if kind == DEADLINE and statement.horizon == elements.LATER:
        # 到二〇三五年基本建成…: a vision beyond the plan period. What else the sentence holds
        # still counts (制定2030年前碳排放达峰行动方案 is a plan drawn up now): the date is then
        # part of a name, no deadline.
        found["when"] = []
        kind = _kind(found, bound, place.plan)
        if kind is None:
            return None
        statement = _statement(document, paragraph, start, original, found, kind, marker, place)
    return statement


def _statement(
    document: Document,
    paragraph: Paragraph,
    start: int,
    original: str,
    found: dict[str, list[tuple[int, str]]],
    kind: str,
    marker: str,
    place: Place,
) -> Commitment:
    if kind in ANCHOR:
        anchor = found[ANCHOR[kind]][0][0]
        binding = found.get("obligation", [])
        if (
            kind == DEADLINE
            and binding
            and elements.is_check(elements.action_phrase(original, anchor, [])[1])
        ):
            anchor = binding[0][0]  # 年底我们要检查: what is checked is the first binding clause
    else:
        anchor = min(
            at for name in ("how_often", "action", "who", "how_much", "when") for at, _ in found.get(name, [])
        )
    what_at, what = elements.action_phrase(original, anchor, found["when"])
    when = [text for _, text in found["when"]]
    horizon = elements.horizon(fold(original), when, place.title, place.year) if kind != RESULT else ""
    return Commitment(
        doc_id=document.doc_id,
        paragraph=paragraph.number,
        start=start,
        end=start + len(original),
        text=original,
        what=what,
        what_start=start + what_at,
        obligation=marker,
        kind=kind,
        horizon=horizon,
        programmes=tuple(text for _, text in found.get("programmes", [])),
        **{name: tuple(text for _, text in found[name]) for name in FIELDS},
    )


def document_statements(document: Document) -> list[Commitment]:
    """Every commitment of a document, and every forecast and past result that carries a
    number, in text order."""
    found: list[Commitment] = []
    scan = Scan(document)
    period, period_section = "", None  # the period a review part's results are of, by part
    for paragraph in document.paragraphs:
        if not paragraph.indexed:
            continue
        section = document.section(paragraph.section)
        if paragraph.section != period_section:
            period, period_section = "", paragraph.section
        place = Place(
            plan=is_plan_part(document, paragraph),
            review=is_review_part(document, paragraph),
            title=fold(section.title) if section else "",
            year=document.meta.year,
        )
        for start, end in paragraph.sentences:
            # 这五年…: the results of a review part are of the plan period just ended from a
            # word that names it on, until a word names last year again (一年来).
            sentence_period = elements.result_period(scan.folded[start:end], period)
            if place.review:
                period = sentence_period
            statement = sentence_statement(document, paragraph, start, end, place, scan)
            if statement is not None:
                found.append(
                    replace(statement, horizon=sentence_period) if statement.kind == RESULT else statement
                )
    return found


def document_commitments(document: Document) -> list[Commitment]:
    """Every commitment sentence of a document, in text order."""
    return [c for c in document_statements(document) if c.is_commitment]


def statement_stance(statement: Commitment) -> int:
    """The question stance a statement answers: +1 a commitment, +2 one of the plan period;
    -1 a result of last year, -2 one of the plan period just ended."""
    span = 2 if statement.horizon in (elements.PLAN_PERIOD, elements.LATER) else 1
    return -span if statement.kind == RESULT else span


def _answers(kind: int, stance: int) -> bool:
    """Whether a statement of this stance answers a question of that one: the same sign, and
    for a question naming a period (±2 the five-year plan, ±3 the year) that period's only."""
    if (kind < 0) != (stance < 0):
        return False
    asked = abs(stance)
    return asked == 1 or (asked == 2) == (abs(kind) == 2)


@dataclass
class CommitmentIndex:
    """The commitments of an engine's documents (by document index), and a lookup of the
    commitment and result sentences in a paragraph, for ranking."""

    by_document: list[list[Commitment]] = field(default_factory=list)
    others: list[list[Commitment]] = field(default_factory=list)  # forecasts and past results
    # (start, end, kind asked for) of the commitment and result sentences of each paragraph
    spans: dict[tuple[int, int], list[tuple[int, int, int]]] = field(default_factory=dict)

    @classmethod
    def build(cls, by_document: list[list[Commitment]]) -> CommitmentIndex:
        """The index of every document's statements (in the engine's document order): its
        commitments listed, its results (and commitments) looked up for ranking."""
        index = cls(
            by_document=[[c for c in statements if c.is_commitment] for statements in by_document],
            others=[[c for c in statements if not c.is_commitment] for statements in by_document],
        )
        for doc, statements in enumerate(by_document):
            for statement in statements:
                if statement.is_commitment or statement.kind == RESULT:
                    index.spans.setdefault((doc, statement.paragraph), []).append(
                        (statement.start, statement.end, statement_stance(statement))
                    )
        return index

    @cached_property
    def paragraph_keys(self) -> np.ndarray:
        """The paragraphs holding a commitment or a result, as sorted keys (document << 32) | number."""
        return np.array(sorted((doc << 32) | number for doc, number in self.spans), dtype=np.int64)

    def holding(self, keys: np.ndarray) -> np.ndarray:
        """For each paragraph key (as `paragraph_keys`), whether the paragraph holds a commitment or a
        result: the only passages `weight` does not give 0."""
        return find_sorted(self.paragraph_keys, keys)[1]

    def weight(self, passage: Passage, stance: int = 0) -> float:
        """1 for a passage that opens with a sentence of the kind asked for, 0.5 for one that
        holds one further on, else 0. The kind asked for: a commitment; a past result when the
        question asks what was achieved (stance < 0). A question that asks for one of the two
        (stance ≠ 0) also pushes down a passage holding only the other: -1 or -0.5 likewise.
        A question naming a period (±2: 这五年, “十五五”; ±3: 去年, 今年) asks for the results or
        goals of that period; those of the other period count neither way."""
        spans = self.spans.get((passage.doc, passage.paragraph))
        if not spans:
            return 0.0
        if not stance:
            return self._share(passage, [(s, e) for s, e, kind in spans if kind > 0])
        wanted = self._share(passage, [(s, e) for s, e, kind in spans if _answers(kind, stance)])
        if wanted:
            return wanted
        return -self._share(passage, [(s, e) for s, e, kind in spans if (kind < 0) != (stance < 0)])

    @staticmethod
    def _share(passage: Passage, spans: list[tuple[int, int]]) -> float:
        if any(start == passage.start for start, _ in spans):
            return 1.0
        return 0.5 if any(passage.start < s and e <= passage.end for s, e in spans) else 0.0

    def __len__(self) -> int:
        return sum(map(len, self.by_document))
