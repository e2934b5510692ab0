"""BM25Index against rank-bm25: same formula, Lucene's idf instead of rank-bm25's floor."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.index import topk
from retrieval.index.bm25 import K1, B, BM25Index
from retrieval.index.sorted_arrays import find_sorted

VOCABULARY = [f"w{i}" for i in range(40)] + ["的", "发展"]


class LuceneBM25(BM25Okapi):
    """rank-bm25's BM25Okapi with the documented idf log(1 + (N − n + 0.5)/(n + 0.5))."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    rng = random.Random(20240601)
    documents = []
    for _ in range(60):
        words = rng.choices(VOCABULARY[:40], k=rng.randint(3, 30))
        # 的 and 发展 fill most documents, the way they fill a corpus of speeches.
        words += ["的"] * rng.randint(1, 3)
        if rng.random() < 0.8:
            words.append("发展")
        rng.shuffle(words)
        documents.append(words)
    return documents


def test_default_parameters() -> None:
    assert (K1, B) == (1.2, 0.75)


def test_scores_match_rank_bm25_with_lucene_idf(corpus: list[list[str]]) -> None:
    ours = BM25Index.from_terms(corpus)
    reference = LuceneBM25(corpus, k1=1.2, b=0.75)
    rng = random.Random(7)
    for _ in range(50):
        query = list(dict.fromkeys(rng.choices([*VOCABULARY, "unknown"], k=rng.randint(1, 5))))
        expected = np.asarray(reference.get_scores(query))
        got = ours.scores(query)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    assert np.any(ours.scores(["w1"]) > 0)


