"""Evaluation over YAML question sets: is the top hit in the right part or document, and
does it quote an expected phrase; median quote length; off-topic questions refused."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retrieval.corpus.document import OPENING, SECTION
from retrieval.search.engine import SearchEngine
from retrieval.search.results import Hit

OPENING_SECTION = 0  # the question sets number the opening 0 and the closing one past the last part


@dataclass
class SetResult:
    name: str
    questions: int = 0
    right: int = 0
    negatives: int = 0
    refused: int = 0
    quote_lengths: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.questions if self.questions else 0.0

    @property
    def median_quote(self) -> float:
        return statistics.median(self.quote_lengths) if self.quote_lengths else 0.0

    def summary(self) -> str:
        return (
            f"{self.name}: {self.right}/{self.questions} right ({self.accuracy:.0%}), "
            f"median quote {self.median_quote:.0f} chars, "
            f"off-topic refused {self.refused}/{self.negatives}"
        )


def hit_section(engine: SearchEngine, hit: Hit) -> int:
    if hit.part == SECTION and hit.section_number:
        return hit.section_number
    if hit.part == OPENING:
        return OPENING_SECTION
    document = engine.document(hit.doc_id)
    return len(document.sections) + 1 if document else -1


def is_right(engine: SearchEngine, item: dict[str, Any], hit: Hit | None) -> bool:
    if hit is None or not any(phrase in hit.quote for phrase in item["quote"]):
        return False
    if "doc" in item and hit.doc_id.rsplit("/", 1)[-1] != item["doc"] and hit.doc_id != item["doc"]:
        return False
    return "section" not in item or hit_section(engine, hit) == item["section"]


def names_documents(path: Path) -> bool:
    """Whether a set's questions say which document answers them (`doc:`): sets without are
    about the sample speech, and can be run on it alone."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return any("doc" in item for item in data.get("questions", []))


def evaluate_set(engine: SearchEngine, path: Path) -> SetResult:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    result = SetResult(path.stem)
    for item in data.get("questions", []):
        answer = engine.ask(item["q"], top=1)
        hit = answer.hits[0] if answer.hits else None
        result.questions += 1
        if hit:
            result.quote_lengths.append(len(hit.quote))
        if is_right(engine, item, hit):
            result.right += 1
        else:
            got = f"{hit.reference} 「{hit.quote[:40]}…」" if hit else "no answer"
            result.failures.append(f"{item['q']} → {got}")
    for question in data.get("negatives", []):
        result.negatives += 1
        if engine.ask(question, top=1).found:
            result.failures.append(f"{question} → answered, should be refused")
        else:
            result.refused += 1
    return result


def evaluate(engine: SearchEngine, paths: list[Path]) -> list[SetResult]:
    return [evaluate_set(engine, path) for path in paths]
