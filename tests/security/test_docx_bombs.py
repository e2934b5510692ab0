"""A .docx that would unpack to far more than it weighs is refused before it is parsed, quickly
and without the memory: checked in a process of its own, by its peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from retrieval.corpus.reading import MAX_LINES, MAX_TEXT_CHARS, BadFile, read_text_file
from tests.support.paths import PROJECT

BOMB_BYTES = 300 * 1024 * 1024


def write_bomb(path: Path, unpacked: int = BOMB_BYTES) -> None:
    """A .docx whose document.xml unpacks to `unpacked` bytes (a few hundred kB on disk)."""
    chunk = b"<w:p><w:r><w:t>" + b"x" * (1024 * 1024 - 30) + b"</w:t></w:r></w:p>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(unpacked // len(chunk)):
                member.write(chunk)


def test_a_bomb_is_refused_without_unpacking(tmp_path: Path):
    bomb = tmp_path / "bomb.docx"
    write_bomb(bomb)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    probe = f"""
import json, resource, sys
from pathlib import Path
from retrieval.corpus.reading import BadFile, read_text_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_text_file(Path({str(bomb)!r}))
    reason = None
except BadFile as err:
    reason = str(err)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({{"reason": reason, "grown_kib": grown}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT, capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(done.stdout)
    assert result["reason"] and "unpacking to" in result["reason"], result
    assert result["grown_kib"] < 100 * 1024, result  # under 100 MB: nothing was unpacked


def test_a_highly_packed_member_is_refused_even_under_the_total(tmp_path: Path):
    bomb = tmp_path / "ratio.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"a" * (20 * 1024 * 1024))
    with pytest.raises(BadFile, match=r"packed \d+:1"):
        read_text_file(bomb)


def test_too_much_text_or_too_many_lines_is_refused(tmp_path: Path):
    long_text = tmp_path / "long.txt"
    long_text.write_text("讲" * (MAX_TEXT_CHARS + 1), encoding="utf-8")
    with pytest.raises(BadFile, match="too much text"):
        read_text_file(long_text)
    many_lines = tmp_path / "lines.txt"
    many_lines.write_text("讲\n" * (MAX_LINES + 1), encoding="utf-8")
    with pytest.raises(BadFile, match="too many lines"):
        read_text_file(many_lines)


def test_a_broken_docx_names_no_server_folder(tmp_path: Path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BadFile) as raised:
        read_text_file(broken)
    assert str(tmp_path) not in str(raised.value)
