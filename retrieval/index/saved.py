"""A saved index as plain data: one folder of `.npy` arrays and JSON parts, described by a
signed manifest (format, fingerprint, each file's BLAKE3 checksum, dtype and shape).

Opening checks, before any array or part is used: the folder and every file belong to this
user and no one else can write them (`trust`), the manifest's HMAC, the fingerprint, and each
file's checksum, dtype and shape. Arrays are then memory-mapped read-only, so processes on one
machine share their pages. Nothing is ever unpickled (`allow_pickle=False`): a planted or
damaged file is a reason to rebuild, never code to run. Many small values (the documents, their
paragraphs) are kept as one byte array with offsets and decoded one at a time on first use
(`Blob`), so a process answers without decoding the whole corpus; their bytes are read from the
file (`FileArray`), not through the mapping, so that what was decoded is not also resident as
mapped pages.

BLAKE3 (the `blake3` package) checks every byte of the index at each start: at several GB/s on
one core, against SHA-256's one or two, it keeps that check within the start-up budget at a
million passages.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, overload

import blake3
import numpy as np

from retrieval.index import trust

FORMAT = 1
MANIFEST = "manifest.json"
FILE_NAME_RE = re.compile(r"[a-z][a-z0-9_]*\.(?:npy|json)")  # every file a bundle is made of
log = logging.getLogger(__name__)
T = TypeVar("T")


class FileArray:
    """A saved one-dimensional array read from its file a slice at a time (`os.pread`): unlike
    a memory map, whose every touched page stays resident (the kernel maps whole runs of pages
    around each one read), what is read here is only a copy for as long as it is used."""

    def __init__(self, path: Path, offset: int, dtype: np.dtype, size: int) -> None:
        self.file = path.open("rb")  # kept open: a later rebuild may replace the file
        self.offset, self.dtype, self.size = offset, dtype, size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: slice) -> np.ndarray:
        start, stop, _ = index.indices(self.size)
        count = max(0, stop - start)
        data = os.pread(
            self.file.fileno(), count * self.dtype.itemsize, self.offset + start * self.dtype.itemsize
        )
        return np.frombuffer(data, dtype=self.dtype)


@dataclass(frozen=True)
class Bundle:
    """An opened saved index: arrays (read-only memory maps) and parts (decoded JSON)."""

    folder: Path
    arrays: dict[str, np.ndarray]
    parts: dict[str, Any]
    files: dict[str, tuple[Path, int]]  # each array's file and where its data starts there

    def read(self, name: str) -> FileArray:
        """A one-dimensional array read from its file rather than through its mapping."""
        array = self.arrays[name]
        if array.ndim != 1:
            raise ValueError(f"{name} is not one-dimensional")
        return FileArray(*self.files[name], array.dtype, array.size)


def _checksum(path: Path) -> str:
    return blake3.blake3(max_threads=blake3.blake3.AUTO).update_mmap(path).hexdigest()


def _data_checksum(data: bytes) -> str:
    return blake3.blake3(data).hexdigest()


class Indexed(Sequence[T]):
    """A sequence that defines its length and `item(i)` for 0 ≤ i < its length; indexing from
    the end, the bounds and slices are done here."""

    def item(self, index: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self.item(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self.item(index % len(self))


class Blob(Indexed[T]):
    """Items stored as one byte array (`data[offsets[i]:offsets[i + 1]]` is item i), each
    decoded on first use and kept."""

    def __init__(
        self, data: np.ndarray | FileArray, offsets: np.ndarray, decode: Callable[[bytes], T]
    ) -> None:
        self.data, self.offsets, self.decode = data, offsets, decode
        self.items: list[T | None] = [None] * (len(offsets) - 1)

    @staticmethod
    def pack(encoded: Iterable[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """The byte array and offsets of encoded items, taken one at a time (a generator
        keeps only the packed bytes in memory, not every item besides)."""
        packed, offsets = bytearray(), [0]
        for item in encoded:
            packed += item
            offsets.append(len(packed))
        return np.frombuffer(packed, dtype=np.uint8), np.array(offsets, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.items)

    def item(self, index: int) -> T:
        item = self.items[index]
        if item is None:
            begin, end = self.offsets[index], self.offsets[index + 1]
            item = self.items[index] = self.decode(bytes(self.data[begin:end]))
        return item

    def __iter__(self) -> Iterator[T]:
        return (self.item(i) for i in range(len(self)))

    def run(self, first: int, count: int) -> BlobRange[T]:
        """Items first … first + count − 1, as a sequence of their own (decoded on first use)."""
        return BlobRange(self, first, count)


class BlobRange(Indexed[T]):
    """A run of a Blob's items; equal to any sequence of the same items, a list included."""

    def __init__(self, blob: Blob[T], first: int, count: int) -> None:
        self.blob, self.first, self.length = blob, first, count

    def __len__(self) -> int:
        return self.length

    def item(self, index: int) -> T:
        return self.blob.item(self.first + index)

    def __iter__(self) -> Iterator[T]:
        return (self.blob.item(self.first + i) for i in range(self.length))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable contents, as a list's


