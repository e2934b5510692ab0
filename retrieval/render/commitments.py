"""A document's commitments listed with their references: the terminal listing and the records
behind the JSON, the CSV and the bot's pages."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from retrieval.commitments.elements import HORIZONS, LATER, PLAN_PERIOD, THIS_YEAR
from retrieval.commitments.finding import (
    DEADLINE,
    DIRECTIVE,
    FORECAST,
    KINDS,
    PROGRAMME,
    RESULT,
    TARGET,
    Commitment,
)
from retrieval.corpus.document import Document
from retrieval.corpus.references import part_label
from retrieval.index.passages import Passage
from retrieval.search.engine import SearchEngine
from retrieval.search.results import Hit

KIND_LABELS = {
    DIRECTIVE: "要求",
    TARGET: "目标",
    DEADLINE: "期限",
    PROGRAMME: "项目",
    FORECAST: "预计（非承诺）",
    RESULT: "已有成绩（非承诺）",
}
HORIZON_LABELS = {THIS_YEAR: "今年", PLAN_PERIOD: "规划期", LATER: "远期"}
NOT_COMMITMENTS = (FORECAST, RESULT)
# Words that name a kind or a horizon in a filter (CLI --kind/--horizon, the bot's /commitments).
KIND_WORDS = {kind: kind for kind in (*KINDS, *NOT_COMMITMENTS)} | {
    "要求": DIRECTIVE,
    "部署": DIRECTIVE,
    "目标": TARGET,
    "指标": TARGET,
    "期限": DEADLINE,
    "时限": DEADLINE,
    "项目": PROGRAMME,
    "行动": PROGRAMME,
    "工程": PROGRAMME,
    "预计": FORECAST,
    "成绩": RESULT,
    "结果": RESULT,
}
HORIZON_WORDS = {horizon: horizon for horizon in HORIZONS} | {
    "今年": THIS_YEAR,
    "本年": THIS_YEAR,
    "规划期": PLAN_PERIOD,
    "五年": PLAN_PERIOD,
    "十五五": PLAN_PERIOD,
    "远期": LATER,
}


@dataclass(frozen=True)
class Listed:
    """A commitment with its place in the speech, as the search engine references a hit."""

    commitment: Commitment
    hit: Hit

    @property
    def part_heading(self) -> str:
        return part_label(self.hit.part, self.hit.section_number, self.hit.section_title)

    def to_json(self) -> dict[str, Any]:
        hit = self.hit
        c = self.commitment
        return {
            "doc_id": c.doc_id,
            "part": hit.part,
            "section_number": hit.section_number,
            "section_title": hit.section_title,
            "subsection": hit.subsection,
            "point": hit.point,
            "paragraph": c.paragraph,
            "quote": c.text,
            "start": c.start,
            "end": c.end,
            "reference": hit.reference,
            "what": c.what,
            "obligation": c.obligation,
            **c.fields(),
            "kind": c.kind,
            "horizon": c.horizon,
            "programmes": list(c.programmes),
        }


def listed_commitments(
    engine: SearchEngine,
    document: Document,
    kinds: Collection[str] = (),
    horizons: Collection[str] = (),
) -> list[Listed]:
    """A document's commitments with references built by the engine (SearchEngine.hit); with
    `kinds` or `horizons`, only those (kinds may name forecast and result: the statements that
    are no commitments, listed only when asked for)."""
    doc = engine.documents.index(document)
    items = engine.commitments.by_document[doc]
    if set(kinds) & set(NOT_COMMITMENTS):
        items = sorted([*items, *engine.commitments.others[doc]], key=lambda c: c.start)
    return [
        Listed(c, engine.hit(Passage(doc, c.paragraph, c.start, c.end), 0.0, 0.0, []))
        for c in items
        if (not kinds or c.kind in kinds) and (not horizons or c.horizon in horizons)
    ]


def grouped_by_part(items: list[Listed]) -> list[tuple[str, list[Listed]]]:
    """Commitments grouped under their part heading (开场白, 第一部分「…」, 结束语), in order."""
    groups: dict[str, list[Listed]] = {}
    for item in items:
        groups.setdefault(item.part_heading, []).append(item)
    return list(groups.items())


def field_summary(commitment: Commitment) -> str:
    """内容：…；频次：每年；数量：不少于X次；时间：年底；责任：分管副市长 (the action phrase and
    the fields found), then the named programmes (项目：实施城市更新行动)."""
    names = {"how_often": "频次", "how_much": "数量", "when": "时间", "who": "责任"}
    found = [("内容", [commitment.what])] if commitment.what else []
    found += [(names[name], values) for name, values in commitment.fields().items() if values]
    if commitment.programmes:
        found.append(("项目", list(commitment.programmes)))
    return "；".join(f"{name}：{'、'.join(values)}" for name, values in found)


def kind_label(commitment: Commitment) -> str:
    """目标·今年, 项目·规划期, 要求, 预计… — the kind beside each item, and its horizon if known."""
    kind = KIND_LABELS.get(commitment.kind, commitment.kind)
    horizon = HORIZON_LABELS.get(commitment.horizon, "")
    return f"{kind}·{horizon}" if horizon else kind


def parse_filter(words: Iterable[str]) -> tuple[set[str], set[str]]:
    """Kinds and horizons named by words, English (target, this_year) or Chinese (目标, 今年);
    raises ValueError for a word that names neither."""
    kinds, horizons = set(), set()
    for word in (w.strip() for item in words for w in item.replace("，", ",").split(",")):
        if not word:
            continue
        if word in KIND_WORDS:
            kinds.add(KIND_WORDS[word])
        elif word in HORIZON_WORDS:
            horizons.add(HORIZON_WORDS[word])
        else:
            raise ValueError(word)
    return kinds, horizons


def commitments_text(engine: SearchEngine, document: Document, items: list[Listed] | None = None) -> str:
    """The terminal listing: commitments (all, or the items given) grouped by part, each with
    its kind, reference and fields."""
    items = listed_commitments(engine, document) if items is None else items
    lines = [f"《{document.meta.title}》承诺与要求：{len(items)} 条"]
    number = 0
    for heading, group in grouped_by_part(items):
        lines.append(f"\n{heading}")
        for item in group:
            number += 1
            extras = " · ".join(x for x in (item.hit.subsection, item.hit.point) if x)
            place = f"（{extras + '，' if extras else ''}第{item.commitment.paragraph}段）"
            lines.append(f"{number}. [{kind_label(item.commitment)}] 「{item.commitment.text}」{place}")
            lines.append(f"   {field_summary(item.commitment)}")
    return "\n".join(lines)
