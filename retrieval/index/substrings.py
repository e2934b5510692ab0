"""Is this text anywhere in the corpus? Answered from a suffix array built with the index.

The suffix array (pydivsufsort, a maintained binding of libdivsufsort: building one by hand
in NumPy is slower and longer) lists the start of every suffix of the corpus texts, joined
by a separator, in sorted order. A text occurs in the corpus exactly when it is the prefix of
the first suffix not sorting before it, which a binary search finds in about 21 comparisons
for two million characters, each at most as long as the text. A question's unknown words
thus cost a few microseconds each, however large the corpus, instead of a scan of it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

import numpy as np
from pydivsufsort import divsufsort

SEPARATOR = "\x00"  # between texts: a match never spans two of them


class CorpusSubstrings:
    """The texts (folded, as the search compares them) and their suffix array."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.text = SEPARATOR.join(texts)
        codes = np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32).copy()
        self.suffixes: np.ndarray = divsufsort(codes) if len(codes) else np.empty(0, dtype=np.int32)

    @classmethod
    def from_arrays(cls, text: str, suffixes: np.ndarray) -> CorpusSubstrings:
        """Rebuilt from what a saved index stored (`text`, `suffixes`), without sorting again."""
        made = cls.__new__(cls)
        made.text, made.suffixes = text, suffixes
        return made

    def __contains__(self, needle: str) -> bool:
        return self.contains(needle)

    def contains(self, needle: str) -> bool:
        """Whether `needle` occurs inside one of the texts (the empty text always does)."""
        if not needle:
            return True
        if SEPARATOR in needle:
            return False
        size, text, suffixes = len(needle), self.text, self.suffixes
        first = bisect_left(
            range(len(suffixes)), needle, key=lambda rank: text[suffixes[rank] : suffixes[rank] + size]
        )
        return first < len(suffixes) and text.startswith(needle, int(suffixes[first]))
