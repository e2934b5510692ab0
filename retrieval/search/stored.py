"""An engine's built state as plain data for the cache: numbers as arrays, everything else
(vocabulary, names, commitments) as JSON, and the documents and their folded texts as byte
arrays decoded one document at a time when first used; and one document's build work as
JSON bytes. No pickle: what is read back can only ever be data."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.commitments.finding import Commitment
from retrieval.corpus.document import (
    Document,
    DroppedLine,
    Kind,
    Metadata,
    Paragraph,
    Point,
    Section,
    Subsection,
)
from retrieval.corpus.loading import Corpus, Problem
from retrieval.index.bm25 import BM25Index
from retrieval.index.passages import DocumentPassages, PassageTable
from retrieval.index.saved import Blob, Bundle
from retrieval.index.substrings import CorpusSubstrings, FoldedTexts
from retrieval.index.topk import Impacts
from retrieval.search.naming import DocumentNames
from retrieval.search.places import PassagePlaces
from retrieval.text.segment import EncodedTerms


@dataclass
class SavedEngine:
    """What a SearchEngine is built from when it is loaded rather than built."""

    corpus: Corpus
    passages: PassageTable
    index: BM25Index
    document_index: BM25Index  # BM25 over whole documents
    names: DocumentNames
    by_id: dict[str, int]  # document id → index
    substrings: CorpusSubstrings  # the folded texts and their suffix array
    commitments: list[list[Commitment]]  # by document: every statement (commitments, forecasts, results)
    places: PassagePlaces
    built_at: float
    build_seconds: float


def to_bundle(engine: SavedEngine) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and JSON parts that `from_bundle` turns back into the same engine."""
    index, passages, places = engine.index, engine.passages, engine.places
    arrays = {
        "passage_doc": passages.doc,
        "passage_paragraph": passages.paragraph,
        "passage_start": passages.start,
        "passage_end": passages.end,
        **_index_arrays("", index),
        **_index_arrays("document_", engine.document_index),
        "heading": places.heading,
        "paragraph_start": places.paragraph_start,
        "paragraph_end": places.paragraph_end,
        "point_start": places.point_start,
        "point_end": places.point_end,
        "suffixes": np.asarray(engine.substrings.suffixes[:]),
        "suffix_sample": engine.substrings.sample,
        "folded": np.frombuffer(engine.substrings.text.encode(), dtype=np.uint8),
        "folded_starts": np.array(engine.substrings.texts.starts, dtype=np.int64),
    }
    documents = engine.corpus.documents
    firsts = np.cumsum([0] + [len(d.paragraphs) for d in documents]).tolist()
    arrays["documents"], arrays["document_offsets"] = Blob.pack(
        _json_bytes(document_to_json(d, first)) for d, first in zip(documents, firsts, strict=False)
    )
    arrays["paragraphs"], arrays["paragraph_offsets"] = Blob.pack(
        _json_bytes(paragraph_to_json(p)) for d in documents for p in d.paragraphs
    )
    parts = {
        "engine": {
            "root": str(engine.corpus.root),
            "bad_files": [[p.path, p.reason] for p in engine.corpus.bad_files],
            "built_at": engine.built_at,
            "build_seconds": engine.build_seconds,
            **_index_meta("", index),
            **_index_meta("document_", engine.document_index),
        },
        "vocabulary": _vocabulary(index),
        "document_vocabulary": _vocabulary(engine.document_index),
        "names": names_to_json(engine.names),
        "doc_ids": sorted(engine.by_id, key=engine.by_id.__getitem__),
        "commitments": [[commitment_to_json(c) for c in each] for each in engine.commitments],
        "headings": places.headings,
    }
    return arrays, parts


