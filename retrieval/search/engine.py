"""The search engine: a question becomes terms, the terms become ranked passages, the
passages become hits with exact quotes and references."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.commitments.finding import (
    Commitment,
    CommitmentIndex,
    document_statements,
    is_commitment_question,
    is_result_word,
    question_stance,
)
from retrieval.corpus.document import SECTION, Document, Kind, Paragraph
from retrieval.corpus.loading import Corpus, load_corpus
from retrieval.corpus.references import chinese_number, reference
from retrieval.index import cache, trust
from retrieval.index.bm25 import build_index
from retrieval.index.passages import DocumentPassages, Passage, PassageTable, document_passages, quote_span
from retrieval.index.substrings import CorpusSubstrings, FoldedTexts
from retrieval.search import stored
from retrieval.search.features import (
    Candidates,
    Query,
    build_document_index,
    candidate_features,
    candidate_ids,
)
from retrieval.search.naming import DocumentNames
from retrieval.search.places import passage_places
from retrieval.search.question import (
    asked_part,
    document_words,
    focus_words,
    rejoin_misjoined,
    split_unknown,
)
from retrieval.search.refusal import refuses
from retrieval.search.results import Answer, Hit
from retrieval.search.scoring import default_weights, score_parts, scores
from retrieval.text.normalize import fold
from retrieval.text.segment import (
    in_dictionary,
    is_cjk,
    is_content_word,
    query_words,
    spellings,
    sub_words,
    synonyms,
    written_forms,
)
from retrieval.text.wordlists import saying_words

log = logging.getLogger(__name__)
RELATIVE_FLOOR = 0.3  # a further hit must score at least this share of the first: no padding with weak hits
CANDIDATES = 300  # best BM25 passages re-ranked per question
DISTINCTIVE_SHARE = 0.02  # a title word names documents only if at most this share of texts (or 3) use it
# A question "word" holding an interrogative, a particle or a word for the speech itself is a
# segmentation leftover (由谁来, 提了, 报告提), never a word the partial-match note should name.
DEBRIS_RE = re.compile(r"[谁啥哪吗呢吧了么]|什么|怎|讲话|报告")


def says(text: str, forms: tuple[str, ...]) -> bool:
    return forms[0] in text or (len(forms) > 1 and any(form in text for form in forms[1:]))


def is_glued(word: str, text: str) -> bool:
    """Whether a question word is the segmenter's guess gluing characters of two words (党为,
    于新: two characters no dictionary has together; 以兆康苑: a word the text has and a
    character of the next or last one), not a word the question wrote."""
    if in_dictionary(word):
        return False
    return len(word) == 2 or word[1:] in text or word[:-1] in text


def unglued(word: str) -> str:
    """A question word without a character the segmenter guessed onto a dictionary word
    (属于第 → 属于, in 「属于第几区」); any other word as it is."""
    if len(word) < 3 or in_dictionary(word):
        return word
    return next((piece for piece in (word[:-1], word[1:]) if in_dictionary(piece)), word)


def is_in_part(paragraph: Paragraph, part: int | Kind) -> bool:
    """Whether a paragraph is in a part: a section number, "opening" or "closing"."""
    if isinstance(part, Kind):
        return paragraph.kind == part
    return paragraph.kind == SECTION and paragraph.section == part


@dataclass
class DocumentWork:
    """What a build computes for each document, and caches per document."""

    passages: DocumentPassages
    commitments: list[Commitment]  # its commitments, forecasts and past results


def document_work(document: Document) -> DocumentWork:
    return DocumentWork(document_passages(document), document_statements(document))


def encode_work(work: DocumentWork) -> bytes:
    return stored.encode_work(work.passages, work.commitments)


def decode_work(data: bytes) -> DocumentWork:
    return DocumentWork(*stored.decode_work(data))


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def best_first(
    score: np.ndarray, ids: np.ndarray, rows: np.ndarray, count: int
) -> tuple[np.ndarray, Iterator[int]]:
    """The `rows` by score, highest first, ties by lower id: the first `count` of them, and an
    iterator over them all. Only the best (the `count` best and any tied with the last) are
    sorted at once; the others are sorted if the iteration gets to them."""
    negated = -score[rows]
    rest = rows[:0]
    if len(rows) > count and not np.isnan(cut := np.partition(negated, count - 1)[count - 1]):
        best = negated <= cut  # never a NaN score, which sorts last
        rows, rest = rows[best], rows[~best]
    head = rows[np.lexsort((ids[rows], -score[rows]))]

    def every() -> Iterator[int]:
        yield from head.tolist()
        yield from rest[np.lexsort((ids[rest], -score[rest]))].tolist()

    return head[:count], every()


class SearchEngine:
    """An immutable index over one corpus; build a new engine to reload."""

    def __init__(self, corpus: Corpus, cache_dir: Path | None = None) -> None:
        """Index a corpus; with a cache folder, documents segmented before are not segmented again."""
        started = time.perf_counter()
        self.corpus = corpus
        self.documents: Sequence[Document] = corpus.documents
        self.by_id = {document.doc_id: i for i, document in enumerate(self.documents)}

        work = cache.per_document(self.documents, cache_dir, document_work, encode_work, decode_work)
        parts = [each.passages for each in work]
        self.passages = PassageTable(parts)
        self.places = passage_places(self.documents, self.passages)
        self.index = build_index(parts)
        self.document_index = build_document_index(parts)
        self.names = DocumentNames(self.documents)
        self.folded = FoldedTexts.of([fold(document.text) for document in self.documents])
        self.substrings = CorpusSubstrings(self.folded)
        self.commitments = CommitmentIndex.build([each.commitments for each in work])
        self.built_at = time.time()
        self.build_seconds = time.perf_counter() - started

    @classmethod
    def from_saved(cls, saved: stored.SavedEngine) -> SearchEngine:
        """An engine from the state a built one saved (`saved_state`), without building."""
        engine = cls.__new__(cls)
        engine.corpus, engine.documents = saved.corpus, saved.corpus.documents
        engine.passages, engine.places, engine.index = saved.passages, saved.places, saved.index
        engine.document_index = saved.document_index
        engine.names, engine.substrings = saved.names, saved.substrings
        engine.folded = saved.substrings.texts
        engine.by_id = saved.by_id
        engine.commitments = CommitmentIndex.build(saved.commitments)
        engine.built_at, engine.build_seconds = saved.built_at, saved.build_seconds
        return engine

    def saved_state(self) -> stored.SavedEngine:
        return stored.SavedEngine(
            self.corpus,
            self.passages,
            self.index,
            self.document_index,
            self.names,
            self.by_id,
            self.substrings,
            # every statement: the commitments and the others (forecasts, results) ranking looks up
            [
                mine + others
                for mine, others in zip(self.commitments.by_document, self.commitments.others, strict=True)
            ],
            self.places,
            self.built_at,
            self.build_seconds,
        )

    @classmethod
    def from_folder(
        cls, folder: Path | str, cache_dir: Path | None = None, use_cache: bool = True
    ) -> SearchEngine:
        """The engine for a corpus folder, loaded from the saved index when the files are
        unchanged (see retrieval.index.cache). Raises trust.UntrustedCache for a cache folder
        that is a symbolic link, not this user's, writable by others, or overlapping the corpus."""
        folder = Path(folder)
        if not use_cache or not folder.is_dir():
            return cls(load_corpus(folder))
        try:
            cache_dir = trust.prepare_cache_folder(cache_dir or cache.default_cache_dir(), folder)
        except OSError as err:  # no cache folder can be made: answer all the same
            log.warning("building without the index cache: %s", err)
            return cls(load_corpus(folder))
        fingerprint = cache.corpus_fingerprint(folder)
        bundle = cache.load(folder, cache_dir, fingerprint)
        if bundle is not None:
            try:
                return cls.from_saved(stored.from_bundle(bundle))
            except (
                ValueError,
                KeyError,
                TypeError,
                IndexError,
            ) as err:  # signed, yet not what this code reads
                log.warning("rebuilding the index: the saved one does not load: %s", err)
        engine = cls(load_corpus(folder), cache_dir)
        cache.save(folder, cache_dir, fingerprint, *stored.to_bundle(engine.saved_state()))
        return engine

    def document(self, doc_id: str) -> Document | None:
        index = self.by_id.get(doc_id)
        return None if index is None else self.documents[index]

    def ask(self, question: str, top: int = 3, offset: int = 0) -> Answer:
        """The `top` best passages for a question, skipping the first `offset` ones."""
        cut = query_words(question)
        answer = Answer(query=question, found=False, hits=[], terms=cut)
        if not cut or not self.passages:
            return answer
        folded_question = fold(question)
        words = self.rejoined(folded_question, cut)
        named, naming_words = self.names.named(question, words, self.distinctive)
        own = [w for w in words if w not in naming_words]
        content = words  # naming words widen the candidates but stay words of the question
        focus, inside = focus_words(folded_question, content)
        # A word the corpus never uses is never a mere answer type (感冒了吃什么药好: 药好).
        focus = [w for w in focus if w in self.index.vocabulary]
        # Words for the speech itself (这篇讲话, 报告中) are neither required nor evidence.
        unsearched = set(inside) | set(document_words(content))
        if named:  # 北京市政府工作报告「提出」了哪些目标: where to look, not what about
            unsearched |= saying_words() & set(content)
        core = [w for w in content if w not in unsearched and w not in focus]
        if all(w in naming_words for w in core):  # 山东省报告讲了哪些民生实事: the type is the topic
            core = [w for w in content if w not in unsearched]
        core = core or content
        answer.named_documents = [self.documents[d].doc_id for d in sorted(named)]
        answer.missing_terms = [w for w in content if w not in self.index.vocabulary]
        part, part_words = asked_part(folded_question, core)
        if part:  # 第三部分 is a place, not words to search for
            core = [w for w in core if w not in part_words]
            own = [w for w in own if w not in part_words]
        scope = named or ({0} if len(self.documents) == 1 else set())
        if scope and (part or (named and not own)):  # a place in a speech, or a speech by name alone
            content = own
            hits, more = self._part_hits(scope, part, own, offset + top)
        elif not core:
            hits, more = [], False  # a part of no named speech
        else:
            stance = question_stance(question)  # a goal (+1) or what was achieved (-1)
            asks = is_commitment_question(question) or stance != 0
            if stance < 0:  # 去年, 完成 say a result is asked for; results seldom use these words
                core = [w for w in core if not is_result_word(w)] or core
            query = Query(folded_question, core, [], focus, named, naming_words, asks, {}, stance=stance)
            hits, more = self._ranked_hits(query, offset + top)
            if len(hits) > offset:
                named_it = hits[offset].doc_id in answer.named_documents  # its naming words are there
                answer.unmatched = self.unmatched(
                    hits[offset],
                    [w for w in core if not (named_it and w in naming_words)],
                    cut,
                )
        answer.terms = unique(content + self.scoring_terms(content))
        answer.hits = hits[offset:]
        answer.more = more
        answer.found = bool(hits)
        return answer

    def rejoined(self, folded_question: str, words: list[str]) -> list[str]:
        """The question's words with misjoined characters given back (see `rejoin_misjoined`)
        and unknown names cut from a character glued to them (see `split_unknown`)."""
        if all(w in self.index.vocabulary for w in words):
            return words
        words = rejoin_misjoined(folded_question, words, self.unknown, self.in_corpus)
        words = split_unknown(words, self.unknown, self.in_corpus)
        return unique([w for w in words if is_content_word(w)])

    def unknown(self, word: str) -> bool:
        """A word the index lacks and that no synonym stands for (保租房 is known: 保障性租赁住房)."""
        return word not in self.index.vocabulary and not any(self.in_corpus(s) for s in synonyms(word))

    def in_corpus(self, text: str) -> bool:
        return self.substrings.contains(text)

    def scoring_terms(self, words: list[str]) -> list[str]:
        """The question's words and their synonyms (gdp, 生产总值) as index terms. A word the
        index lacks is replaced by its sub-words that it has (股市行情 → 股市), or else by its
        characters (聚神 → 聚, 神), since the index holds every character of the corpus."""
        found: list[str] = []
        vocabulary = self.index.vocabulary
        for word in (form for question_word in words for form in spellings(question_word)):
            if word in vocabulary:
                found.append(word)
            elif known := [w for w in sub_words(word) if w in vocabulary]:
                found.extend(known)
            else:
                found.extend(c for c in word if is_cjk(c) and c in vocabulary)
        return unique(found)

    def distinctive(self, word: str) -> bool:
        """Whether few documents' texts use a word (see DISTINCTIVE_SHARE): a title word then names."""
        term = self.document_index.vocabulary.get(word)
        limit = max(3, DISTINCTIVE_SHARE * len(self.documents))
        return term is None or self.document_index.doc_freq[term] <= limit

    def traced(self, question: str) -> tuple[Answer, tuple[Query, Candidates] | None]:
        """A question's answer, and the query and candidates its ranking scored (None when it
        ranks none: no words, or a named speech read from its start) — for tuning and tests."""
        seen: list[tuple[Query, Candidates]] = []

        def recording(query: Query) -> Candidates:
            seen.append((query, SearchEngine.candidates(self, query)))
            return seen[-1][1]

        self.candidates = recording  # type: ignore[method-assign]
        try:
            answer = self.ask(question, top=1)
        finally:
            del self.candidates
        return answer, (seen[0] if seen else None)

    def candidates(self, query: Query) -> Candidates:
        """The passages worth ranking for a question, with their features."""
        query.terms = self.scoring_terms(query.words)
        query.naming_terms = set(self.scoring_terms([w for w in query.words if w in query.naming_words]))
        query.idf = {w: self.index.term_idf(w) for w in unique(query.words + query.terms + query.focus)}
        ids, bm25 = candidate_ids(self, query, CANDIDATES)
        return candidate_features(self, query, ids, bm25)

    def _ranked_hits(self, query: Query, wanted: int) -> tuple[list[Hit], bool]:
        """Relevant, non-overlapping hits, best first by the scoring model (retrieval.scoring)
        over the features of the candidate passages (retrieval.features): the first `wanted`,
        and whether there are more."""
        weights = default_weights()
        candidates = self.candidates(query)
        if refuses(self, query, candidates):  # the question-level refusal model (retrieval.search.refusal)
            return [], False
        ids = candidates.ids
        score = scores(candidates, weights)
        kept = np.flatnonzero(candidates.coverage >= weights.min_coverage)
        # The first 4 × (wanted + 1): the hits that show their parts.
        shown, order = best_first(score, ids, kept, (wanted + 1) * 4)
        ranked = ((float(score[i]), float(candidates.coverage[i]), int(ids[i])) for i in order)
        rows = dict(zip(ids[shown].tolist(), shown.tolist(), strict=True))

        def parts(passage_id: int) -> dict[str, float] | None:
            row = rows.get(passage_id)
            return None if row is None else score_parts(candidates, row, weights)

        return self._non_overlapping(ranked, wanted, query.terms, parts=parts)

    def _part_hits(
        self, docs: set[int], part: int | Kind | None, words: list[str], wanted: int
    ) -> tuple[list[Hit], bool]:
        """Passages of named speeches (all of it, or one part: a section number, "opening" or
        "closing"): with words of their own, those holding them by BM25; without, in reading
        order, taking each speech's next passage in turn. The first `wanted`, and whether there
        are more."""
        ids = np.flatnonzero(np.isin(self.passages.doc, list(docs)))  # sorted by document, then position
        doc_of = self.passages.doc[ids]
        if part is not None:
            keep = np.zeros(len(ids), dtype=bool)
            for doc in docs:
                numbers = [p.number for p in self.documents[doc].paragraphs if is_in_part(p, part)]
                keep |= (doc_of == doc) & np.isin(self.passages.paragraph[ids], numbers)
            ids, doc_of = ids[keep], doc_of[keep]
        terms = self.scoring_terms(words)
        if not terms:
            rank_in_doc = np.arange(len(ids)) - np.searchsorted(doc_of, doc_of)
            reading = ids[np.lexsort((doc_of, rank_in_doc))]
            return self._non_overlapping([(0.0, 1.0, int(i)) for i in reading], wanted, terms, relative=False)
        scores = self.index.scores(terms)[ids]
        order = np.argsort(-scores, kind="stable")
        ranked = [(float(scores[i]), 1.0, int(ids[i])) for i in order if scores[i] > 0]
        return self._non_overlapping(ranked, wanted, terms)

    def _non_overlapping(
        self,
        ranked: Iterable[tuple[float, float, int]],
        wanted: int,
        terms: list[str],
        relative: bool = True,
        parts: Callable[[int], dict[str, float] | None] | None = None,
    ) -> tuple[list[Hit], bool]:
        """The first `wanted` hits for (score, coverage, passage id) triples, best first, and
        whether there is a further one: a window overlapping one already taken from its
        paragraph is skipped; with `relative`, so is anything scoring under RELATIVE_FLOOR of
        the first."""
        chosen: list[tuple[float, float, int, Passage]] = []
        taken: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for score, coverage, passage_id in ranked:
            if len(chosen) > wanted or (relative and chosen and score < RELATIVE_FLOOR * chosen[0][0]):
                break
            passage = self.quoted(self.passages[passage_id])
            spans = taken.setdefault((passage.doc, passage.paragraph), [])
            if any(passage.start < end and start < passage.end for start, end in spans):
                continue
            spans.append((passage.start, passage.end))
            chosen.append((score, coverage, passage_id, passage))
        more = len(chosen) > wanted
        chosen = chosen[:wanted]  # the further one is not built
        # The terms each hit holds: one search of each term's postings for all the hits.
        held = self.index.holding(
            terms, np.array([passage_id for _, _, passage_id, _ in chosen], dtype=np.int64)
        )
        return [
            self.hit(passage, score, coverage, held[passage_id], (parts and parts(passage_id)) or {})
            for score, coverage, passage_id, passage in chosen
        ], more

    def coverage_parts(self, words: list[str]) -> dict[str, tuple[tuple[str, ...], list[str]]]:
        """Each word with its spellings and its sub-words, as coverage takes them (`features.paragraph_coverage`)."""
        return {w: (written_forms(w), sub_words(w)) for w in words}

    def unmatched(self, hit: Hit, words: list[str], cut: Sequence[str] = ()) -> list[str]:
        """The question's whole words that the hit's paragraph really lacks: not segmentation
        debris (a single character, a piece glued to 谁/了/报告…), not a word of the speech's
        title, and not a word said by a synonym or by all of its sub-words (each by itself or
        a synonym: 每星期 by 周). A piece of a word of the question as first `cut` (北京市政,
        cut from 北京市政府 to search for it) stands for that word."""
        doc = self.by_id[hit.doc_id]
        document = self.documents[doc]
        paragraph = document.paragraphs[hit.paragraph - 1]
        text = self.folded.span(doc, paragraph.start, paragraph.end)  # fold(paragraph text), folded once
        title = fold(document.meta.title)
        whole = unique([unglued(next((c for c in cut if w in c and len(c) > len(w)), w)) for w in words])
        return [
            w
            for w in whole
            if len(w) > 1
            and not DEBRIS_RE.search(w)
            and w not in title
            and not says(text, written_forms(w))
            and not ((pieces := sub_words(w)) and all(says(text, spellings(piece)) for piece in pieces))
            and not is_glued(w, text)
        ]

    def quoted(self, passage: Passage) -> Passage:
        """A passage with the span its quote shows: the window run on to whole sentences
        (see `quote_span`)."""
        document = self.documents[passage.doc]
        paragraph = document.paragraphs[passage.paragraph - 1]
        start, end = quote_span(document.text, paragraph, passage.start, passage.end)
        if (start, end) == (passage.start, passage.end):
            return passage
        return Passage(passage.doc, passage.paragraph, start, end)

    def quote_text(self, passage_id: int) -> str:
        passage = self.quoted(self.passages[passage_id])
        return self.documents[passage.doc].text[passage.start : passage.end]

    def hit(
        self,
        passage: Passage,
        score: float,
        coverage: float,
        matched: list[str],
        score_parts: dict[str, float] | None = None,
    ) -> Hit:
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
            speaker=document.meta.speaker,
            score_parts=score_parts or {},
        )
