"""Exact top-k over BM25 postings without summing every posting of a common term.

A passage's score is the sum of its weights for the query terms, each at most that term's
largest weight. Two classic bounds cut the work and keep the answer exact:

1. Threshold rounds (Fagin's TA): each long term keeps its best postings in weight order
   (`Impacts`). Reading the first d of every term's list and scoring those passages exactly
   gives θ, the k-th best score so far; a passage not yet read scores at most B, the sum of
   each list's next weight. When B < θ, nothing unread can enter the top k: done. Rare terms
   are read whole in the first round, so a question with one rare word usually stops there.
2. MaxScore: otherwise, with θ from the rounds, the terms whose largest weights add up to
   less than 3θ/4 cannot lift a passage to θ on their own: only passages whose other terms
   reach θ less that sum are candidates, and those terms are looked up for them (binary
   search in the sorted postings), dropping candidates as soon as their bound falls below θ.

Every returned score is summed in the query's term order, as `BM25Index.scores` does, so the
scores are the same floating-point numbers; ties are broken by the lower passage id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from retrieval.index.sorted_arrays import find_sorted

FIRST_DEPTH = 512  # postings per term read in the first round; shorter lists are read whole
IMPACT_DEPTH = 4096  # postings per term kept in weight order (the deepest round)
SMALL_INDEX = 50_000  # passages: up to this many, summing every posting is quickest
# A deep top k (DEEP_K or more: the ranking's 300 candidates) reads its long terms' impact lists
# whole in its first round (at 1M passages, k = 300: p50 1.2 ms against 1.5 ms from FIRST_DEPTH);
# over up to DENSE_INDEX passages, summing every posting into a vector over all passages is
# quicker still once the postings are a 64th of the passages (k = 300, median: at 100k passages
# 0.1–0.3 ms, and quicker than summing by passage from 1,500 postings on; at 200k passages 0.25 ms
# against the rounds' 0.31 ms from 3k postings, 0.50 against 0.93 from 12k; at 1M passages the
# vector is the slower at every size: 1.2 ms against 1.16 from 16k postings, 2.5 against 1.9 from 63k).
DEEP_K, DENSE_INDEX, DENSE_SHARE = 100, 250_000, 64
FEW_POSTINGS = 8_192  # postings: up to this many, too
# MaxScore looks terms up (rather than summing their postings) while their largest weights
# add up to less than this share of θ: any share below 1 is exact; at 1M passages 3/4 gave
# p99 3.7–4.7 ms where 1/2 gave 4.8–6.7 ms and 1 gave 9.3 ms (same questions, same index).
LOOKED_UP_SHARE = 0.75
MARGIN = 1e-5  # relative slack on bounds summed in another order or precision than the scores
# Over SAMPLED·k scores, the k-th best is first bounded from every 4th (about 4k then remain):
# half the time of one partition of them all (16k scores, k = 300: 0.09 against 0.17 ms).
SAMPLED = 16


@dataclass
class Impacts:
    """A copy of the best IMPACT_DEPTH postings of each long term, by weight (best first)
    and then passage id, read front to back (positions into the column would make every
    read a cache miss); and each term's largest weight."""

    rows: np.ndarray  # int32 passage ids, term after term
    weights: np.ndarray  # float32
    pointers: np.ndarray  # int64: term t's postings are rows[pointers[t]:pointers[t + 1]]
    max_weight: np.ndarray  # float64, per term

    @classmethod
    def build(cls, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> Impacts:
        df = np.diff(indptr)
        lengths = np.where(df > FIRST_DEPTH, np.minimum(df, IMPACT_DEPTH), 0)
        pointers = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        positions = np.empty(pointers[-1], dtype=np.int64)
        for term in np.flatnonzero(lengths):
            weights = data[indptr[term] : indptr[term + 1]]
            best = _best_positions(weights, lengths[term])
            positions[pointers[term] : pointers[term + 1]] = indptr[term] + best
        max_weight = np.zeros(len(df))
        nonempty = df > 0
        max_weight[nonempty] = np.maximum.reduceat(data, indptr[:-1][nonempty]) if data.size else 0.0
        return cls(indices[positions], data[positions], pointers, max_weight)


def _best_positions(weights: np.ndarray, count: int) -> np.ndarray:
    """The positions of the `count` largest weights, best first, ties by position."""
    if count < len(weights):
        kth = np.partition(weights, len(weights) - count)[len(weights) - count]
        above = np.flatnonzero(weights > kth)
        chosen = np.concatenate([above, np.flatnonzero(weights == kth)[: count - len(above)]])
    else:
        chosen = np.arange(len(weights))
    return chosen[np.lexsort((chosen, -weights[chosen]))]


def best_k(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k highest scores, best first, ties by lower id."""
    if len(ids) > SAMPLED * k:  # the k-th of every 4th score is at most the k-th: keep what reaches it
        sample = scores[::4]
        keep = scores >= np.partition(sample, len(sample) - k)[len(sample) - k]
        ids, scores = ids[keep], scores[keep]
    if len(ids) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = scores >= kth
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:k]
    return ids[order], scores[order]


class TopK:
    """One top-k search over the CSC columns (indptr, indices, data) of the query's terms."""

    def __init__(self, matrix: sparse.csc_matrix, impacts: Impacts, terms: list[int]) -> None:
        self.indptr, self.indices, self.data = matrix.indptr, matrix.indices, matrix.data
        self.n_passages = matrix.shape[0]
        self.impacts = impacts
        self.terms = terms  # distinct term ids, in query order
        self.scores: np.ndarray | None = None  # every passage's score, when the search summed them all

    def column(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        begin, end = self.indptr[term], self.indptr[term + 1]
        return self.indices[begin:end], self.data[begin:end]

    def lookup(self, term: int, passages: np.ndarray) -> np.ndarray:
        """The term's weight in each of the (sorted) passages, 0.0 where it is absent."""
        rows, weights = self.column(term)
        found = np.zeros(len(passages))
        small, large = sorted((len(rows), len(passages)))
        if 16 * small > large + self.n_passages // 8:  # both long: scattering beats searching
            column = np.zeros(self.n_passages, dtype=np.float32)
            column[rows] = weights
            return column[passages].astype(np.float64)
        if len(rows) < len(passages):  # search the shorter list in the longer one
            where, hit = find_sorted(passages, rows)
            found[where[hit]] = weights[hit]
        else:
            where, hit = find_sorted(rows, passages)
            found[hit] = weights[where[hit]]
        return found

    def exact(self, passages: np.ndarray) -> np.ndarray:
        """Scores of (sorted) passages, summed in query-term order like `BM25Index.scores`."""
        total = np.zeros(len(passages))
        for term in self.terms:
            total += self.lookup(term, passages)
        return total

    def search(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if not self.terms or k <= 0:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        if len(self.terms) == 1:
            return self.single(k)
        postings = sum(self.indptr[term + 1] - self.indptr[term] for term in self.terms)
        dense = self.n_passages <= SMALL_INDEX or (
            k >= DEEP_K and self.n_passages <= DENSE_INDEX and postings * DENSE_SHARE >= self.n_passages
        )
        if dense or postings <= FEW_POSTINGS:
            return self.direct(k, dense)
        depth = IMPACT_DEPTH if k >= DEEP_K else FIRST_DEPTH
        while True:
            answer, theta, complete = self.round(depth, k)
            if answer is not None:
                return answer
            if not complete or depth >= IMPACT_DEPTH:  # some list is read as deep as it is kept
                return self.max_score(k, theta)
            depth *= 8

    def direct(self, k: int, dense: bool) -> tuple[np.ndarray, np.ndarray]:
        """Every posting summed (in term order: the scores themselves), into a vector over
        all passages when `dense`, else by passage."""
        rows = np.concatenate([self.column(term)[0] for term in self.terms])
        weights = np.concatenate([self.column(term)[1] for term in self.terms])
        if dense:
            scores = self.scores = np.bincount(rows, weights=weights, minlength=self.n_passages)
            ids = np.flatnonzero(scores != 0)  # over a mask: several times quicker than over the floats
            return best_k(ids, scores[ids], k)
        passages, inverse = _group(rows)
        return best_k(passages, np.bincount(inverse, weights=weights, minlength=len(passages)), k)

    def scores_in(self, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray | None:
        """`BM25Index.scores_in` for the searched terms, from the scores the search summed (None
        when it summed none)."""
        if self.scores is None:
            return None
        ranges = zip(firsts.tolist(), lasts.tolist(), strict=True)
        return np.concatenate([self.scores[first:last] for first, last in ranges])

    def single(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """One term: its best postings are its impact list, or its whole (short) column."""
        (term,) = self.terms
        rows, weights = self.column(term)
        begin, end = self.impacts.pointers[term], self.impacts.pointers[term + 1]
        if k > end - begin:
            return best_k(rows, weights.astype(np.float64), k)
        kept = slice(begin, begin + k)
        return self.impacts.rows[kept], self.impacts.weights[kept].astype(np.float64)

    def round(self, depth: int, k: int) -> tuple[tuple[np.ndarray, np.ndarray] | None, float, bool]:
        """Read each term's first `depth` postings by weight. Returns the answer when that
        settles it (else None); θ, the k-th best exact score of the most promising passages
        read; and whether every list could be read that deep."""
        rows, weights, next_weights, complete = [], [], [], True
        for term in self.terms:
            start, stop = self.impacts.pointers[term], self.impacts.pointers[term + 1]
            if start == stop:  # a short list: read whole
                column_rows, column_weights = self.column(term)
                rows.append(column_rows)
                weights.append(column_weights)
                next_weights.append(0.0)
                continue
            read = min(depth, stop - start)
            rows.append(self.impacts.rows[start : start + read])
            weights.append(self.impacts.weights[start : start + read])
            if read == self.indptr[term + 1] - self.indptr[term]:  # the whole column
                next_weights.append(0.0)
            else:  # the next weight in the list, or the last kept one when the list is used up
                complete &= read < stop - start
                next_weights.append(float(self.impacts.weights[start + min(read, stop - start - 1)]))
        bound = sum(next_weights)
        passages, inverse = _group(np.concatenate(rows))
        lower = np.bincount(inverse, weights=np.concatenate(weights), minlength=len(passages))
        unread = bound - np.bincount(
            inverse, weights=np.repeat(next_weights, [len(r) for r in rows]), minlength=len(passages)
        )
        promising = passages[np.argpartition(-lower, 4 * k)[: 4 * k]] if len(passages) > 4 * k else passages
        promising = np.sort(promising)
        kth = best_k(promising, self.exact(promising), k)[1]
        theta = float(kth[-1]) if len(kth) == k else 0.0
        if bound >= theta and bound > 0.0:  # an unread passage may still beat θ
            return None, theta, complete
        maybe = passages[lower + unread * (1 + MARGIN) >= theta * (1 - MARGIN)]
        return best_k(maybe, self.exact(maybe), k), theta, complete

    def max_score(self, k: int, theta: float) -> tuple[np.ndarray, np.ndarray]:
        """Exact top k given θ, a score at least k passages reach (0.0 when unknown).

        The terms with the smallest largest weights, together under 3θ/4, are only looked
        up; a passage with none of the other terms cannot reach θ, nor one whose weights
        for the other terms fall short of θ less what the looked-up terms could add."""
        floor = theta * (1 - MARGIN)
        by_bound = sorted(self.terms, key=lambda term: self.impacts.max_weight[term])
        bounds = np.cumsum([self.impacts.max_weight[term] for term in by_bound])
        cut = int(np.searchsorted(bounds, floor * LOOKED_UP_SHARE))
        looked_up = by_bound[:cut][::-1]  # largest bound first: it prunes most
        remaining = float(bounds[cut - 1]) * (1 + MARGIN) if cut else 0.0
        passages, partial = self.summed(by_bound[cut:], (floor - remaining) * (1 - MARGIN))
        for term in looked_up:
            partial += self.lookup(term, passages)
            remaining -= float(self.impacts.max_weight[term])
            keep = partial + max(remaining, 0.0) * (1 + MARGIN) >= floor
            passages, partial = passages[keep], partial[keep]
        return best_k(passages, self.exact(passages), k)

    def summed(self, terms: list[int], at_least: float) -> tuple[np.ndarray, np.ndarray]:
        """The passages (sorted) whose weights for the terms add up to at least `at_least`
        (to more than 0 when it is not positive), with those sums."""
        rows = [self.column(term)[0] for term in terms]
        weights = [self.column(term)[1] for term in terms]
        if 64 * sum(map(len, rows)) < self.n_passages:
            passages, inverse = _group(np.concatenate(rows))
            partial = np.bincount(inverse, weights=np.concatenate(weights), minlength=len(passages))
            keep = partial >= at_least
            return passages[keep], partial[keep]
        # Many postings: scipy's sparse product adds them up fastest, in float32 (these sums
        # only bound the scores, within MARGIN; the scores themselves are summed exactly).
        pointers = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
        columns = sparse.csc_matrix(
            (np.concatenate(weights), np.concatenate(rows), pointers), shape=(self.n_passages, len(terms))
        )
        partial = columns @ np.ones(len(terms), dtype=np.float32)
        passages = np.flatnonzero(partial >= at_least) if at_least > 0 else np.flatnonzero(partial != 0)
        return passages, partial[passages].astype(np.float64)


def _group(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows, sorted, and the index of each row among them: np.unique's answer,
    several times faster, by sorting (row, place) pairs packed in one int64."""
    order = np.sort((rows.astype(np.int64) << 32) | np.arange(len(rows), dtype=np.int64)) & 0xFFFFFFFF
    sorted_rows = rows[order]
    starts = np.empty(len(rows), dtype=bool)
    starts[:1] = True
    np.not_equal(sorted_rows[1:], sorted_rows[:-1], out=starts[1:])
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return sorted_rows[starts], inverse
