"""Benchmark: what a user waits for, end to end, against plain rank-bm25, in one run.

    python -m bench.bench [--sizes 10000,100000,1000000] [--cli-paragraphs 100000] [--rank-max 200000]
                          [--queries 300] [--rank-sample 20]

Corpora of synthetic reports are written from the real sentences of corpus/ (each report a
title, a salutation, ten numbered parts of paragraphs of 1–3 sentences, a closing): one per
size, sized in passages (a passage per sentence), and one sized in paragraphs for the CLI.
For each, in processes of their own (so that memory figures do not mix):

- build: `SearchEngine.from_folder` from the files, cache empty (seconds, wall clock);
- index size: the saved index folder on disk;
- cold start: `speechbot ask --json` with one question, process start to its answer, the
  saved index present;
- serving memory: resident set (and its private, anonymous part) of a process that opened
  the saved index and answered every question;
- core: `BM25Index.top` (exact top 10 of the question's terms) p50/p99;
- ask: `engine.ask` (question reading, re-ranking, references, quotes) p50/p99;
- rank-bm25 (`BM25Okapi.get_scores` + top 10 over the same passages' terms, question
  segmentation included) p50/p99 on a sample of the questions.

Through the CLI: `speechbot ask --json -` reading every question from stdin on the corpus of
`--cli-paragraphs` paragraphs; per question = (time for all − time for one) / (questions − 1);
rank-bm25 over the same paragraphs in the same run. And the shipped corpus: build, cold start
and `engine.ask` p50/p99. Everything is printed as one table (Markdown).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TOP_K = 10
SECTIONS = 10
SENTENCE_ENDS = "。！？；!?;…"
DIGITS = "一二三四五六七八九十"


# ----------------------------------------------------------------------------- inputs


def corpus_sentences() -> list[str]:
    """The real sentences of corpus/ (at least 8 characters), each ending as a sentence."""
    from retrieval.corpus.loading import load_corpus

    corpus = load_corpus(ROOT / "corpus")
    sentences = [
        document.text[start:end].strip()
        for document in corpus.documents
        for paragraph in document.paragraphs
        if paragraph.indexed
        for start, end in paragraph.sentences
        if end - start >= 8
    ]
    return [s if s[-1] in SENTENCE_ENDS else s + "。" for s in sentences if "\n" not in s]


def write_reports(
    folder: Path, sentences: list[str], seed: int, passages: int = 0, paragraphs: int = 0
) -> None:
    """Synthetic reports of about `passages` sentences (or `paragraphs` paragraphs) in all,
    about 2,000 sentences a report."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    sentence_count = paragraph_count = number = 0

    def more() -> bool:
        return sentence_count < passages if passages else paragraph_count < paragraphs

    while more():
        number += 1
        lines = [f"在第{number}次全体会议上的工作报告", "同志们："]
        lines.append("".join(rng.choices(sentences, k=2)))  # the opening
        for section in range(SECTIONS):
            words = rng.choice(sentences)[:12].rstrip(SENTENCE_ENDS + "，,、：:")
            lines.append(f"{DIGITS[section]}、{words}")
            for _ in range(100):
                if not more():
                    break
                count = rng.randint(1, 3)
                lines.append("".join(rng.choices(sentences, k=count)))
                sentence_count += count
                paragraph_count += 1
        lines.append("同志们，让我们共同努力，完成今年的各项任务！")
        (folder / f"report-{number:05d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_questions(sentences: list[str], count: int, seed: int) -> list[str]:
    """Questions like a user's: the development questions, and 2–4 words picked from real sentences."""
    import yaml

    from retrieval.text.segment import query_words

    questions = []
    for name in ("seed_dev.yaml", "gov_dev.yaml"):
        path = ROOT.parent / "shared" / "eval" / name
        if path.is_file():
            questions += [item["q"] for item in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]]
    rng = random.Random(seed)
    while len(questions) < count:
        words = [w for w in query_words(rng.choice(sentences)) if len(w) > 1]
        if len(words) >= 2:
            questions.append("".join(rng.sample(words, k=min(len(words), rng.randint(2, 4)))) + "是什么")
    rng.shuffle(questions)
    return questions[:count]


def memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(latencies: list[float]) -> tuple[float, float]:
    return statistics.median(latencies), float(np.percentile(latencies, 99))


def timed(function, items) -> list[float]:
    latencies = []
    for item in items:
        started = time.perf_counter()
        function(item)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


# ----------------------------------------------------------------------------- children


def question_terms(question: str, vocabulary) -> list[str]:
    """The question's words the index knows, else their known sub-words (plain BM25's query)."""
    from retrieval.text.segment import query_words, sub_words

    terms: list[str] = []
    for word in query_words(question):
        if word in vocabulary:
            terms.append(word)
        else:
            terms.extend(w for w in sub_words(word) if w in vocabulary)
    return list(dict.fromkeys(terms))


