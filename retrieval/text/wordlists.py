"""Word lists kept as data that more than one stage reads."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from retrieval.data_files import data_lines
from retrieval.text.segment import WORD_CACHE


@cache
def saying_words() -> frozenset[str]:
    """Verbs for what a document says (data/saying_words.txt)."""
    return frozenset(data_lines("saying_words.txt"))


@cache
def speech_words() -> frozenset[str]:
    """The words that name a speech itself (data/speech_words.txt)."""
    return frozenset(data_lines("speech_words.txt"))


# A speech word with the place words the dictionary keeps on it (在讲话中, 讲话里, 报告中).
PLACED_RE = re.compile(r"在?(?P<word>.+?)(?:中|里面|里|上)?")


@lru_cache(maxsize=WORD_CACHE)
def speech_word(word: str) -> str | None:
    """The speech word a question word is (讲话 for 讲话, 在讲话中, 讲话里), else None."""
    match = PLACED_RE.fullmatch(word)
    return match["word"] if match and match["word"] in speech_words() else None
