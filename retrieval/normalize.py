"""Character-level normalisation shared by documents and questions.

`fold` keeps the length of its input (one output character per input character), so a
position found in folded text is the same position in the original: this is what lets
the renderers bold the matched words inside an exact quote.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1:
        return char
    return folded.lower()


def fold(text: str) -> str:
    """Full-width → half-width, case-fold, traditional → simplified; same length as `text`."""
    half = "".join(_fold_char(c) for c in text)
    simplified = _T2S.convert(half)
    # OpenCC's t2s maps character for character; if a phrase rule ever changed the
    # length, fall back to the width-folded text so offsets stay valid.
    return simplified if len(simplified) == len(half) else half


def is_punctuation_or_space(token: str) -> bool:
    """True for tokens made only of punctuation, symbols or white space."""
    return all(unicodedata.category(c)[0] in "PZSC" for c in token)
