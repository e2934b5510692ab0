"""Callback data (≤ 64 bytes) for the inline buttons, and the compact question store.

Buttons carry keys the bot can resolve again after a restart or a reload:

* ``m|<qid>|<offset>``                  a page of answers to a question
* ``p|<doc>|<paragraph>|<qid>|<offset>`` a whole paragraph (and the way back to the page)
* ``s|<doc>|<part>``                    a whole part, sent as follow-up messages
* ``l|<page>``                          a page of the speech list
* ``o|<doc>``                           a speech's outline
* ``c|<doc>|<page>``                    a page of a speech's commitments (bot/telegram/handlers/commitments.py)
* ``cp|<doc>|<paragraph>|<page>``      a commitment's whole paragraph, and back to its page
* ``cx|<doc>``                         a speech's commitments as a CSV file
* ``cl|<page>``                        a page of the speech chooser for /commitments
* ``cf|<doc>|<filter>|<page>``         a page of a speech's commitments of some kinds or horizons
* ``cg|<doc>|<paragraph>|<filter>|<page>`` a paragraph, and back to its filtered page
* ``w|<doc>|<wanted>``                 the speech picked for a question that named none (a part key or a fact)

``<doc>`` is a short hash of the doc_id, ``<qid>`` a short hash of the question; the
question itself is found in the store, or rebuilt from the message the reply answers.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.corpus.document import Document

MAX_BYTES = 64
KEY_CHARS = 10
SEPARATOR = "|"
KINDS = {"m": 2, "p": 4, "s": 2, "l": 1, "o": 1}  # kind -> number of fields after it
KINDS |= {"c": 2, "cp": 3, "cx": 1, "cl": 1, "cf": 3, "cg": 4}  # commitments (handlers/commitments.py)
KINDS |= {"w": 2}  # which speech a question meant (bot/telegram/replies.py)
MAX_DIGITS = 6  # page, paragraph and offset numbers: more comes only from a modified client


def short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:KEY_CHARS]


def doc_key(doc_id: str) -> str:
    return short_hash("doc:" + doc_id)


def question_key(question: str) -> str:
    return short_hash("q:" + question.strip())


def find_by_key(documents: Iterable[Document], key: str) -> Document | None:
    return next((d for d in documents if doc_key(d.doc_id) == key), None)


@dataclass(frozen=True)
class Callback:
    kind: str
    fields: tuple[str, ...]

    def number(self, index: int) -> int:
        return int(self.fields[index])


def encode(kind: str, *fields: object) -> str:
    """Callback data for a button; raises ValueError if it would exceed Telegram's 64 bytes."""
    if kind not in KINDS or len(fields) != KINDS[kind]:
        raise ValueError(f"bad callback {kind!r} with {len(fields)} fields")
    data = SEPARATOR.join([kind, *map(str, fields)])
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Callback | None:
    """The parsed callback, or None for data this bot version does not understand."""
    if not data:
        return None
    kind, *fields = data.split(SEPARATOR)
    if KINDS.get(kind) != len(fields):
        return None
    callback = Callback(kind, tuple(fields))
    numeric_fields = {
        "m": (1,),
        "p": (1, 3),
        "l": (0,),
        "c": (1,),
        "cp": (1, 2),
        "cl": (0,),
        "cf": (2,),
        "cg": (1, 3),
    }
    numeric = numeric_fields.get(kind, ())
    if not all(is_number(callback.fields[i]) for i in numeric):
        return None
    return callback


def is_number(field: str) -> bool:
    """ASCII digits only ("²".isdigit() is true, but int("²") fails), and not absurdly many."""
    return 0 < len(field) <= MAX_DIGITS and field.isascii() and field.isdigit()


class QuestionStore:
    """Recent questions by key (bounded, in memory): a fast path, never the only one."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._items: OrderedDict[str, str] = OrderedDict()

    def put(self, question: str) -> str:
        key = question_key(question)
        self._items[key] = question.strip()
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> str | None:
        return self._items.get(key)
