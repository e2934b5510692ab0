"""Benchmark: our sparse BM25 index against rank-bm25 on corpora of 10k, 100k and 1M passages.

    python -m bench.bench [--sizes 10000,100000,1000000] [--queries 300] [--rank-sample 20]

Passages are resampled from the real sentences of corpus/ (1–3 random sentences each) and
segmented once, on every core, into term ids (rank-bm25 gets them back as strings).
First, on corpus/ itself: a build from scratch, a cold start with the saved index, reloads
from the per-document cache (files unchanged; one file changed) and full answers.
Then for each size it prints, for our index and for rank-bm25 measured in the same run:
segmentation and indexing time, peak memory (VmHWM of a fresh process, less the memory
the segmented passages themselves take there), serving memory (RSS of a process that loaded
the saved index and answered), index size on disk (pickle), cold start (process start to
first answer with the saved index present) and query latency p50/p99
(question segmentation included), with the ratio of rank-bm25 to ours. rank-bm25 answers
only a sample of the questions at sizes over 100k (it takes seconds a question there).
Each engine is built in a process of its own so that memory figures do not mix.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pickle
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from retrieval.corpus.loading import load_corpus
from retrieval.text.normalize import fold_all
from retrieval.text.segment import EncodedTerms, encode_terms, merge_terms, query_words, sub_words

ROOT = Path(__file__).resolve().parent.parent

TOP_K = 10


def corpus_sentences() -> list[str]:
    corpus = load_corpus(ROOT / "corpus")
    return [
        document.text[start:end]
        for document in corpus.documents
        for paragraph in document.paragraphs
        if paragraph.indexed
        for start, end in paragraph.sentences
        if end - start >= 8
    ]


def make_passages(sentences: list[str], size: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(sentences, k=rng.randint(1, 3))) for _ in range(size)]


def _segment(texts: list[str]) -> EncodedTerms:
    return encode_terms(fold_all(texts))


def segment_all(texts: list[str], processes: int) -> EncodedTerms:
    """Segment on every core (spawned workers, in chunks); each chunk comes back as integer
    arrays and its own vocabulary, merged here."""
    if processes <= 1 or len(texts) < 20_000:
        return _segment(texts)
    chunk = 20_000
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return merge_terms(pool.map(_segment, chunks))


def make_questions(sentences: list[str], count: int, seed: int) -> list[str]:
    """Questions like a user's: the development questions, and 2–4 words picked from real sentences."""
    questions = []
    for name in ("seed_dev.yaml", "gov_dev.yaml"):
        path = ROOT.parent / "shared" / "eval" / name
        if path.is_file():
            import yaml

            questions += [item["q"] for item in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]]
    rng = random.Random(seed)
    while len(questions) < count:
        words = [w for w in query_words(rng.choice(sentences)) if len(w) > 1]
        if len(words) >= 2:
            questions.append("".join(rng.sample(words, k=min(len(words), rng.randint(2, 4)))) + "是什么")
    return questions[:count]


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ----------------------------------------------------------------------------- engines


def ours_build(terms: EncodedTerms):
    from retrieval.index.bm25 import BM25Index

    ends = np.cumsum(terms.lengths)
    vocabulary = {term: i for i, term in enumerate(terms.vocabulary)}
    return BM25Index(vocabulary, terms.ids, ends - terms.lengths, ends)


def question_terms(question: str, vocabulary) -> list[str]:
    """The question's words the index knows, else their known sub-words (as the engine does)."""
    terms: list[str] = []
    for word in query_words(question):
        if word in vocabulary:
            terms.append(word)
        else:
            terms.extend(w for w in sub_words(word) if w in vocabulary)
    return list(dict.fromkeys(terms))


def ours_query(index, question: str) -> np.ndarray:
    return index.top(question_terms(question, index.vocabulary), TOP_K)[0]


