"""Storing an uploaded speech: a corpus folder that cannot be written is a clear refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.telegram.uploads import UploadRefused, store


def test_write_failure_is_a_clear_refusal_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "speech.txt"
    source.write_text("讲话", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("bot.telegram.uploads.os.replace", read_only)
    with pytest.raises(UploadRefused, match="Read-only file system"):
        store(source, corpus, "speech.txt")
    assert list(corpus.iterdir()) == []
