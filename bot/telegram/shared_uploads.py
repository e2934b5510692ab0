"""Where an admin's checked upload goes: the corpus store (then every replica syncs from it) when
one is configured, else this replica's corpus folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.service.corpus_store import StoreError
from bot.telegram.state import BotState
from bot.telegram.uploads import UploadRefused, store


async def keep_upload(state: BotState, path: Path, name: str) -> tuple[str, bool]:
    """Store the file; returns (the name it is kept under, whether it replaced one)."""
    corpus_store = state.replicas.store if state.replicas is not None else None
    if corpus_store is None:
        target, replaced = store(path, state.holder.folder, name)
        return target.name, replaced
    try:
        _version, replaced = await asyncio.to_thread(corpus_store.publish, state.holder.folder, path, name)
    except (StoreError, OSError) as err:
        raise UploadRefused(f"语料存储不可用（{err}），文件未保存，请稍后再试。") from err
    return name, replaced
