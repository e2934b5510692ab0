"""The corpus in an S3-compatible store (MinIO, AWS S3, moto's server in tests), so that an
admin's upload reaches every replica.

Layout under the store URL's bucket and prefix:

* ``blobs/<sha256>``: the bytes of one speech file (content-addressed, written once);
* ``versions/<n>.json``: a manifest ``{"version": n, "parent": p, "files": {path: sha256}, "note": …}``;
* ``HEAD``: ``{"version": current, "last": highest}``.

An upload writes a new version (the current files plus the new one); ``/rollback`` points HEAD
at the current version's parent; every replica then makes its corpus folder match HEAD
(``sync``) before it reloads. boto3 is the maintained S3 client; credentials come from the
usual AWS environment variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``), never
from the URL or the config file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

from retrieval.corpus.loading import METADATA_FILE, speech_files

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store cannot be reached, is not set up, or holds no version to go back to."""


@dataclass(frozen=True)
class StoreLocation:
    """Where the corpus lives: an endpoint (None: AWS), a bucket and a key prefix."""

    endpoint_url: str | None
    bucket: str
    prefix: str

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"


def parse_store_url(url: str) -> StoreLocation:
    """``s3://bucket/prefix`` (AWS) or ``http(s)://host:port/bucket/prefix`` (MinIO and the like)."""
    parsed = urlparse(url)
    parts = [part for part in parsed.path.split("/") if part]
    if parsed.scheme == "s3":
        bucket, rest, endpoint = parsed.netloc, parts, None
    elif parsed.scheme in ("http", "https") and parsed.netloc and parts:
        bucket, rest, endpoint = parts[0], parts[1:], f"{parsed.scheme}://{parsed.netloc}"
    else:
        raise ValueError(
            f"corpus store URL must be s3://bucket/prefix or http(s)://host/bucket/prefix: {url!r}"
        )
    if not bucket or parsed.username or parsed.password:
        raise ValueError("corpus store URL: a bucket, and no credentials (use AWS_ACCESS_KEY_ID …)")
    prefix = "/".join(rest) + "/" if rest else ""
    return StoreLocation(endpoint, bucket, prefix)


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def corpus_files(folder: Path) -> list[Path]:
    """The files a corpus folder is made of: speeches and metadata files."""
    if not folder.is_dir():
        return []
    return sorted({*speech_files(folder), *folder.rglob(METADATA_FILE)})


def safe_relative(name: str) -> PurePosixPath:
    """A manifest path as a relative path that stays inside the corpus folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts):
        raise StoreError(f"unsafe path in the corpus store: {name!r}")
    return path


class CorpusStore:
    """Versioned corpus snapshots in one bucket; every call is blocking (run it in a thread)."""

    def __init__(self, url: str, client: Any = None) -> None:
        self.location = parse_store_url(url)
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2})
            client = boto3.client("s3", endpoint_url=self.location.endpoint_url, config=config)
        self.client = client

    # ---- reading
    def _get_json(self, name: str) -> dict | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.location.bucket, Key=self.location.key(name))["Body"]
            return json.loads(body.read())
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
                return None
            raise StoreError(f"corpus store: {err}") from err
        except (BotoCoreError, ValueError) as err:
            raise StoreError(f"corpus store: {err}") from err

    def head(self) -> dict | None:
        """``{"version": n, "last": m}``, or None when nothing was ever stored."""
        return self._get_json("HEAD")

    def manifest(self, version: int) -> dict:
        found = self._get_json(f"versions/{version}.json")
        if found is None:
            raise StoreError(f"corpus store: version {version} is missing")
        return found

    def current(self) -> dict | None:
        """The manifest HEAD points at, or None for an empty store."""
        head = self.head()
        return self.manifest(int(head["version"])) if head else None

    # ---- writing
    def _put(self, name: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.location.bucket, Key=self.location.key(name), Body=data)
        except (BotoCoreError, ClientError) as err:
            raise StoreError(f"corpus store: {err}") from err

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.location.bucket)
        except ClientError:
            try:
                self.client.create_bucket(Bucket=self.location.bucket)
            except (BotoCoreError, ClientError) as err:
                raise StoreError(f"corpus store: cannot create bucket: {err}") from err
        except BotoCoreError as err:
            raise StoreError(f"corpus store: {err}") from err

    def _write_version(self, files: dict[str, str], parent: int | None, last: int, note: str) -> int:
        version = last + 1
        manifest = {"version": version, "parent": parent, "files": files, "note": note}
        self._put(f"versions/{version}.json", json.dumps(manifest, ensure_ascii=False).encode())
        self._put("HEAD", json.dumps({"version": version, "last": version}).encode())
        return version

    def publish(self, folder: Path, upload: Path, name: str) -> tuple[int, bool]:
        """Store ``upload`` as ``name`` in a new version; returns (version, replaced).

        The first upload first stores the files already in ``folder`` as version 1, so that
        every version is a whole corpus and the first upload can be rolled back.
        """
        safe_relative(name)
        self._ensure_bucket()
        head = self.head()
        if head is None:  # version 1: the corpus as it was, so that /rollback can return to it
            files = {}
            for path in corpus_files(folder):
                files[path.relative_to(folder).as_posix()] = self._put_blob(path)
            parent = last = self._write_version(dict(files), None, 0, "the corpus before the first upload")
        else:
            current = self.manifest(int(head["version"]))
            files, parent, last = dict(current["files"]), int(head["version"]), int(head["last"])
        replaced = name in files
        files[name] = self._put_blob(upload)
        return self._write_version(files, parent, last, f"upload {name}"), replaced

    def _put_blob(self, path: Path) -> str:
        digest = file_sha256(path)
        self._put(f"blobs/{digest}", path.read_bytes())
        return digest

    def rollback(self) -> int:
        """Point HEAD at the current version's parent; returns that version."""
        head = self.head()
        if head is None:
            raise StoreError("语料存储中还没有任何版本")
        parent = self.manifest(int(head["version"])).get("parent")
        if parent is None:
            raise StoreError(f"版本 {head['version']} 已是最早的版本，无法回滚")
        self.manifest(int(parent))  # it must still be there
        self._put("HEAD", json.dumps({"version": int(parent), "last": int(head["last"])}).encode())
        return int(parent)

    # ---- the local folder
    def sync(self, folder: Path) -> int | None:
        """Make ``folder``'s corpus files match HEAD: download what differs, delete what is not
        in it. Returns the version, or None (folder untouched) when the store is empty."""
        manifest = self.current()
        if manifest is None:
            return None
        wanted: dict[str, str] = manifest["files"]
        folder.mkdir(parents=True, exist_ok=True)
        for name, digest in wanted.items():
            target = folder / safe_relative(name)
            if target.is_file() and file_sha256(target) == digest:
                continue
            self._download(f"blobs/{digest}", target, digest)
        for path in corpus_files(folder):
            if path.relative_to(folder).as_posix() not in wanted:
                path.unlink(missing_ok=True)
        return int(manifest["version"])

    def _download(self, name: str, target: Path, digest: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.location.bucket, Key=self.location.key(name))["Body"]
            data = body.read()
        except (BotoCoreError, ClientError) as err:
            raise StoreError(f"corpus store: {err}") from err
        if hashlib.sha256(data).hexdigest() != digest:
            raise StoreError(f"corpus store: {name} does not match its hash")
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".sync-", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise
