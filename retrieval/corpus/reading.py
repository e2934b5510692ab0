"""Reading one corpus file into text: encoding detection, .docx, and the checks that make
a file "bad" (binary, empty, undecodable, too large, a .docx that would unpack to too much,
more text or paragraphs than any speech has)."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

SUFFIXES = (".txt", ".md", ".docx")
MAX_FILE_BYTES = 20 * 1024 * 1024
# A .docx is a zip: its members are checked before anything is unpacked or parsed.
MAX_DOCX_UNPACKED_BYTES = 30 * 1024 * 1024  # all members together, as their headers declare
MAX_DOCX_RATIO = 100  # unpacked / packed size of a member over 1 MB; Word's XML packs about 10:1
RATIO_FROM_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 1_000_000  # a long speech has 30,000 characters
MAX_LINES = 20_000


class BadFile(Exception):
    """A corpus file that cannot be indexed; the message says why."""


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes of a text file, returning (text, encoding name).

    Order: a byte-order mark decides (UTF-8, UTF-16 LE/BE); then strict UTF-8; then
    UTF-16 without a BOM if every other byte is NUL-heavy; then GB18030 (a superset of
    GBK and GB2312). A file that none of these decode cleanly is rejected.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(name), "utf-16"
    if b"\x00" in data:
        even, odd = data[0::2].count(0), data[1::2].count(0)
        name = "utf-16-le" if odd > even else "utf-16-be"
        try:
            text = data.decode(name)
        except UnicodeDecodeError as err:
            raise BadFile("binary data (NUL bytes, not UTF-16 text)") from err
        if _looks_binary(text):
            raise BadFile("binary data (NUL bytes, not UTF-16 text)")
        return text, name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as err:
        raise BadFile(f"undecodable text (not UTF-8, UTF-16 or GB18030): {err.reason}") from err


def _looks_binary(text: str) -> bool:
    control = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n\f")
    return control > max(8, len(text) // 100)


def check_docx_sizes(path: Path) -> None:
    """Refuse a .docx whose members would unpack to too much (a decompression bomb). zipfile
    never unpacks a member past the size its header declares, so the declared sizes bound it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise BadFile(f"not a valid .docx file: {err}") from err
    total = sum(member.file_size for member in members)
    if total > MAX_DOCX_UNPACKED_BYTES:
        raise BadFile(f"a .docx unpacking to {total:,} bytes (limit {MAX_DOCX_UNPACKED_BYTES:,})")
    for member in members:
        packed = max(member.compress_size, 1)
        if member.file_size > RATIO_FROM_BYTES and member.file_size / packed > MAX_DOCX_RATIO:
            raise BadFile(f"a .docx member packed {member.file_size // packed}:1 (limit {MAX_DOCX_RATIO}:1)")


def read_docx(path: Path) -> str:
    import docx  # python-docx; imported here so plain-text corpora do not pay for it

    check_docx_sizes(path)
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        raise BadFile(f"not a valid .docx file: {_without_path(err, path)}") from err
    except Exception as err:  # python-docx raises its own PackageNotFoundError and friends
        raise BadFile(f"not a valid .docx file: {type(err).__name__}: {_without_path(err, path)}") from err
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def _without_path(err: Exception, path: Path) -> str:
    """An error's message with the file's full path shortened to its name."""
    return str(err).replace(str(path), path.name)


def read_text_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[str, str]:
    """Return (text, encoding) of a corpus file, or raise BadFile with the reason."""
    size = path.stat().st_size
    if size == 0:
        raise BadFile("empty file")
    if size > max_bytes:
        raise BadFile(f"too large: {size:,} bytes (limit {max_bytes:,})")
    if path.suffix.lower() == ".docx":
        text, encoding = read_docx(path), "docx"
    else:
        text, encoding = decode(path.read_bytes())
        if _looks_binary(text):
            raise BadFile("binary data, not text")
    if not text.strip():
        raise BadFile("no text")
    if len(text) > MAX_TEXT_CHARS:
        raise BadFile(f"too much text: {len(text):,} characters (limit {MAX_TEXT_CHARS:,})")
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise BadFile(f"too many lines: {lines:,} (limit {MAX_LINES:,})")
    return text, encoding