def from_bundle(bundle: Bundle) -> SavedEngine:
    """The engine state in an opened bundle (its arrays stay memory-mapped)."""
    a, parts = bundle.arrays, bundle.parts
    meta = parts["engine"]
    paragraphs = Blob(
        bundle.read("paragraphs"), a["paragraph_offsets"], lambda data: paragraph_from_json(json.loads(data))
    )
    documents = Blob(
        bundle.read("documents"),
        a["document_offsets"],
        lambda data: document_from_json(json.loads(data), paragraphs),
    )
    corpus = Corpus(
        Path(meta["root"]), documents, [Problem(path, reason) for path, reason in meta["bad_files"]]
    )
    passages = PassageTable.from_columns(
        a["passage_doc"], a["passage_paragraph"], a["passage_start"], a["passage_end"]
    )
    index = _index_from("", a, meta, parts["vocabulary"])
    if index.n_passages != len(passages):
        raise ValueError("the index does not fit the passages")
    document_index = _index_from("document_", a, meta, parts["document_vocabulary"])
    substrings = CorpusSubstrings.from_arrays(
        folded_texts(a["folded"], a["folded_starts"]), bundle.read("suffixes"), a["suffix_sample"]
    )
    places = PassagePlaces(
        a["heading"],
        parts["headings"],
        a["paragraph_start"],
        a["paragraph_end"],
        a["point_start"],
        a["point_end"],
    )
    commitments = [[commitment_from_json(c) for c in each] for each in parts["commitments"]]
    names = names_from_json(parts["names"])
    return SavedEngine(
        corpus,
        passages,
        index,
        document_index,
        names,
        {doc_id: i for i, doc_id in enumerate(parts["doc_ids"])},
        substrings,
        commitments,
        places,
        meta["built_at"],
        meta["build_seconds"],
    )


def folded_texts(data: np.ndarray, starts: np.ndarray) -> FoldedTexts:
    """The folded texts from their saved UTF-8 bytes, decoded once into the one string kept
    (the mapped bytes are then no longer used)."""
    texts = FoldedTexts(str(data.data, "utf-8"), starts.tolist())
    ends = texts.starts[1:]
    if texts.starts[0] != 0 or ends != sorted(ends) or (ends[-1] if ends else 1) != len(texts.joined) + 1:
        raise ValueError("the folded texts do not fit their offsets")
    return texts


def _index_arrays(prefix: str, index: BM25Index) -> dict[str, np.ndarray]:
    """A BM25 index's arrays, named with a prefix ("" for the passage index)."""
    return {
        f"{prefix}bm25_indptr": index.matrix.indptr,
        f"{prefix}bm25_indices": index.matrix.indices,
        f"{prefix}bm25_data": index.matrix.data,
        f"{prefix}doc_freq": index.doc_freq,
        f"{prefix}idf": index.idf,
        f"{prefix}impact_rows": index.impacts.rows,
        f"{prefix}impact_weights": index.impacts.weights,
        f"{prefix}impact_pointers": index.impacts.pointers,
        f"{prefix}impact_max_weight": index.impacts.max_weight,
    }


def _index_meta(prefix: str, index: BM25Index) -> dict[str, Any]:
    return {
        f"{prefix}k1": index.k1,
        f"{prefix}b": index.b,
        f"{prefix}avgdl": index.avgdl,
        f"{prefix}n_passages": index.n_passages,
    }


def _vocabulary(index: BM25Index) -> list[str]:
    return sorted(index.vocabulary, key=index.vocabulary.__getitem__)


def _index_from(prefix: str, a: dict[str, np.ndarray], meta: dict[str, Any], terms: list[str]) -> BM25Index:
    """The BM25 index `_index_arrays` and `_index_meta` saved with this prefix."""
    impacts = Impacts(
        a[f"{prefix}impact_rows"],
        a[f"{prefix}impact_weights"],
        a[f"{prefix}impact_pointers"],
        a[f"{prefix}impact_max_weight"],
    )
    return BM25Index.from_arrays(
        {term: i for i, term in enumerate(terms)},
        (a[f"{prefix}bm25_indptr"], a[f"{prefix}bm25_indices"], a[f"{prefix}bm25_data"]),
        a[f"{prefix}doc_freq"],
        a[f"{prefix}idf"],
        impacts,
        n_passages=int(meta[f"{prefix}n_passages"]),
        avgdl=meta[f"{prefix}avgdl"],
        k1=meta[f"{prefix}k1"],
        b=meta[f"{prefix}b"],
    )


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def names_to_json(names: DocumentNames) -> dict[str, Any]:
    return {
        "by_term": {term: sorted(docs) for term, docs in names.by_term.items()},
        "by_year": {str(year): sorted(docs) for year, docs in names.by_year.items()},
        "title_terms": [sorted(terms) for terms in names.title_terms],
        "by_kind": {kind: sorted(docs) for kind, docs in names.by_kind.items()},
        "from_metadata": sorted(names.from_metadata),
    }


