"""Word segmentation with jieba, a user dictionary of political and administrative terms,
and stop words (function words and question words) removed."""

from __future__ import annotations

import logging
import threading
from functools import cache
from importlib import resources

import jieba

from retrieval.normalize import fold, is_punctuation_or_space

_lock = threading.Lock()
jieba.setLogLevel(logging.WARNING)


def _data_lines(name: str) -> list[str]:
    text = resources.files("retrieval").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_data_lines("stopwords.txt"))


@cache
def _tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for line in _data_lines("userdict.txt"):
        word, *rest = line.split()
        freq = int(rest[0]) if rest else None
        tag = rest[1] if len(rest) > 1 else None
        tokenizer.add_word(word, freq, tag)
        # jieba only keeps a user word whole if it outweighs the split; force it.
        tokenizer.suggest_freq(word, tune=True)
    return tokenizer


def _cut(folded: str, for_search: bool) -> list[str]:
    with _lock:
        tokenizer = _tokenizer()
    return tokenizer.lcut_for_search(folded, HMM=True) if for_search else tokenizer.lcut(folded, HMM=True)


def _keep(word: str) -> bool:
    return not is_punctuation_or_space(word) and word not in stop_words()


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def document_terms(text: str) -> list[str]:
    """Index terms of a passage (see `folded_terms`)."""
    return folded_terms(fold(text))


def folded_terms(folded: str) -> list[str]:
    """Index terms of a passage: every word, its dictionary sub-words (国内生产总值 → 国内,
    生产, 总值, 生产总值) and its single Chinese characters, so a question's word matches
    however jieba happened to cut the passage."""
    found = []
    for word in _cut(folded, for_search=True):
        if not _keep(word):
            continue
        found.append(word)
    singles = [c for word in found if len(word) > 1 for c in word if _is_cjk(c) and c not in stop_words()]
    return found + singles


def query_words(question: str) -> list[str]:
    """A question's words (jieba's precise mode), without punctuation, stop words and
    question words, each once."""
    return list(dict.fromkeys(w for w in _cut(fold(question), for_search=False) if _keep(w)))


def sub_words(word: str) -> list[str]:
    """The dictionary sub-words of a word (2 characters or more), for words the index lacks."""
    return [w for w in _cut(word, for_search=True) if w != word and len(w) > 1 and _keep(w)]
