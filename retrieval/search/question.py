"""What a question asks, beyond its words: the phrases it spells (words standing together),
the word it asks *for* (the focus after 什么/哪些), the pattern of a sentence that defines
one of its phrases, the part of a speech it asks about (第三部分), and words the segmenter
glued wrongly (三|专指 → 三专)."""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.corpus.document import CLOSING, OPENING, Kind
from retrieval.corpus.structure import cn_number
from retrieval.text.segment import is_cjk
from retrieval.text.wordlists import speech_word

PROXIMITY_GAP = 2  # characters allowed between two words that "stand together" in a passage
# What follows a phrase that a sentence defines or explains: 聚焦，就是… / “三专”。即… / 是指…
DEFINITION_MARKERS = r"(?:[”’」』\"')）]?[，,：:。]?(?:就是|就要|即|是指|指的是|也就是)|是)"
# A definition marker has one of these characters within its first MARKER_REACH (a closing quote
# and a punctuation mark may come first): a place with none of them right after it is never followed by one.
MARKER_STARTS = "是就即指也"
MARKER_REACH = 3
# A question about one part of a speech: 第三部分讲了什么, 第二个方面, 开场白, 结束语
PART_QUESTION_RE = re.compile(
    r"第([一二三四五六七八九十]{1,3}|\d{1,2})(?:个)?(?:部分|方面)|(开场白|开头)|(结束语|结尾)"
)
# An interrogative that asks for a kind of thing: 什么/哪些/哪个/哪几个/哪三个 + the focus word.
COORDINATORS = "和与及或、"
FOCUS_GAP = 3  # characters of stop words allowed between an interrogative and its focus word (什么具体的要求)
INTERROGATIVE_RE = re.compile(
    r"(?<!为)什么|哪(?:些|个|种|类|几[个项条种类点]?|[一二三四五六七八九十两]+[个项条种类点]?)?"
)


def standing_together(text: str, first: str, second: str, gap: int = PROXIMITY_GAP) -> bool:
    """Whether `second` follows `first` in `text` at most `gap` characters after it."""
    position = text.find(first)
    while position != -1:
        after = position + len(first)
        if text.find(second, after, after + gap + len(second)) != -1:
            return True
        position = text.find(first, after)
    return False


def question_phrases(folded_question: str, terms: list[str]) -> list[list[str]]:
    """The terms grouped into phrases: runs of terms written together in the question
    (提升质量有什么要求 → [提升, 质量], [要求])."""
    phrases: list[list[str]] = []
    for term in terms:
        if phrases and standing_together(folded_question, phrases[-1][-1], term, gap=0):
            phrases[-1].append(term)
        else:
            phrases.append([term])
    return phrases


def focus_words(folded_question: str, words: list[str]) -> tuple[list[str], list[str]]:
    """(focus, inside): the first word right after an interrogative (only stop words such as
    具体的 between), which names the kind of answer wanted rather than its content
    (提升质量有什么「要求」: the answer need not say 要求), and the words inside the
    interrogative (哪「三个」准) that the question says nowhere else. A single character after it (什么药) stays a content word:
    it is too often the topic."""
    focus, inside = [], []
    for match in INTERROGATIVE_RE.finditer(folded_question):
        start, end = match.span()
        after = []
        for word in words:
            position = folded_question.find(word, start)
            if start <= position and position + len(word) <= end:
                inside.append(word)
            elif end <= position <= end + FOCUS_GAP:
                after.append((position, word))
        if after and len((first := min(after))[1]) > 1:
            focus.append(first[1])
            joined = first[0] + len(first[1]) + 1  # 什么要求和「安排」: a second focus word joined by 和
            if folded_question[joined - 1 : joined] in COORDINATORS:
                focus.extend(w for w in words if len(w) > 1 and folded_question.startswith(w, joined))
    # 四个导向是哪四个: a word the question also says outside its interrogatives is its topic.
    outside = INTERROGATIVE_RE.sub("|", folded_question)
    return focus, [w for w in inside if w not in outside]


def document_words(words: list[str]) -> list[str]:
    """The words that refer to the speech itself (讲话里面…, 报告中…), not to its content."""
    return [w for w in words if speech_word(w)]


