"""Precision and recall of the commitment rules on a hand-labelled file: `score_labels` for a
file labelled commitment yes/no (eval/labels/commitments.yaml), `score_kinds` for one labelled
by kind with a sample of fields (eval/labels/commitment_kinds.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retrieval.commitments.finding import Commitment, document_commitments
from retrieval.corpus.document import Document


@dataclass
class Score:
    name: str
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    true_negative: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_positive + self.false_negative
        return self.true_positive / labelled if labelled else 1.0

    def summary(self) -> str:
        total = self.true_positive + self.false_positive + self.false_negative + self.true_negative
        labelled = self.true_positive + self.false_negative
        return (
            f"{self.name}: {total} sentences, {labelled} commitments; "
            f"precision {self.precision:.0%} ({self.true_positive}/{self.true_positive + self.false_positive}), "
            f"recall {self.recall:.0%} ({self.true_positive}/{labelled})"
        )


def score_labels(documents: list[Document], path: Path) -> list[Score]:
    """Precision and recall of the rules on a labelled file, per stratum and overall."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_id = {d.doc_id: d for d in documents}
    found_cache: dict[str, set[int]] = {}
    total = Score("all")
    scores = []
    for stratum, rows in data.items():
        score = Score(stratum)
        for row in rows:
            document = by_id.get(row["doc"])
            if document is None:
                raise LookupError(f"labelled document {row['doc']} is not in the corpus")
            if document.text[row["start"] : row["start"] + len(row["text"])] != row["text"]:
                raise ValueError(f"labelled sentence moved: {row['doc']} @{row['start']}")
            if row["doc"] not in found_cache:
                found_cache[row["doc"]] = {c.start for c in document_commitments(document)}
            predicted = row["start"] in found_cache[row["doc"]]
            for target in (score, total):
                if predicted and row["commitment"]:
                    target.true_positive += 1
                elif predicted:
                    target.false_positive += 1
                    target.errors.append(f"FP {row['text']}")
                elif row["commitment"]:
                    target.false_negative += 1
                    target.errors.append(f"FN {row['text']}")
                else:
                    target.true_negative += 1
        scores.append(score)
    return [*scores, total]


# --------------------------------------------------------------------------- kinds, fields


def overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


@dataclass
class KindScore:
    """Precision and recall of one stratum's document (or of one kind): an item counts when its
    quote overlaps a labelled commitment by at least half of that sentence."""

    name: str
    found: int = 0  # items listed among the labelled sentences
    right: int = 0  # of those, items on a labelled commitment
    labelled: int = 0
    recalled: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.labelled if self.labelled else 1.0

    def summary(self) -> str:
        return (
            f"{self.name}: precision {self.precision:.2f} ({self.right}/{self.found}), "
            f"recall {self.recall:.2f} ({self.recalled}/{self.labelled})"
        )


@dataclass
class FieldScore:
    name: str
    right: int = 0
    total: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        share = self.right / self.total if self.total else 1.0
        return f"field {self.name}: {share:.0%} ({self.right}/{self.total})"


FIELD_OF = {"quantity": "how_much", "frequency": "how_often", "when": "when", "who": "who"}


def _same_values(labelled: list[str], listed: tuple[str, ...]) -> bool:
    """Every labelled value is (inside) a listed one and every listed value holds a labelled one."""
    return all(any(a in b or b in a for b in listed) for a in labelled) and all(
        any(a in b or b in a for a in labelled) for b in listed
    )


def _field_checks(row: dict[str, Any], item: Commitment) -> dict[str, bool]:
    checks = {"kind": item.kind == row["kind"], "horizon": item.horizon == row.get("horizon", "")}
    for name, values in row.get("fields", {}).items():
        if name == "what":
            checks["what"] = values in item.what
        else:
            checks[name] = _same_values(values, getattr(item, FIELD_OF[name]))
    return checks


def score_kinds(documents: list[Document], path: Path) -> list[str]:
    """The report for a file labelled by kind (eval/labels/commitment_kinds.yaml): per stratum,
    per document and per kind precision and recall, then per field accuracy on the matched
    items (kind and horizon on every labelled commitment found, the rest on the `fields` sample)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_id = {d.doc_id: d for d in documents}
    listed: dict[str, list[Commitment]] = {}
    lines = []
    for stratum, rows in data.items():
        docs: dict[str, KindScore] = {}
        kinds: dict[str, KindScore] = {}
        fields: dict[str, FieldScore] = {}
        for row in rows:
            document = by_id.get(row["doc"])
            if document is None:
                raise LookupError(f"labelled document {row['doc']} is not in the corpus")
            end = row["start"] + len(row["text"])
            if document.text[row["start"] : end] != row["text"]:
                raise ValueError(f"labelled sentence moved: {row['doc']} @{row['start']}")
            if row["doc"] not in listed:
                listed[row["doc"]] = document_commitments(document)
            items = [c for c in listed[row["doc"]] if overlap(c.start, c.end, row["start"], end)]
            matched = [
                c for c in items if 2 * overlap(c.start, c.end, row["start"], end) >= end - row["start"]
            ]
            doc_score = docs.setdefault(row["doc"], KindScore(row["doc"].rsplit("/", 1)[-1]))
            positive = row["kind"] != "none"
            for item in items:
                if not row["start"] <= item.start < end:
                    continue  # an item is counted on the labelled sentence it starts in
                for score in (doc_score, kinds.setdefault(item.kind, KindScore(f"kind {item.kind}"))):
                    score.found += 1
                    score.right += positive and item in matched
                    if not (positive and item in matched):
                        score.errors.append(f"FP [{item.kind}] {item.text}")
            if not positive:
                continue
            for score in (doc_score, kinds.setdefault(row["kind"], KindScore(f"kind {row['kind']}"))):
                score.labelled += 1
                score.recalled += bool(matched)
                if not matched:
                    score.errors.append(f"FN [{row['kind']}] {row['text']}")
            if matched:
                for name, ok in _field_checks(row, matched[0]).items():
                    check = fields.setdefault(name, FieldScore(name))
                    check.total += 1
                    check.right += ok
                    if not ok:
                        check.errors.append(f"{name}: {_field_value(matched[0], name)} ← {row['text'][:60]}")
        lines.append(f"== {stratum}")
        lines += [f"  {score.summary()}" for score in docs.values()]
        lines += [f"  {score.summary()}" for _, score in sorted(kinds.items())]
        lines += [f"  {score.summary()}" for score in fields.values()]
        for errors in [s.errors for s in docs.values()] + [s.errors for s in fields.values()]:
            lines += [f"    {error}" for error in errors]
    return lines


def _field_value(item: Commitment, name: str) -> str:
    if name in FIELD_OF:
        return "、".join(getattr(item, FIELD_OF[name])) or "∅"
    return str(getattr(item, name)) or "∅"


def score_file(documents: list[Document], path: Path) -> list[str]:
    """The report for a labelled file of either kind (rows with `kind`, or with `commitment`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if any("kind" in row for rows in data.values() for row in rows):
        return score_kinds(documents, path)
    lines = []
    for score in score_labels(documents, path):
        lines.append(score.summary())
        if score.name == "all":
            lines += [f"  {error}" for error in score.errors]
    return lines
