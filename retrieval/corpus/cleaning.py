"""Drop lines that are not part of the speech, reporting every one of them."""

from __future__ import annotations

import re
from functools import cache

import yaml

from retrieval.corpus.document import DroppedLine
from retrieval.corpus.structure import is_speech_start
from retrieval.data_files import data_text

MAX_ANYWHERE_LINE = 40


@cache
def _rules() -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    rules = yaml.safe_load(data_text("boilerplate.yaml"))
    return ([re.compile(p) for p in rules["promo"]], [re.compile(p) for p in rules["anywhere"]])


def _match(patterns: list[re.Pattern[str]], line: str) -> str | None:
    for pattern in patterns:
        if pattern.search(line):
            return pattern.pattern
    return None


def clean_lines(raw_text: str) -> tuple[list[tuple[int, str]], list[DroppedLine]]:
    """Split text into stripped non-empty lines, dropping boilerplate.

    Returns the kept (line_number, text) pairs and the dropped lines with reasons.
    """
    lines = [
        (number, line.strip().replace("\u200b", "").replace("\ufeff", ""))
        for number, line in enumerate(raw_text.splitlines(), start=1)
    ]
    lines = [(n, t) for n, t in lines if t]
    promo, anywhere = _rules()
    dropped: list[DroppedLine] = []

    start = next((i for i, (_, text) in enumerate(lines) if is_speech_start(text)), 0)
    header = lines[:start]
    header_hits = [_match(promo, text) for _, text in header]
    if any(header_hits):
        rule = next(h for h in header_hits if h)
        for number, text in header:
            dropped.append(
                DroppedLine(number, text, f"promotional header before the speech (matched {rule!r})")
            )
        lines = lines[start:]

    kept: list[tuple[int, str]] = []
    for number, text in lines:
        boilerplate = _match(anywhere, text) if len(text) <= MAX_ANYWHERE_LINE and "。" not in text else None
        if boilerplate:
            dropped.append(DroppedLine(number, text, f"boilerplate line (matched {boilerplate!r})"))
        else:
            kept.append((number, text))
    return kept, dropped