DEFINITION_MARKER_RE = re.compile(DEFINITION_MARKERS)


def defines(text: str, phrase: list[str], gap: int = PROXIMITY_GAP) -> bool:
    """Whether `text` defines a phrase: its words in order, at most `gap` characters (no line
    break) between two, right followed by a definition marker (提升效能，就要…)."""

    def rest(words: list[str], begin: int, end: int, gapped: bool = True) -> bool:
        """Whether `words` follow from a position in begin … end (then the marker); with
        `gapped`, nothing between begin and the first word may be a line break."""
        if not words:
            return DEFINITION_MARKER_RE.match(text, begin) is not None
        first = words[0]
        position = text.find(first, begin, end + len(first))
        while position != -1:
            if gapped and "\n" in text[begin:position]:
                return False
            after = position + len(first)
            if rest(words[1:], after, after + gap):
                return True
            position = text.find(first, position + 1, end + len(first))
        return False

    return bool(phrase) and rest(phrase, 0, len(text), gapped=False)


def rejoin_misjoined(
    folded_question: str, words: list[str], unknown: Callable[[str], bool], in_corpus: Callable[[str], bool]
) -> list[str]:
    """Undo a cut that glued a character to the wrong neighbour: 三专指什么 is cut 三|专指,
    but the corpus says 三专 (“三专”。即专题、专案、专业). A word that is not in the index
    nor anywhere in the corpus text, whose first character joined to the word before it
    spells something the corpus has, gives that character to the word before it, provided
    what is left of it is one character or something the corpus has; likewise its last character to the word after it."""
    words = list(words)

    def left(rest: str) -> bool:  # what is left of the word: one character, or something the corpus has
        return len(rest) == 1 or in_corpus(rest)

    for i, word in enumerate(words):
        if len(word) < 2 or not unknown(word) or in_corpus(word) or has_digit(word):
            continue
        before = words[i - 1] if i > 0 and not has_digit(words[i - 1]) else ""
        after = words[i + 1] if i + 1 < len(words) and not has_digit(words[i + 1]) else ""
        if before and before + word in folded_question and in_corpus(before + word[0]) and left(word[1:]):
            words[i - 1], words[i] = before + word[0], word[1:]
        elif after and word + after in folded_question and in_corpus(word[-1] + after) and left(word[:-1]):
            words[i], words[i + 1] = word[:-1], word[-1] + after
    return words


def split_unknown(
    words: list[str], unknown: Callable[[str], bool], in_corpus: Callable[[str], bool]
) -> list[str]:
    """Cut a character off an unknown Chinese word of three or more characters that the corpus text
    does not have, when the rest is a name the corpus has: the segmenter glued a verb to an
    unseen name (刘七是|死 → 刘七, 是; 史继偕著 → 史继偕, 著)."""
    result: list[str] = []
    for word in words:
        if len(word) < 3 or not unknown(word) or in_corpus(word) or not all(is_cjk(c) for c in word):
            result.append(word)
        elif in_corpus(word[:-1]):
            result += [word[:-1], word[-1]]
        elif in_corpus(word[1:]):
            result += [word[0], word[1:]]
        else:
            result.append(word)
    return result


def has_digit(word: str) -> bool:
    """Numbers and years stay whole: no character is moved to or from a word with a digit."""
    return any(c.isdigit() for c in word)


def asked_part(folded_question: str, words: list[str]) -> tuple[int | Kind | None, list[str]]:
    """The part a question asks about — a part number (市长办公会议讲话的第三部分 → 3),
    "opening" (开场白) or "closing" (结束语) — and the words that spell it (第三, 部分)."""
    match = PART_QUESTION_RE.search(folded_question)
    if not match:
        return None, []
    digits, opening, _ = match.groups()
    part: int | Kind | None = OPENING if opening else CLOSING
    if digits:
        number = int(digits) if digits.isdigit() else cn_number(digits)
        part = number if number > 0 else None
    start, end = match.span()
    return part, [w for w in words if start <= folded_question.find(w, start) < end]
