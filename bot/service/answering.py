"""The one answering path shared by the terminal chat and the Telegram bot."""

from __future__ import annotations

import difflib
import re
import time

from bot.service.holder import EngineHolder, Stats
from retrieval.corpus.document import Document
from retrieval.search.engine import SearchEngine
from retrieval.search.results import Answer
from retrieval.text.segment import query_words

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Asker:
    """Checks a question, asks the current engine, and counts the answer."""

    def __init__(
        self, holder: EngineHolder, stats: Stats, top: int = 3, max_chars: int = 500, max_words: int = 50
    ) -> None:
        self.holder = holder
        self.stats = stats
        self.top = top
        self.max_chars = max_chars
        self.max_words = max_words

    def problem(self, question: str) -> str | None:
        """Why a question is refused (in Chinese), or None."""
        if not question.strip():
            return "请输入问题，例如：廉政责任书多久签一次"
        if len(question) > self.max_chars:
            return f"问题太长（{len(question)} 字），请控制在 {self.max_chars} 字以内后重新提问。"
        if LONE_SURROGATE.search(question):  # only a modified client sends these; nothing could encode them
            return "问题中有无法识别的字符，请删去后重新提问。"
        words = len(query_words(question))
        if words > self.max_words:
            return f"问题包含的词语太多（{words} 个），请控制在 {self.max_words} 个以内、问得简短些。"
        return None

    def ask(self, question: str, offset: int = 0) -> Answer:
        started = time.perf_counter()
        answer = self.holder.engine.ask(question.strip(), top=self.top, offset=offset)
        if offset == 0:
            self.stats.record(time.perf_counter() - started)
        return answer


class DocumentNotFound(LookupError):
    """No single document matches; the message lists close matches."""


def find_document(engine: SearchEngine, key: str) -> Document:
    """A document by doc_id, or by a unique substring of a doc_id or title."""
    key = key.strip()
    exact = engine.document(key)
    if exact is not None:
        return exact
    matches = [d for d in engine.documents if key and (key in d.doc_id or key in d.meta.title)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = "\n".join(f"  {d.doc_id}：《{d.meta.title}》" for d in matches[:10])
        raise DocumentNotFound(f"“{key}”对应多篇讲话，请写得更具体：\n{names}")
    candidates = {d.doc_id: d for d in engine.documents} | {d.meta.title: d for d in engine.documents}
    close = difflib.get_close_matches(key, list(candidates), n=5, cutoff=0.3)
    hint = "\n".join(f"  {candidates[c].doc_id}：《{candidates[c].meta.title}》" for c in close)
    message = f"没有找到讲话“{key}”。"
    if not hint:
        hint = "\n".join(f"  {d.doc_id}：《{d.meta.title}》" for d in engine.documents[:10])
    hint_text = f"\n相近的有：\n{hint}" if close else f"\n收录的讲话有：\n{hint}"
    raise DocumentNotFound(message + hint_text)