def as_strings(terms: EncodedTerms) -> list[list[str]]:
    """Each passage's terms as strings, what rank-bm25 takes."""
    words = np.array(terms.vocabulary, dtype=object)[terms.ids].tolist()
    ends = np.cumsum(terms.lengths).tolist()
    return [words[begin:end] for begin, end in zip([0, *ends], ends, strict=False)]


def rank_build(passages_terms: list[list[str]]):
    from rank_bm25 import BM25Okapi

    return BM25Okapi(passages_terms)


def rank_query(index, question: str) -> np.ndarray:
    scores = index.get_scores(question_terms(question, index.idf))
    top = np.argpartition(-scores, TOP_K)[:TOP_K]
    return top[np.argsort(-scores[top])]


ENGINES = {"ours": (ours_build, ours_query), "rank-bm25": (rank_build, rank_query)}
INPUTS = {"ours": lambda terms: terms, "rank-bm25": as_strings}  # what each build takes


def child(engine: str, terms_file: str, questions_file: str, max_questions: int, index_file: str) -> None:
    """Build one engine in this fresh process and print its figures as JSON."""
    build, query = ENGINES[engine]
    with open(terms_file, "rb") as handle:
        passages_terms = INPUTS[engine](pickle.load(handle))
    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))[:max_questions]
    baseline = current_rss_mb()
    started = time.perf_counter()
    index = build(passages_terms)
    build_seconds = time.perf_counter() - started
    with open(index_file, "wb") as handle:
        pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
    query(index, questions[0])  # warm-up
    latencies = []
    for question in questions:
        started = time.perf_counter()
        query(index, question)
        latencies.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "build_s": build_seconds,
                "peak_mb": peak_rss_mb() - baseline,
                "disk_mb": os.path.getsize(index_file) / 2**20,
                "p50_ms": statistics.median(latencies),
                "p99_ms": float(np.percentile(latencies, 99)),
                "questions": len(latencies),
            }
        )
    )


def cold_start(engine: str, index_file: str, question: str) -> tuple[float, float]:
    """Seconds from process start to the first answer, loading the saved index, and the
    memory (MB) of that serving process once it has answered."""
    code = (
        f"import pickle; from bench.bench import ENGINES, current_rss_mb; "
        f"index = pickle.load(open({index_file!r}, 'rb')); ENGINES[{engine!r}][1](index, {question!r}); "
        "print(current_rss_mb())"
    )
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return time.perf_counter() - started, float(output.strip().splitlines()[-1])


def shipped_corpus_figures(questions: list[str]) -> str:
    """Build, cold start and the full answering path (ranking, coverage, references) on corpus/."""
    from retrieval.search.engine import SearchEngine

    started = time.perf_counter()
    engine = SearchEngine.from_folder(ROOT / "corpus", use_cache=False)
    build = time.perf_counter() - started
    latencies = []
    for question in questions:
        started = time.perf_counter()
        engine.ask(question)
        latencies.append((time.perf_counter() - started) * 1000)
    with tempfile.TemporaryDirectory() as cache_dir, tempfile.TemporaryDirectory() as copy:
        code = (
            "from pathlib import Path; "
            "from retrieval.search.engine import SearchEngine; "
            f"SearchEngine.from_folder({str(ROOT / 'corpus')!r}, cache_dir=Path({cache_dir!r})).ask({questions[0]!r})"
        )
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)  # builds and saves the index
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        cold = time.perf_counter() - started
        unchanged, one_changed = reload_seconds(Path(copy), Path(cache_dir))
    return (
        f"shipped corpus: {len(engine.documents)} documents, {len(engine.passages):,} passages; build {build:.1f} s; "
        f"cold start with saved index {cold:.2f} s; reload, files unchanged {unchanged:.2f} s, one file changed "
        f"{one_changed:.2f} s; full answer p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {np.percentile(latencies, 99):.1f} ms"
    )


