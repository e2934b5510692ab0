"""What makes a cache file trustworthy before a byte of it is read: it is a regular file (not a
symbolic link) owned by this process's user and writable by no one else, in a cache folder
that is the same; and its content carries an HMAC made with a key kept outside the cache.

The key is `SPEECHBOT_INDEX_KEY` when set (replicas sharing one cache volume share it, as
they share the bot token), else a random key created once in `index.key` of the user's
config folder (`SPEECHBOT_INDEX_KEY_FILE` to put it elsewhere). When no key can be kept,
the process makes one of its own: its cache files are then trusted by no other process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from functools import cache
from pathlib import Path

KEY_ENV = "SPEECHBOT_INDEX_KEY"
KEY_FILE_ENV = "SPEECHBOT_INDEX_KEY_FILE"
KEY_BYTES = 32
log = logging.getLogger(__name__)


class UntrustedCache(ValueError):
    """A cache folder that must not be used: say where it is and why."""


def default_key_file() -> Path:
    configured = os.environ.get(KEY_FILE_ENV)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "speechbot" / "index.key"


@cache
def signing_key() -> bytes:
    """The key that signs this user's cache files (see the module docstring)."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        return hashlib.sha256(configured.encode()).digest()
    path = default_key_file()
    try:
        return _read_or_create_key(path)
    except (OSError, UntrustedCache) as err:
        log.warning(
            "no index key can be kept in %s (%s): cache files are trusted by this process only", path, err
        )
        return secrets.token_bytes(KEY_BYTES)


def _read_or_create_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        check_file(path)
        key = path.read_bytes()
        if len(key) < KEY_BYTES:
            raise UntrustedCache(f"{path} holds {len(key)} bytes, not a key") from None
        return key
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


def sign(data: bytes) -> str:
    return hmac.new(signing_key(), data, hashlib.sha256).hexdigest()


def is_signed(data: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(data), signature)


def _owned_and_private(status: os.stat_result) -> str | None:
    """Why a file or folder with this status is not trusted, or None."""
    if status.st_uid != os.getuid():
        return f"owned by user {status.st_uid}, not by this process's user {os.getuid()}"
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by group or others (mode {stat.S_IMODE(status.st_mode):o})"
    return None


def check_file(path: Path) -> None:
    """Raise UntrustedCache unless `path` is a regular file of ours that no one else can write."""
    status = path.lstat()
    if not stat.S_ISREG(status.st_mode):
        raise UntrustedCache(f"{path} is not a regular file")
    problem = _owned_and_private(status)
    if problem:
        raise UntrustedCache(f"{path} is {problem}")


def check_folder(path: Path) -> None:
    """Raise UntrustedCache unless `path` is a real folder (no symbolic link) of ours that no
    one else can write."""
    status = path.lstat()
    if stat.S_ISLNK(status.st_mode):
        raise UntrustedCache(f"the cache folder {path} is a symbolic link")
    if not stat.S_ISDIR(status.st_mode):
        raise UntrustedCache(f"the cache folder {path} is not a folder")
    problem = _owned_and_private(status)
    if problem:
        raise UntrustedCache(f"the cache folder {path} is {problem}")


def prepare_cache_folder(cache_dir: Path, corpus: Path | None = None) -> Path:
    """The cache folder, created private when missing, after checking it can be trusted and
    lies neither inside the corpus folder nor around it (clean-up there could delete speeches)."""
    if corpus is not None:
        inside, around = cache_dir.resolve(), corpus.resolve()
        if inside == around or inside.is_relative_to(around) or around.is_relative_to(inside):
            raise UntrustedCache(
                f"the cache folder {cache_dir} overlaps the corpus folder {corpus}: choose one apart from it"
            )
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_folder(cache_dir)
    return cache_dir
