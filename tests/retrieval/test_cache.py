"""The saved index: reused when nothing changed, rebuilt when missing, stale, corrupt, foreign
or planted, never unpickled; clean-up deletes only its own files; an unsafe cache folder is refused."""

from __future__ import annotations

import mmap
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval.index import cache, saved, trust
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


def bundle_folder(corpus: Path, cache_dir: Path) -> Path:
    return cache.index_folder(corpus, cache_dir, cache.corpus_fingerprint(corpus))


def is_mapped(array: np.ndarray) -> bool:
    """Whether an array's memory is a file mapping (not read into the process)."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap | np.memmap):
        base = getattr(base, "base", None)
    return base is not None


class Planted:
    """A pickle that, if it were ever unpickled, would create the file `marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "executed"))


def test_second_load_comes_from_the_saved_index(corpus: Path, tmp_path: Path) -> None:
    first = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert (bundle_folder(corpus, tmp_path / "cache") / saved.MANIFEST).is_file()
    second = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert second.built_at == first.built_at  # the same saved engine, not a rebuild
    assert all(map(is_mapped, (second.index.matrix.data, second.index.matrix.indices, second.passages.start)))
    assert second.ask("廉政责任书") == first.ask("廉政责任书")


def test_changed_file_rebuilds(corpus: Path, tmp_path: Path) -> None:
    first = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    (corpus / "speech.txt").write_text(SPEECH.replace("廉政责任书", "目标责任书"), encoding="utf-8")
    second = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert second.built_at != first.built_at
    assert second.ask("目标责任书").found
    assert all("廉政责任书" not in hit.quote for hit in second.ask("廉政责任书").hits)  # the new text only
    indexes = [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith("index-")]
    assert indexes == [bundle_folder(corpus, tmp_path / "cache").name]  # the older one is deleted


def test_added_file_rebuilds(corpus: Path, tmp_path: Path) -> None:
    SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    shutil.copy(corpus / "speech.txt", corpus / "second.txt")
    assert len(SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache").documents) == 2


@pytest.mark.parametrize("name", ["manifest.json", "bm25_data.npy", "documents.npy", "vocabulary.json"])
@pytest.mark.parametrize("content", [b"", b"not an index at all", "truncate"])
def test_corrupt_saved_index_is_rebuilt_not_trusted(corpus: Path, tmp_path: Path, name: str, content) -> None:
    cache_dir = tmp_path / "cache"
    first = SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    path = bundle_folder(corpus, cache_dir) / name
    path.write_bytes(path.read_bytes()[:-7] if content == "truncate" else content)
    engine = SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    assert engine.built_at != first.built_at and engine.ask("廉政责任书").found
    assert cache.load(corpus, cache_dir, cache.corpus_fingerprint(corpus)) is not None  # rewritten


def test_planted_pickles_are_rejected_and_rebuilt_never_run(corpus: Path, tmp_path: Path) -> None:
    cache_dir, marker = tmp_path / "cache", tmp_path / "executed"
    first = SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    planted = pickle.dumps(Planted(marker))
    folder = bundle_folder(corpus, cache_dir)
    # the older layout's file name, an array file holding a pickled object array, a part, a document's file
    (cache_dir / f"engine-{cache.folder_key(corpus)}.pickle").write_bytes(planted)
    np.save(folder / "bm25_data.npy", np.array([Planted(marker)], dtype=object), allow_pickle=True)
    (folder / "vocabulary.json").write_bytes(planted)
    np.save(folder / "documents.npy", np.array([Planted(marker)], dtype=object), allow_pickle=True)
    for path in (cache_dir / "documents").rglob("*.json"):
        path.write_bytes(planted)
    engine = SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    assert not marker.exists()
    assert engine.built_at != first.built_at and engine.ask("廉政责任书").found
    assert not (cache_dir / f"engine-{cache.folder_key(corpus)}.pickle").exists()  # the old name is cleared
    assert (
        SearchEngine.from_folder(corpus, cache_dir=cache_dir).built_at == engine.built_at
    )  # rewritten whole


def test_a_bundle_signed_with_another_key_is_rebuilt(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    cache_dir = tmp_path / "cache"
    first = SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    monkeypatch.setenv(trust.KEY_ENV, "another machine's key")
    trust.signing_key.cache_clear()
    try:
        assert cache.load(corpus, cache_dir, cache.corpus_fingerprint(corpus)) is None
        assert SearchEngine.from_folder(corpus, cache_dir=cache_dir).built_at != first.built_at
    finally:
        trust.signing_key.cache_clear()


def test_files_others_can_write_are_not_read(corpus: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    first = SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    (bundle_folder(corpus, cache_dir) / "idf.npy").chmod(0o666)
    assert cache.load(corpus, cache_dir, cache.corpus_fingerprint(corpus)) is None
    assert SearchEngine.from_folder(corpus, cache_dir=cache_dir).built_at != first.built_at


def test_a_cache_folder_others_can_write_is_refused(corpus: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir(mode=0o777)
    cache_dir.chmod(0o777)
    with pytest.raises(trust.UntrustedCache, match="writable by group or others"):
        SearchEngine.from_folder(corpus, cache_dir=cache_dir)


def test_a_symlinked_cache_folder_is_refused(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "real-cache").mkdir()
    (tmp_path / "cache").symlink_to(tmp_path / "real-cache")
    with pytest.raises(trust.UntrustedCache, match="symbolic link"):
        SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "real-cache").iterdir())


@pytest.mark.parametrize("where", ["inside", "same", "around"])
def test_a_cache_folder_overlapping_the_corpus_is_refused(corpus: Path, tmp_path: Path, where: str) -> None:
    cache_dir = {"inside": corpus / "cache", "same": corpus, "around": tmp_path}[where]
    with pytest.raises(trust.UntrustedCache, match="overlaps the corpus"):
        SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    assert (corpus / "speech.txt").read_text(encoding="utf-8") == SPEECH
    assert [p.name for p in corpus.iterdir()] == ["speech.txt"]


def test_interrupted_write_leaves_previous_index_loadable(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    cache_dir = tmp_path / "cache"
    engine = SearchEngine.from_folder(corpus, cache_dir=cache_dir)
    fingerprint = cache.corpus_fingerprint(corpus)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(saved.np, "save", crash)
    cache.save(corpus, cache_dir, "f" * 64, *search.stored.to_bundle(engine.saved_state()))
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


def test_a_per_document_file_moved_to_another_name_is_recomputed(
    corpus: Path, tmp_path: Path, monkeypatch
) -> None:
    shutil.copy(corpus / "speech.txt", corpus / "second.txt")
    (corpus / "second.txt").write_text(SPEECH.replace("廉政责任书", "目标责任书"), encoding="utf-8")
    SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    first, second = sorted((tmp_path / "cache" / "documents").rglob("*.json"))
    os.replace(first, second)  # one signed file under the other's name
    shutil.rmtree(bundle_folder(corpus, tmp_path / "cache"))
    segmented = []
    real = search.document_passages
    monkeypatch.setattr(search, "document_passages", lambda d: segmented.append(d.doc_id) or real(d))
    engine = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert sorted(segmented) == ["second", "speech"]  # neither file is taken for the other document
    assert engine.ask("目标责任书").hits[0].doc_id == "second"


def test_clean_up_deletes_only_its_own_files_and_never_follows_links(corpus: Path, tmp_path: Path) -> None:
    documents, outside = tmp_path / "cache" / "documents", tmp_path / "outside"
    stale_version, stale_file = documents / "0123456789abcdef", documents / "old-layout.pickle"
    stale_version.mkdir(parents=True)
    (stale_version / f"{'a' * 64}.pickle").write_bytes(b"old")
    (stale_version / "notes.txt").write_text("not the cache's")
    stale_file.write_bytes(b"not ours by name")
    outside.mkdir()
    (outside / f"{'b' * 64}.json").write_text("precious")
    (documents / "fedcba9876543210").symlink_to(outside)
    SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    current = cache.code_fingerprint().hex()[:16]
    assert sorted(p.name for p in documents.iterdir()) == sorted(
        [current, "0123456789abcdef", "fedcba9876543210", "old-layout.pickle"]
    )
    assert [p.name for p in stale_version.iterdir()] == ["notes.txt"]  # its own file went, the other stayed
    assert (outside / f"{'b' * 64}.json").read_text() == "precious"
    assert len(list((documents / current).iterdir())) == 1  # this corpus's one document


def test_older_code_versions_per_document_files_are_deleted(corpus: Path, tmp_path: Path) -> None:
    documents = tmp_path / "cache" / "documents"
    stale_version = documents / "0123456789abcdef"
    stale_version.mkdir(parents=True)
    (stale_version / f"{'c' * 64}.json").write_bytes(b"old")
    SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert [p.name for p in documents.iterdir()] == [cache.code_fingerprint().hex()[:16]]


def test_no_pickle_is_read_anywhere() -> None:
    """Nothing in the packages loads a pickle (the saved index and caches are arrays and JSON)."""
    root = Path(search.__file__).resolve().parents[2]
    for package in ("retrieval", "bot"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "pickle.load" not in text and "allow_pickle=True" not in text, path


def test_a_saved_engine_decodes_only_the_documents_it_uses(corpus: Path, tmp_path: Path) -> None:
    # Words only other.txt has: the ranking reads the documents of its candidate passages.
    (corpus / "other.txt").write_text(
        SPEECH.replace("检查一次廉政责任书", "巡护雪豹栖息地"), encoding="utf-8"
    )
    built = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    loaded = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert isinstance(loaded.documents, saved.Blob)
    assert all(item is None for item in loaded.documents.items)  # nothing decoded when opened
    assert loaded.ask("巡护雪豹栖息地") == built.ask("巡护雪豹栖息地")
    assert loaded.ask("巡护雪豹栖息地").found
    assert [item is None for item in loaded.documents.items] == [False, True]  # other.txt (first) only
    assert [d.doc_id for d in loaded.documents] == [d.doc_id for d in built.documents]
    assert loaded.documents[0] == built.documents[0] and loaded.folded[1] == built.folded[1]


def test_a_cache_folder_that_cannot_be_made_means_no_cache_not_no_answers(
    corpus: Path, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    engine = SearchEngine.from_folder(corpus, cache_dir=tmp_path / "a-file" / "cache")
    assert engine.ask("廉政责任书").found
