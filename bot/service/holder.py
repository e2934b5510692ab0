"""The live search engine, swapped atomically on reload, and the answer statistics."""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from bot.service.without_paths import without_paths
from retrieval.corpus.loading import CorpusChanges, compare
from retrieval.search.engine import SearchEngine

log = logging.getLogger(__name__)


@dataclass
class ReloadReport:
    """What a reload did: kept the old index (ok False, error set) or swapped in a new one."""

    ok: bool
    seconds: float
    error: str | None = None
    changes: CorpusChanges | None = None
    documents: int = 0
    passages: int = 0
    warnings: list[str] = field(default_factory=list)
    unchanged: int = 0  # warnings already reported by an earlier reload, for files unchanged since


def corpus_warnings(engine: SearchEngine) -> list[str]:
    """Dropped lines per document and bad files, one line each."""
    warnings = [f"{doc.path}：删除 {len(doc.dropped)} 行" for doc in engine.documents if doc.dropped]
    warnings.extend(f"{p.path}：{p.reason}" for p in engine.corpus.bad_files)
    return warnings


def warning_keys(engine: SearchEngine) -> list[tuple[str, tuple[str, str] | None]]:
    """Each warning with what makes it the same warning next time (its text and its file's
    content), or None for a file that could not be read: that one is reported every time."""
    keyed: list[tuple[str, tuple[str, str] | None]] = []
    for doc in engine.documents:
        if doc.dropped:
            warning = f"{doc.path}：删除 {len(doc.dropped)} 行"
            keyed.append((warning, (warning, doc.content_hash)))
    keyed.extend((f"{p.path}：{p.reason}", None) for p in engine.corpus.bad_files)
    return keyed


class EngineHolder:
    """Holds the current SearchEngine; `reload` builds a new one in a thread and swaps it in.

    Readers just use `holder.engine`: the attribute is replaced in one assignment, so a
    question sees either the old index or the new one, never a half-built one.
    """

    def __init__(self, folder: Path | str, engine: SearchEngine | None = None) -> None:
        self.folder = Path(folder)
        self.engine = engine if engine is not None else SearchEngine.from_folder(self.folder)
        self._lock = asyncio.Lock()
        self.reloads = 0
        self._reported: set[tuple[str, str]] = set()  # (warning, content hash) already reported

    def _new_warnings(self, engine: SearchEngine) -> tuple[list[str], int]:
        """The warnings not reported before for the same file content, and how many were."""
        keyed = warning_keys(engine)
        fresh = [warning for warning, key in keyed if key is None or key not in self._reported]
        self._reported = {key for _, key in keyed if key is not None}
        return fresh, len(keyed) - len(fresh)

    async def reload(self) -> ReloadReport:
        """Re-read the folder; keep the old engine if the new corpus is unusable."""
        async with self._lock:
            started = time.perf_counter()
            try:
                new = await asyncio.to_thread(SearchEngine.from_folder, self.folder)
            except Exception as err:  # a crash while parsing must not take the bot down
                log.exception("reload of %s failed", self.folder)
                error = without_paths(f"{type(err).__name__}: {err}")  # shown to admins in Telegram
                return ReloadReport(False, time.perf_counter() - started, error)
            seconds = time.perf_counter() - started
            problem = validate(new)
            if problem:
                report = ReloadReport(False, seconds, problem, warnings=corpus_warnings(new))
                return report
            changes = compare(self.engine.corpus, new.corpus)
            self.engine = new
            self.reloads += 1
            fresh, unchanged = self._new_warnings(new)
            return ReloadReport(
                True, seconds, None, changes, len(new.documents), len(new.passages), fresh, unchanged
            )


def validate(engine: SearchEngine) -> str | None:
    """Why a freshly built engine must not replace the current one, or None."""
    if not engine.documents:
        return "没有可读的文档"
    if not engine.passages:
        return "文档中没有可检索的段落"
    return None


class Stats:
    """Questions answered and how long answering took (the last 1000)."""

    def __init__(self) -> None:
        self.questions = 0
        self.durations: deque[float] = deque(maxlen=1000)

    def record(self, seconds: float) -> None:
        self.questions += 1
        self.durations.append(seconds)

    @property
    def median_seconds(self) -> float | None:
        return statistics.median(self.durations) if self.durations else None
