"""The cache folder: the saved index of a corpus (a `saved` bundle keyed by the corpus folder
and named by its fingerprint: the corpus's content and the code's version) and the
per-document results a build reuses (JSON, signed). Everything in it is checked by `trust`
before it is read and rebuilt when missing, stale, corrupt or foreign; nothing is unpickled.

Clean-up deletes only what this code writes, recognised by name (never following a symbolic
link), and the cache folder may not lie inside the corpus folder or around it.

    <cache>/index-<folder key>-<fingerprint>/   manifest.json, *.npy, *.json (see `saved`)
    <cache>/documents/<code version>/<hash>.json   one document's passages and commitments
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TypeVar

import numpy as np

from retrieval.corpus.document import Document
from retrieval.corpus.loading import METADATA_FILE, speech_files
from retrieval.corpus.reading import MAX_FILE_BYTES
from retrieval.index import saved, trust
from retrieval.index.saved import Bundle
from retrieval.index.workers import map_documents

INDEX_VERSION = "2"
T = TypeVar("T")
log = logging.getLogger(__name__)
STALE_WRITE_SECONDS = 3600  # a temporary folder this old is no write in progress
VERSION_FOLDER_RE = re.compile(r"[0-9a-f]{16}")  # documents/<code version>
DOCUMENT_FILE_RE = re.compile(r"[0-9a-f]{64}\.(?:json|pickle)")  # a document's file (older: pickles)
LEGACY_ENGINE_RE = re.compile(r"engine-[0-9a-f]{16}\.pickle")  # the saved engine of older versions


def default_cache_dir() -> Path:
    configured = os.environ.get("SPEECHBOT_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "speechbot"


@cache
def code_fingerprint() -> bytes:
    """Hash of the retrieval package's code (every subpackage) and data: any change to them,
    a moved module included, rebuilds the index."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(INDEX_VERSION.encode())
    for path in sorted([*package.rglob("*.py"), *package.glob("data/*")]):
        digest.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    return digest.digest()


def corpus_fingerprint(folder: Path) -> str:
    """Hash of every indexed file's path and bytes, the metadata files, and the code."""
    digest = hashlib.sha256(code_fingerprint())
    files = speech_files(folder) + sorted(folder.rglob(METADATA_FILE))
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(_file_digest(path))
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    """The content hash of a regular file; for anything the loader will reject unread (a FIFO,
    a device, a file over the size limit) only its kind, size and time, so hashing never
    blocks on a pipe or reads 100 MB."""
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
            return f"{stat.S_IFMT(status.st_mode)}:{status.st_size}:{status.st_mtime_ns}".encode()
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").digest()
    except OSError:
        return b"unreadable"


def folder_key(folder: Path) -> str:
    return hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]


def index_folder(folder: Path, cache_dir: Path, fingerprint: str) -> Path:
    """Where the saved index of a corpus folder at a fingerprint lives."""
    return cache_dir / f"index-{folder_key(folder)}-{fingerprint[:16]}"


def load(folder: Path, cache_dir: Path, fingerprint: str) -> Bundle | None:
    """The saved index for a corpus folder if one is there for this fingerprint and passes
    every check (see `saved.open_bundle`)."""
    return saved.open_bundle(index_folder(folder, cache_dir, fingerprint), fingerprint)


def save(
    folder: Path, cache_dir: Path, fingerprint: str, arrays: dict[str, np.ndarray], parts: dict[str, object]
) -> None:
    """Save an index for a corpus folder, then delete its older saved indexes. Failing to
    save is logged, never fatal."""
    target = index_folder(folder, cache_dir, fingerprint)
    try:
        saved.write_bundle(target, fingerprint, arrays, parts)
    except OSError as err:
        log.warning("could not save the index in %s: %s", target, err)
        return
    own = re.compile(rf"index-{folder_key(folder)}-[0-9a-f]{{16}}")
    for path in cache_dir.iterdir():
        try:  # replicas sharing the cache clean up at the same time: what vanishes meanwhile is done
            if path != target and own.fullmatch(path.name):
                saved.remove_bundle(path)  # a process still using it keeps its mapped pages
            elif path.name.startswith(".tmp-") and time.time() - path.lstat().st_mtime > STALE_WRITE_SECONDS:
                saved.remove_bundle(path)  # left by a process killed while writing
            elif LEGACY_ENGINE_RE.fullmatch(path.name) and stat.S_ISREG(path.lstat().st_mode):
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue


