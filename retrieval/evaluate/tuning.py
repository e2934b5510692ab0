"""Fitting the scoring model's weights and refusal threshold on question sets.

Every set is split deterministically: a question (a SQuAD article, with all its
questions) is held out when the SHA-1 of its key falls in the last quarter, so reruns
and other machines get the same split. The candidates of every question are computed
once (they do not depend on the weights); a question's top answer for any weights is then
the best-scoring candidate at or above the coverage threshold, a matrix product away.

Procedure, chosen because it is simple, needs no gradient and optimises the measure
itself rather than a proxy:
1. weights by coordinate ascent: feature after feature, the weight from a fixed grid that
   maximises the objective on the training split (the mean over sets of right-document @1
   and answer-in-quote @1, each set counting the same however many questions it has), BM25's
   weight held at 1 (only ratios matter) and the commitment weight at its starting value
   (no set tells a commitment from another answer), until a round changes nothing; a step
   that costs any set a training question it answered right at the start is not taken;
2. the refusal threshold, from a grid: the one that refuses the largest share of off-topic
   questions (mean over the sets that have them) among those that refuse at most
   MAX_REFUSED of every set's answerable training questions (the highest of equals: the
   widest margin against off-topic questions not seen, within the refusal budget). A
   constraint, not a sum of the two costs: a summed loss moves with the number and sizes of
   the sets, and trades answerable questions of the public sets for off-topic ones;
then the weights once more at that threshold.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from retrieval.evaluate.questions import is_right
from retrieval.evaluate.squad import holds_answer, load_squad
from retrieval.search.engine import SearchEngine
from retrieval.search.features import COVERAGE_FLOOR, FEATURES, Candidates
from retrieval.search.results import Hit
from retrieval.search.scoring import Weights

FIXED = ("bm25", "commitment")  # bm25: the unit; commitment: no set labels commitment answers as such
GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
# Where the ascent starts, whatever the current weights file says (so a rerun reproduces
# it): the constants of the hand-written ranking this model replaced, new features at 0.
START = Weights(
    {
        "bm25": 1.0,
        "proximity": 1.0,
        "definition": 0.5,
        "heading": 0.5,
        "focus": 0.5,
        "commitment": 0.3,
        "named": 1.0,
    },
    min_coverage=0.36,
)
HELD_OUT_SHARE = 0.25
# The largest share of a set's answerable training questions the threshold may refuse: with the refusal
# model's own (retrieval.evaluate.refusal_fit), 0.3% in all, under the 0.5% a set may lose, so that
# questions not seen keep a margin.
MAX_REFUSED = 0.002
MAX_ROUNDS = 6
THRESHOLDS = tuple(
    round(COVERAGE_FLOOR + 0.01 * i, 2) for i in range(61)
)  # coverage thresholds tried, 0.2 … 0.8


def held_out(key: str) -> bool:
    digest = hashlib.sha1(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 >= 1 - HELD_OUT_SHARE


@dataclass
class Recorded:
    """One question's candidates with what is right about each."""

    set_name: str
    held_out: bool
    negative: bool
    candidates: Candidates | None  # None: not ranked (refused before ranking, or a part of a named speech)
    right_document: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    right_quote: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # A question answered without ranking: (answered, right document, right quote).
    fixed: tuple[bool, bool, bool] = (False, False, False)

    @property
    def best_coverage(self) -> float:
        if self.candidates is None or not len(self.candidates.ids):
            return 0.0
        return float(self.candidates.coverage.max())


def record_candidates(engine: SearchEngine, question: str) -> tuple[Candidates | None, Hit | None]:
    """The candidates the engine ranks for a question, or (when it answers without ranking:
    a named speech read from its start) None and its answer."""
    answer, ranked = engine.traced(question)
    if ranked is not None:
        return ranked[1], None
    return None, answer.hits[0] if answer.hits else None


def passage_text(engine: SearchEngine, passage_id: int) -> str:
    return engine.quote_text(passage_id)


def squad_questions(engine: SearchEngine, path: Path, cache_root: Path) -> Iterable[Recorded]:
    squad = load_squad(path, cache_root)
    for item in squad.questions:
        candidates, answer = record_candidates(engine, item.question)
        recorded = Recorded(squad.name, held_out(f"{squad.name}/{item.article}"), False, candidates)
        if answer is not None:
            right = answer.doc_id == item.article
            recorded.fixed = (True, right, right and holds_answer(answer.quote, item.answers))
        if candidates is not None:
            names = [engine.documents[d].doc_id for d in engine.passages.doc[candidates.ids].tolist()]
            recorded.right_document = np.array([n == item.article for n in names], dtype=bool)
            quotes = [passage_text(engine, i) for i in candidates.ids.tolist()]
            recorded.right_quote = recorded.right_document & np.array(
                [holds_answer(q, item.answers) for q in quotes], dtype=bool
            )
        yield recorded


