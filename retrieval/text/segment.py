"""Word segmentation with jieba's dictionary and algorithm, a user dictionary of political
and administrative terms, and stop words (function words and question words) removed.

Segmentation runs on rjieba (jieba-rs, the Rust port of jieba with the same dictionary):
about 13 times faster than jieba here, the same words for 99.9% of the shipped sentences
(tests/retrieval/test_segment.py checks the agreement). Documents and questions always go
through the same segmenter. jieba itself is the fallback where rjieba is not installed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from retrieval.data_files import data_lines
from retrieval.text.normalize import code_points_of, fold, is_punctuation_or_space

_lock = threading.Lock()
# jieba-rs keeps 2011-2020 and pm_2.5 whole where jieba splits them: split them the same way.
JOINED_RUN_RE = re.compile(r"[-_/]")
WORD_CACHE = 65_536  # words whose sub-words and dictionary status are kept once cut


@cache
def stop_words() -> frozenset[str]:
    return frozenset(data_lines("stopwords.txt"))


@cache
def _synonym_groups() -> dict[str, tuple[str, ...]]:
    groups: dict[str, tuple[str, ...]] = {}
    for line in data_lines("synonyms.txt"):
        group = tuple(line.split())
        for word in group:
            groups[word] = tuple(w for w in group if w != word)
    return groups


def synonyms(word: str) -> tuple[str, ...]:
    """Other words for the same thing (gdp → 生产总值), from data/synonyms.txt."""
    return _synonym_groups().get(word, ())


# What may stand between the verb and the object of a separable word: a count (一次, 两回, 几次),
# an aspect (了, 过), a measure word (个) or a result (好, 完).
SEPARATING = (
    *(f"{n}{unit}" for n in "一两二三四五六七八九十几" for unit in "次回"),
    *"了过个好完次",
    "一下",
)


@cache
def _separable() -> frozenset[str]:
    return frozenset(data_lines("separable.txt"))


def separated(word: str) -> tuple[str, ...]:
    """A separable verb-object word written apart (谈话 → 谈一次话, 谈过话…), from
    data/separable.txt; () for any other word."""
    if word not in _separable():
        return ()
    return tuple(f"{word[0]}{between}{word[1]}" for between in SEPARATING)


def spellings(word: str) -> tuple[str, ...]:
    """A question word and its synonyms (gdp, 生产总值): any of them in a text says it."""
    return (word, *synonyms(word))


def written_forms(word: str) -> tuple[str, ...]:
    """Every way a text may write a question word: its spellings and, for a separable word,
    the word written apart (谈话: 谈一次话). Not index terms: BM25 searches the spellings."""
    return (*spellings(word), *separated(word))


def user_words() -> list[tuple[str, int | None, str | None]]:
    entries = []
    for line in data_lines("userdict.txt"):
        word, *rest = line.split()
        entries.append((word, int(rest[0]) if rest else None, rest[1] if len(rest) > 1 else None))
    return entries


Cut = Callable[[str], list[str]]


@cache
def _segmenters() -> tuple[Cut, Cut, Cut]:
    """(precise cut, search cut, precise cut without jieba's guesses: dictionary words only),
    one tokenizer with the user dictionary loaded."""
    try:
        import rjieba
    except ImportError:
        return _jieba_segmenters()
    tokenizer = rjieba.Jieba()
    for word, freq, tag in user_words():
        # Force the user word to stay whole, as jieba's suggest_freq(tune=True) does.
        tokenizer.add_word(word, max(freq or 0, tokenizer.suggest_freq(word)), tag)
    return (
        (lambda text: tokenizer.cut(text, True)),
        (lambda text: tokenizer.cut_for_search(text, True)),
        (lambda text: tokenizer.cut(text, False)),
    )


@lru_cache(maxsize=WORD_CACHE)
def in_dictionary(word: str) -> bool:
    """Whether a word is one of the segmenter's dictionary words, not a guess of its
    hidden Markov model (which glues unknown characters together: 党为, 于新)."""
    with _lock:
        _, _, dictionary_cut = _segmenters()
    return dictionary_cut(word) == [word]


def _jieba_segmenters() -> tuple[Cut, Cut, Cut]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word, freq, tag in user_words():
        tokenizer.add_word(word, freq, tag)
        tokenizer.suggest_freq(word, tune=True)
    return (
        (lambda text: tokenizer.lcut(text, HMM=True)),
        (lambda text: tokenizer.lcut_for_search(text, HMM=True)),
        (lambda text: tokenizer.lcut(text, HMM=False)),
    )


def _cut(folded: str, for_search: bool) -> list[str]:
    with _lock:
        precise, search, _ = _segmenters()
    words = search(folded) if for_search else precise(folded)
    if not JOINED_RUN_RE.search(folded):
        return words
    return [piece for word in words for piece in JOINED_RUN_RE.split(word) if piece]


def is_content_word(word: str) -> bool:
    return not is_punctuation_or_space(word) and word not in stop_words()


def is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def document_terms(text: str) -> list[str]:
    """Index terms of a passage (see `folded_terms`)."""
    return folded_terms(fold(text))


def folded_terms(folded: str) -> list[str]:
    """Index terms of already-folded text: every word of two characters or more with its
    dictionary sub-words (国内生产总值 → 国内, 生产, 总值, 生产总值, 国内生产总值), other
    single-character words (5, a), and every Chinese character once per occurrence, so a
    question's word matches however the segmenter happened to cut the passage."""
    encoded = encode_terms([folded])
    return [encoded.vocabulary[i] for i in encoded.ids.tolist()]


@dataclass
class EncodedTerms:
    """The index terms of many texts as integer ids: compact to pickle and to index."""

    vocabulary: list[str]  # the term of each id
    ids: np.ndarray  # int32: every text's terms, text after text
    lengths: np.ndarray  # int64: how many terms each text has

    def __len__(self) -> int:
        return len(self.lengths)


class _WordIds(dict[str, int]):
    """word → its id, numbered in order of first sight, or −1 for a word that is no index
    term (punctuation, stop words, single Chinese characters: those come as characters).
    One for the process: a word is judged once, however many documents use it."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.lock = threading.Lock()

    def __missing__(self, word: str) -> int:
        with self.lock:
            value = -1
            if is_content_word(word) and (len(word) > 1 or not is_cjk(word)):
                value = len(self.words)
                self.words.append(word)
            self[word] = value
        return value


_word_ids = _WordIds()


def encode_terms(folded_texts: Sequence[str]) -> EncodedTerms:
    """`folded_terms` of every text, as ids: the words through one dictionary lookup each,
    the Chinese characters as code points in numpy rather than one Python string apiece."""
    words: list[int] = []
    word_counts = np.zeros(len(folded_texts), dtype=np.int64)
    for i, folded in enumerate(folded_texts):
        cut = _cut(folded, for_search=True)
        word_counts[i] = len(cut)
        words.extend(map(_word_ids.__getitem__, cut))
    word_array = np.array(words, dtype=np.int64)
    word_text = np.repeat(np.arange(len(folded_texts)), word_counts)
    kept = word_array >= 0
    word_array, word_text = word_array[kept], word_text[kept]
    # This encoding's words in the order of their first use, whatever ids the process gave them
    # before: the same texts get the same vocabulary in any process (a built index and a saved one).
    used_words, first_use = np.unique(word_array, return_index=True)
    used_words = used_words[np.argsort(first_use, kind="stable")]
    local = np.zeros(int(word_array.max()) + 1 if len(word_array) else 0, dtype=np.int32)
    local[used_words] = np.arange(len(used_words))  # process-wide word ids → this encoding's

    code_points = code_points_of("".join(folded_texts))
    char_text = np.repeat(np.arange(len(folded_texts)), [len(text) for text in folded_texts])
    offsets = code_points.astype(np.int64) - CJK_FIRST
    inside = (offsets >= 0) & (offsets < len(_character_terms()))
    inside[inside] = _character_terms()[offsets[inside]]
    present = np.bincount(offsets[inside], minlength=len(_character_terms())) > 0
    char_ids = (np.cumsum(present) - 1 + len(used_words)).astype(np.int32)  # used characters only

    texts = np.concatenate([word_text, char_text[inside]])
    order = np.argsort(texts, kind="stable")  # each text's words, then its characters
    vocabulary = [_word_ids.words[i] for i in used_words.tolist()]
    vocabulary += [chr(CJK_FIRST + offset) for offset in np.flatnonzero(present).tolist()]
    return EncodedTerms(
        vocabulary,
        np.concatenate([local[word_array], char_ids[offsets[inside]]])[order],
        np.bincount(texts, minlength=len(folded_texts)).astype(np.int64),
    )


CJK_FIRST, CJK_LAST = 0x4E00, 0x9FFF


@cache
def _character_terms() -> np.ndarray:
    """For each Chinese character (from CJK_FIRST), whether it is an index term: not a stop word."""
    terms = np.ones(CJK_LAST - CJK_FIRST + 1, dtype=bool)
    for word in stop_words():
        if len(word) == 1 and is_cjk(word):
            terms[ord(word) - CJK_FIRST] = False
    return terms


def merge_terms(parts: Sequence[EncodedTerms]) -> EncodedTerms:
    """Several encodings as one, over one vocabulary of the terms they use."""
    vocabulary: dict[str, int] = {}
    ids = []
    for part in parts:
        used = np.flatnonzero(np.bincount(part.ids, minlength=len(part.vocabulary)))
        new_ids = np.zeros(len(part.vocabulary), dtype=np.int32)
        terms = [part.vocabulary[i] for i in used.tolist()]
        new_ids[used] = [vocabulary.setdefault(term, len(vocabulary)) for term in terms]
        ids.append(new_ids[part.ids])
    return EncodedTerms(
        list(vocabulary),
        np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32),
        np.concatenate([part.lengths for part in parts]) if parts else np.zeros(0, dtype=np.int64),
    )


# An interrogative the segmenter may keep in one word with what follows it: 哪一条, 几世纪, 第几名.
INTERROGATIVE_PREFIX_RE = re.compile(r"(?:哪[一些几]?|第几|几|多少)(.*)")


@cache
def measure_words() -> frozenset[str]:
    return frozenset(data_lines("measure_words.txt"))


def asked_word(word: str) -> str:
    """A question word without the interrogative it begins with: "" for an interrogative
    and a measure word (哪一条, 几座, 第几名, 多少岁), the dictionary word it asks about
    (几世纪 → 世纪, 哪些地方 → 地方); any other word as it is (几乎, 几何, 几内亚)."""
    match = INTERROGATIVE_PREFIX_RE.fullmatch(word)
    if match is None:
        return word
    rest = match.group(1)
    if not rest or rest in measure_words():
        return ""
    return rest if len(rest) > 1 and in_dictionary(rest) else word


ASPECT_PARTICLES = "了着过"


def without_particle(word: str) -> str:
    """A word the dictionary lacks that ends in an aspect particle, without it: the segmenter's
    guess glued the particle to a verb (提了 → 提, 签了 → 签, 谈着 → 谈); any other word as it is."""
    if len(word) > 1 and word[-1] in ASPECT_PARTICLES and is_cjk(word[0]) and not in_dictionary(word):
        return word[:-1]
    return word


def query_words(question: str) -> list[str]:
    """A question's words (jieba's precise mode), without punctuation, stop words,
    interrogatives (the word they ask about kept: 几世纪 → 世纪) and aspect particles glued to
    a verb (提了 → 提), each once."""
    return list(dict.fromkeys(w for w in map(_question_word, _cut(fold(question), for_search=False)) if w))


@lru_cache(maxsize=WORD_CACHE)
def _question_word(word: str) -> str:
    """What a word of a question's cut is searched as (see `query_words`); "" for none."""
    if not is_content_word(word):
        return ""
    word = without_particle(asked_word(word))
    return word if word and is_content_word(word) else ""


def sub_words(word: str) -> list[str]:
    """The dictionary sub-words of a word (2 characters or more), for words the index lacks."""
    return list(_sub_words(word))


@lru_cache(maxsize=WORD_CACHE)
def _sub_words(word: str) -> tuple[str, ...]:
    return tuple(w for w in _cut(word, for_search=True) if w != word and len(w) > 1 and is_content_word(w))