def child_build(folder: str, cache_dir: str) -> dict:
    from retrieval.search.engine import SearchEngine

    started = time.perf_counter()
    engine = SearchEngine.from_folder(Path(folder), cache_dir=Path(cache_dir))
    return {
        "build_s": time.perf_counter() - started,
        "peak_mb": memory_mb("VmHWM"),
        "documents": len(engine.documents),
        "passages": len(engine.passages),
        "paragraphs": sum(p.indexed for d in engine.documents for p in d.paragraphs),
    }


def child_serve(folder: str, cache_dir: str, questions_file: str) -> dict:
    """Open the saved index, answer every question (end to end, then the core alone)."""
    from retrieval.search.engine import SearchEngine

    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    engine = SearchEngine.from_folder(Path(folder), cache_dir=Path(cache_dir))
    engine.ask(questions[0])  # warm-up
    ask = timed(engine.ask, questions)
    terms = [question_terms(q, engine.index.vocabulary) for q in questions]
    core = timed(lambda t: engine.index.top(t, TOP_K), terms)
    return {
        "ask": percentiles(ask),
        "core": percentiles(core),
        "rss_mb": memory_mb("VmRSS"),
        "anon_mb": memory_mb("RssAnon"),
        "questions": len(questions),
    }


def passage_terms(folder: str, cache_dir: str, unit: str) -> list[list[str]]:
    """Each passage's (or paragraph's) terms as strings, from the build's per-document cache
    (the same terms the index holds, not segmented again)."""
    from retrieval.corpus.loading import load_corpus
    from retrieval.index import cache
    from retrieval.search.engine import decode_work, document_work, encode_work

    documents = load_corpus(Path(folder)).documents
    works = cache.per_document(documents, Path(cache_dir), document_work, encode_work, decode_work)
    result: list[list[str]] = []
    for work in works:
        terms = work.passages.sentence_terms
        words = np.array(terms.vocabulary, dtype=object)[terms.ids].tolist()
        ends = np.cumsum(terms.lengths).tolist()
        sentences = [words[a:z] for a, z in zip([0, *ends], ends, strict=False)]
        if unit == "passage":
            result += [list(itertools.chain(*sentences[a : z + 1])) for a, z in work.passages.windows]
        else:  # the sentences of each paragraph: a window starts at each sentence
            paragraphs: dict[int, list[str]] = {}
            for (number, _, _), (first, _) in zip(work.passages.spans, work.passages.windows, strict=True):
                paragraphs.setdefault(number, []).extend(sentences[first])
            result += list(paragraphs.values())
    return result


def child_rank(folder: str, cache_dir: str, questions_file: str, unit: str) -> dict:
    from rank_bm25 import BM25Okapi

    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    texts = passage_terms(folder, cache_dir, unit)
    started = time.perf_counter()
    index = BM25Okapi(texts)
    build = time.perf_counter() - started

    def query(question: str) -> np.ndarray:
        scores = index.get_scores(question_terms(question, index.idf))
        top = np.argpartition(-scores, TOP_K)[:TOP_K]
        return top[np.argsort(-scores[top])]

    return {"build_s": build, "query": percentiles(timed(query, questions)), "questions": len(questions)}


CHILDREN = {"build": child_build, "serve": child_serve, "rank": child_rank}


