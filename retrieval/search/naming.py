"""Which documents a question names: a year (2019年, ２０１９年), an issuer (浙江, 国务院), a
speaker, a distinctive title word (市长办公会议), or a kind of document few are (讲话 among reports). Named documents join the candidates and earn
the `named` feature (retrieval.features)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import cache

from retrieval.corpus.document import Document
from retrieval.data_files import data_lines
from retrieval.text.normalize import fold, punctuated_runs
from retrieval.text.segment import document_terms, query_words, sub_words
from retrieval.text.wordlists import speech_word, speech_words

YEAR_RE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
ISSUER_SUFFIX_RE = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市)$")
MAX_NAMED_SHARE = 0.2  # a word in more titles than this names no particular document


@cache
def generic_words() -> frozenset[str]:
    return frozenset(data_lines("generic_title_words.txt")) | speech_words()


def document_aliases(document: Document) -> set[str]:
    """Index terms that name this document: its issuer (浙江省, 浙江), its speaker, and the
    words of a title taken from the text (years match by value, not here)."""
    meta = document.meta
    names = [meta.speaker or ""]
    if meta.issuer:
        names += [meta.issuer, ISSUER_SUFFIX_RE.sub("", meta.issuer)]
    runs: list[str] = []
    if not (meta.issuer and meta.issuer in meta.title):  # a title not made from the file name
        names.append(meta.title)
        runs = punctuated_runs(fold(meta.title))  # whole too: 东关街 (扬州) → 东关街, cut 东关|街
    found = {t for name in names for t in query_words(name)} | {meta.issuer or ""} | set(runs)
    return {t for t in found if len(t) >= 2 and not t.isdigit() and t not in generic_words()}


def metadata_aliases(document: Document) -> set[str]:
    """The aliases from the speaker and the issuer, not from the title."""
    meta = document.meta
    names = [meta.speaker or "", meta.issuer or "", ISSUER_SUFFIX_RE.sub("", meta.issuer or "")]
    return {t for name in names for t in query_words(name)} | {meta.issuer or ""}


class DocumentNames:
    """Maps a question's terms to the documents they name."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self.by_term: dict[str, set[int]] = defaultdict(set)
        self.by_year: dict[int, set[int]] = defaultdict(set)
        self.title_terms = [set(document_terms(d.meta.title)) | speech_words() for d in documents]
        self.from_metadata: set[str] = set()  # aliases some document has from its speaker or issuer
        for index, document in enumerate(documents):
            aliases = document_aliases(document)
            self.from_metadata |= aliases & metadata_aliases(document)
            for alias in aliases:
                self.by_term[alias].add(index)
            if document.meta.year:
                self.by_year[document.meta.year].add(index)
        limit = max(1, int(MAX_NAMED_SHARE * len(documents)))
        self.by_term = {t: docs for t, docs in self.by_term.items() if len(docs) <= limit}
        # A kind of document (讲话 among reports) names the few documents of that kind.
        kinds = {
            kind: {i for i, d in enumerate(documents) if kind in d.meta.title} for kind in speech_words()
        }
        self.by_kind = {kind: docs for kind, docs in kinds.items() if docs and len(docs) <= limit}

    def term_documents(self, term: str, distinctive: Callable[[str], bool]) -> set[int]:
        """The documents one question word names: as an alias, or, for a word no document is
        named by, through the issuer or speaker it begins with (北京市政府, 李克强总理)."""
        if term in self.by_term:
            return set(self.by_term[term]) if term in self.from_metadata or distinctive(term) else set()
        leading = [w for w in sub_words(term) if term.startswith(w) and w in self.from_metadata]
        return {doc for alias in leading for doc in self.by_term.get(alias, ())}

    def named(
        self, question: str, question_terms: list[str], distinctive: Callable[[str], bool] = lambda _: True
    ) -> tuple[set[int], set[str]]:
        """The documents the question names most strongly, and the terms that named them. A
        word from titles names only if `distinctive` (the texts of few documents use it)."""
        votes: dict[int, int] = defaultdict(int)
        naming_terms: set[str] = set()
        for term in question_terms:
            for doc in self.by_kind.get(speech_word(term) or "", ()):
                votes[doc] += 1
                naming_terms.add(term)
            docs = self.term_documents(term, distinctive)
            for doc in docs:
                votes[doc] += 1
            if docs:
                naming_terms.add(term)
        for year in {int(y) for y in YEAR_RE.findall(fold(question))}:
            for doc in self.by_year.get(year, ()):
                votes[doc] += 1
                naming_terms.add(str(year))
        if not votes:
            return set(), set()
        best = max(votes.values())
        named = {doc for doc, count in votes.items() if count == best}
        # Words that name the document itself (报告 in 「2013年报告」, the 年 of a year) are
        # not what the question asks about.
        title_words = set().union(*(self.title_terms[doc] for doc in named))
        naming_terms.update(t for t in question_terms if t in title_words)
        if any(str(year) in naming_terms for year in self.by_year):
            naming_terms.add("年")
        return named, naming_terms
