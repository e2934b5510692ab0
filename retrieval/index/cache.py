"""A saved engine next to nothing it could be confused with: keyed by the corpus's content
hash and the code's index version, written atomically, rebuilt when missing, stale or corrupt.

The file is a pickle, so the cache folder must be as trusted as the code itself
(it is written only by this process; see SECURITY.md)."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import shutil
import stat
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from retrieval.corpus.document import Document
from retrieval.corpus.loading import METADATA_FILE, speech_files
from retrieval.corpus.reading import MAX_FILE_BYTES
from retrieval.index.workers import map_documents

INDEX_VERSION = "1"
T = TypeVar("T")
log = logging.getLogger(__name__)


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


def cache_path(folder: Path, cache_dir: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return cache_dir / f"engine-{key}.pickle"


def load(folder: Path, cache_dir: Path, fingerprint: str) -> object | None:
    """The saved engine for a folder if its fingerprint matches (the caller checks its type)."""
    path = cache_path(folder, cache_dir)
    try:
        with path.open("rb") as handle:
            saved_fingerprint, engine = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as err:  # a truncated or foreign file is rebuilt, never trusted
        log.warning("ignoring unreadable index cache %s: %s", path, err)
        return None
    return engine if saved_fingerprint == fingerprint else None


def save(folder: Path, cache_dir: Path, fingerprint: str, engine: object) -> None:
    write_atomically(cache_path(folder, cache_dir), (fingerprint, engine))


def per_document(
    documents: list[Document], cache_dir: Path | None, compute: Callable[[Document], T]
) -> list[T]:
    """`compute(document)` for every document (its passages, its commitments): from the cache
    when the document's text and the code are unchanged, so a reload re-reads only the files
    that changed; the others computed together, on every core when they are many."""
    if cache_dir is None:
        return map_documents(compute, documents)
    folder = _document_folder(cache_dir)
    paths = [
        folder / f"{hashlib.sha256(f'{compute.__name__}:{d.content_hash}'.encode()).hexdigest()}.pickle"
        for d in documents
    ]
    values = [_load_document(path) for path in paths]
    missing = [i for i, value in enumerate(values) if value is None]
    for i, value in zip(missing, map_documents(compute, [documents[i] for i in missing]), strict=True):
        values[i] = value
        write_atomically(paths[i], value)
    return values


def _document_folder(cache_dir: Path) -> Path:
    """This code version's folder of per-document files. Other versions' files can never be
    used again (their code fingerprint differs): they are deleted rather than left to pile up
    (a process still running an older version only recomputes what it needs)."""
    parent = cache_dir / "documents"
    folder = parent / code_fingerprint().hex()[:16]
    for stale in parent.glob("*"):
        if stale != folder:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
    return folder


def _load_document(path: Path) -> Any:
    """A saved per-document value, or None when there is none or it cannot be read."""
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as err:  # a truncated or foreign file is rebuilt, never trusted
        log.warning("ignoring unreadable cache file %s: %s", path, err)
        return None


def write_atomically(path: Path, value: Any) -> None:
    """Write to a temporary file, then rename: a reader sees the old file or the new one, whole.
    Failing to write a cache is logged, never fatal."""
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
            temporary = Path(handle.name)
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError) as err:
        log.warning("could not save the cache file %s: %s", path, err)
        if temporary is not None:
            temporary.unlink(missing_ok=True)
