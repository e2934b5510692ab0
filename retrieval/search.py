"""The search engine: a question becomes terms, the terms become ranked passages, the
passages become hits with exact quotes and references."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.corpus import Corpus, load_corpus
from retrieval.document import Document
from retrieval.index import BM25Index
from retrieval.naming import DocumentNames
from retrieval.passages import Passage, document_passages
from retrieval.references import chinese_number, reference
from retrieval.segment import query_words, sub_words

MIN_COVERAGE = 0.6  # share of the question's idf mass a passage must contain to be quoted
CANDIDATES = 200  # passages considered per question before overlap removal


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    date: str | None
    part: str  # opening | section | closing
    section_number: int | None
    section_title: str | None
    subsection: str | None
    point: str | None
    paragraph: int
    quote: str
    start: int  # offsets of the quote in the document's cleaned text
    end: int
    score: float
    coverage: float  # share of the question's idf mass found in the quote
    reference: str
    matched_terms: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["matched_terms"] = list(self.matched_terms)
        data["score"] = round(self.score, 4)
        data["coverage"] = round(self.coverage, 4)
        return data


@dataclass
class Answer:
    query: str
    found: bool
    hits: list[Hit]
    terms: list[str] = field(default_factory=list)
    missing_terms: list[str] = field(default_factory=list)  # question words no passage contains
    named_documents: list[str] = field(default_factory=list)
    more: bool = False  # whether further relevant hits exist past this page

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "found": self.found,
            "hits": [hit.to_json() for hit in self.hits],
            "terms": self.terms,
            "missing_terms": self.missing_terms,
            "named_documents": self.named_documents,
        }


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class SearchEngine:
    """An immutable index over one corpus; build a new engine to reload."""

    def __init__(self, corpus: Corpus) -> None:
        started = time.perf_counter()
        self.corpus = corpus
        self.documents: list[Document] = corpus.documents
        pairs = [pair for index, doc in enumerate(self.documents) for pair in document_passages(index, doc)]
        self.passages: list[Passage] = [passage for passage, _ in pairs]
        self.index = BM25Index([passage_terms for _, passage_terms in pairs])
        self.passage_doc = np.fromiter((p.doc for p in self.passages), dtype=np.int32, count=len(self.passages))
        self.names = DocumentNames(self.documents)
        self.built_at = time.time()
        self.build_seconds = time.perf_counter() - started

    @classmethod
    def from_folder(cls, folder: Path | str) -> SearchEngine:
        return cls(load_corpus(folder))

    def document(self, doc_id: str) -> Document | None:
        return self.corpus.document(doc_id)

    def ask(self, question: str, top: int = 3, offset: int = 0) -> Answer:
        """The `top` best passages for a question, skipping the first `offset` ones."""
        query_terms = self.query_terms(question)
        answer = Answer(query=question, found=False, hits=[], terms=query_terms)
        if not query_terms or not self.passages:
            return answer
        named, naming_terms = self.names.named(question, query_terms)
        content_terms = [t for t in query_terms if t not in naming_terms] or query_terms
        answer.named_documents = [self.documents[d].doc_id for d in sorted(named)]
        answer.missing_terms = [t for t in content_terms if t not in self.index.vocabulary]
        scores = self.index.scores(content_terms)
        hits = self._ranked_hits(scores, content_terms, named, offset + top + 1)
        answer.hits = hits[offset : offset + top]
        answer.more = len(hits) > offset + top
        answer.found = bool(hits)
        return answer

    def query_terms(self, question: str) -> list[str]:
        """The question's words; a word the index lacks is replaced by its sub-words that it has."""
        found: list[str] = []
        for word in query_words(question):
            known = [w for w in sub_words(word) if w in self.index.vocabulary]
            found.extend(known if word not in self.index.vocabulary and known else [word])
        return unique(found)

    def _ranked_hits(self, scores: np.ndarray, query_terms: list[str], named: set[int], wanted: int) -> list[Hit]:
        """Relevant, non-overlapping hits: named documents' passages first, then by score."""
        candidates = np.flatnonzero(scores > 0)
        if named:
            in_named = np.isin(self.passage_doc[candidates], list(named))
            keys = scores[candidates] + in_named * (scores.max() + 1.0)
        else:
            keys = scores[candidates]
        order = candidates[np.argsort(-keys, kind="stable")]
        idf = {t: self.index.term_idf(t) for t in query_terms}
        total_idf = sum(idf.values())
        chosen: list[Hit] = []
        taken: dict[tuple[int, int], list[tuple[int, int]]] = {}
        examined = 0
        for passage_id in order:
            examined += 1
            if len(chosen) >= wanted or examined > CANDIDATES * max(1, wanted):
                break
            passage = self.passages[int(passage_id)]
            matched = [t for t in query_terms if self.index.contains(int(passage_id), t)]
            coverage = sum(idf[t] for t in matched) / total_idf
            if coverage < MIN_COVERAGE:
                continue
            spans = taken.setdefault((passage.doc, passage.paragraph), [])
            if any(passage.start < end and start < passage.end for start, end in spans):
                continue
            spans.append((passage.start, passage.end))
            chosen.append(self.hit(passage, float(scores[passage_id]), coverage, matched))
        return chosen

    def hit(self, passage: Passage, score: float, coverage: float, matched: list[str]) -> Hit:
        document = self.documents[passage.doc]
        paragraph = document.paragraphs[passage.paragraph - 1]
        section = document.section(paragraph.section)
        subsection = None
        if section and paragraph.subsection:
            sub = section.subsections[paragraph.subsection - 1]
            subsection = f"（{chinese_number(sub.number)}）{sub.title}"
        point = document.point_at(paragraph, passage.start)
        part = paragraph.kind
        section_title = section.title if section else paragraph.appendix
        return Hit(
            doc_id=document.doc_id,
            title=document.meta.title,
            date=document.meta.date,
            part=part,
            section_number=section.number if section else None,
            section_title=section_title,
            subsection=subsection,
            point=point.label if point else None,
            paragraph=paragraph.number,
            quote=document.text[passage.start : passage.end],
            start=passage.start,
            end=passage.end,
            score=score,
            coverage=coverage,
            reference=reference(
                document.meta.title,
                part,
                section.number if section else None,
                section_title,
                subsection,
                point.label if point else None,
            ),
            matched_terms=tuple(matched),
        )
