"""Admin commands: /reload, /stats, /rollback and uploaded speech files."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from telegram import (
    Update,
)
from telegram.ext import ContextTypes

from bot.ops.metrics import Metrics, metrics_of, observe_reload
from bot.ops.stats_numbers import numbers_of
from bot.service.corpus_store import StoreError
from bot.telegram import texts
from bot.telegram.handlers.common import admin_only, message_of
from bot.telegram.html import (
    esc,
    reload_html,
    stats_html,
)
from bot.telegram.replica_html import cluster_reload_html, shared_stats_html
from bot.telegram.shared_uploads import keep_upload
from bot.telegram.state import BotState, get_state
from bot.telegram.uploads import UploadRefused, check_file, check_size, clashing_file, safe_name


@admin_only
async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload (admins): rebuild in a thread, answer from the old index meanwhile."""
    state = get_state(context)
    message = message_of(update)
    status = await message.reply_text(esc(texts.RELOADING))
    await status.edit_text(await reload_report(state, metrics_of(context), "command"))


async def reload_report(state: BotState, metrics: Metrics | None = None, via: str = "command") -> str:
    old = state.holder.engine
    if state.replicas is not None:  # every replica reloads; each counts its own reload
        result = await state.replicas.reload(via)
        return cluster_reload_html(result, len(old.documents), len(old.passages))
    report = await state.holder.reload()
    if metrics is not None:
        observe_reload(metrics, report, via)
    return reload_html(report, len(old.documents), len(old.passages))


@admin_only
async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state = get_state(context)
    engine = state.holder.engine
    text = stats_html(
        len(engine.documents), len(engine.passages), engine.built_at, engine.build_seconds, state.stats
    )
    if state.replicas is not None:
        text += shared_stats_html(await state.replicas.shared_numbers(numbers_of(metrics_of(context))))
    await message_of(update).reply_text(text)


@admin_only
async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin sends a speech file: check it, store it under a safe name, reload."""
    state = get_state(context)
    message = message_of(update)
    upload = message.document
    if upload is None:  # the handler's filter is Document.ALL
        raise TypeError(f"update {update.update_id} carries no document")
    try:
        name = safe_name(upload.file_name)
        check_size(upload.file_size, state.settings.max_upload_bytes)
        clash = clashing_file(state.holder.folder, name)
        if clash is not None:
            raise UploadRefused(texts.UPLOAD_CLASH.format(existing=clash.name, doc_id=clash.stem))
        with tempfile.TemporaryDirectory(prefix="speechbot-upload-") as folder:
            path = Path(folder) / name
            await (await upload.get_file()).download_to_drive(path)
            check_size(path.stat().st_size, state.settings.max_upload_bytes)
            if upload.file_size and path.stat().st_size != upload.file_size:
                raise UploadRefused("文件下载不完整，请重新发送。")
            document = await asyncio.to_thread(check_file, path)
            kept, replaced = await keep_upload(state, path, name)
    except UploadRefused as refusal:
        await message.reply_text(esc(str(refusal)), do_quote=True)
        return
    action = "已替换" if replaced else "已保存"
    await message.reply_text(
        f"{action} {esc(kept)}：《{esc(document.meta.title)}》，"
        f"{len(document.sections)} 个部分。正在重新载入……",
        do_quote=True,
    )
    await message.reply_text(await reload_report(state, metrics_of(context), "upload"))


@admin_only
async def on_rollback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/rollback (admins): the corpus store's previous version, then every replica reloads."""
    state = get_state(context)
    message = message_of(update)
    corpus_store = state.replicas.store if state.replicas is not None else None
    if corpus_store is None:
        await message.reply_text(esc(texts.NO_CORPUS_STORE))
        return
    try:
        version = await asyncio.to_thread(corpus_store.rollback)
    except StoreError as err:
        await message.reply_text(esc(f"无法回滚：{err}"))
        return
    status = await message.reply_text(esc(f"已回到语料存储的版本 {version}，正在重新载入……"))
    await status.edit_text(await reload_report(state, metrics_of(context), "rollback"))
