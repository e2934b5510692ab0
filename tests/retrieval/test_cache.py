"""The saved index: reused when nothing changed, rebuilt when missing, stale or corrupt."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from retrieval.index import cache
from retrieval.search import engine as search
from retrieval.search.engine import SearchEngine

SPEECH = (
    "在测试会议上的讲话\n同志们：\n一、抓好落实。每年年底检查一次廉政责任书。\n同志们，让我们共同努力！\n"
)


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "speech.txt").write_text(SPEECH, encoding="utf-8")
    return folder


def test_second_load_comes_from_the_cache(corpus: Path, tmp_path: Path) -> None:
    first = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert cache.cache_path(corpus, tmp_path / "cache").is_file()
    second = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert second.built_at == first.built_at  # the same saved engine, not a rebuild
    assert second.ask("廉政责任书").found


def test_changed_file_rebuilds(corpus: Path, tmp_path: Path) -> None:
    first = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    (corpus / "speech.txt").write_text(SPEECH.replace("廉政责任书", "目标责任书"), encoding="utf-8")
    second = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert second.built_at != first.built_at
    assert second.ask("目标责任书").found
    assert all("廉政责任书" not in hit.quote for hit in second.ask("廉政责任书").hits)  # the new text only


def test_added_file_rebuilds(corpus: Path, tmp_path: Path) -> None:
    SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    shutil.copy(corpus / "speech.txt", corpus / "second.txt")
    assert len(SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache").documents) == 2


@pytest.mark.parametrize("content", [b"", b"not a pickle at all", b"\x80\x05\x95truncated"])
def test_corrupt_cache_is_rebuilt_not_trusted(corpus: Path, tmp_path: Path, content: bytes) -> None:
    cache_dir = tmp_path / "cache"
    SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    cache.cache_path(corpus, cache_dir).write_bytes(content)
    engine = SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    assert engine.ask("廉政责任书").found
    assert cache.load(corpus, cache_dir, cache.corpus_fingerprint(corpus)) is not None  # rewritten


def test_interrupted_write_leaves_previous_index_loadable(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    cache_dir = tmp_path / "cache"
    engine = SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    fingerprint = cache.corpus_fingerprint(corpus)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(cache.pickle, "dump", crash)
    cache.save(corpus, cache_dir, "another-fingerprint", engine)  # fails inside the temporary file
    monkeypatch.undo()
    assert cache.load(corpus, cache_dir, fingerprint) is not None
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]


def test_fingerprint_depends_on_content_not_time(corpus: Path) -> None:
    before = cache.corpus_fingerprint(corpus)
    (corpus / "speech.txt").touch()
    assert cache.corpus_fingerprint(corpus) == before
    (corpus / "speech.txt").write_text(SPEECH + "补充。\n", encoding="utf-8")
    assert cache.corpus_fingerprint(corpus) != before


def test_rebuild_segments_only_changed_documents(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    shutil.copy(corpus / "speech.txt", corpus / "second.txt")
    SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    segmented = []
    real = search.document_passages

    def document_passages(document):
        segmented.append(document.doc_id)
        return real(document)

    monkeypatch.setattr(search, "document_passages", document_passages)
    (corpus / "second.txt").write_text(SPEECH.replace("廉政责任书", "目标责任书"), encoding="utf-8")
    engine = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert segmented == ["second"]
    assert engine.ask("目标责任书").hits[0].doc_id == "second"
    assert engine.ask("廉政责任书").hits[0].doc_id == "speech"


def test_older_code_versions_per_document_files_are_deleted(corpus: Path, tmp_path: Path) -> None:
    documents = tmp_path / "cache" / "documents"
    stale_version, stale_file = documents / "0123456789abcdef", documents / "old-layout.pickle"
    stale_version.mkdir(parents=True)
    (stale_version / "x.pickle").write_bytes(b"old")
    stale_file.write_bytes(b"old")
    SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert [p.name for p in documents.iterdir()] == [cache.code_fingerprint().hex()[:16]]
    assert len(list(next(documents.iterdir()).iterdir())) == 1  # this corpus's one document