def yaml_questions(engine: SearchEngine, path: Path, name: str) -> Iterable[Recorded]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for item in data.get("questions", []):
        candidates, answer = record_candidates(engine, item["q"])
        recorded = Recorded(name, held_out(f"{name}/{item['q']}"), False, candidates)
        if answer is not None:
            right = item.get("doc", answer.doc_id) in (answer.doc_id, answer.doc_id.rsplit("/", 1)[-1])
            recorded.fixed = (True, right, is_right(engine, item, answer))
        if candidates is not None:
            hits = [engine.hit(engine.passages[i], 0.0, 0.0, []) for i in candidates.ids.tolist()]
            recorded.right_quote = np.array([is_right(engine, item, hit) for hit in hits], dtype=bool)
            recorded.right_document = np.array(
                [item.get("doc", hit.doc_id) in (hit.doc_id, hit.doc_id.rsplit("/", 1)[-1]) for hit in hits],
                dtype=bool,
            )
        yield recorded
    for question in data.get("negatives", []):
        candidates, answer = record_candidates(engine, question)
        recorded = Recorded(name, held_out(f"{name}/{question}"), True, candidates)
        recorded.fixed = (answer is not None, False, False)
        yield recorded


def labels(question: Recorded, given: np.ndarray) -> np.ndarray:
    """A label per candidate: those given, or none right (off-topic questions)."""
    assert question.candidates is not None
    return given if len(given) else np.zeros(len(question.candidates.ids), dtype=bool)


class Table:
    """All recorded candidates of many questions as one matrix, for fast what-ifs."""

    def __init__(self, questions: list[Recorded]) -> None:
        self.questions = questions
        ranked = [q for q in questions if q.candidates is not None and len(q.candidates.ids)]
        self.ranked = ranked
        candidates = [q.candidates for q in ranked if q.candidates is not None]
        self.values = (
            np.concatenate([c.values for c in candidates]) if candidates else np.zeros((0, len(FEATURES)))
        )
        self.coverage = np.concatenate([c.coverage for c in candidates]) if candidates else np.zeros(0)
        self.right_document = np.concatenate(
            [labels(q, q.right_document) for q in ranked] or [np.zeros(0, bool)]
        )
        self.right_quote = np.concatenate([labels(q, q.right_quote) for q in ranked] or [np.zeros(0, bool)])
        sizes = np.array([len(c.ids) for c in candidates], dtype=np.int64)
        self.owner = np.repeat(np.arange(len(ranked)), sizes)
        self.first = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

    def tops(self, weights: np.ndarray, threshold: float) -> np.ndarray:
        """For each ranked question, the row of its top answer, or −1 if it is refused."""
        scores = self.coverage * (self.values @ weights)
        scores = np.where(self.coverage >= threshold, scores, -np.inf)
        order = np.lexsort(
            (-scores, self.owner)
        )  # by question, best first (stable: earlier candidates win ties)
        top = order[self.first]
        return np.where(np.isfinite(scores[top]), top, -1)


@dataclass
class SetFigures:
    name: str
    split: str
    questions: int = 0
    right_document: int = 0
    right_quote: int = 0
    answered: int = 0
    negatives: int = 0
    refused: int = 0

    def line(self) -> str:
        share = (lambda n: f"{n / self.questions:.1%}") if self.questions else (lambda n: "-")
        text = f"{self.name} [{self.split}]"
        if self.questions:
            text += (
                f": {self.questions} questions, right document {share(self.right_document)}, "
                f"answer in quote {share(self.right_quote)}, answered {share(self.answered)}"
            )
        if self.negatives:
            text += f"; off-topic refused {self.refused}/{self.negatives}"
        return text


def figures(table: Table, weights: np.ndarray, threshold: float) -> dict[tuple[str, str], SetFigures]:
    tops = table.tops(weights, threshold)
    top_of = {id(q): int(t) for q, t in zip(table.ranked, tops.tolist(), strict=True)}
    result: dict[tuple[str, str], SetFigures] = {}
    for q in table.questions:
        split = "held-out" if q.held_out else "training"
        entry = result.setdefault((q.set_name, split), SetFigures(q.set_name, split))
        top = top_of.get(id(q), -1)
        answered, right_document, right_quote = q.fixed
        if top >= 0:
            answered, right_document, right_quote = True, table.right_document[top], table.right_quote[top]
        if q.negative:
            entry.negatives += 1
            entry.refused += not answered
        else:
            entry.questions += 1
            entry.answered += answered
            entry.right_document += bool(right_document)
            entry.right_quote += bool(right_quote)
    return result


