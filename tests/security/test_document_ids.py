"""Every document id names one document: clashes are bad files, clashing uploads are refused,
and refusals never show the server's folders."""

from __future__ import annotations

from pathlib import Path

from bot.telegram.uploads import UploadRefused, check_file, clashing_file
from retrieval.corpus.loading import load_corpus
from retrieval.search.engine import SearchEngine

SPEECH = "关于廉政建设的讲话\n同志们：\n每年都要签订《廉政责任书》，敲响警钟，{extra}。\n"


def test_a_clash_is_reported_with_both_files_and_one_document_kept(tmp_path: Path):
    (tmp_path / "x.txt").write_text(SPEECH.format(extra="纸质版"), encoding="utf-8")
    (tmp_path / "x.md").write_text(SPEECH.format(extra="网页版"), encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["x"]
    kept = corpus.documents[0].path
    [problem] = corpus.bad_files
    assert {problem.path, kept} == {"x.md", "x.txt"}
    assert kept in problem.reason and "same document id 'x'" in problem.reason


def test_a_clashing_corpus_still_answers(tmp_path: Path):
    """Two files with one id: questions are answered from the one kept."""
    (tmp_path / "x.txt").write_text(SPEECH.format(extra="纸质版"), encoding="utf-8")
    (tmp_path / "x.md").write_text(SPEECH.format(extra="网页版"), encoding="utf-8")
    engine = SearchEngine.from_folder(tmp_path, use_cache=False)
    answer = engine.ask("廉政责任书")
    assert answer.found and all(hit.doc_id == "x" for hit in answer.hits)


def test_an_upload_that_would_clash_is_found(tmp_path: Path):
    (tmp_path / "x.txt").write_text(SPEECH.format(extra=""), encoding="utf-8")
    assert clashing_file(tmp_path, "x.md") == tmp_path / "x.txt"
    assert clashing_file(tmp_path, "x.txt") is None  # the same name replaces it
    assert clashing_file(tmp_path, "y.md") is None


def test_an_upload_refusal_names_the_file_not_the_folder(tmp_path: Path):
    folder = tmp_path / "speechbot-upload-abc123"
    folder.mkdir()
    broken = folder / "speech.docx"
    broken.write_bytes(b"not a zip at all")
    try:
        check_file(broken)
    except UploadRefused as refusal:
        assert str(folder) not in str(refusal) and "/" not in str(refusal), refusal
    else:
        raise AssertionError("a broken .docx was accepted")


async def test_a_failed_reload_names_no_server_folder(tmp_path: Path, monkeypatch):
    from bot.service.holder import EngineHolder

    (tmp_path / "x.txt").write_text(SPEECH.format(extra=""), encoding="utf-8")
    holder = EngineHolder(tmp_path, SearchEngine.from_folder(tmp_path, use_cache=False))

    def crash(folder, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(Path(folder) / "x.txt"))

    monkeypatch.setattr(SearchEngine, "from_folder", crash)
    report = await holder.reload()
    assert not report.ok and report.error is not None
    assert "x.txt" in report.error and str(tmp_path) not in report.error and "/" not in report.error
