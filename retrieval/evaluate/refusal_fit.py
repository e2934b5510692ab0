"""Fitting the question-level refusal model (retrieval.search.refusal) on the questions of every set.

Answerable questions: every question of the YAML sets on their corpora and of each public
(SQuAD-format) set on its own corpus. Unanswerable questions, generated without picking any
by hand: every question of each public set asked against a corpus that does not hold its
article, the shipped corpus and each other public set's corpus (encyclopaedia questions that
share words with speeches or with other articles, by chance), a quarter of them (by the
SHA-1 of set and question) to keep `speechbot tune` quick; and the off-topic questions of the
YAML sets (`negatives`: everyday questions, as people type them), which the generated ones
are not like.

Splits: the same as the weights' (retrieval.evaluate.tuning.held_out): a YAML question, or a
public set's article with all its questions in either role, is held out when the SHA-1 of its
key falls in the last quarter.

Only questions that reach the ranking's coverage threshold (`min_coverage`) matter: the
others are refused before the model is asked. On those, procedure:
1. logistic regression (Newton's method, a small L2 penalty on the weights, not the bias),
   each of the two classes weighing the same and, inside a class, every set the same however
   many questions it has;
2. the probability threshold: the highest that makes the model refuse at most MAX_REFUSED of
   every set's answerable training questions (rounded down: none of a set of fewer than
   1/MAX_REFUSED questions; a constraint per set, so no set pays for another's gain), placed
   midway to the next lower probability of any training question. The figures are reported
   on the held-out split.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from retrieval.evaluate.squad import load_squad
from retrieval.evaluate.tuning import held_out
from retrieval.search.engine import SearchEngine
from retrieval.search.refusal import REFUSAL_FEATURES, RefusalModel, question_features
from retrieval.search.scoring import Weights

MAX_REFUSED = 0.001  # the largest share of a set's answerable training questions the model may refuse
NEGATIVE_SHARE = 0.25  # the share of a public set's questions asked where their article is not
PENALTY = 1e-3
DIGITS = 4  # the weights and bias as data/refusal.yaml stores them  # L2 penalty on the weights (features are shares, of order 1)


@dataclass
class Asked:
    """One question's refusal features, or None when it is refused before the model (no
    candidate reaches the coverage threshold) or answered without ranking."""

    set_name: str
    held_out: bool
    answerable: bool
    values: np.ndarray | None


def features_of(engine: SearchEngine, question: str, min_coverage: float) -> tuple[bool, np.ndarray | None]:
    """(ranked, the refusal features of its candidates when one reaches `min_coverage`)."""
    _, ranked = engine.traced(question)
    if ranked is None:
        return False, None
    query, candidates = ranked
    if not len(candidates.ids) or candidates.coverage.max() < min_coverage:
        return True, None
    return True, question_features(engine, query, candidates)


def yaml_asked(engine: SearchEngine, path: Path, name: str, min_coverage: float) -> Iterable[Asked]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for item in data.get("questions", []):
        ranked, values = features_of(engine, item["q"], min_coverage)
        if ranked:
            yield Asked(name, held_out(f"{name}/{item['q']}"), True, values)
    for question in data.get("negatives", []):
        ranked, values = features_of(engine, question, min_coverage)
        yield Asked(name, held_out(f"{name}/{question}"), False, values)


def record(
    corpora: list[tuple[Path, list[Path]]], squad_files: list[Path], cache_root: Path, min_coverage: float
) -> tuple[list[Asked], list[str]]:
    """Every question's refusal features (see the module docstring), and what was asked where."""
    asked: list[Asked] = []
    data: list[str] = []
    for corpus, sets in corpora:
        engine = SearchEngine.from_folder(corpus)
        for path in sets:
            asked.extend(yaml_asked(engine, path, f"{path.stem}@{corpus.name}", min_coverage))
            data.append(f"{path.name} on {corpus.name}/")
    squads = [load_squad(path, cache_root) for path in squad_files]
    shipped = corpora[0][0]
    for squad in squads:
        others = [(s.name, s.folder) for s in squads if s is not squad] + [(shipped.name, shipped)]
        for where, folder in [(squad.name, squad.folder), *others]:
            engine = SearchEngine.from_folder(folder)
            answerable = where == squad.name
            name = squad.name if answerable else f"{squad.name}@{where}"
            for item in squad.questions:
                if not answerable and not sampled(f"{squad.name}/{item.question}"):
                    continue
                ranked, values = features_of(engine, item.question, min_coverage)
                if ranked:
                    asked.append(Asked(name, held_out(f"{squad.name}/{item.article}"), answerable, values))
            data.append(
                f"{squad.name} on its own articles (answerable)"
                if answerable
                else f"{squad.name} on {where}/ (unanswerable, a quarter)"
            )
    return asked, data


