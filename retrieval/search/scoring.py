"""The one score of a candidate passage, from its features (retrieval.features):

    score = coverage × Σ_f weight_f · feature_f

a weighted sum of the features, scaled by the share of the question found around the
passage, so a passage that holds half the question earns half its evidence. A candidate
whose coverage is under `min_coverage` is not an answer (the question is refused when no
candidate reaches it). The weights and the threshold are data, in data/weights.yaml,
written by `speechbot tune` with the date and the question sets they were fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Protocol

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

    @cached_property
    def listed(self) -> tuple[float, ...]:
        """The weight of each feature, in the order of FEATURES."""
        return tuple(self.weights.get(name, 0.0) for name in FEATURES)

    def vector(self) -> np.ndarray:
        return np.array(self.listed)

    def to_yaml(self) -> dict:
        return fitted_yaml(self, FEATURES, min_coverage=round(self.min_coverage, 4))


class Fitted(Protocol):
    """A model fitted by `speechbot tune`: named weights, and when, on what and how it was fitted."""

    @property
    def weights(self) -> dict[str, float]: ...
    @property
    def fitted(self) -> str: ...
    @property
    def data(self) -> list[str]: ...
    @property
    def procedure(self) -> str: ...


def fitted_yaml(model: Fitted, names: Sequence[str], **values: object) -> dict:
    """A fitted model's file: its provenance, its own `values`, then its weights (every name)."""
    provenance = {"fitted": model.fitted, "procedure": model.procedure, "data": list(model.data)}
    weights = {name: round(model.weights.get(name, 0.0), 4) for name in names}
    return {**provenance, **values, "weights": weights}


def read_fitted(path: Path, names: Sequence[str]) -> tuple[dict[str, Any], dict[str, float], dict[str, Any]]:
    """A fitted model's file: (the whole mapping, its weights, its provenance as keyword
    arguments); a weight of a name not in `names` is an error."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = set(data["weights"]) - set(names)
    if unknown:
        raise ValueError(f"{path}: unknown features {sorted(unknown)}")
    weights = {name: float(value) for name, value in data["weights"].items()}
    provenance = {
        "fitted": str(data.get("fitted", "")),
        "data": list(data.get("data", [])),
        "procedure": str(data.get("procedure", "")),
    }
    return data, weights, provenance


def read_weights(path: Path) -> Weights:
    data, weights, provenance = read_fitted(path, FEATURES)
    return Weights(weights, float(data["min_coverage"]), **provenance)


@cache
def default_weights() -> Weights:
    return read_weights(WEIGHTS_FILE)


def scores(candidates: Candidates, weights: Weights) -> np.ndarray:
    """The score of every candidate (see the module docstring)."""
    return candidates.coverage * (candidates.values @ weights.vector())


def score_parts(candidates: Candidates, row: int, weights: Weights) -> dict[str, float]:
    """What each feature adds to one candidate's score (coverage × weight × value), and its coverage."""
    coverage = float(candidates.coverage[row])
    parts = {
        name: round(coverage * weight * value, 4)
        for name, weight, value in zip(FEATURES, weights.listed, candidates.values[row].tolist(), strict=True)
        if weight and value
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
