"""Whether a question is answerable from the corpus at all: a question-level model.

Ranking orders the candidate passages (retrieval.search.scoring); this decides, once per
question, whether the best of them answers it or the question is refused. Its named
features describe the question against the corpus, most of them a share of the question's idf
mass (as ranking weighs its words), so that a weight means the same on any corpus:

- coverage: the largest share found in one candidate's paragraph (retrieval.search.features);
- absent: the share in dictionary words the corpus never writes, in any spelling nor by all
  of their sub-words (减肥, 红烧肉, 狗狗; not 每星期, whose 星期 the corpus writes as 周): what
  the question is about is not there, whatever else matched. Not the segmenter's guesses
  (朱巴河階都有 cut 朱巴河|阶都|有): a word glued across a boundary is no thing of its own;
- single: the share in words of one character the corpus does write (钱, 毛, 炒, 猫): one
  character is found in many unrelated words, so finding it says little;
- untyped: 1 when the question asks for a kind of answer with a recognisable form (a distance,
  a date, a price: data/answer_types.yaml) that none of its best passages writes (地球到月球有多远
  against a passage on lunar exploration without a distance), else 0. The passage, not its
  paragraph: the answer is what the quote must show, and a report's paragraph writes some sum of
  money or date almost always;
- density: how often the document of the best paragraph (the highest coverage) writes the
  question's words of two characters or more that this paragraph writes, in any spelling, per
  thousand characters of the document: log((1 + times) / (1 + thousands)). A document about
  what is asked comes back to it (an article on 东关街 names it throughout); a chance match is
  a word said once in passing in a long report (红烧肉怎么做才好吃: 好吃, once in a report of
  30,000 characters).

It is asked only when some candidate reaches the ranking's `min_coverage`: it refuses more
questions, never fewer. The probability that the question is answerable is a logistic function of the features,
with weights, bias and threshold in data/refusal.yaml, written by `speechbot tune`
(retrieval.evaluate.refusal_fit) with the date and the questions they were fitted on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml

from retrieval.data_files import DATA_DIR
from retrieval.search.features import Candidates, Query, SearchEngine
from retrieval.search.scoring import fitted_yaml, read_fitted
from retrieval.text.segment import in_dictionary, written_forms

REFUSAL_FEATURES = ("coverage", "absent", "single", "untyped", "density")
ANSWER_TYPES_FILE = DATA_DIR / "answer_types.yaml"
BEST_PASSAGES = 3  # the passages of highest coverage an answer of the asked kind is looked for in
REFUSAL_FILE = DATA_DIR / "refusal.yaml"


@dataclass(frozen=True)
class RefusalModel:
    """P(answerable) = σ(bias + Σ weight · feature); refused under `threshold`."""

    weights: dict[str, float]
    bias: float
    threshold: float
    fitted: str = ""  # date
    data: list[str] = field(default_factory=list)  # the questions fitted on
    procedure: str = ""

    @cached_property
    def listed(self) -> tuple[float, ...]:
        """The weight of each feature, in the order of REFUSAL_FEATURES."""
        return tuple(self.weights.get(name, 0.0) for name in REFUSAL_FEATURES)

    def vector(self) -> np.ndarray:
        return np.array(self.listed)

    def probability(self, values: np.ndarray) -> np.ndarray | float:
        """P(answerable) for one feature vector, or for each row of a matrix."""
        return 1.0 / (1.0 + np.exp(-(self.bias + values @ self.vector())))

    def refuses(self, values: np.ndarray) -> bool:
        return bool(self.probability(values) < self.threshold)

    def to_yaml(self) -> dict:
        # The threshold unrounded: it is a fitted question's probability.
        return fitted_yaml(self, REFUSAL_FEATURES, threshold=self.threshold, bias=round(self.bias, 4))


def read_refusal(path: Path) -> RefusalModel:
    data, weights, provenance = read_fitted(path, REFUSAL_FEATURES)
    return RefusalModel(weights, float(data["bias"]), float(data["threshold"]), **provenance)


@cache
def default_refusal() -> RefusalModel:
    return read_refusal(REFUSAL_FILE)


class Corpus(SearchEngine, Protocol):
    """What the refusal features read beyond the ranking's features."""

    def in_corpus(self, text: str) -> bool: ...


