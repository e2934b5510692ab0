"""Every pair of adjacent characters in the corpus's folded texts, as one sorted array: a text
with a pair the corpus lacks is nowhere in it, which settles most "is this in the corpus?"
questions without scanning every document."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def _pairs(text: str) -> np.ndarray:
    """Each adjacent pair of characters as one int64 (code point << 21 | next code point)."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    return (points[:-1] << 21) | points[1:]


class CharacterPairs:
    """The distinct adjacent character pairs of a set of texts (pairs never span two texts)."""

    def __init__(self, pairs: np.ndarray) -> None:
        self.pairs = pairs  # int64, sorted, distinct

    @classmethod
    def of(cls, texts: Iterable[str]) -> CharacterPairs:
        parts = [np.unique(_pairs(text)) for text in texts]
        return cls(np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64))

    def may_contain(self, text: str) -> bool:
        """False when some texts surely lack `text` (one of its pairs is in none); True when
        one of them might hold it (a two-character text surely: its one pair is there)."""
        if len(text) < 2:
            return True
        wanted = _pairs(text)
        found = np.searchsorted(self.pairs, wanted)
        inside = found < len(self.pairs)
        return bool(inside.all() and (self.pairs[found[inside]] == wanted).all())
