"""Character-level normalisation shared by documents and questions.

`fold` keeps the length of its input (one output character per input character), so a
position found in folded text is the same position in the original: this is what lets
the renderers bold the matched words inside an exact quote.
"""

from __future__ import annotations

import re
import unicodedata

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
_PUNCTUATION_RE = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Full-width → half-width, case-fold, traditional → simplified; same length as `text`."""
    half = text.translate(_FOLD)
    simplified = _T2S.convert(half)
    # OpenCC's t2s maps character for character; if a phrase rule ever changed the
    # length, fall back to the width-folded text so offsets stay valid.
    return simplified if len(simplified) == len(half) else half


def is_punctuation_or_space(token: str) -> bool:
    """True for tokens made only of punctuation, symbols or white space."""
    return _PUNCTUATION_RE.fullmatch(token) is not None
