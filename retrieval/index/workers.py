"""Per-document work on every core: the documents a build has to segment are shared out
between this process and spawned workers. Spawned, not forked: the bot rebuilds in a thread,
and forking a threaded process can copy a held lock."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from retrieval.corpus.document import Document
from retrieval.index.passages import passage_count

T = TypeVar("T")
PARALLEL_PASSAGES = 5_000  # below this, starting a worker (about a second) costs more than it saves
CHUNKS_PER_PROCESS = 4
_taken: Any = None  # in a worker: the shared flags of the chunks some process has taken


def map_documents(function: Callable[[Document], T], documents: list[Document]) -> list[T]:
    """[function(d) for d in documents], with `function` importable by a fresh process.

    The chunks of documents are offered to the workers from the front while this process
    takes them from the back (it works while the workers start); a shared flag per chunk
    says who took it. Whatever a worker that died had taken is done here."""
    workers = (os.cpu_count() or 1) - 1
    sizes = [passage_count(document) for document in documents]
    if workers < 1 or sum(sizes) < PARALLEL_PASSAGES:
        return [function(document) for document in documents]
    chunks = _chunks(documents, sizes, CHUNKS_PER_PROCESS * (workers + 1))
    context = multiprocessing.get_context("spawn")
    taken = context.Array("b", len(chunks))
    results: list[list[T] | None] = [None] * len(chunks)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_share, initargs=(taken,)) as pool:
        futures = [pool.submit(_take_and_apply, function, i, chunk) for i, chunk in enumerate(chunks)]
        for i in reversed(range(len(chunks))):
            if _take(taken, i):
                results[i] = [function(document) for document in chunks[i]]
        for i, future in enumerate(futures):
            if results[i] is None:
                try:
                    results[i] = future.result()
                except BrokenProcessPool:
                    results[i] = [function(document) for document in chunks[i]]
    return [value for chunk in results for value in chunk or ()]


def _share(taken: Any) -> None:
    global _taken
    _taken = taken


def _take(taken: Any, i: int) -> bool:
    with taken.get_lock():
        if taken[i]:
            return False
        taken[i] = 1
        return True


def _take_and_apply(function: Callable[[Document], T], i: int, documents: list[Document]) -> list[T] | None:
    """In a worker: the chunk's results, or None when the parent process has taken it."""
    return [function(document) for document in documents] if _take(_taken, i) else None


def _chunks(documents: list[Document], sizes: list[int], count: int) -> list[list[Document]]:
    """The documents in order, cut into about `count` runs of similar passage counts."""
    chunks: list[list[Document]] = [[]]
    target, filled = sum(sizes) / count, 0
    for document, size in zip(documents, sizes, strict=True):
        if chunks[-1] and filled >= target * len(chunks):
            chunks.append([])
        chunks[-1].append(document)
        filled += size
    return chunks