def sampled(key: str) -> bool:
    digest = hashlib.sha1(f"negative/{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < NEGATIVE_SHARE


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted L2-penalised logistic regression by Newton's method: (weights, bias)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], PENALTY)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (weight * (y - p)) - penalty * beta
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta[1:], float(beta[0])


def balanced_weights(asked: list[Asked]) -> np.ndarray:
    """Each class weighing 1, and inside it every set the same."""
    weight = np.zeros(len(asked))
    for label in (True, False):
        names = {a.set_name for a in asked if a.answerable == label}
        for name in names:
            rows = [i for i, a in enumerate(asked) if a.answerable == label and a.set_name == name]
            weight[rows] = 1.0 / (len(names) * len(rows))
    return weight * len(asked) / 2


def fit_threshold(model: RefusalModel, asked: list[Asked]) -> float:
    """The highest probability threshold refusing at most MAX_REFUSED of each set's answerable questions."""
    limit = 1.0
    for name in {a.set_name for a in asked if a.answerable}:
        mine = [a for a in asked if a.answerable and a.set_name == name]
        scored = np.sort([float(model.probability(a.values)) for a in mine if a.values is not None])
        allowed = int(np.floor(MAX_REFUSED * len(mine)))  # refusals this set may take
        if allowed < len(scored):
            limit = min(limit, float(scored[allowed]))
    return limit


def fit(asked: list[Asked], data: list[str]) -> RefusalModel:
    training = [a for a in asked if not a.held_out and a.values is not None]
    x = np.array([a.values for a in training])
    y = np.array([a.answerable for a in training], dtype=float)
    weights, bias = fit_logistic(x, y, balanced_weights(training))
    # Rounded as the file stores them, so the threshold is fitted for the model as it is read.
    rounded = {name: round(w, DIGITS) for name, w in zip(REFUSAL_FEATURES, weights.tolist(), strict=True)}
    model = RefusalModel(rounded, round(bias, DIGITS), 0.5)
    limit = fit_threshold(model, training_answerable(asked))
    # Midway to the next lower probability of any training question: a margin on both sides.
    below = [p for p in (float(model.probability(row)) for row in x) if p < limit]
    threshold = (limit + max(below)) / 2 if below else limit
    return RefusalModel(
        model.weights,
        model.bias,
        threshold,
        datetime.date.today().isoformat(),
        data,
        "logistic regression on the training split (classes and, within a class, sets weighing the "
        f"same); threshold: the highest refusing at most {MAX_REFUSED:.1%} of each set's answerable "
        "training questions",
    )


def fit_refusal(
    corpora: list[tuple[Path, list[Path]]], squad_files: list[Path], cache_root: Path, weights: Weights
) -> tuple[RefusalModel, list[Asked]]:
    """Record every question at the weights' coverage threshold, fit, and return the model with
    the recorded questions for reporting."""
    asked, data = record(corpora, squad_files, cache_root, weights.min_coverage)
    return fit(asked, data), asked


def training_answerable(asked: list[Asked]) -> list[Asked]:
    return [a for a in asked if a.answerable and not a.held_out]


@dataclass
class RefusalFigures:
    name: str
    split: str
    answerable: bool
    questions: int = 0
    refused_before: int = 0  # no candidate reaches min_coverage
    refused_by_model: int = 0

    def line(self) -> str:
        refused = self.refused_before + self.refused_by_model
        kind = "answerable" if self.answerable else "unanswerable"
        return (
            f"{self.name} [{self.split}, {kind}]: {self.questions} questions, refused {refused} "
            f"({refused / self.questions:.1%}; {self.refused_by_model} by the refusal model)"
        )


def figures(model: RefusalModel, asked: list[Asked]) -> list[RefusalFigures]:
    result: dict[tuple[str, str, bool], RefusalFigures] = {}
    for a in asked:
        split = "held-out" if a.held_out else "training"
        entry = result.setdefault(
            (a.set_name, split, a.answerable), RefusalFigures(a.set_name, split, a.answerable)
        )
        entry.questions += 1
        if a.values is None:
            entry.refused_before += 1
        elif model.refuses(a.values):
            entry.refused_by_model += 1
    return sorted(result.values(), key=lambda f: (not f.answerable, f.name, f.split))


def write_refusal(model: RefusalModel, path: Path) -> None:
    header = "# The refusal model (retrieval/search/refusal.py). Written by `speechbot tune`; do not edit by hand.\n"
    path.write_text(
        header + yaml.safe_dump(model.to_yaml(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
