"""A document's commitments listed with their references: the terminal listing and the records
behind the JSON, the CSV and the bot's pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrieval.commitments.finding import Commitment
from retrieval.corpus.document import Document
from retrieval.corpus.references import part_label
from retrieval.index.passages import Passage
from retrieval.search.engine import SearchEngine
from retrieval.search.results import Hit


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
        }


def listed_commitments(engine: SearchEngine, document: Document) -> list[Listed]:
    """A document's commitments with references built by the engine (SearchEngine.hit)."""
    doc = engine.documents.index(document)
    return [
        Listed(c, engine.hit(Passage(doc, c.paragraph, c.start, c.end), 0.0, 0.0, []))
        for c in engine.commitments.by_document[doc]
    ]


def grouped_by_part(items: list[Listed]) -> list[tuple[str, list[Listed]]]:
    """Commitments grouped under their part heading (开场白, 第一部分「…」, 结束语), in order."""
    groups: dict[str, list[Listed]] = {}
    for item in items:
        groups.setdefault(item.part_heading, []).append(item)
    return list(groups.items())


def field_summary(commitment: Commitment) -> str:
    """频次：每年；数量：不少于、X次；时间：年底；责任：分管副市长 (the fields found)."""
    names = {"how_often": "频次", "how_much": "数量", "when": "时间", "who": "责任"}
    return "；".join(
        f"{names[name]}：{'、'.join(values)}" for name, values in commitment.fields().items() if values
    )


def commitments_text(engine: SearchEngine, document: Document) -> str:
    """The terminal listing: commitments grouped by part, each with reference and fields."""
    items = listed_commitments(engine, document)
    lines = [f"《{document.meta.title}》承诺与要求：{len(items)} 条"]
    number = 0
    for heading, group in grouped_by_part(items):
        lines.append(f"\n{heading}")
        for item in group:
            number += 1
            extras = " · ".join(x for x in (item.hit.subsection, item.hit.point) if x)
            place = f"（{extras + '，' if extras else ''}第{item.commitment.paragraph}段）"
            lines.append(f"{number}. 「{item.commitment.text}」{place}")
            lines.append(f"   {field_summary(item.commitment)}")
    return "\n".join(lines)
