"""The one score of a candidate passage, from its features (retrieval.features):

    score = coverage × Σ_f weight_f · feature_f

a weighted sum of the features, scaled by the share of the question found around the
passage, so a passage that holds half the question earns half its evidence. A candidate
whose coverage is under `min_coverage` is not an answer (the question is refused when no
candidate reaches it). The weights and the threshold are data, in data/weights.yaml,
written by `speechbot tune` with the date and the question sets they were fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from retrieval.data_files import DATA_DIR
from retrieval.search.features import FEATURES, Candidates

WEIGHTS_FILE = DATA_DIR / "weights.yaml"


@dataclass(frozen=True)
class Weights:
    weights: dict[str, float]
    min_coverage: float  # refusal threshold on coverage
    fitted: str = ""  # date
    data: list[str] = field(default_factory=list)  # the question sets fitted on
    procedure: str = ""

    def vector(self) -> np.ndarray:
        return np.array([self.weights.get(name, 0.0) for name in FEATURES])

    def to_yaml(self) -> dict:
        return {
            "fitted": self.fitted,
            "procedure": self.procedure,
            "data": list(self.data),
            "min_coverage": round(self.min_coverage, 4),
            "weights": {name: round(self.weights.get(name, 0.0), 4) for name in FEATURES},
        }


def read_weights(path: Path) -> Weights:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = set(data["weights"]) - set(FEATURES)
    if unknown:
        raise ValueError(f"{path}: unknown features {sorted(unknown)}")
    return Weights(
        {name: float(value) for name, value in data["weights"].items()},
        float(data["min_coverage"]),
        str(data.get("fitted", "")),
        list(data.get("data", [])),
        str(data.get("procedure", "")),
    )


@cache
def default_weights() -> Weights:
    return read_weights(WEIGHTS_FILE)


def scores(candidates: Candidates, weights: Weights) -> np.ndarray:
    """The score of every candidate (see the module docstring)."""
    return candidates.coverage * (candidates.values @ weights.vector())


def score_parts(candidates: Candidates, row: int, weights: Weights) -> dict[str, float]:
    """What each feature adds to one candidate's score (coverage × weight × value), and its coverage."""
    vector = weights.vector()
    coverage = float(candidates.coverage[row])
    parts = {
        name: round(float(coverage * vector[i] * candidates.values[row, i]), 4)
        for i, name in enumerate(FEATURES)
        if vector[i] and candidates.values[row, i]
    }
    return {**parts, "coverage": round(coverage, 4)}


def explain_parts(parts: dict[str, float], weights: Weights) -> str:
    """One line per feature of a hit's `score_parts`: value × weight × coverage = contribution."""
    coverage = parts.get("coverage", 0.0)
    lines = [f"coverage {coverage:.3f} (refused under {weights.min_coverage:g})"]
    for name in FEATURES:
        contribution = parts.get(name, 0.0)
        weight = weights.weights.get(name, 0.0)
        if not contribution or not weight or not coverage:
            continue
        value = contribution / (weight * coverage)
        lines.append(f"{name:<13} {value:8.3f} × {weight:<5g} × {coverage:.3f} = {contribution:8.3f}")
    total = sum(parts.get(name, 0.0) for name in FEATURES)
    lines.append(f"{'score':<13} {total:8.3f}")
    return "\n".join(lines)
