"""BM25 over passages as a sparse matrix of precomputed term weights.

Scoring follows rank-bm25's BM25Okapi formula term for term,
    score(q, d) = Σ_t∈q idf(t) · tf(t,d)·(k1+1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl)),
with one deliberate change, the idf: rank-bm25 uses log((N−n+0.5)/(n+0.5)), which is
negative for a term in more than half the passages, and then replaces every negative idf
by ε·mean(idf) — so a word like 的 or 发展 that fills the corpus gets a *positive floor*
that can outweigh a rare word's small idf in a small corpus. We use Lucene's
idf = log(1 + (N−n+0.5)/(n+0.5)): always positive, monotone in rarity, no floor.

k1 = 1.2 and b = 0.75, the textbook values: passages are sentence windows of up to
150 characters, so repeated terms are rare (k1 matters little) and b mildly prefers the
shorter window when two windows hold the same words — the tighter quote.

Because the score is a sum of per-term weights, the weights are computed once at build
time; a query only adds up the columns of its terms (the postings), never touching
passages that share no term with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from retrieval.index.passages import DocumentPassages
from retrieval.index.sorted_arrays import find_sorted
from retrieval.index.topk import Impacts, TopK
from retrieval.text.segment import merge_terms

K1 = 1.2
B = 0.75
CHUNK = 1 << 22  # postings weighted at a time while building


def _concatenated_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indexes starts[0]…starts[0]+lengths[0]−1, then those of the second range, and so on."""
    total = int(lengths.sum())
    offsets = np.repeat(starts.astype(np.int64) - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(total, dtype=np.int64) + offsets


def lucene_idf(n_docs: int, doc_freq: np.ndarray) -> np.ndarray:
    return np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


class BM25Index:
    """Term weights of every (passage, term) pair, stored column-wise (CSC) for fast postings."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        term_ids: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        k1: float = K1,
        b: float = B,
    ) -> None:
        """Passage i holds the terms term_ids[starts[i]:ends[i]] (ids into `vocabulary`).

        Spans may overlap: overlapping sentence windows share one array of term ids.
        """
        self.k1, self.b = k1, b
        self.vocabulary = vocabulary
        lengths = (ends - starts).astype(np.int64)
        self.n_passages = len(lengths)
        self.avgdl = float(lengths.mean()) if self.n_passages else 0.0
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        if not np.array_equal(starts, indptr[:-1]) or len(term_ids) != indptr[-1]:
            term_ids = term_ids[_concatenated_ranges(starts, lengths)]  # overlapping windows
        # Rows hold each passage's term ids, duplicates included: turning them into columns
        # (a counting sort) and summing the duplicates gives the term frequencies.
        shape = (self.n_passages, len(vocabulary))
        ones = np.ones(len(term_ids), dtype=np.float32)
        tf = sparse.csr_matrix((ones, term_ids, indptr), shape=shape).tocsc()
        del ones
        tf.sum_duplicates()
        self.doc_freq = np.diff(tf.indptr).astype(np.float64)
        self.idf = lucene_idf(self.n_passages, self.doc_freq)
        row_norm = k1 * (1 - b + b * lengths / (self.avgdl or 1.0))
        col_idf = np.repeat(self.idf, np.diff(tf.indptr))
        for begin in range(0, tf.nnz, CHUNK):  # in slices: float64 temporaries of the whole would be GBs
            part = slice(begin, begin + CHUNK)
            freq = tf.data[part]
            tf.data[part] = col_idf[part] * freq * (k1 + 1) / (freq + row_norm[tf.indices[part]])
        self.matrix = tf
        self.impacts = Impacts.build(tf.indptr, tf.indices, tf.data)

    @classmethod
    def from_arrays(
        cls,
        vocabulary: dict[str, int],
        csc: tuple[np.ndarray, np.ndarray, np.ndarray],
        doc_freq: np.ndarray,
        idf: np.ndarray,
        impacts: Impacts,
        n_passages: int,
        avgdl: float,
        k1: float = K1,
        b: float = B,
    ) -> BM25Index:
        """An index from the arrays of a built one (`matrix`'s indptr, indices and data, …),
        used as they are: memory-mapped arrays stay mapped."""
        indptr, indices, data = csc
        if (
            len(indptr) != len(vocabulary) + 1
            or len(idf) != len(vocabulary)
            or len(doc_freq) != len(vocabulary)
        ):
            raise ValueError("the arrays do not fit the vocabulary")
        index = cls.__new__(cls)
        index.k1, index.b, index.avgdl = k1, b, avgdl
        index.vocabulary = vocabulary
        index.doc_freq, index.idf, index.impacts = doc_freq, idf, impacts
        index.n_passages = n_passages
        index.matrix = sparse.csc_matrix(
            (data, indices, indptr), shape=(n_passages, len(vocabulary)), copy=False
        )
        return index

    @classmethod
    def from_terms(cls, passages_terms: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> BM25Index:
        """An index over passages given as lists of terms."""
        vocabulary: dict[str, int] = {}
        term_ids = np.fromiter(
            (vocabulary.setdefault(t, len(vocabulary)) for terms in passages_terms for t in terms),
            dtype=np.int32,
        )
        lengths = np.fromiter(map(len, passages_terms), dtype=np.int64, count=len(passages_terms))
        ends = np.cumsum(lengths)
        return cls(vocabulary, term_ids, ends - lengths, ends, k1, b)

    def term_idf(self, term: str) -> float:
        """idf of a term; a term the corpus never uses gets the idf of a zero-frequency term."""
        term_id = self.vocabulary.get(term)
        if term_id is None:
            return float(lucene_idf(self.n_passages, np.array([0.0]))[0])
        return float(self.idf[term_id])

    def _postings(self, terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The passage ids and weights of every posting of the (known, distinct) terms."""
        spans = [
            (self.matrix.indptr[i], self.matrix.indptr[i + 1])
            for i in (self.vocabulary[t] for t in dict.fromkeys(terms) if t in self.vocabulary)
        ]
        if not spans:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
        rows = np.concatenate([self.matrix.indices[b:e] for b, e in spans])
        weights = np.concatenate([self.matrix.data[b:e] for b, e in spans]).astype(np.float64)
        return rows, weights

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for the query terms (dense vector)."""
        rows, weights = self._postings(terms)
        return np.bincount(rows, weights=weights, minlength=self.n_passages)

    def top(self, terms: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ids and scores of the (at most) k best-scoring passages, best first, ties by
        lower id: exactly those of `scores`, without reading every posting (see retrieval.topk)."""
        return self.searcher(terms).search(k)

    def searcher(self, terms: Sequence[str]) -> TopK:
        """A top-k search for the terms (`TopK.search`), which may sum every passage's score on the way."""
        return TopK(
            self.matrix,
            self.impacts,
            [self.vocabulary[t] for t in dict.fromkeys(terms) if t in self.vocabulary],
        )

    def _column(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The ascending passage ids holding a term and their weights (empty for a term the index lacks)."""
        term_id = self.vocabulary.get(term)
        if term_id is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        begin, end = self.matrix.indptr[term_id], self.matrix.indptr[term_id + 1]
        return self.matrix.indices[begin:end], self.matrix.data[begin:end]

    def scores_at(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        """`scores(terms)[rows]`, without a score for every passage: each term's postings are
        looked up at the rows only (the same sums, in the same order)."""
        result = np.zeros(len(rows))
        for term in dict.fromkeys(terms):
            column, weights = self._column(term)
            if not len(column):
                continue
            at, held = find_sorted(column, rows)
            result += np.where(held, weights[at].astype(np.float64), 0.0)
        return result

    def scores_in(self, terms: Sequence[str], firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
        """`scores(terms)[first:last]` of each (disjoint) range, one after the other in one
        array, reading only the postings of those passages (each term's found with one search)."""
        counts = (lasts - firsts).astype(np.int64)
        offsets = np.cumsum(counts) - counts - firsts  # a passage's place in the result, less the passage
        result = np.zeros(int(counts.sum()))
        bounds = np.stack([firsts, lasts], axis=1).ravel()
        for term in dict.fromkeys(terms):
            column, weights = self._column(term)
            found = np.searchsorted(column, bounds.astype(column.dtype)).reshape(-1, 2)
            sizes = found[:, 1] - found[:, 0]
            at = _concatenated_ranges(found[:, 0], sizes)
            result[column[at] + np.repeat(offsets, sizes)] += weights[at].astype(np.float64)
        return result

    def holding(self, terms: Sequence[str], rows: np.ndarray) -> dict[int, list[str]]:
        """For each of the passages `rows`, the terms it holds (in the order of `terms`): `contains`
        for many passages, one search of each term's postings."""
        held = np.zeros((len(terms), len(rows)), dtype=bool)
        for i, term in enumerate(terms):
            held[i] = find_sorted(self._column(term)[0], rows)[1]
        return {
            row: [t for t, has in zip(terms, found, strict=True) if has]
            for row, found in zip(rows.tolist(), held.T.tolist(), strict=True)
        }

    def contains(self, passage: int, term: str) -> bool:
        term_id = self.vocabulary.get(term)
        if term_id is None:
            return False
        begin, end = self.matrix.indptr[term_id], self.matrix.indptr[term_id + 1]
        rows = self.matrix.indices[begin:end]
        position = np.searchsorted(rows, passage)
        return bool(position < len(rows) and rows[position] == passage)


def build_index(parts: list[DocumentPassages]) -> BM25Index:
    """The BM25 index over every document's passages: one vocabulary for the documents'
    sentence terms, each passage the run of its window's sentences."""
    terms = merge_terms([part.sentence_terms for part in parts])
    sentence_end = np.cumsum(terms.lengths)
    sentence_start = sentence_end - terms.lengths
    first, last, offset = [], [], 0
    for part in parts:
        for a, z in part.windows:
            first.append(offset + a)
            last.append(offset + z)
        offset += len(part.sentence_terms)
    vocabulary = {term: i for i, term in enumerate(terms.vocabulary)}
    return BM25Index(vocabulary, terms.ids, sentence_start[first], sentence_end[last])
