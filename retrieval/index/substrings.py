"""Is this text anywhere in the corpus? Answered from a suffix array built with the index.

The folded texts of the corpus are held once, joined by a separator (`FoldedTexts`): a
document's text, or any span of it, is a slice of the one string. The suffix array
(pydivsufsort, a maintained binding of libdivsufsort: building one by hand in NumPy is slower
and longer) lists the start of every suffix of that string in sorted order. A text occurs in
the corpus exactly when it is the prefix of the first suffix not sorting before it, which a
binary search finds in about 21 comparisons for two million characters, each at most as long
as the text. A question's unknown words thus cost a few microseconds each, however large the
corpus, instead of a scan of it.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Sequence

import numpy as np
from pydivsufsort import divsufsort

from retrieval.index.saved import FileArray, Indexed

SEPARATOR = "\x00"  # between texts: a match never spans two of them
SAMPLE = 256  # suffix array entries a search reads at once


class FoldedTexts(Indexed[str]):
    """Texts joined by SEPARATOR in one string: text i is `joined[starts[i]:starts[i + 1] - 1]`."""

    def __init__(self, joined: str, starts: Sequence[int]) -> None:
        self.joined, self.starts = joined, list(starts)
        self.offsets = np.array(self.starts, dtype=np.int64)

    @classmethod
    def of(cls, texts: Sequence[str]) -> FoldedTexts:
        return cls(SEPARATOR.join(texts), list(itertools.accumulate((len(t) + 1 for t in texts), initial=0)))

    def span(self, text: int, start: int, end: int) -> str:
        """`self[text][start:end]` for 0 ≤ start ≤ end ≤ its length, without copying the whole text."""
        begin = self.starts[text]
        return self.joined[begin + start : begin + end]

    def spans(self, texts: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[str]:
        """`[self.span(i, a, z) for i, a, z in zip(texts, start, end)]`, quicker."""
        begin = self.offsets[texts]
        joined = self.joined
        return [joined[a:z] for a, z in zip((begin + start).tolist(), (begin + end).tolist(), strict=True)]

    def __len__(self) -> int:
        return len(self.starts) - 1

    def bounds(self, text: int) -> tuple[int, int]:
        """Where text i begins and ends in `joined`."""
        return self.starts[text], self.starts[text + 1] - 1

    def length(self, text: int) -> int:
        begin, end = self.bounds(text)
        return end - begin

    def occurrences(self, text: int, needle: str) -> int:
        """`self[text].count(needle)`, without copying the text."""
        return self.joined.count(needle, *self.bounds(text))

    def item(self, index: int) -> str:
        begin, end = self.bounds(index)
        return self.joined[begin:end]


class CorpusSubstrings:
    """The texts (folded, as the search compares them) and their suffix array. Every SAMPLE-th
    entry of the suffix array is kept apart (`sample`): a search first narrows the needle to
    one block of SAMPLE entries there, then reads that block alone, so the whole array can stay
    in its file (a `saved.FileArray`) and out of memory."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts if isinstance(texts, FoldedTexts) else FoldedTexts.of(texts)
        codes = np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32).copy()
        suffixes = divsufsort(codes) if len(codes) else np.empty(0, dtype=np.int32)
        self.suffixes: np.ndarray | FileArray = suffixes
        self.sample: np.ndarray = suffixes[::SAMPLE].copy()

    @classmethod
    def from_arrays(
        cls, texts: FoldedTexts, suffixes: np.ndarray | FileArray, sample: np.ndarray
    ) -> CorpusSubstrings:
        """Rebuilt from what a saved index stored, without sorting again."""
        if len(suffixes) != len(texts.joined) or len(sample) != -(-len(suffixes) // SAMPLE):
            raise ValueError("the suffix array does not fit the texts")
        made = cls.__new__(cls)
        made.texts, made.suffixes, made.sample = texts, suffixes, sample
        return made

    @property
    def text(self) -> str:
        """Every text, joined by SEPARATOR."""
        return self.texts.joined

    def __contains__(self, needle: str) -> bool:
        return self.contains(needle)

    def contains(self, needle: str) -> bool:
        """Whether `needle` occurs inside one of the texts (the empty text always does)."""
        if not needle:
            return True
        if SEPARATOR in needle:
            return False
        size, text, sample = len(needle), self.text, self.sample

        def prefix(position: int) -> str:
            return text[position : position + size]

        # The first suffix not sorting before the needle is after sample[block - 1] and at
        # most sample[block]: one of the SAMPLE − 1 entries between them, or sample[block].
        block = bisect_left(range(len(sample)), needle, key=lambda i: prefix(int(sample[i])))
        between = self.suffixes[max(0, (block - 1) * SAMPLE + 1) : block * SAMPLE].tolist()
        found = bisect_left(between, needle, key=prefix)
        if found < len(between):
            return text.startswith(needle, between[found])
        return block < len(sample) and text.startswith(needle, int(sample[block]))
