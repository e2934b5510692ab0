"""Messages that are not questions about a speech: greetings, thanks, "what can you do", and
text in a language other than Chinese. Recognised by whole-message patterns
(retrieval/data/small_talk.yaml), answered with what is indexed and example questions, never a quote."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

import yaml

from bot.service.catalog import SPEECH, document_kind, ordered, short_name
from retrieval.corpus.document import Document
from retrieval.data_files import data_text
from retrieval.text.normalize import fold

GREETING, THANKS, HELP, LANGUAGE = "greeting", "thanks", "help", "language"
PARTICLES_RE = re.compile(r"[啊呀呢吧哈嘛啦哦噢喔嗯呗]+$")
HAN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
KANA_HANGUL_RE = re.compile(r"[\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff]")
LETTER_WORD_RE = re.compile(r"[^\W\d_]{2,}")
MIN_FOREIGN_WORDS = 2  # one Latin word (GDP, NBA) is a search term, not a language
MIN_FOREIGN_LETTERS = 6  # nor are two short ones (AA AA)


@cache
def patterns() -> dict[str, list[re.Pattern[str]]]:
    """The kinds of small talk and their whole-message patterns."""
    data = yaml.safe_load(data_text("small_talk.yaml"))
    return {kind: [re.compile(p) for p in items] for kind, items in data.items()}


def squeezed(message: str) -> str:
    """The message folded, without spaces, punctuation, symbols, emoji or trailing particles."""
    kept = "".join(c for c in fold(message) if unicodedata.category(c)[0] in "LN")
    return PARTICLES_RE.sub("", kept) or kept


def is_other_language(message: str) -> bool:
    """No Chinese characters and at least two words of letters, or mostly kana/hangul."""
    if KANA_HANGUL_RE.search(message):
        return len(KANA_HANGUL_RE.findall(message)) >= len(HAN_RE.findall(message))
    words = LETTER_WORD_RE.findall(message)
    return (
        not HAN_RE.search(message)
        and len(words) >= MIN_FOREIGN_WORDS
        and len("".join(words)) >= MIN_FOREIGN_LETTERS
    )


def recognise(message: str) -> str | None:
    """The kind of small talk a message is (greeting, thanks, help, language), or None for a question."""
    text = squeezed(message)
    if not text:
        return None
    for kind, kind_patterns in patterns().items():
        if any(p.fullmatch(text) for p in kind_patterns):
            return kind
    if is_other_language(message):
        return LANGUAGE
    return None


# --------------------------------------------------------------------------- the reply

OPENERS = {
    GREETING: "你好！我是讲话问答机器人，用讲话原文回答问题，并注明出处。",
    THANKS: "不客气！还有问题可以接着问。",
    HELP: "我能从收录的讲话中找出回答问题的原文段落，并注明出处（哪篇讲话、哪一部分、第几段）；"
    "也能回答讲话本身的问题：谁讲的、什么时候、在什么会议上、有几个部分。",
    LANGUAGE: "I read questions in Chinese only — please ask in Chinese (简体或繁体均可).\n"
    "我只能读懂中文问题，请用中文提问。",
}


def corpus_summary(documents: Sequence[Document]) -> str:
    """What is indexed: counts by kind and the years covered."""
    if not documents:
        return "语料中还没有讲话。"
    counts: dict[str, int] = {}
    for document in ordered(documents):
        kind = document_kind(document)
        counts[kind] = counts.get(kind, 0) + 1
    years = sorted(d.meta.year for d in documents if d.meta.year)
    span = f"，年份 {years[0]}–{years[-1]}" if years else ""
    kinds = "、".join(f"{label} {n} 篇" for label, n in counts.items())
    return f"已收录 {len(documents)} 篇：{kinds}{span}。"


def example_questions(documents: Sequence[Document]) -> list[str]:
    """Three questions drawn from the corpus: a part of a speech, who gave one, a topic of it."""
    if not documents:
        return []
    own = next((d for d in documents if document_kind(d) == SPEECH), documents[0])
    dated = sorted(
        (d for d in documents if d.meta.speaker and d.meta.year), key=lambda d: -(d.meta.year or 0)
    )
    examples = [f"{short_name(own)}第{'三' if len(own.sections) >= 3 else '一'}部分讲了什么"]
    if dated:
        examples.append(f"{short_name(dated[0])}是谁作的")
    else:
        examples.append(f"{short_name(own)}是谁讲的")
    topic = next((s.title for d in (own, *documents) for s in d.sections if 4 <= len(s.title) <= 16), None)
    if topic:
        examples.append(f"{topic}有什么要求")
    return examples


def reply_text(kind: str, documents: Sequence[Document]) -> str:
    """A short friendly reply: who the bot is, what is indexed, three example questions."""
    lines = [OPENERS.get(kind, OPENERS[HELP]), corpus_summary(documents)]
    examples = example_questions(documents)
    if examples:
        lines.append("可以这样问：")
        lines.extend(f"• {q}" for q in examples)
    lines.append("/speeches 查看收录的讲话，/help 查看全部用法。")
    return "\n".join(lines)