def per_document(
    documents: Sequence[Document],
    cache_dir: Path | None,
    compute: Callable[[Document], T],
    encode: Callable[[T], bytes],
    decode: Callable[[bytes], T],
) -> list[T]:
    """`compute(document)` for every document (its passages, its commitments): from the cache
    when the document's text and the code are unchanged, so a reload re-reads only the files
    that changed; the others computed together, on every core when they are many. Values are
    kept as the bytes `encode` makes, signed, and given back by `decode` once the signature
    holds."""
    if cache_dir is None:
        return map_documents(compute, list(documents))
    folder = _document_folder(cache_dir)
    paths = [
        folder / f"{hashlib.sha256(f'{compute.__name__}:{d.content_hash}'.encode()).hexdigest()}.json"
        for d in documents
    ]
    values = [_load_document(path, decode) for path in paths]
    missing = [i for i, value in enumerate(values) if value is None]
    for i, value in zip(missing, map_documents(compute, [documents[i] for i in missing]), strict=True):
        values[i] = value
        data = encode(value)
        write_atomically(paths[i], _signature(paths[i], data) + b"\n" + data)
    return values  # type: ignore[return-value]  # every None was replaced


def _document_folder(cache_dir: Path) -> Path:
    """This code version's folder of per-document files. Other versions' files can never be
    used again (their code fingerprint differs): they are deleted rather than left to pile up
    (a process still running an older version only recomputes what it needs). Only folders
    and files named as this code names them are deleted, never through a symbolic link."""
    parent = cache_dir / "documents"
    folder = parent / code_fingerprint().hex()[:16]
    try:
        entries = list(parent.iterdir())
    except OSError:
        entries = []
    for stale in entries:
        if stale == folder or not VERSION_FOLDER_RE.fullmatch(stale.name):
            continue
        if not stat.S_ISDIR(stale.lstat().st_mode):
            continue  # a symbolic link or a file: not ours
        for path in stale.iterdir():
            if DOCUMENT_FILE_RE.fullmatch(path.name) and stat.S_ISREG(path.lstat().st_mode):
                path.unlink(missing_ok=True)
        try:
            stale.rmdir()
        except OSError as err:
            log.warning("left %s in place: %s", stale, err)
    return folder


def _signature(path: Path, data: bytes) -> bytes:
    """The HMAC of a per-document file's name and content: a signed file moved to another
    name does not pass either."""
    return trust.sign(path.name.encode() + b"\n" + data).encode()


def _load_document(path: Path, decode: Callable[[bytes], T]) -> T | None:
    """A saved per-document value, or None when there is none or it is not to be trusted."""
    try:
        trust.check_file(path)
        signature, _, data = path.read_bytes().partition(b"\n")
        if signature != _signature(path, data):
            raise ValueError("its signature does not match (written with another key, or altered)")
        return decode(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:  # a foreign file is rebuilt, never trusted
        log.warning("ignoring the cache file %s: %s", path, err)
        return None


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a private temporary file, then rename: a reader sees the old file or the new
    one, whole. Failing to write a cache is logged, never fatal."""
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
            temporary = Path(handle.name)  # created with mode 0600
            handle.write(data)
        os.replace(temporary, path)
    except OSError as err:
        log.warning("could not save the cache file %s: %s", path, err)
        if temporary is not None:
            temporary.unlink(missing_ok=True)
