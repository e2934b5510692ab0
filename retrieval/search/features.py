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
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np

from retrieval.commitments.finding import CommitmentIndex
from retrieval.corpus.document import Document
from retrieval.index.bm25 import BM25Index
from retrieval.index.passages import DocumentPassages, PassageTable
from retrieval.index.sorted_arrays import find_sorted
from retrieval.index.substrings import FoldedTexts
from retrieval.search.places import PassagePlaces
from retrieval.search.question import (
    DEFINITION_MARKER_RE,
    MARKER_REACH,
    MARKER_STARTS,
    PROXIMITY_GAP,
    defines,
    question_phrases,
    standing_together,
)
from retrieval.text.segment import is_cjk, merge_terms


class SearchEngine(Protocol):
    """What the features read from the search engine (retrieval.search.engine.SearchEngine)."""

    documents: Sequence[Document]
    passages: PassageTable
    index: BM25Index
    document_index: BM25Index
    folded: FoldedTexts
    commitments: CommitmentIndex
    places: PassagePlaces

    def coverage_parts(self, words: list[str]) -> dict[str, tuple[tuple[str, ...], list[str]]]: ...


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
SEPARATOR = "\x00"  # between texts searched at once (a character no word holds)
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
    naming_terms: set[str] = field(default_factory=set)  # the index terms of the naming words

    @property
    def total_idf(self) -> float:
        return sum(self.idf[w] for w in self.words)


@dataclass
class Candidates:
    ids: np.ndarray  # passage ids
    values: np.ndarray  # one row per passage, one column per name in FEATURES
    coverage: np.ndarray  # share of the question's idf mass found in each passage's paragraph
    written: frozenset[str] = frozenset()  # words (and spellings) found in some candidate's paragraph

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
    search = engine.index.searcher(query.terms)
    ids, bm25 = search.search(limit)
    documents = set(query.named)
    document_scores = query.document_scores = engine.document_index.scores(query.terms)
    if len(document_scores) > 1:
        documents.update(np.argsort(-document_scores, kind="stable")[:BEST_DOCUMENTS].tolist())
    if not documents:
        return ids, bm25
    # In a named document the passages that say its name (山东) are no better for it: its best
    # are those holding the other words.
    naming = query.naming_terms
    unnamed_terms = [t for t in query.terms if t not in naming]
    extra_ids, extra_scores = [], []
    # A document's passages are one run of ids: only theirs are scored.
    docs = sorted(documents)
    firsts, lasts = engine.passages.document_ranges(docs)
    every_scores = search.scores_in(firsts, lasts)
    if every_scores is None:
        every_scores = engine.index.scores_in(query.terms, firsts, lasts)
    unnamed = (
        engine.index.scores_in(unnamed_terms, firsts, lasts)
        if naming and not query.named.isdisjoint(docs)
        else every_scores
    )
    for doc, first, begin, end in zip(docs, firsts.tolist(), *_run_bounds(lasts - firsts), strict=True):
        scores = every_scores[begin:end]
        by = unnamed[begin:end] if naming and doc in query.named else scores
        mine = np.flatnonzero(scores > 0)
        best = mine[np.lexsort((-scores[mine], -by[mine]))[:EXTRA_PER_DOCUMENT]]
        extra_ids.append(best + first)
        extra_scores.append(scores[best])
    every, every_score = np.concatenate(extra_ids), np.concatenate(extra_scores)
    # A few hundred ids: sets beat numpy's sorting set operations here.
    added = np.array(sorted(set(every.tolist()) - set(ids.tolist())), dtype=every.dtype)
    order = np.argsort(every, kind="stable")
    added_scores = every_score[order][np.searchsorted(every[order], added)]
    return np.concatenate([ids, added]), np.concatenate([bm25, added_scores])


def _run_bounds(counts: np.ndarray) -> tuple[list[int], list[int]]:
    """Where each of runs of these lengths, laid one after the other, begins and ends."""
    ends = np.cumsum(counts)
    return (ends - counts).tolist(), ends.tolist()


