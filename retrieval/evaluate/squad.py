"""SQuAD-format question sets (CMRC 2018, DRCD) as retrieval benchmarks.

Every article becomes one corpus file (YAML front matter `title:`, each context one
paragraph line), written once into a cache folder keyed by the set's content. Every
question should come back with a top hit in its own article whose quote holds one of the
gold answers. The same questions are also run through plain jieba + rank-bm25 over whole
articles, the baseline a new user would try first.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from retrieval.search.engine import SearchEngine
from retrieval.text.normalize import fold

MRR_DEPTH = 10
_UNSAFE_NAME_RE = re.compile(r"[^\w-]+")


@dataclass(frozen=True)
class SquadQuestion:
    question: str
    article: str  # the doc id of its article in the built corpus
    answers: tuple[str, ...]


@dataclass
class SquadSet:
    name: str
    folder: Path  # the corpus folder built from it
    questions: list[SquadQuestion]


def article_name(index: int, article: dict) -> str:
    """A file stem for an article: its position and id, safe on any file system."""
    raw = str(article.get("id") or index)
    return f"{index:04d}_{_UNSAFE_NAME_RE.sub('_', raw)}"


def article_text(article: dict) -> str:
    """An article as a corpus file: its title in front matter, each context on a line."""
    front = yaml.safe_dump({"title": str(article.get("title") or "")}, allow_unicode=True).strip()
    lines = [" ".join(p["context"].split()) for p in article.get("paragraphs", [])]
    return f"---\n{front}\n---\n" + "\n".join(line for line in lines if line) + "\n"


def load_squad(path: Path, cache_root: Path) -> SquadSet:
    """The questions of a SQuAD file and its corpus folder under `cache_root` (built once per content)."""
    raw = path.read_bytes()
    data = json.loads(raw.decode("utf-8-sig"))
    folder = cache_root / f"{_UNSAFE_NAME_RE.sub('_', path.stem)}-{hashlib.sha256(raw).hexdigest()[:12]}"
    articles = data.get("data", [])
    if not (folder / ".complete").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        for index, article in enumerate(articles):
            (folder / f"{article_name(index, article)}.txt").write_text(
                article_text(article), encoding="utf-8"
            )
        (folder / ".complete").write_text("", encoding="utf-8")
    questions = [
        SquadQuestion(
            qa["question"].strip(),
            article_name(index, article),
            tuple(dict.fromkeys(a["text"] for a in qa.get("answers", []) if a["text"].strip())),
        )
        for index, article in enumerate(articles)
        for paragraph in article.get("paragraphs", [])
        for qa in paragraph.get("qas", [])
        if qa["question"].strip()
    ]
    return SquadSet(path.stem, folder, questions)


@dataclass
class SquadResult:
    name: str
    system: str
    questions: int = 0
    right_article: int = 0
    answer_in_quote: int = 0
    answered: int = 0
    reciprocal_ranks: float = 0.0
    failures: list[str] = field(default_factory=list)

    def share(self, count: int | float) -> float:
        return count / self.questions if self.questions else 0.0

    def summary(self) -> str:
        quote = (
            f", answer in top quote {self.share(self.answer_in_quote):.1%}"
            if self.system == "speechbot"
            else ""
        )
        return (
            f"{self.name} [{self.system}]: {self.questions} questions, "
            f"right article @1 {self.share(self.right_article):.1%}{quote}, "
            f"answered {self.share(self.answered):.1%}, MRR@{MRR_DEPTH} {self.share(self.reciprocal_ranks):.3f}"
        )


def reciprocal_rank(ranked_articles: list[str], article: str) -> float:
    """1/rank of the first of the ranked articles that is the right one (0 if none)."""
    for rank, name in enumerate(ranked_articles[:MRR_DEPTH], start=1):
        if name == article:
            return 1.0 / rank
    return 0.0


def holds_answer(quote: str, answers: tuple[str, ...]) -> bool:
    folded = fold(quote)
    return any(fold(answer) in folded for answer in answers)


def evaluate_engine(engine: SearchEngine, squad: SquadSet, keep_failures: int = 20) -> SquadResult:
    """Right article @1, answer in the top quote @1, answered and MRR@10 of the engine's hits."""
    result = SquadResult(squad.name, "speechbot")
    for item in squad.questions:
        answer = engine.ask(item.question, top=MRR_DEPTH)
        articles = [hit.doc_id for hit in answer.hits]
        result.questions += 1
        result.answered += bool(answer.hits)
        result.reciprocal_ranks += reciprocal_rank(list(dict.fromkeys(articles)), item.article)
        top = answer.hits[0] if answer.hits else None
        right = top is not None and top.doc_id == item.article
        result.right_article += right
        result.answer_in_quote += right and top is not None and holds_answer(top.quote, item.answers)
        if not right and len(result.failures) < keep_failures:
            got = f"{top.title} 「{top.quote[:30]}…」" if top else "refused"
            result.failures.append(f"{item.question} → {got}")
    return result


def evaluate_plain_bm25(squad: SquadSet, tokenize: Callable[[str], list[str]] | None = None) -> SquadResult:
    """Plain rank-bm25 (BM25Okapi, default parameters) over whole articles cut by jieba."""
    from rank_bm25 import BM25Okapi

    if tokenize is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenize = jieba.lcut
    names = sorted(p.stem for p in squad.folder.glob("*.txt"))
    texts = [
        (squad.folder / f"{name}.txt").read_text(encoding="utf-8").split("---\n", 2)[-1] for name in names
    ]
    bm25 = BM25Okapi([tokenize(text) for text in texts])
    result = SquadResult(squad.name, "plain rank-bm25")
    for item in squad.questions:
        scores = bm25.get_scores(tokenize(item.question))
        ranked = [names[i] for i in sorted(range(len(names)), key=lambda i: -scores[i])[:MRR_DEPTH]]
        result.questions += 1
        result.answered += 1
        result.right_article += ranked[0] == item.article
        result.reciprocal_ranks += reciprocal_rank(ranked, item.article)
    return result