def reload_seconds(copy: Path, cache_dir: Path) -> tuple[float, float]:
    """A reload (SearchEngine.from_folder in a running process) of a copy of corpus/ whose
    per-document files are cached: with the files unchanged, then after one file changed."""
    from retrieval.search.engine import SearchEngine

    shutil.copytree(ROOT / "corpus", copy, dirs_exist_ok=True)
    SearchEngine.from_folder(copy, cache_dir=cache_dir)
    started = time.perf_counter()
    SearchEngine.from_folder(copy, cache_dir=cache_dir)
    unchanged = time.perf_counter() - started
    changed = sorted(copy.rglob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    started = time.perf_counter()
    SearchEngine.from_folder(copy, cache_dir=cache_dir)
    return unchanged, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rank-sample", type=int, default=20, help="rank-bm25 questions at sizes over 100k")
    parser.add_argument("--child", nargs=5, metavar=("ENGINE", "TERMS", "QUESTIONS", "N", "INDEX"))
    args = parser.parse_args()
    if args.child:
        engine, terms_file, questions_file, count, index_file = args.child
        child(engine, terms_file, questions_file, int(count), index_file)
        return

    sentences = corpus_sentences()
    questions = make_questions(sentences, args.queries, seed=7)
    print(
        f"{len(sentences):,} real sentences from corpus/; {len(questions)} questions; {os.cpu_count()} cores"
    )
    print(shipped_corpus_figures(questions), flush=True)
    header = f"{'passages':>9} {'engine':>9} {'segment s':>9} {'index s':>8} {'peak MB':>8} {'serve MB':>8} {'disk MB':>8} {'cold s':>7} {'p50 ms':>8} {'p99 ms':>8}"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        questions_file = Path(tmp, "questions.json")
        questions_file.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
        for size in (int(s) for s in args.sizes.split(",")):
            texts = make_passages(sentences, size, seed=size)
            started = time.perf_counter()
            passages_terms = segment_all(texts, os.cpu_count() or 1)
            segment_seconds = time.perf_counter() - started
            terms_file = Path(tmp, f"terms-{size}.pickle")
            with terms_file.open("wb") as handle:
                pickle.dump(passages_terms, handle, protocol=pickle.HIGHEST_PROTOCOL)
            del passages_terms, texts
            figures = {}
            for engine in ENGINES:
                count = args.queries if engine == "ours" or size <= 100_000 else args.rank_sample
                index_file = Path(tmp, f"{engine}-{size}.pickle")
                output = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.bench",
                        "--child",
                        engine,
                        str(terms_file),
                        str(questions_file),
                        str(count),
                        str(index_file),
                    ],
                    check=True,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                ).stdout
                figures[engine] = json.loads(output.strip().splitlines()[-1])
                figures[engine]["cold_s"], figures[engine]["serving_mb"] = cold_start(
                    engine, str(index_file), questions[0]
                )
                index_file.unlink()
                row = figures[engine]
                rows.append(
                    f"{size:>9,} {engine:>9} {segment_seconds:>9.1f} {row['build_s']:>8.2f} {row['peak_mb']:>8.0f} {row['serving_mb']:>8.0f} "
                    f"{row['disk_mb']:>8.0f} {row['cold_s']:>7.2f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}"
                )
            ours, rank = figures["ours"], figures["rank-bm25"]
            rows.append(
                f"{'':>9} {'ratio':>9} {'':>9} {rank['build_s'] / ours['build_s']:>8.1f} "
                f"{rank['peak_mb'] / max(ours['peak_mb'], 1):>8.1f} {rank['serving_mb'] / ours['serving_mb']:>8.1f} "
                f"{rank['disk_mb'] / ours['disk_mb']:>8.1f} "
                f"{rank['cold_s'] / ours['cold_s']:>7.1f} {rank['p50_ms'] / ours['p50_ms']:>8.0f} "
                f"{rank['p99_ms'] / ours['p99_ms']:>8.0f}   (rank-bm25 ÷ ours; rank-bm25 on {rank['questions']} questions)"
            )
            print("\n".join([header, *rows]), flush=True)
            rows.clear()


if __name__ == "__main__":
    main()