class Texts:
    """Which strings occur in many texts at once: the texts are joined in one string, and each
    string's places in it are found once, for all the texts (`positions`), not text by text."""

    def __init__(self, texts: list[str], lengths: np.ndarray | None = None) -> None:
        """The texts, and their lengths when known."""
        self.texts = texts
        self.joined = SEPARATOR.join(texts)
        if lengths is None:
            lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        self.starts = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(lengths[:-1] + 1, out=self.starts[1:])
        self.found: dict[str, np.ndarray] = {}
        self.at: dict[str, np.ndarray] = {}

    @classmethod
    def spans(cls, engine: SearchEngine, doc: np.ndarray, start: np.ndarray, end: np.ndarray) -> Texts:
        """Text i is the folded text of document doc[i] from start[i] to end[i]."""
        return cls(engine.folded.spans(doc, start, end), end.astype(np.int64) - start)

    def __len__(self) -> int:
        return len(self.texts)

    @cached_property
    def codes(self) -> np.ndarray:
        """The code points of `joined` (16 bits each when they all fit), and MARKER_REACH
        SEPARATORs after them: a word's next character past a place where it matched so far is
        always one of them, and never matches; so are the MARKER_REACH characters after a word."""
        padded = self.joined + SEPARATOR * MARKER_REACH
        encoded = padded.encode("utf-16-le")
        if len(encoded) == 2 * len(padded):  # no surrogate pairs: a code unit a character
            return np.frombuffer(encoded, dtype=np.uint16)
        return np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32)

    def text(self, row: int) -> str:
        return self.texts[row]

    def positions(self, word: str) -> np.ndarray:
        """Every place in `joined` where a (non-empty) word without SEPARATOR starts,
        overlapping ones included, ascending."""
        places = self.at.get(word)
        if places is None:
            codes = self.codes
            if len(word) == 1:
                places = np.flatnonzero(codes == ord(word))
            else:  # from the places of its first character, which words often share
                places = self.positions(word[0])
                for offset, character in enumerate(word[1:], start=1):
                    places = places[codes[places + offset] == ord(character)]
            self.at[word] = places
        return places

    def has(self, word: str) -> np.ndarray:
        """For each text, whether `word` occurs in it (as `word in text`)."""
        if word not in self.found:
            if not word or SEPARATOR in word:
                self.found[word] = np.full(len(self), not word)
            else:
                self.found[word] = self.holding(word)
        return self.found[word]

    def holding(self, word: str) -> np.ndarray:
        """For each text, whether a (non-empty) word without SEPARATOR starts in it."""
        found = np.zeros(len(self), dtype=bool)
        found[np.searchsorted(self.starts, self.positions(word), side="right") - 1] = True
        return found

    def where(self, forms: Sequence[str]) -> np.ndarray:
        """The rows whose text holds every form (the only ones a pattern of them can match)."""
        rows = np.ones(len(self), dtype=bool)
        for form in forms:
            rows &= self.has(form)
        return np.flatnonzero(rows)