def write_bundle(
    folder: Path, fingerprint: str, arrays: dict[str, np.ndarray], parts: dict[str, Any]
) -> None:
    """Write a bundle into a private temporary folder beside `folder`, then rename it into
    place: a reader sees no bundle or a whole one. A bundle already there is replaced."""
    temporary = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    try:
        entries: dict[str, dict[str, Any]] = {"arrays": {}, "parts": {}}
        for name, array in arrays.items():
            path = temporary / f"{name}.npy"
            array = np.ascontiguousarray(array)
            np.save(path, array, allow_pickle=False)
            path.chmod(0o600)  # whatever the umask: `trust` rejects files others can write
            entries["arrays"][name] = {
                "file": path.name,
                "blake3": _checksum(path),
                "dtype": array.dtype.str,
                "shape": list(array.shape),
            }
        for name, value in parts.items():
            path = temporary / f"{name}.json"
            data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
            path.write_bytes(data)
            path.chmod(0o600)
            entries["parts"][name] = {"file": path.name, "blake3": _data_checksum(data)}
        body = json.dumps({"format": FORMAT, "fingerprint": fingerprint, **entries}, sort_keys=True).encode()
        (temporary / MANIFEST).write_bytes(trust.sign(body).encode() + b"\n" + body)
        (temporary / MANIFEST).chmod(0o600)
        if folder.exists():
            retired = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
            os.replace(folder, retired / "old")
            remove_bundle(retired / "old")
            retired.rmdir()
        os.rename(temporary, folder)
    except BaseException:
        remove_bundle(temporary)
        raise


def open_bundle(folder: Path, fingerprint: str) -> Bundle | None:
    """The bundle in `folder` if it is whole, ours, signed and for this fingerprint; else None
    (logged when there was something there to reject)."""
    try:
        return _open(folder, fingerprint)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:  # UntrustedCache is a ValueError
        log.warning("ignoring the saved index %s: %s", folder, err)
        return None


def _open(folder: Path, fingerprint: str) -> Bundle:
    trust.check_folder(folder)
    manifest_path = folder / MANIFEST
    trust.check_file(manifest_path)
    signature, _, body = manifest_path.read_bytes().partition(b"\n")
    if not trust.is_signed(body, signature.decode("ascii", "replace")):
        raise ValueError("the manifest's signature does not match (written with another key, or altered)")
    manifest = json.loads(body)
    if manifest["format"] != FORMAT or manifest["fingerprint"] != fingerprint:
        raise ValueError("made for another corpus or code version")
    arrays, files = {}, {}
    for name, entry in manifest["arrays"].items():
        path = _member(folder, entry["file"])
        if _checksum(path) != entry["blake3"]:
            raise ValueError(f"{path.name} does not match its checksum")
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        if array.dtype.str != entry["dtype"] or list(array.shape) != entry["shape"]:
            raise ValueError(f"{path.name} is not the array the manifest describes")
        arrays[name] = np.asarray(array)  # a plain view of the mapping: np.memmap's item access is slow
        files[name] = (path, array.offset)
    parts = {}
    for name, entry in manifest["parts"].items():
        path = _member(folder, entry["file"])
        data = path.read_bytes()
        if _data_checksum(data) != entry["blake3"]:
            raise ValueError(f"{path.name} does not match its checksum")
        parts[name] = json.loads(data)
    return Bundle(folder, arrays, parts, files)


def _member(folder: Path, name: str) -> Path:
    """A file named in the manifest: a plain name of the bundle's own kind, checked by `trust`."""
    if not FILE_NAME_RE.fullmatch(name):
        raise ValueError(f"the manifest names an unexpected file {name!r}")
    path = folder / name
    trust.check_file(path)
    return path


def remove_bundle(folder: Path) -> None:
    """Delete a bundle folder: only the files a bundle is made of (regular files, never what a
    symbolic link points to), then the folder if that emptied it. Anything else stays."""
    try:
        status = folder.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(status.st_mode):
        return
    # Another process (a replica sharing the cache) may be removing the same folder: what
    # vanishes meanwhile is done.
    try:
        members = list(folder.iterdir())
    except FileNotFoundError:
        return
    for path in members:
        try:
            if (FILE_NAME_RE.fullmatch(path.name) or path.name == MANIFEST) and stat.S_ISREG(
                path.lstat().st_mode
            ):
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue
    try:
        folder.rmdir()
    except FileNotFoundError:
        pass
    except OSError as err:
        log.warning("left %s in place: %s", folder, err)