def names_from_json(value: dict[str, Any]) -> DocumentNames:
    """The names of a built engine, without reading its documents again."""
    names = DocumentNames.__new__(DocumentNames)
    names.by_term = {term: set(docs) for term, docs in value["by_term"].items()}
    names.by_year = defaultdict(set, {int(year): set(docs) for year, docs in value["by_year"].items()})
    names.title_terms = [set(terms) for terms in value["title_terms"]]
    names.by_kind = {kind: set(docs) for kind, docs in value["by_kind"].items()}
    names.from_metadata = set(value["from_metadata"])
    return names


def encode_work(passages: DocumentPassages, commitments: list[Commitment]) -> bytes:
    """One document's passages and commitments (what a build caches per document) as JSON."""
    terms = passages.sentence_terms
    value = {
        "spans": passages.spans,
        "windows": passages.windows,
        "vocabulary": terms.vocabulary,
        "ids": terms.ids.tolist(),
        "lengths": terms.lengths.tolist(),
        "commitments": [commitment_to_json(c) for c in commitments],
    }
    return _json_bytes(value)


def decode_work(data: bytes) -> tuple[DocumentPassages, list[Commitment]]:
    value = json.loads(data)
    terms = EncodedTerms(
        [str(term) for term in value["vocabulary"]],
        np.array(value["ids"], dtype=np.int32),
        np.array(value["lengths"], dtype=np.int64),
    )
    if len(terms.ids) != int(terms.lengths.sum()) or (
        len(terms.ids) and terms.ids.max() >= len(terms.vocabulary)
    ):
        raise ValueError("term ids out of range")
    passages = DocumentPassages(
        [(int(n), int(s), int(e)) for n, s, e in value["spans"]],
        terms,
        [(int(a), int(z)) for a, z in value["windows"]],
    )
    return passages, [commitment_from_json(c) for c in value["commitments"]]


def commitment_to_json(commitment: Commitment) -> dict[str, Any]:
    return asdict(commitment)


def commitment_from_json(value: dict[str, Any]) -> Commitment:
    fields: dict[str, Any] = {key: tuple(v) if isinstance(v, list) else v for key, v in value.items()}
    return Commitment(**fields)


def paragraph_to_json(p: Paragraph) -> list[Any]:
    """A paragraph as a positional list (compact, quick to read)."""
    return [
        p.number,
        p.start,
        p.end,
        p.kind,
        p.section,
        p.subsection,
        p.appendix,
        [offset for sentence in p.sentences for offset in sentence],
        [[point.label, point.start, point.end] for point in p.points],
    ]


def paragraph_from_json(value: list[Any]) -> Paragraph:
    number, start, end, kind, section, subsection, appendix, sentences, points = value
    return Paragraph(
        number,
        start,
        end,
        Kind(kind),
        section,
        subsection,
        appendix,
        list(zip(sentences[::2], sentences[1::2], strict=True)),
        [Point(label, a, z) for label, a, z in points],
    )


def document_to_json(document: Document, first_paragraph: int) -> dict[str, Any]:
    """A document as JSON, but for its paragraphs: those are items `first_paragraph` … of the
    saved paragraphs, each decoded when first used."""
    return {
        "doc_id": document.doc_id,
        "path": document.path,
        "meta": asdict(document.meta),
        "text": document.text,
        "paragraphs": [first_paragraph, len(document.paragraphs)],
        "sections": [
            [
                s.number,
                s.title,
                s.paragraph,
                s.inline_heading,
                [[u.number, u.title, u.paragraph] for u in s.subsections],
            ]
            for s in document.sections
        ],
        "salutation": document.salutation,
        "dropped": [[d.line_number, d.text, d.reason] for d in document.dropped],
        "encoding": document.encoding,
        "content_hash": document.content_hash,
    }


def document_from_json(value: dict[str, Any], paragraphs: Blob[Paragraph]) -> Document:
    first, count = value["paragraphs"]
    if not 0 <= first <= first + count <= len(paragraphs):
        raise ValueError("paragraphs out of range")
    sections = [
        Section(number, title, paragraph, inline, [Subsection(*sub) for sub in subsections])
        for number, title, paragraph, inline, subsections in value["sections"]
    ]
    return Document(
        doc_id=value["doc_id"],
        path=value["path"],
        meta=Metadata(**value["meta"]),
        text=value["text"],
        paragraphs=paragraphs.run(first, count),
        sections=sections,
        salutation=value["salutation"],
        dropped=[DroppedLine(*line) for line in value["dropped"]],
        encoding=value["encoding"],
        content_hash=value["content_hash"],
    )
