"""Reading corpus files: encoding detection, .docx, and the checks that make a file bad."""

from __future__ import annotations

import codecs
import os
import zipfile
from pathlib import Path

import pytest

from retrieval.corpus.reading import BadFile, decode, read_text_file

TEXT = "在市长办公会议上的讲话\n同志们：\n每年都要与分管部门“一把手”签订《廉政责任书》，敲响警钟。\n"


@pytest.mark.parametrize(
    ("data", "expected_encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("gbk"), "gb18030"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16le-bom", "utf16be-bom", "utf16le-nobom"],
)
def test_decode_detects_encoding(data: bytes, expected_encoding: str) -> None:
    text, encoding = decode(data)
    assert text == TEXT
    assert encoding == expected_encoding


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le"])
def test_read_text_file_round_trips(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "speech.txt"
    path.write_bytes(TEXT.encode(encoding))
    text, _ = read_text_file(path)
    assert text == TEXT
    assert "廉政责任书" in text


def test_binary_file_renamed_txt_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "picture.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8 + os.urandom(512))
    with pytest.raises(BadFile, match=r"binary|undecodable"):
        read_text_file(path)


def test_empty_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(BadFile, match="empty"):
        read_text_file(path)


def test_whitespace_only_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text(" \n\n\t\n", encoding="utf-8")
    with pytest.raises(BadFile, match="no text"):
        read_text_file(path)


def test_oversize_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(TEXT * 10, encoding="utf-8")
    with pytest.raises(BadFile, match="too large"):
        read_text_file(path, max_bytes=100)
    assert read_text_file(path, max_bytes=10_000)[0] == TEXT * 10


def test_undecodable_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt"
    # 0xFF is never valid in UTF-8, and 0xFF 0xFF is not a GB18030 sequence either.
    path.write_bytes("讲话".encode() + b"\xff\xff\xff\xff")
    with pytest.raises(BadFile, match="undecodable") as error:
        read_text_file(path)
    assert str(error.value)


def test_real_docx_is_read(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("在市长办公会议上的讲话")
    document.add_paragraph("同志们：")
    document.add_paragraph("每年都要与分管部门“一把手”签订《廉政责任书》，敲响警钟。")
    path = tmp_path / "speech.docx"
    document.save(str(path))
    text, encoding = read_text_file(path)
    assert encoding == "docx"
    assert text.splitlines() == [
        "在市长办公会议上的讲话",
        "同志们：",
        "每年都要与分管部门“一把手”签订《廉政责任书》，敲响警钟。",
    ]


def test_docx_that_is_a_zip_of_something_else_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "不是 Word 文档")
    with pytest.raises(BadFile, match=r"not a valid \.docx"):
        read_text_file(path)


def test_docx_of_random_bytes_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "random.docx"
    path.write_bytes(os.urandom(2048))
    with pytest.raises(BadFile, match=r"not a valid \.docx"):
        read_text_file(path)
