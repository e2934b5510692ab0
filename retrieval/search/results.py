"""What a search returns: hits (a quoted passage with its place) and answers (the hits for a question)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from retrieval.corpus.document import Kind


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    date: str | None
    part: Kind  # opening | section | closing
    section_number: int | None
    section_title: str | None
    subsection: str | None
    point: str | None
    paragraph: int
    quote: str
    start: int  # offsets of the quote in the document's cleaned text
    end: int
    score: float
    coverage: float  # share of the question's idf mass found in the quote's paragraph
    reference: str
    matched_terms: tuple[str, ...]
    speaker: str | None = None  # the speech's speaker, when its text says
    score_parts: dict[str, float] = field(default_factory=dict, hash=False, compare=False)  # see scoring.py

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in HIT_FIELDS}  # `asdict` without its deep copies
        data["score_parts"] = dict(self.score_parts)
        data["matched_terms"] = list(self.matched_terms)
        data["score"] = round(self.score, 4)
        data["coverage"] = round(self.coverage, 4)
        return data


HIT_FIELDS = tuple(f.name for f in fields(Hit))


@dataclass
class Answer:
    query: str
    found: bool
    hits: list[Hit]
    terms: list[str] = field(default_factory=list)
    missing_terms: list[str] = field(default_factory=list)  # question words no passage contains
    named_documents: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # searched words the first hit's paragraph lacks
    more: bool = False  # whether further relevant hits exist past this page

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "found": self.found,
            "hits": [hit.to_json() for hit in self.hits],
            "terms": self.terms,
            "missing_terms": self.missing_terms,
            "named_documents": self.named_documents,
            "unmatched": self.unmatched,
        }
