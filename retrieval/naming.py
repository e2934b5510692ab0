"""Which documents a question names: a year (2019年), an issuer (浙江, 国务院), a speaker,
or a distinctive title word (市长办公会议). Named documents' passages rank first."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

from retrieval.document import Document
from retrieval.segment import _data_lines, document_terms

YEAR_RE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
ISSUER_SUFFIX_RE = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市)$")
MAX_NAMED_SHARE = 0.2  # a word in more titles than this names no particular document


@cache
def generic_words() -> frozenset[str]:
    return frozenset(_data_lines("generic_title_words.txt"))


def document_aliases(document: Document) -> set[str]:
    """Index terms that name this document (its year not included: years match by value)."""
    meta = document.meta
    names = [meta.title, meta.speaker or "", meta.issuer or ""]
    if meta.issuer:
        names.append(ISSUER_SUFFIX_RE.sub("", meta.issuer))
    found = {t for name in names for t in document_terms(name)}
    found.update(document_terms(ISSUER_SUFFIX_RE.sub("", meta.issuer)) if meta.issuer else [])
    return {t for t in found if len(t) >= 2 and not t.isdigit() and t not in generic_words()}


class DocumentNames:
    """Maps a question's terms to the documents they name."""

    def __init__(self, documents: list[Document]) -> None:
        self.by_term: dict[str, set[int]] = defaultdict(set)
        self.by_year: dict[int, set[int]] = defaultdict(set)
        for index, document in enumerate(documents):
            for alias in document_aliases(document):
                self.by_term[alias].add(index)
            if document.meta.year:
                self.by_year[document.meta.year].add(index)
        limit = max(1, int(MAX_NAMED_SHARE * len(documents)))
        self.by_term = {t: docs for t, docs in self.by_term.items() if len(docs) <= limit}

    def named(self, question: str, question_terms: list[str]) -> tuple[set[int], set[str]]:
        """The documents the question names most strongly, and the terms that named them."""
        votes: dict[int, int] = defaultdict(int)
        naming_terms: set[str] = set()
        for term in question_terms:
            for doc in self.by_term.get(term, ()):
                votes[doc] += 1
                naming_terms.add(term)
        for year in {int(y) for y in YEAR_RE.findall(question)}:
            for doc in self.by_year.get(year, ()):
                votes[doc] += 1
                naming_terms.add(str(year))
        if not votes:
            return set(), set()
        best = max(votes.values())
        return {doc for doc, count in votes.items() if count == best}, naming_terms
