"""What the ranking knows about each candidate passage of a question: named features, one
column each of a matrix with a row per candidate. `retrieval.scoring` turns the matrix
into scores; nothing else decides the order.

Every feature but `coverage` is in idf units (a sum or share of the question's idf mass),
so that one weight means the same on any corpus:

- bm25: BM25 of the question's terms in the passage (its sentence window); in a document
  the question names, without the words that name it (every passage of the document answers
  to its name, and `named` counts it: what tells its passages apart is the rest);
- window: the idf of the question's words (or a synonym) found in the passage itself;
- proximity: for consecutive words of a question phrase standing together in the passage, the smaller idf;
- definition: the idf of a question phrase the passage defines (提升效能，就要…);
- heading: the idf of the question's terms found in the titles above the passage;
- focus: the idf of the word asked for (什么「要求」) when the passage has it;
- commitment: for a question about commitments, the question's idf times how much the
  passage opens with a commitment (1, or 0.5 for one further on);
- named: the question's idf when it names the passage's document (title, year, issuer, speaker);
- document: the question's idf times the document's BM25 (whole documents as units) over the best document's;
- opening: the question's idf when the passage opens its paragraph (where a paragraph says
  what it is about: an article's subject, a speech's point);
- pairs: the question's idf times the share of its pairs of adjacent Chinese characters found
  in the passage (原产地 and 原产于 share 原产, where no word matches); in a named document,
  without the pairs of the words naming it;
- coverage: the share of the question's idf mass found in the passage's paragraph.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.commitments.finding import CommitmentIndex
from retrieval.corpus.document import Document
from retrieval.index.bm25 import BM25Index
from retrieval.index.passages import DocumentPassages, PassageTable
from retrieval.search.places import PassagePlaces
from retrieval.search.question import definition_patterns, question_phrases, standing_together
from retrieval.text.segment import is_cjk, merge_terms


class SearchEngine(Protocol):
    """What the features read from the search engine (retrieval.search.engine.SearchEngine)."""

    documents: Sequence[Document]
    passages: PassageTable
    index: BM25Index
    document_index: BM25Index
    folded: Sequence[str]
    commitments: CommitmentIndex
    places: PassagePlaces

    def scoring_terms(self, words: list[str]) -> list[str]: ...

    def coverage_parts(self, words: list[str]) -> dict[str, tuple[tuple[str, ...], list[str]]]: ...

    def coverage(
        self,
        folded: str,
        passage_id: int,
        parts: dict[str, tuple[tuple[str, ...], list[str]]],
        idf: dict[str, float],
        covered: set[str] | frozenset[str] = ...,
    ) -> float: ...


FEATURES = (
    "bm25",
    "window",
    "proximity",
    "definition",
    "heading",
    "focus",
    "commitment",
    "named",
    "document",
    "opening",
    "pairs",
)
COLUMN = {name: i for i, name in enumerate(FEATURES)}
COVERAGE_FLOOR = 0.2  # under this coverage a candidate is no answer at any threshold tuning tries
EXTRA_PER_DOCUMENT = 20  # best passages added as candidates from each named or best-matching document
BEST_DOCUMENTS = 5  # documents (by whole-document BM25) whose best passages join the candidates


@dataclass
class Query:
    """A question as the ranking sees it."""

    folded: str  # the folded question
    words: list[str]  # content words, each counted for coverage
    terms: list[str]  # index terms searched for (words, synonyms, known sub-words)
    focus: list[str]  # the words asked for (什么「要求」)
    named: set[int]  # documents the question names
    naming_words: set[str]  # the words that named them: covered in those documents
    commitment: bool  # whether it asks for commitments
    idf: dict[str, float]
    stance: int = 0  # +1: it asks for a goal, -1: for what was achieved (commitments.question_stance)
    document_scores: np.ndarray | None = None  # BM25 of every whole document, once computed

    @property
    def total_idf(self) -> float:
        return sum(self.idf[w] for w in self.words)


@dataclass
class Candidates:
    ids: np.ndarray  # passage ids
    values: np.ndarray  # one row per passage, one column per name in FEATURES
    coverage: np.ndarray  # share of the question's idf mass found in each passage's paragraph

    def column(self, name: str) -> np.ndarray:
        return self.values[:, COLUMN[name]]


def build_document_index(parts: list[DocumentPassages]) -> BM25Index:
    """BM25 over whole documents (every indexed sentence of a document as one text)."""
    terms = merge_terms([part.sentence_terms for part in parts])
    ends = np.cumsum(terms.lengths, dtype=np.int64)
    sentence_counts = np.cumsum([len(part.sentence_terms) for part in parts], dtype=np.int64)
    document_end = np.concatenate([np.zeros(1, dtype=np.int64), ends])[sentence_counts]
    document_start = np.concatenate([np.zeros(1, dtype=np.int64), document_end])[:-1]
    vocabulary = {term: i for i, term in enumerate(terms.vocabulary)}
    return BM25Index(vocabulary, terms.ids, document_start, document_end)


def candidate_ids(engine: SearchEngine, query: Query, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """(passage ids, passage BM25): the `limit` best passages by BM25, widened by the best
    passages of each named document and of the best documents by whole-document BM25."""
    ids, bm25 = engine.index.top(query.terms, limit)
    documents = set(query.named)
    document_scores = query.document_scores = engine.document_index.scores(query.terms)
    if len(document_scores) > 1:
        documents.update(np.argsort(-document_scores, kind="stable")[:BEST_DOCUMENTS].tolist())
    if not documents:
        return ids, bm25
    scores = engine.index.scores(query.terms)
    inside = np.flatnonzero(np.isin(engine.passages.doc, list(documents)) & (scores > 0))
    extra = []
    for doc in documents:
        mine = inside[engine.passages.doc[inside] == doc]
        extra.append(mine[np.argsort(-scores[mine], kind="stable")[:EXTRA_PER_DOCUMENT]])
    added = np.setdiff1d(np.concatenate(extra), ids)
    return np.concatenate([ids, added]), np.concatenate([bm25, scores[added]])


def candidate_features(engine: SearchEngine, query: Query, ids: np.ndarray, bm25: np.ndarray) -> Candidates:
    """The feature matrix of the candidate passages `ids` (with their BM25 `bm25`)."""
    idf, total = query.idf, query.total_idf or 1.0
    phrases = question_phrases(query.folded, query.terms)
    definitions = definition_patterns(phrases)
    values = np.zeros((len(ids), len(FEATURES)))
    values[:, COLUMN["bm25"]] = bm25
    docs = engine.passages.doc[ids]
    naming = set(engine.scoring_terms([w for w in query.words if w in query.naming_words]))
    # In a named document every passage answers to its name: the rest tells them apart.
    if query.named and naming:
        unnamed = engine.index.scores([t for t in query.terms if t not in naming])[ids]
        values[:, COLUMN["bm25"]] = np.where(np.isin(docs, list(query.named)), unnamed, bm25)
    if query.named:
        values[:, COLUMN["named"]] = total * np.isin(docs, list(query.named))
    if query.document_scores is None:
        query.document_scores = engine.document_index.scores(query.terms)
    document_scores = query.document_scores
    if len(document_scores) > 1 and document_scores.max() > 0:
        values[:, COLUMN["document"]] = total * document_scores[docs] / document_scores.max()
    parts = engine.coverage_parts(query.words)
    # In a named document the words naming it do not tell its passages apart (as for bm25).
    unnamed_parts = {w: forms for w, forms in parts.items() if w not in query.naming_words}
    unnamed_phrases = [[t for t in phrase if t not in naming] for phrase in phrases]
    named_documents = list(query.named)
    in_named = np.isin(docs, named_documents) if named_documents else np.zeros(len(ids), dtype=bool)
    all_pairs = character_pairs(query.folded)
    unnamed_pairs = character_pairs(query.folded, query.naming_words)
    coverage = np.zeros(len(ids))
    paragraph_found: dict[tuple[int, int], float] = {}
    for row, passage_id in enumerate(ids.tolist()):
        passage = engine.passages[passage_id]
        folded = engine.folded[passage.doc]
        key = (passage.doc, passage.paragraph)
        if key not in paragraph_found:
            paragraph_found[key] = engine.coverage(
                folded, passage_id, parts, idf, named_words(query, passage.doc)
            )
        coverage[row] = paragraph_found[key] / total
        if coverage[row] < COVERAGE_FLOOR:
            continue  # never an answer: the text features are not worth computing
        text = folded[passage.start : passage.end]
        named_here = bool(in_named[row])
        values[row, COLUMN["window"]] = sum(
            idf[w]
            for w, (forms, _) in (unnamed_parts if named_here else parts).items()
            if any(f in text for f in forms)
        )
        values[row, COLUMN["proximity"]] = sum(
            min(idf[a], idf[b])
            for phrase in (unnamed_phrases if named_here else phrases)
            for a, b in itertools.pairwise(phrase)
            if standing_together(text, a, b)
        )
        values[row, COLUMN["definition"]] = max(
            (sum(idf[t] for t in phrase) for pattern, phrase in definitions if pattern.search(text)),
            default=0.0,
        )
        titles = engine.places.heading_text(passage_id)
        values[row, COLUMN["heading"]] = sum(idf[t] for t in query.terms if t in titles)
        values[row, COLUMN["focus"]] = sum(idf[w] for w in query.focus if w in text and w not in query.words)
        pairs = unnamed_pairs if named_here else all_pairs
        if pairs:
            values[row, COLUMN["pairs"]] = total * sum(pair in text for pair in pairs) / len(pairs)
        if not folded[engine.places.paragraph_start[passage_id] : passage.start].strip():
            values[row, COLUMN["opening"]] = total
        if query.commitment:
            values[row, COLUMN["commitment"]] = total * engine.commitments.weight(passage, query.stance)
    return Candidates(ids, values, coverage)


def character_pairs(folded_question: str, leave_out: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """The pairs of adjacent Chinese characters of a question, without those of `leave_out`'s words."""
    for word in sorted(leave_out, key=len, reverse=True):
        folded_question = folded_question.replace(word, " ")
    return {
        folded_question[i : i + 2]
        for i in range(len(folded_question) - 1)
        if is_cjk(folded_question[i]) and is_cjk(folded_question[i + 1])
    }


def named_words(query: Query, doc: int) -> set[str]:
    """The question's words that count as found in a document because they name it."""
    return query.naming_words if doc in query.named else set()
