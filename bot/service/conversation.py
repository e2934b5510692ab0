"""A conversation, not a search box: what each chat (and user) last asked, and follow-ups
resolved against it — 「那第四部分呢」, 「还有吗」/「更多」, 「这篇讲话是谁讲的」, 「它…」 — plus
small talk and questions about a speech itself. No Telegram: the handlers render the replies.

Context lives in a `ContextStore`, keyed by (chat, user), with expiry. `MemoryContextStore`
keeps it in this process; a store shared by replicas (Redis) only has to implement `get` and
`put` with the same expiry, storing `Context.to_json()`.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from bot.service.answering import Asker
from bot.service.catalog import naming_phrase, ordered
from bot.service.small_talk import recognise, reply_text, squeezed
from retrieval.corpus.document import Document
from retrieval.corpus.references import chinese_number
from retrieval.search.about import FACTS, WHO, Fact, about, asked_fact, asks_speaker_office
from retrieval.search.question import asked_part
from retrieval.search.results import Answer
from retrieval.text.normalize import fold
from retrieval.text.segment import query_words

ChatKey = tuple[int, int]  # (chat id, user id): never shared between chats, nor users of a group
DEFAULT_TTL = 30 * 60  # seconds a conversation's context is kept after its last message
MORE_RE = re.compile(
    r"(还有吗|还有呢|还有没有|还有|更多|更多的|再来|继续|下一条|下一页|下一批|接着说|more|next)"
)
# 这篇讲话 / 这份报告 / 该讲话 / 它 / 那篇: the speech just discussed.
DEICTIC_RE = re.compile(r"(?:这篇|这份|该篇|此篇|那篇|这个|该|本)(?:讲话|报告|发言|致辞|演讲)?|^它的?")
FOLLOW_UP_LEAD_RE = re.compile(r"^(?:那么|那|还有|再说说|说说|看看)\s*")
FOLLOW_UP_TAIL_RE = re.compile(r"[呢吗？?。！!]+$")
DOCUMENT_WORDS = ("讲话", "报告", "发言", "致辞")
CHOICES = 6  # speeches offered when a part question names none


@dataclass
class Context:
    """What a chat last asked: the question, the page shown, the speech and part it was about."""

    question: str | None = None
    offset: int = 0
    doc_id: str | None = None
    part: int | str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Context:
        return cls(
            **{k: data.get(k) for k in ("question", "doc_id", "part")}, offset=int(data.get("offset") or 0)
        )


class ContextStore(Protocol):
    """Where conversation context is kept; entries expire after the store's time to live."""

    def get(self, key: ChatKey) -> Context | None: ...

    def put(self, key: ChatKey, context: Context) -> None: ...


class MemoryContextStore:
    """Context in this process: bounded, each entry expiring `ttl` seconds after it was written."""

    def __init__(
        self, ttl: float = DEFAULT_TTL, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ):
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._items: OrderedDict[ChatKey, tuple[float, Context]] = OrderedDict()

    def get(self, key: ChatKey) -> Context | None:
        item = self._items.get(key)
        if item is None:
            return None
        written, context = item
        if self.clock() - written > self.ttl:
            del self._items[key]
            return None
        return replace(context)

    def put(self, key: ChatKey, context: Context) -> None:
        self._items[key] = (self.clock(), replace(context))
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


# --------------------------------------------------------------------------- replies

ANSWER, SMALL_TALK, ABOUT, CHOOSE, PROBLEM, NO_MORE, NO_CONTEXT = (
    "answer",
    "small_talk",
    "about",
    "choose",
    "problem",
    "no_more",
    "no_context",
)


@dataclass
class Reply:
    """One turn's reply. `answer` kinds carry the question as understood and its Answer page;
    `choose` the speeches to pick from and what to show of the one picked (`wanted`)."""

    kind: str
    text: str = ""
    question: str | None = None
    offset: int = 0
    answer: Answer | None = None
    fact: Fact | None = None
    choices: list[Document] = field(default_factory=list)
    wanted: str | None = None  # for CHOOSE: a part key ("3", "opening", "closing") or a fact name


def part_key(part: int | str) -> str:
    return str(part)


def is_part_key(key: str) -> bool:
    return key in ("opening", "closing") or (key.isascii() and key.isdigit() and 0 < int(key) < 100)


def part_of(key: str) -> int | str:
    return int(key) if key.isascii() and key.isdigit() else key