def test_idf_values(corpus: list[list[str]]) -> None:
    index = BM25Index.from_terms(corpus)
    n = len(corpus)
    df = sum("发展" in doc for doc in corpus)
    assert index.term_idf("发展") == pytest.approx(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    assert index.term_idf("的") == pytest.approx(math.log(1 + 0.5 / (n + 0.5)))
    assert index.term_idf("unseen") == pytest.approx(math.log(1 + (n + 0.5) / 0.5))
    assert index.term_idf("的") < index.term_idf("发展") < index.term_idf("w1") < index.term_idf("unseen")


def test_stock_rank_bm25_gives_common_words_a_positive_floor(corpus: list[list[str]]) -> None:
    """Why we changed the idf: rank-bm25 replaces the negative idf of a word in most
    documents by ε·mean(idf) > 0, so 的 ranks as if it were informative; Lucene's idf
    stays positive yet ranks 的 below every rarer word."""
    stock = BM25Okapi(corpus)
    ours = BM25Index.from_terms(corpus)
    n = len(corpus)
    plain_idf = math.log((n - n + 0.5) / (n + 0.5))  # 的 is in every document
    assert plain_idf < 0
    assert stock.idf["的"] == pytest.approx(stock.epsilon * stock.average_idf)
    assert stock.idf["的"] > 0
    assert stock.idf["的"] != pytest.approx(ours.term_idf("的"), rel=1e-3)
    # The floor is shared by 的 and 发展, so stock rank-bm25 cannot tell them apart…
    assert stock.idf["的"] == stock.idf["发展"]
    # …while the Lucene idf orders them by rarity.
    assert ours.term_idf("的") < ours.term_idf("发展")


def test_contains(corpus: list[list[str]]) -> None:
    index = BM25Index.from_terms(corpus)
    for row in (0, 17, 59):
        for term in set(corpus[row]):
            assert index.contains(row, term)
        assert not index.contains(row, "unknown")
    missing = next(t for t in VOCABULARY if t not in corpus[3])
    assert not index.contains(3, missing)
    terms = [*VOCABULARY[:8], missing, "unknown"]
    rows = np.array([0, 3, 17, 59])
    assert index.holding(terms, rows) == {
        row: [t for t in terms if index.contains(row, t)] for row in rows.tolist()
    }


def test_empty_index() -> None:
    index = BM25Index.from_terms([])
    assert index.scores(["a"]).shape == (0,)


def brute_force_top(index: BM25Index, query: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every passage scored densely; the k best with a positive score, ties by lower id."""
    full = index.scores(query)
    ids = np.flatnonzero(full > 0)
    order = np.lexsort((ids, -full[ids]))[:k]
    return ids[order], full[ids][order]


def zipf_corpus(rng: random.Random, n_passages: int) -> list[list[str]]:
    """Words drawn with Zipf-like frequencies (a few in most passages, most rare), and
    passages repeated word for word, so that many scores tie."""
    vocabulary = [f"w{i}" for i in range(300)]
    weights = [1 / (i + 1) for i in range(len(vocabulary))]
    corpus = []
    for _ in range(n_passages):
        if corpus and rng.random() < 0.2:
            corpus.append(list(rng.choice(corpus)))
        else:
            corpus.append(rng.choices(vocabulary, weights, k=rng.randint(1, 25)))
    return corpus


@pytest.mark.parametrize(
    "depths",
    [
        (512, 4096, 50_000, 8192, 150_000),
        (512, 4096, 0, 0, 150_000),
        (512, 4096, 0, 0, 0),
        (3, 12, 0, 0, 0),
        (20, 40, 0, 100, 0),
    ],
)  # the defaults (direct sums at this size); deep top k summed, the rest by rounds; the other paths
def test_top_is_exactly_the_brute_force_top(depths: tuple[int, ...], monkeypatch) -> None:
    """Every path of top() (direct sums, whole short lists, threshold rounds, MaxScore)
    gives exactly the ids and scores of scoring every passage, ties broken by lower id."""
    for name, value in zip(
        ("FIRST_DEPTH", "IMPACT_DEPTH", "SMALL_INDEX", "FEW_POSTINGS", "DENSE_INDEX"), depths, strict=True
    ):
        monkeypatch.setattr(topk, name, value)
    rng = random.Random(sum(depths))
    corpus = zipf_corpus(rng, 3000)
    index = BM25Index.from_terms(corpus)
    vocabulary = [f"w{i}" for i in range(300)]
    for _ in range(300):
        query = rng.sample(vocabulary, k=rng.randint(1, 6)) + rng.choice([[], ["unknown"]])
        k = rng.choice([1, 3, 10, 300, 5000])
        ids, scores = index.top(query, k)
        expected_ids, expected_scores = brute_force_top(index, query, k)
        assert ids.tolist() == expected_ids.tolist(), (query, k)
        assert scores.tolist() == expected_scores.tolist(), (query, k)


def test_top_with_nothing_to_find() -> None:
    index = BM25Index.from_terms([["a", "b"], ["b", "c"]])
    for query in ([], ["unknown"], ["unknown", "other"]):
        ids, scores = index.top(query, 10)
        assert len(ids) == len(scores) == 0
    assert index.top(["b"], 0)[0].tolist() == []
    assert BM25Index.from_terms([]).top(["a"], 3)[0].tolist() == []


def test_top_breaks_ties_by_passage_id() -> None:
    index = BM25Index.from_terms([["a", "x"], ["b"], ["a", "y"], ["a", "z"], ["a", "x"]])
    ids, scores = index.top(["a"], 3)
    assert ids.tolist() == [0, 2, 3]
    assert len(set(scores.tolist())) == 1
    assert index.top(["a", "x"], 2)[0].tolist() == [0, 4]


@pytest.mark.parametrize("n_passages", [40, 400])  # few postings per passage: dense; many: sparse
def test_top_matches_full_scores(n_passages: int) -> None:
    rng = random.Random(n_passages)
    vocabulary = [f"w{i}" for i in range(n_passages)]
    corpus = [[rng.choice(vocabulary) for _ in range(rng.randint(1, 12))] for _ in range(n_passages)]
    index = BM25Index.from_terms(corpus)
    for _ in range(20):
        query = rng.sample(vocabulary, k=rng.randint(1, 4))
        full = index.scores(query)
        ids, scores = index.top(query, 5)
        expected = sorted(full[full > 0], reverse=True)[:5]
        assert np.allclose(scores, expected)
        assert np.allclose(full[ids], scores)


def test_scores_at_some_passages_equal_the_full_scores(corpus: list[list[str]]) -> None:
    index = BM25Index.from_terms(corpus)
    rng = np.random.default_rng(4)
    for query in (["w1", "w2"], ["发展", "w7", "missing"], ["的"], []):
        full = index.scores(query)
        rows = np.sort(rng.choice(len(corpus), size=15, replace=False))
        assert np.array_equal(index.scores_at(query, rows), full[rows])
        assert np.array_equal(index.scores_in(query, np.array([10]), np.array([40])), full[10:40])
        assert np.array_equal(
            index.scores_in(query, np.array([3, 10, 50]), np.array([7, 40, 50])),
            np.concatenate([full[3:7], full[10:40]]),
        )
        search = index.searcher(query)
        search.search(5)  # a small index: every passage summed (but for one term: its own list)
        summed = search.scores_in(np.array([3, 10, 50]), np.array([7, 40, 50]))
        assert (summed is None) == (len(query) < 2)
        assert summed is None or np.array_equal(summed, np.concatenate([full[3:7], full[10:40]]))


def test_best_k_keeps_the_k_best_ties_by_lower_id() -> None:
    rng = np.random.default_rng(6)
    for size, k in [(10, 3), (1000, 5), (5000, 300), (20, 1)]:
        scores = rng.integers(0, 40, size).astype(np.float64)  # many ties
        ids = np.sort(rng.choice(10 * size, size, replace=False))
        order = sorted(range(size), key=lambda i: (-scores[i], ids[i]))[:k]
        best_ids, best_scores = topk.best_k(ids, scores, k)
        assert best_ids.tolist() == ids[order].tolist()
        assert best_scores.tolist() == scores[order].tolist()


def test_values_are_found_in_a_sorted_array_with_their_places() -> None:
    where, found = find_sorted(np.array([2, 5, 9], dtype=np.int32), np.array([5, 1, 9, 12], dtype=np.int64))
    assert found.tolist() == [True, False, True, False]
    assert where[found].tolist() == [1, 2]
    assert find_sorted(np.array([], dtype=np.int32), np.array([3]))[1].tolist() == [False]
