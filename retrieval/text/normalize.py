"""Character-level normalisation shared by documents and questions.

`fold` keeps the length of its input (one output character per input character), so a
position found in folded text is the same position in the original: this is what lets
the renderers bold the matched words inside an exact quote.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import opencc

_T2S = opencc.OpenCC("t2s")


def _fold_table() -> dict[int, str]:
    """For every BMP character whose NFKC form is one other character (full-width forms,
    compatibility ideographs) or that lower-cases, that character."""
    table = {}
    for code in range(0x10000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        folded = unicodedata.normalize("NFKC", char)
        folded = folded.lower() if len(folded) == 1 else char.lower()
        if len(folded) == 1 and folded != char:
            table[code] = folded
    return table


_FOLD = _fold_table()
_FOLD_ARRAY = np.arange(0x10000, dtype=np.uint32)
_FOLD_ARRAY[list(_FOLD)] = [ord(c) for c in _FOLD.values()]
_PUNCTUATION_RE = re.compile(r"[\W_]+")
SHORT_TEXT = 64  # characters: a question or a title, which several stages fold again (kept folded)


def fold(text: str) -> str:
    """Full-width → half-width, case-fold, traditional → simplified; same length as `text`."""
    if len(text) <= SHORT_TEXT:
        return _fold_short(text)
    return _simplified(text.translate(_FOLD))


@lru_cache(maxsize=4096)
def _fold_short(text: str) -> str:
    return _simplified(text.translate(_FOLD))


def _simplified(half: str) -> str:
    simplified = _T2S.convert(half)
    # OpenCC's t2s maps character for character; if a phrase rule ever changed the
    # length, fall back to the width-folded text so offsets stay valid.
    return simplified if len(simplified) == len(half) else half


def fold_all(texts: Sequence[str]) -> list[str]:
    """`fold` of every text; the width and case folding of all of them at once, in numpy
    (str.translate with a dictionary costs about as much as segmenting)."""
    code_points = code_points_of("".join(texts))
    in_table = code_points <= 0xFFFF
    folded = np.where(in_table, _FOLD_ARRAY[np.where(in_table, code_points, 0)], code_points)
    joined = folded.tobytes().decode("utf-32-le", errors="surrogatepass")
    ends = np.cumsum([len(text) for text in texts], dtype=np.int64).tolist()
    return [_simplified(joined[begin:end]) for begin, end in zip([0, *ends], ends, strict=False)]


def code_points_of(text: str) -> np.ndarray:
    """The code point of each character of a text (uint32), lone surrogates included."""
    return np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)


def punctuated_runs(text: str) -> list[str]:
    """The runs of a text between its punctuation and spaces (东关街 (扬州) → 东关街, 扬州)."""
    return [run for run in _PUNCTUATION_RE.split(text) if run]


def is_punctuation_or_space(token: str) -> bool:
    """True for tokens made only of punctuation, symbols or white space."""
    return _PUNCTUATION_RE.fullmatch(token) is not None