class Spans(Texts):
    """Spans of the texts of a Texts (text `rows[i]` from `start[i]` to `end[i]`), searched
    through it: a word is in a span when one of its places in the whole text lies inside."""

    def __init__(self, whole: Texts, rows: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        self.whole = whole
        self.text_start = whole.starts[rows]
        self.begin, self.end = self.text_start + start, self.text_start + end
        self.found = {}
        self.bounds: dict[int, np.ndarray] = {}

    def inside(self, places: np.ndarray, size: int) -> np.ndarray:
        """For each span, whether one of these (ascending) places of a word of `size` characters
        lies inside it."""
        if not len(places):
            return np.zeros(len(self), dtype=bool)
        if size not in self.bounds:  # where a word of that size may start in each span: begin … end − size
            self.bounds[size] = np.concatenate([self.begin, self.end - size + 1])
        before = np.searchsorted(places, self.bounds[size])
        return before[len(self) :] > before[: len(self)]

    def followed(self, word: str, pattern: re.Pattern[str], starts: str = "") -> np.ndarray:
        """For each span, whether `word` stands in it where `pattern` matches right after it (in
        the whole text): the only spans where the word can be followed by the pattern. With
        `starts`, the characters one of which a match has within its first MARKER_REACH: only
        places followed by one are tried."""
        if not word or SEPARATOR in word:
            return np.full(len(self), not word)
        joined, size = self.whole.joined, len(word)
        places = self.whole.positions(word)
        if starts and len(places):
            places = places[_any_of(self.whole.codes, places + size, starts)]
        at = [place for place in places.tolist() if pattern.match(joined, place + size)]
        return self.inside(np.array(at, dtype=np.int64), size)

    def together(self, first: str, second: str) -> np.ndarray:
        """For each span, whether `second` follows `first` in it, at most PROXIMITY_GAP
        characters after (`standing_together` on the span's own text)."""
        if any(first[:k] == first[-k:] for k in range(1, len(first))):  # its places may overlap: not
            together = np.zeros(len(self), dtype=bool)  # all of them are the ones `find` steps through
            for row in self.where((first, second)).tolist():
                together[row] = standing_together(self.text(row), first, second)
            return together
        starts, following = self.whole.positions(first), self.whole.positions(second)
        # The nearest place of `second` after each place of `first`, when near enough.
        nearest = np.searchsorted(following, starts + len(first))
        near = nearest < len(following)
        starts, ends = starts[near], following[nearest[near]] + len(second)
        near = ends - len(second) <= starts + len(first) + PROXIMITY_GAP
        starts, ends = starts[near], ends[near]
        if not len(starts):
            return np.zeros(len(self), dtype=bool)
        # The pairs' ends ascend with their starts: a span holds a pair when the first pair
        # starting in it ends in it.
        first_in = np.searchsorted(starts, self.begin)
        return (first_in < len(starts)) & (ends[np.minimum(first_in, len(starts) - 1)] <= self.end)

    def after_spaces(self) -> np.ndarray:
        """For each span, whether nothing but spaces comes before it in its text."""
        opening = self.begin == self.text_start
        # Only a span whose text begins with a space (a character up to U+3000, the
        # ideographic space) can have nothing else before it.
        later = np.flatnonzero(~opening)
        later = later[self.whole.codes[self.text_start[later]] <= 0x3000]
        joined = self.whole.joined
        for row, a, z in zip(
            later.tolist(), self.text_start[later].tolist(), self.begin[later].tolist(), strict=True
        ):
            opening[row] = joined[a:z].isspace()
        return opening

    def __len__(self) -> int:
        return len(self.begin)

    def text(self, row: int) -> str:
        return self.whole.joined[self.begin[row] : self.end[row]]

    def holding(self, word: str) -> np.ndarray:
        return self.inside(self.whole.positions(word), len(word))


def _any_of(codes: np.ndarray, after: np.ndarray, characters: str) -> np.ndarray:
    """For each place in `after`, whether one of `characters` is among the MARKER_REACH code
    points from it on."""
    wanted = np.array(sorted(map(ord, characters)), dtype=codes.dtype)
    found = find_sorted(wanted, codes[after[:, None] + np.arange(MARKER_REACH)])[1]
    return np.any(found, axis=1)


def containing(texts: list[str], words: Sequence[str]) -> np.ndarray:
    """For each text (a row) and word (a column), whether the word occurs in the text (`word in
    text`, for texts without SEPARATOR): each word is looked for in the texts joined, from each
    place it is found on to the end of that text."""
    found = np.zeros((len(texts), len(words)), dtype=bool)
    joined = SEPARATOR.join(texts)
    ends = list(itertools.accumulate(len(text) + 1 for text in texts))  # past each text's SEPARATOR
    for column, word in enumerate(words):
        if not word or SEPARATOR in word:
            found[:, column] = not word
            continue
        place = joined.find(word)
        while place != -1:
            row = bisect_right(ends, place)
            found[row, column] = True
            place = joined.find(word, ends[row])
    return found


def candidate_paragraphs(engine: SearchEngine, ids: np.ndarray) -> tuple[Texts, np.ndarray, np.ndarray]:
    """The candidates' paragraphs, each once: their folded texts, each one's document, and
    each candidate's row among them."""
    _, row_of, inverse = np.unique(
        engine.passages.paragraph_keys(ids), return_index=True, return_inverse=True
    )
    passage = ids[row_of]
    docs = engine.passages.doc[passage]
    places = engine.places
    texts = Texts.spans(engine, docs, places.paragraph_start[passage], places.paragraph_end[passage])
    return texts, docs, inverse.reshape(-1)


def paragraph_coverage(
    query: Query, texts: Texts, docs: np.ndarray, parts: dict[str, tuple[tuple[str, ...], list[str]]]
) -> np.ndarray:
    """The idf mass of the question's words (the keys of `parts`, each with its spellings and
    sub-words) found in each paragraph (a text of document `docs[i]`): a word (or a synonym)
    counts whole; a compound word that is not there counts for the share of its sub-words that
    are (班子成员, where only 班子 is: half), at half weight. Words naming the paragraph's
    document count whole."""
    named = np.isin(docs, list(query.named)) if query.named else np.zeros(len(texts), dtype=bool)
    found = np.zeros(len(texts))
    for word, (forms, pieces) in parts.items():
        says = named.copy() if word in query.naming_words else np.zeros(len(texts), dtype=bool)
        for form in forms:
            says |= texts.has(form)
        share: np.ndarray | float = 0.0
        if pieces:
            count = np.zeros(len(texts), dtype=np.int64)
            for piece in pieces:
                count += texts.has(piece)
            share = 0.5 * query.idf[word] * count / len(pieces)
        found += np.where(says, query.idf[word], share)
    return found


def candidate_features(engine: SearchEngine, query: Query, ids: np.ndarray, bm25: np.ndarray) -> Candidates:
    """The feature matrix of the candidate passages `ids` (with their BM25 `bm25`), every
    feature computed for all candidates at once."""
    idf, total = query.idf, query.total_idf or 1.0
    phrases = question_phrases(query.folded, query.terms)
    values = np.zeros((len(ids), len(FEATURES)))
    values[:, COLUMN["bm25"]] = bm25
    docs = engine.passages.doc[ids]
    naming = query.naming_terms
    # In a named document every passage answers to its name: the rest tells them apart.
    if query.named and naming:
        unnamed = engine.index.scores_at([t for t in query.terms if t not in naming], ids)
        values[:, COLUMN["bm25"]] = np.where(np.isin(docs, list(query.named)), unnamed, bm25)
    if query.named:
        values[:, COLUMN["named"]] = total * np.isin(docs, list(query.named))
    if query.document_scores is None:
        query.document_scores = engine.document_index.scores(query.terms)
    document_scores = query.document_scores
    if len(document_scores) > 1 and document_scores.max() > 0:
        values[:, COLUMN["document"]] = total * document_scores[docs] / document_scores.max()
    parts = engine.coverage_parts(query.words)
    paragraphs, paragraph_docs, paragraph_of = candidate_paragraphs(engine, ids)
    coverage = paragraph_coverage(query, paragraphs, paragraph_docs, parts)[paragraph_of] / total
    written = frozenset(word for word, found in paragraphs.found.items() if found.any())
    # Under the floor a candidate is never an answer: its text features are not worth computing.
    kept = np.flatnonzero(coverage >= COVERAGE_FLOOR)
    if not len(kept):
        return Candidates(ids, values, coverage, written)
    passages = engine.passages
    mine = ids[kept]
    # A window lies in its paragraph: its words are found among the paragraph's.
    paragraph_start = engine.places.paragraph_start[mine]
    texts = Spans(
        paragraphs,
        paragraph_of[kept],
        passages.start[mine] - paragraph_start,
        passages.end[mine] - paragraph_start,
    )
    # In a named document the words naming it do not tell its passages apart (as for bm25).
    named_here = (
        np.isin(passages.doc[mine], list(query.named)) if query.named else np.zeros(len(kept), dtype=bool)
    )
    rows = values[kept]  # the kept candidates' rows, their text features still 0
    for word, (forms, _) in parts.items():
        says = np.zeros(len(kept), dtype=bool)
        for form in forms:
            says |= texts.has(form)
        if word in query.naming_words:
            says &= ~named_here
        rows[:, COLUMN["window"]] += np.where(says, idf[word], 0.0)
    unnamed_phrases = [[t for t in phrase if t not in naming] for phrase in phrases]
    proximity = proximity_idf(texts, phrases, idf)
    if naming and named_here.any() and unnamed_phrases != phrases:
        proximity = np.where(named_here, proximity_idf(texts, unnamed_phrases, idf), proximity)
    rows[:, COLUMN["proximity"]] = proximity
    for phrase in phrases:
        defined = np.zeros(len(kept), dtype=bool)
        holding = texts.where(phrase)  # and the last word right before a marker: nothing else can define it
        for row in holding[texts.followed(phrase[-1], DEFINITION_MARKER_RE, MARKER_STARTS)[holding]].tolist():
            defined[row] = defines(texts.text(row), phrase)
        weight = sum(idf[t] for t in phrase)
        rows[:, COLUMN["definition"]] = np.maximum(
            rows[:, COLUMN["definition"]], np.where(defined, weight, 0.0)
        )
    heading = engine.places.heading[mine]
    headings = np.unique(heading)
    titles = [engine.places.headings[i] for i in headings.tolist()]
    heading_idf = containing(titles, query.terms) @ np.array([idf[t] for t in query.terms], dtype=np.float64)
    rows[:, COLUMN["heading"]] = heading_idf[np.searchsorted(headings, heading)]
    for word in query.focus:
        if word not in query.words:
            rows[:, COLUMN["focus"]] += np.where(texts.has(word), idf[word], 0.0)
    all_pairs = character_pairs(query.folded)
    unnamed_pairs = character_pairs(query.folded, query.naming_words)
    if all_pairs:
        held = {pair: texts.has(pair) for pair in all_pairs}
        share = sum(held.values()) / len(all_pairs)
        # The naming words' pairs left out, when they change anything (their pairs are all among all_pairs).
        if named_here.any() and unnamed_pairs != all_pairs:
            unnamed_share = sum((held[pair] for pair in unnamed_pairs), np.zeros(len(kept)))
            share = np.where(named_here, unnamed_share / max(len(unnamed_pairs), 1), share)
        rows[:, COLUMN["pairs"]] = total * share
    rows[:, COLUMN["opening"]] = total * texts.after_spaces()
    if query.commitment:  # 0 but in a paragraph holding a commitment or a result
        holding = np.flatnonzero(engine.commitments.holding(passages.paragraph_keys(mine)))
        rows[holding, COLUMN["commitment"]] = [
            total * engine.commitments.weight(passage, query.stance) for passage in passages.at(mine[holding])
        ]
    values[kept] = rows
    return Candidates(ids, values, coverage, written)


def proximity_idf(texts: Spans, phrases: list[list[str]], idf: dict[str, float]) -> np.ndarray:
    """For each text, the idf of the question's adjacent words that stand together in it."""
    found = np.zeros(len(texts))
    for phrase in phrases:
        for a, b in itertools.pairwise(phrase):
            found += np.where(texts.together(a, b), min(idf[a], idf[b]), 0.0)
    return found


def character_pairs(folded_question: str, leave_out: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """The pairs of adjacent Chinese characters of a question, without those of `leave_out`'s words."""
    for word in sorted(leave_out, key=len, reverse=True):
        folded_question = folded_question.replace(word, " ")
    return {
        folded_question[i : i + 2]
        for i in range(len(folded_question) - 1)
        if is_cjk(folded_question[i]) and is_cjk(folded_question[i + 1])
    }
