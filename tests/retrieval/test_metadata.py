"""Metadata from file names, corpus.yaml, front matter and the header lines."""

from __future__ import annotations

from pathlib import Path

from retrieval.corpus.loading import load_corpus
from retrieval.corpus.metadata import from_file_name

BODY = "同志们：\n今天召开会议，研究推进乡村振兴工作。\n一、提高认识。乡村振兴是大事，必须抓紧抓好。\n"


def test_from_file_name() -> None:
    expected = {"year": 2019, "issuer": "国务院", "name": "政府工作报告"}
    assert from_file_name("2019_国务院_政府工作报告") == expected
    assert from_file_name("市长办公会议讲话") == {}


def test_file_name_gives_year_issuer_and_title(tmp_path: Path) -> None:
    (tmp_path / "2019_国务院_政府工作报告.txt").write_text("政府工作报告\n" + BODY, encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert corpus.bad_files == []
    meta = corpus.documents[0].meta
    assert meta.year == 2019
    assert meta.issuer == "国务院"
    assert meta.title == "2019年国务院政府工作报告"
    assert meta.date == "2019"


def test_corpus_yaml_overrides_title_speaker_date(tmp_path: Path) -> None:
    (tmp_path / "talk.txt").write_text("在某某会议上的讲话\n——2020年5月6日\n" + BODY, encoding="utf-8")
    (tmp_path / "corpus.yaml").write_text(
        "talk.txt:\n  title: 在乡村振兴推进会上的讲话\n  speaker: 李四\n  date: 2021-03-04\n",
        encoding="utf-8",
    )
    corpus = load_corpus(tmp_path)
    assert corpus.bad_files == []
    meta = corpus.documents[0].meta
    assert (meta.title, meta.speaker, meta.date) == ("在乡村振兴推进会上的讲话", "李四", "2021-03-04")


def test_corpus_yaml_by_stem_under_documents_key(tmp_path: Path) -> None:
    (tmp_path / "talk.txt").write_text("在某某会议上的讲话\n" + BODY, encoding="utf-8")
    (tmp_path / "corpus.yaml").write_text("documents:\n  talk:\n    speaker: 王五\n", encoding="utf-8")
    meta = load_corpus(tmp_path).documents[0].meta
    assert meta.speaker == "王五"
    assert meta.title == "在某某会议上的讲话"


def test_front_matter_in_markdown(tmp_path: Path) -> None:
    text = "---\ntitle: 在乡村工作会议上的讲话\nspeaker: 赵六\ndate: 2022-07-08\n---\n" + BODY
    (tmp_path / "speech.md").write_text(text, encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert corpus.bad_files == []
    document = corpus.documents[0]
    assert (document.meta.title, document.meta.speaker, document.meta.date) == (
        "在乡村工作会议上的讲话",
        "赵六",
        "2022-07-08",
    )
    assert document.meta.year == 2022
    assert "speaker" not in document.text
    assert "---" not in document.text


def test_broken_corpus_yaml_is_reported_and_texts_still_indexed(tmp_path: Path) -> None:
    (tmp_path / "talk.txt").write_text("在某某会议上的讲话\n" + BODY, encoding="utf-8")
    broken = "talk.txt:\n  title: [unclosed\n  speaker: 李四\n"
    (tmp_path / "corpus.yaml").write_text(broken, encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["talk"]
    assert corpus.documents[0].meta.title == "在某某会议上的讲话"
    assert [p.path for p in corpus.bad_files] == ["corpus.yaml"]
    assert "YAML" in corpus.bad_files[0].reason