def objective(table: Table, weights: np.ndarray, threshold: float) -> float:
    """The mean over sets of (right document @1 + answer in quote @1) / 2, training split."""
    per_set = [
        (f.right_document + f.right_quote) / (2 * f.questions)
        for (_, split), f in figures(table, weights, threshold).items()
        if split == "training" and f.questions
    ]
    return float(np.mean(per_set)) if per_set else 0.0


def refused_shares(table: Table, weights: np.ndarray, threshold: float) -> tuple[float, float]:
    """On the training split: the largest share of one set's answerable questions refused, and
    the mean over sets of the share of off-topic questions refused."""
    entries = [f for (_, split), f in figures(table, weights, threshold).items() if split == "training"]
    refused = max((1 - f.answered / f.questions for f in entries if f.questions), default=0.0)
    off_topic = [f.refused / f.negatives for f in entries if f.negatives]
    return refused, float(np.mean(off_topic)) if off_topic else 0.0


def fit_threshold(table: Table, weights: np.ndarray) -> float:
    """The threshold from THRESHOLDS refusing most off-topic questions while at most MAX_REFUSED
    of every set's answerable questions are refused (the highest of equals); the lowest if none is."""
    best, best_refused = THRESHOLDS[0], -1.0
    for threshold in THRESHOLDS:
        most_refused, off_topic = refused_shares(table, weights, threshold)
        if most_refused <= MAX_REFUSED and off_topic >= best_refused:
            best, best_refused = threshold, off_topic
    return best


def fit(table: Table, start: Weights) -> tuple[np.ndarray, float]:
    """Weights by coordinate ascent at the starting threshold, then the threshold, then the weights again."""
    weights = start.vector()
    weights[FEATURES.index("bm25")] = 1.0
    threshold = start.min_coverage
    for _ in range(2):
        weights = ascend(table, weights, threshold)
        threshold = fit_threshold(table, weights)
    return weights, threshold


def training_rights(table: Table, weights: np.ndarray, threshold: float) -> dict[str, int]:
    """Each set's training questions answered right (right quote), by set."""
    return {
        name: f.right_quote
        for (name, split), f in figures(table, weights, threshold).items()
        if split == "training"
    }


def ascend(table: Table, weights: np.ndarray, threshold: float) -> np.ndarray:
    """Coordinate ascent; a step is taken only if it raises the objective and no set loses
    a training question it answered right at the start (no set pays for another's gain)."""
    best = objective(table, weights, threshold)
    floor = training_rights(table, weights, threshold)
    for _ in range(MAX_ROUNDS):
        changed = False
        for i, name in enumerate(FEATURES):
            if name in FIXED:
                continue
            for value in GRID:
                trial = weights.copy()
                trial[i] = value
                score = objective(table, trial, threshold)
                if score > best + 1e-9 and all(
                    training_rights(table, trial, threshold)[name] >= count for name, count in floor.items()
                ):
                    best, weights, changed = score, trial, True
        if not changed:
            break
    return weights


def fitted_weights(weights: np.ndarray, threshold: float, data: list[str]) -> Weights:
    return Weights(
        {name: float(weights[i]) for i, name in enumerate(FEATURES)},
        threshold,
        datetime.date.today().isoformat(),
        data,
        "coordinate ascent on the training split (mean over sets of right document @1 and answer in quote @1); "
        f"threshold: most off-topic questions refused (mean over sets) with at most {MAX_REFUSED:.1%} of "
        "every set's answerable questions refused",
    )


def write_weights(weights: Weights, path: Path) -> None:
    header = "# Weights of the scoring model (retrieval/search/scoring.py). Written by `speechbot tune`; do not edit by hand.\n"
    path.write_text(
        header + yaml.safe_dump(weights.to_yaml(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def tune(
    corpora: list[tuple[Path, list[Path]]], squad_files: list[Path], cache_root: Path
) -> tuple[Weights, Table]:
    """Record every question's candidates, fit, and return the weights with the table for reporting."""
    questions, data = record(corpora, squad_files, cache_root)
    table = Table(questions)
    weights, threshold = fit(table, START)
    return fitted_weights(weights, threshold, data), table


def record(
    corpora: list[tuple[Path, list[Path]]], squad_files: list[Path], cache_root: Path
) -> tuple[list[Recorded], list[str]]:
    """Every question's candidates (YAML sets on their corpora, SQuAD sets each on its own),
    and the names of the sets."""
    questions: list[Recorded] = []
    data: list[str] = []
    for corpus, sets in corpora:
        engine = SearchEngine.from_folder(corpus)
        for path in sets:
            name = f"{path.stem}@{corpus.name}"
            questions.extend(yaml_questions(engine, path, name))
            data.append(f"{path.name} on {corpus.name}/")
    for path in squad_files:
        squad = load_squad(path, cache_root)
        questions.extend(squad_questions(SearchEngine.from_folder(squad.folder), path, cache_root))
        data.append(path.name)
    return questions, data