class Dialogue:
    """Answers one message of a conversation, using and updating the chat's context."""

    def __init__(self, asker: Asker, store: ContextStore | None = None) -> None:
        self.asker = asker
        self.store: ContextStore = store if store is not None else MemoryContextStore()

    @property
    def documents(self) -> Sequence[Document]:
        return self.asker.holder.engine.documents

    def respond(self, key: ChatKey, text: str) -> Reply:
        """The reply to a message, after small talk, 更多, questions about a speech and follow-ups."""
        problem = self.asker.problem(text)
        if problem:
            return Reply(PROBLEM, text=problem)
        text = text.strip()
        kind = recognise(text)
        if kind:
            return Reply(SMALL_TALK, text=reply_text(kind, self.documents))
        context = self.store.get(key) or Context()
        if MORE_RE.fullmatch(squeezed(text)):
            return self.more(key, context)
        named = self.named(text)
        if len(named) == 1 and asks_speaker_office(text, named[0]):
            return self.fact(key, named[0], WHO)
        fact = asked_fact(text)
        if fact:
            return self.about(key, context, fact, named)
        part, _ = asked_part(fold(text), query_words(text))
        if part is not None and len(named) > 1:  # 2026年报告第三部分: which of them?
            return Reply(CHOOSE, choices=ordered(named)[:CHOICES], wanted=part_key(part))
        if part is not None and not named:
            document = self.context_document(context) or self.only_document()
            if document is None:
                return Reply(CHOOSE, choices=ordered(self.documents)[:CHOICES], wanted=part_key(part))
            return self.ask(key, self.naming(text, document), document.doc_id, part)
        document = self.context_document(context)
        if document is not None and not named and DEICTIC_RE.search(fold(text)):
            text = DEICTIC_RE.sub(naming_phrase(document), fold(text), count=1)
            return self.ask(key, text, document.doc_id, None)
        return self.ask(key, text, None, part)

    def ask(
        self, key: ChatKey, question: str, doc_id: str | None, part: int | str | None, offset: int = 0
    ) -> Reply:
        answer = self.asker.ask(question, offset=offset)
        if doc_id is None:
            if len(answer.named_documents) == 1:
                doc_id = answer.named_documents[0]
            elif answer.hits:
                doc_id = answer.hits[0].doc_id
        self.store.put(key, Context(question, offset, doc_id, part))
        return Reply(ANSWER, question=question, offset=offset, answer=answer)

    def more(self, key: ChatKey, context: Context) -> Reply:
        if not context.question:
            return Reply(NO_CONTEXT, text="还没有提问，请先问一个问题，例如：如何带好队伍。")
        offset = context.offset + self.asker.top
        answer = self.asker.ask(context.question, offset=offset)
        if not answer.hits:
            return Reply(NO_MORE, question=context.question, offset=offset, answer=answer)
        self.store.put(key, replace(context, offset=offset))
        return Reply(ANSWER, question=context.question, offset=offset, answer=answer)

    def about(self, key: ChatKey, context: Context, fact: str, named: list[Document]) -> Reply:
        if len(named) > 1:
            return Reply(CHOOSE, choices=ordered(named)[:CHOICES], wanted=fact)
        document = named[0] if named else self.context_document(context) or self.only_document()
        if document is None:
            return Reply(CHOOSE, choices=ordered(self.documents)[:CHOICES], wanted=fact)
        return self.fact(key, document, fact)

    def fact(self, key: ChatKey, document: Document, fact: str) -> Reply:
        """A fact about a speech; the speech becomes the conversation's subject."""
        context = self.store.get(key) or Context()
        self.store.put(key, replace(context, doc_id=document.doc_id, part=None))
        found = about(document, fact)
        return Reply(ABOUT, fact=found, text=found.text)

    def chosen(self, key: ChatKey, document: Document, wanted: str) -> Reply | None:
        """The reply once a speech is picked from a CHOOSE reply's buttons; None for a `wanted`
        that no CHOOSE reply makes (button data from a modified client)."""
        if wanted in FACTS:
            return self.fact(key, document, wanted)
        if not is_part_key(wanted):
            return None
        part = part_of(wanted)
        label = {"opening": "开场白", "closing": "结束语"}.get(
            str(part)
        ) or f"第{chinese_number(int(part))}部分"
        return self.ask(key, f"{naming_phrase(document)}{label}讲了什么", document.doc_id, part)

    # ----------------------------------------------------------------------- resolving speeches

    def named(self, text: str) -> list[Document]:
        """The speeches a message names, best first: by the engine's naming, ties broken by how
        many of the message's words the title holds (市长讲话: the speech, not a mayor's report);
        failing that, the one title holding most of its words."""
        engine = self.asker.holder.engine
        words = query_words(text)
        docs, _ = engine.names.named(text, words)
        found = [engine.documents[d] for d in sorted(docs)] or self.documents
        title_words = [w for w in words if len(w) > 1 and w not in DOCUMENT_WORDS]
        score = {d.doc_id: sum(w in fold(d.meta.title) for w in title_words) for d in found}
        best = max(score.values(), default=0)
        top = [d for d in found if score[d.doc_id] == best]
        if not docs:  # nothing named: only a title holding the words, and only one
            return top if best and len(top) == 1 else []
        kind_word = next((w for w in DOCUMENT_WORDS if w in fold(text)), None)
        if kind_word and len(top) > 1:
            top = [d for d in top if kind_word in d.meta.title] or top
        return top

    def context_document(self, context: Context) -> Document | None:
        return self.asker.holder.engine.document(context.doc_id) if context.doc_id else None

    def only_document(self) -> Document | None:
        return self.documents[0] if len(self.documents) == 1 else None

    @staticmethod
    def naming(text: str, document: Document) -> str:
        """A follow-up about a part, with the speech named: 那第四部分呢 → 市长办公会议讲话第四部分."""
        rest = FOLLOW_UP_TAIL_RE.sub("", FOLLOW_UP_LEAD_RE.sub("", text.strip()))
        return f"{naming_phrase(document)}{rest}"