def run_child(kind: str, *args: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.bench", "--child", kind, *args],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=bench_env(),
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def bench_env() -> dict[str, str]:
    return {**os.environ, "SPEECHBOT_INDEX_KEY": os.environ.get("SPEECHBOT_INDEX_KEY", "bench")}


# ----------------------------------------------------------------------------- measures


def speechbot() -> str:
    return str(Path(sys.executable).with_name("speechbot"))


def cli_seconds(folder: Path, cache_dir: Path, questions: list[str]) -> float:
    """Wall seconds of `speechbot ask --json -` answering the questions on stdin."""
    env = {**bench_env(), "SPEECHBOT_CACHE": str(cache_dir)}
    started = time.perf_counter()
    done = subprocess.run(
        [speechbot(), "ask", "--json", "--corpus", str(folder), "-"],
        input="\n".join(questions) + "\n",
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - started
    assert done.stdout.count("\n") == len(questions), done.stderr[-500:]
    return seconds


def cold_start(folder: Path, cache_dir: Path, question: str) -> float:
    """Process start to first answer, the saved index present (best of three)."""
    return min(cli_seconds(folder, cache_dir, [question]) for _ in range(3))


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def measure(
    folder: Path,
    cache_dir: Path,
    questions_file: Path,
    questions: list[str],
    sample_file: Path,
    rank_max: int,
) -> dict:
    """Every figure of one corpus: build, index size, cold start, serving, rank-bm25 (up to
    `rank_max` passages: over that it needs more memory than this shared machine can spare)."""
    row = run_child("build", str(folder), str(cache_dir))
    row["index_mb"] = sum(folder_mb(p) for p in cache_dir.glob("index-*"))
    row["cold_s"] = cold_start(folder, cache_dir, questions[0])
    row.update(run_child("serve", str(folder), str(cache_dir), str(questions_file)))
    if row["passages"] <= rank_max:
        row["rank"] = run_child("rank", str(folder), str(cache_dir), str(sample_file), "passage")
    return row


def table(rows: list[tuple[str, dict]], cli: dict | None) -> str:
    lines = [
        "| corpus | documents | passages | build s | peak MB | index MB | cold start s | serving RSS MB (private) "
        "| core p50 / p99 ms | `engine.ask` p50 / p99 ms | rank-bm25 p50 / p99 ms | rank-bm25 ÷ ask (p50) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        rank = r.get("rank")
        rank_cells = (
            f"{rank['query'][0]:.1f} / {rank['query'][1]:.1f} (n={rank['questions']}) | {rank['query'][0] / r['ask'][0]:.0f}×"
            if rank
            else "not run | –"
        )
        lines.append(
            f"| {name} | {r['documents']:,} | {r['passages']:,} | {r['build_s']:.1f} | {r['peak_mb']:.0f} "
            f"| {r['index_mb']:.0f} | {r['cold_s']:.2f} | {r['rss_mb']:.0f} ({r['anon_mb']:.0f}) "
            f"| {r['core'][0]:.2f} / {r['core'][1]:.2f} | {r['ask'][0]:.2f} / {r['ask'][1]:.2f} | {rank_cells} |"
        )
    if cli:
        lines += [
            "",
            f"Through the CLI (`speechbot ask --json -`, {cli['questions']} questions on stdin) on "
            f"{cli['paragraphs']:,} paragraphs ({cli['passages']:,} passages): {cli['per_question_ms']:.2f} ms "
            f"a question after a start of {cli['start_s']:.2f} s; rank-bm25 over the same paragraphs "
            f"{cli['rank_ms']:.0f} ms a question (p50, n={cli['rank_questions']}): "
            f"**{cli['rank_ms'] / cli['per_question_ms']:.0f}×**.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="passages of each synthetic corpus")
    parser.add_argument("--cli-paragraphs", type=int, default=100_000, help="0: no CLI comparison")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rank-sample", type=int, default=20, help="rank-bm25 questions")
    parser.add_argument("--rank-max", type=int, default=200_000, help="passages: no rank-bm25 over this")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        print(json.dumps(CHILDREN[kind](*rest)))
        return

    started = datetime.now(UTC)
    sentences = corpus_sentences()
    questions = make_questions(sentences, args.queries, seed=7)
    rows: list[tuple[str, dict]] = []
    cli = None
    with tempfile.TemporaryDirectory(prefix="speechbot-bench-") as tmp:
        work = Path(tmp)
        questions_file, sample_file = work / "questions.json", work / "sample.json"
        questions_file.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
        sample_file.write_text(
            json.dumps(questions[: args.rank_sample], ensure_ascii=False), encoding="utf-8"
        )
        shipped_cache = work / "cache-shipped"
        shipped = measure(
            ROOT / "corpus", shipped_cache, questions_file, questions, sample_file, args.rank_max
        )
        rows.append(("shipped corpus/", shipped))
        print(table(rows, None), flush=True)
        for size in (int(s) for s in args.sizes.split(",") if s):
            folder, cache_dir = work / f"corpus-{size}", work / f"cache-{size}"
            write_reports(folder, sentences, seed=size, passages=size)
            rows.append(
                (
                    f"{size:,} passages",
                    measure(folder, cache_dir, questions_file, questions, sample_file, args.rank_max),
                )
            )
            shutil.rmtree(folder)
            shutil.rmtree(cache_dir)
            print(table(rows, None), flush=True)
        if args.cli_paragraphs:
            folder, cache_dir = work / "corpus-cli", work / "cache-cli"
            write_reports(folder, sentences, seed=1, paragraphs=args.cli_paragraphs)
            built = run_child("build", str(folder), str(cache_dir))
            start = min(cli_seconds(folder, cache_dir, questions[:1]) for _ in range(3))
            every = cli_seconds(folder, cache_dir, questions)
            rank = run_child("rank", str(folder), str(cache_dir), str(sample_file), "paragraph")
            cli = {
                "questions": len(questions),
                "paragraphs": built["paragraphs"],
                "passages": built["passages"],
                "start_s": start,
                "per_question_ms": (every - start) / (len(questions) - 1) * 1000,
                "rank_ms": rank["query"][0],
                "rank_questions": rank["questions"],
            }
    print(
        f"\n{started:%Y-%m-%d %H:%M} UTC, {platform.node()}: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}\n"
    )
    print(table(rows, cli), flush=True)


if __name__ == "__main__":
    main()
