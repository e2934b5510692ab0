"""Where a question's words occur inside an exact quote, for bolding them."""

from __future__ import annotations

from collections.abc import Iterable

from retrieval.text.normalize import fold


def matched_spans(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of `words` in `text`, matched on folded text
    (so 廉政責任書 in a traditional question bolds 廉政责任书). Single characters are not
    bolded: they would light up half the quote."""
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for word in sorted({fold(w) for w in words if len(w) > 1}, key=len, reverse=True):
        start = folded.find(word)
        while start != -1:
            end = start + len(word)
            if not any(start < e and s < end for s, e in spans):
                spans.append((start, end))
            start = folded.find(word, end)
    return sorted(spans)


def mark(text: str, words: Iterable[str], before: str, after: str, escape=lambda s: s) -> str:
    """`text` with each matched span wrapped in before/after; `escape` applies to the text pieces."""
    pieces, position = [], 0
    for start, end in matched_spans(text, words):
        pieces.append(escape(text[position:start]))
        pieces.append(before + escape(text[start:end]) + after)
        position = end
    pieces.append(escape(text[position:]))
    return "".join(pieces)
