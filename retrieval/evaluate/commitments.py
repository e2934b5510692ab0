"""Precision and recall of the commitment rules on a hand-labelled file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from retrieval.commitments.finding import document_commitments
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
