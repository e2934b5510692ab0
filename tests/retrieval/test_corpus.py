"""Loading a corpus folder: good files become documents, bad ones are reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrieval.corpus.loading import compare, load_corpus

SPEECH = (
    "在{name}会议上的讲话\n同志们：\n今天研究{name}工作。\n一、抓好落实。{name}工作要一抓到底，久久为功。\n"
)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(root / "a.txt", SPEECH.format(name="安全生产"))
    write(root / "sub" / "b.md", SPEECH.format(name="防汛抗旱"))
    write(root / "sub" / "deeper" / "c.txt", SPEECH.format(name="招商引资"))
    (root / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (root / "empty.txt").write_bytes(b"")
    write(root / "README.md", "# 这是说明文件，不是讲话\n")
    write(root / "notes.pdf", "not a speech file type")
    outside = tmp_path / "outside.txt"
    write(outside, SPEECH.format(name="外部"))
    os.symlink(outside, root / "link.txt")
    return root


def test_good_files_become_documents_and_bad_ones_are_reported(mixed: Path) -> None:
    corpus = load_corpus(mixed)
    assert sorted(d.doc_id for d in corpus.documents) == ["a", "sub/b", "sub/deeper/c"]
    assert corpus.document("sub/b").path == "sub/b.md"
    problems = {p.path: p.reason for p in corpus.bad_files}
    assert set(problems) == {"binary.txt", "empty.txt", "link.txt"}
    assert "binary" in problems["binary.txt"]
    assert "empty" in problems["empty.txt"]
    assert "outside" in problems["link.txt"]


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    corpus = load_corpus(tmp_path / "nope")
    assert corpus.documents == []
    assert len(corpus.bad_files) == 1
    assert "does not exist" in corpus.bad_files[0].reason


def test_compare_reports_added_removed_changed(mixed: Path) -> None:
    before = load_corpus(mixed)
    assert not compare(before, load_corpus(mixed)).any
    (mixed / "a.txt").unlink()
    write(mixed / "sub" / "b.md", SPEECH.format(name="森林防火"))
    write(mixed / "d.txt", SPEECH.format(name="乡村振兴"))
    changes = compare(before, load_corpus(mixed))
    assert changes.any
    assert (changes.added, changes.removed, changes.changed) == (["d"], ["a"], ["sub/b"])


def test_metadata_change_counts_as_change(mixed: Path) -> None:
    before = load_corpus(mixed)
    write(mixed / "corpus.yaml", "a.txt:\n  speaker: 李四\n")
    changes = compare(before, load_corpus(mixed))
    assert changes.changed == ["a"]
    assert changes.added == changes.removed == []