@cache
def answer_types() -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
    """Each kind of answer: (how a question asks for it, how a text writes it)."""
    data = yaml.safe_load(ANSWER_TYPES_FILE.read_text(encoding="utf-8"))
    return {kind: (re.compile(entry["asks"]), re.compile(entry["written"])) for kind, entry in data.items()}


def best_first(candidates: Candidates) -> np.ndarray:
    """The candidates' ids by coverage, then BM25, highest first."""
    return candidates.ids[np.lexsort((-candidates.column("bm25"), -candidates.coverage))]


def best(candidates: Candidates) -> int:
    """`best_first(candidates)[0]`, without sorting them all."""
    top = np.flatnonzero(candidates.coverage == candidates.coverage.max())
    return int(candidates.ids[top[np.argmax(candidates.column("bm25")[top])]])


def untyped(engine: Corpus, query: Query, candidates: Candidates) -> float:
    """1.0 when the question asks for a kind of answer that none of its best passages (by
    `best_first`) writes."""
    written = [w for asks, w in answer_types().values() if asks.search(query.folded)]
    if not written:
        return 0.0
    passages = engine.passages
    for passage_id in best_first(candidates)[:BEST_PASSAGES].tolist():
        doc = int(passages.doc[passage_id])
        text = engine.folded.span(doc, int(passages.start[passage_id]), int(passages.end[passage_id]))
        if any(pattern.search(text) for pattern in written):
            return 0.0
    return 1.0


def question_features(
    engine: Corpus, query: Query, candidates: Candidates, least_density: bool = False
) -> np.ndarray:
    """The refusal features (REFUSAL_FEATURES) of a question and its candidates; with
    `least_density`, `density` at the least it can be for the best paragraph's document (its
    words written nowhere else), without counting them."""
    values, density = _features(engine, query, candidates)
    if not least_density:
        values[-1] = density()
    return values


def _features(engine: Corpus, query: Query, candidates: Candidates) -> tuple[np.ndarray, Callable[[], float]]:
    """The refusal features with `density` at its least, and what counts it."""
    total = query.total_idf
    if not len(candidates.ids) or total <= 0:
        return np.array([0.0, 1.0, 0.0, 0.0, 0.0]), lambda: 0.0
    first = best(candidates)
    start, end = engine.places.paragraph_start[first], engine.places.paragraph_end[first]
    doc = int(engine.passages.doc[first])
    paragraph = engine.folded.span(doc, int(start), int(end))
    absent = single = 0.0
    counted: list[str] = []  # the forms whose occurrences in the document make the density

    def in_corpus(text: str) -> bool:  # what a candidate's paragraph writes is in the corpus
        return text in candidates.written or engine.in_corpus(text)

    for word, (forms, pieces) in engine.coverage_parts(query.words).items():
        if not any(in_corpus(form) for form in forms) and not (
            pieces and all(any(in_corpus(f) for f in written_forms(piece)) for piece in pieces)
        ):
            absent += query.idf[word] if in_dictionary(word) else 0.0
        elif len(word) == 1:
            single += query.idf[word]
        elif any(form in paragraph for form in forms):
            counted.extend(forms)
    thousands = engine.folded.length(doc) / 1000

    def density(times: float = 0.0) -> float:
        return float(np.log((1 + times) / (1 + thousands)))

    coverage = float(candidates.coverage.max())
    values = np.array(
        [coverage, absent / total, single / total, untyped(engine, query, candidates), density()]
    )
    return values, lambda: density(sum(engine.folded.occurrences(doc, form) for form in counted))


def refuses(engine: Corpus, query: Query, candidates: Candidates) -> bool:
    """Whether the question is refused: its candidates are unlikely to answer it. Counting the
    words in a long document takes a tenth of a millisecond: a question answered at the least
    density (more found raises it) is answered without."""
    model = default_refusal()
    values, density = _features(engine, query, candidates)
    if model.weights.get("density", 0.0) >= 0 and not model.refuses(values):
        return False
    values[-1] = density()
    return model.refuses(values)
