"""Word lists kept as data that more than one stage reads."""

from __future__ import annotations

from functools import cache

from retrieval.data_files import data_lines


@cache
def speech_words() -> frozenset[str]:
    """The words that name a speech itself (data/speech_words.txt)."""
    return frozenset(data_lines("speech_words.txt"))
