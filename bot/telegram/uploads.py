"""Checking and storing a speech file an admin sends: safe name, size, type, parse first."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path, PurePosixPath

from bot.service.without_paths import without_paths
from retrieval.corpus.document import Document
from retrieval.corpus.loading import SKIPPED_NAMES, parse_document
from retrieval.corpus.reading import SUFFIXES, BadFile

UNSAFE = re.compile(r"[^\w\-]+")
MAX_STEM_BYTES = 200  # file systems allow 255 bytes a name; 80 CJK Extension B characters are 320


class UploadRefused(ValueError):
    """A file that is not stored; the message says why (in Chinese)."""


def safe_name(file_name: str | None) -> str:
    """A plain file name inside the corpus folder: no folders, no dots tricks, a known suffix."""
    base = PurePosixPath((file_name or "").replace("\\", "/")).name
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in SUFFIXES:
        raise UploadRefused("只接受 .txt、.md 或 .docx 文件。")
    stem = UNSAFE.sub("_", stem).strip("._-")[:80]
    while len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip("._-") or "speech"
    if stem.lower().startswith(SKIPPED_NAMES):
        stem = "speech-" + stem
    return stem + suffix


def check_size(size: int | None, limit: int) -> None:
    if size is not None and size > limit:
        raise UploadRefused(f"文件太大（{size:,} 字节），上限 {limit:,} 字节。")


def check_file(path: Path) -> Document:
    """Parse the downloaded file on its own; raises UploadRefused with the reason (which names
    the file, never the server folder it was checked in)."""
    try:
        return parse_document(path.parent, path)
    except BadFile as err:
        reason = without_paths(str(err).replace(str(path), path.name))
        raise UploadRefused(f"文件无法使用：{reason}") from err


def clashing_file(folder: Path, name: str) -> Path | None:
    """A file of the corpus folder that would get the same document id as `name` (x.md for
    x.txt): storing both would leave one id for two speeches. The same name is a replacement."""
    stem = Path(name).stem
    for suffix in SUFFIXES:
        other = folder / f"{stem}{suffix}"
        if other.name != name and other.exists():
            return other
    return None


def store(data_path: Path, folder: Path, name: str) -> tuple[Path, bool]:
    """Move the checked file into the corpus folder atomically; returns (path, replaced)."""
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise UploadRefused("文件名不安全。")
    replaced = target.exists()
    temporary: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".upload-", dir=folder)
        os.close(handle)
        Path(temporary).write_bytes(data_path.read_bytes())
        os.replace(temporary, target)
    except OSError as err:  # e.g. a corpus folder mounted read-only
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        raise UploadRefused(
            f"无法写入语料目录（{err.strerror}），文件未保存；请由管理员在服务器上添加。"
        ) from err
    return target, replaced
