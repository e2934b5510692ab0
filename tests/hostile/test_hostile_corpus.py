"""A corpus folder full of messy files: each bad one reported with its path and reason, the rest
indexed, and /reload with such a folder keeps serving."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.config import Settings
from bot.service.holder import EngineHolder
from bot.telegram.application import build_application
from retrieval.corpus.loading import load_corpus
from retrieval.search.engine import SearchEngine
from tests.support.fake_telegram import (
    TOKEN,
    RecordingRequest,
    bot_message,
    buttons,
    callback,
    message,
    update,
)
from tests.support.html_check import check
from tests.support.loop_bot import ADMIN
from tests.support.paths import PROJECT


def speech(title: str, topic: str) -> str:
    return "\n".join(
        [
            f"在{title}会议上的讲话",
            "同志们：",
            f"今天召开会议，专门研究{topic}工作。",
            f"一、提高认识。{topic}事关全局，各级要高度重视。",
            f"二、压实责任。各部门要把{topic}责任落实到人，每月调度一次。",
        ]
    )


GOOD = {
    "good.txt": ("utf-8", speech("全市防汛", "防汛抗旱")),
    "gbk.txt": ("gbk", speech("全市森林防火", "森林防火")),
    "utf16.txt": ("utf-16", speech("全市安全生产", "安全生产")),
    "nested/sub/deep.md": ("utf-8", speech("全市招商引资", "招商引资")),
    "withmeta/speech.txt": ("utf-8", speech("全市乡村振兴", "乡村振兴")),
}
BAD = {  # corpus-relative path -> words of the reason
    "binary.txt": "binary",
    "empty.txt": "empty file",
    "huge.txt": "too large",
    "boilerplate.txt": "no speech text left",
    "zip-of-something-else.docx": "not a valid .docx",
    "outside.txt": "symbolic link pointing outside",
    "undecodable.txt": "undecodable",
    "headings-only.txt": "no speech paragraphs",
    "withmeta/corpus.yaml": "metadata ignored",
}


def messy_corpus(root: Path, outside: Path) -> Path:
    root.mkdir(parents=True)
    for name, (encoding, text) in GOOD.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode(encoding))
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    (root / "empty.txt").write_bytes(b"")
    with (root / "huge.txt").open("wb") as handle:  # 100 MB, sparse: costs no disk
        handle.truncate(100 * 1024 * 1024)
    (root / "boilerplate.txt").write_text("仅供学习 禁止外传\n关注公众号\n转载请注明出处\n", encoding="utf-8")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("photos/holiday.jpg", b"\xff\xd8\xff" + b"\x00" * 100)
        zipped.writestr("mimetype", "application/epub+zip")
    (root / "zip-of-something-else.docx").write_bytes(archive.getvalue())
    outside.write_text(speech("秘密", "不该读到的内容"), encoding="utf-8")
    (root / "outside.txt").symlink_to(outside)
    (root / "undecodable.txt").write_bytes(b"\xff\x80\xff\x80 not text \x81\x30")
    (root / "headings-only.txt").write_text(
        "在全市大会上的讲话\n一、总体要求\n二、重点任务\n", encoding="utf-8"
    )
    (root / "withmeta" / "corpus.yaml").write_text(
        "documents:\n  speech.txt: {title: [unclosed\n", encoding="utf-8"
    )
    return root


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return messy_corpus(tmp_path / "messy", tmp_path / "secret.txt")


def test_each_bad_file_reported_with_path_and_reason_and_the_rest_indexed(messy):
    corpus = load_corpus(messy)
    problems = {p.path: p.reason for p in corpus.bad_files}
    for path, reason in BAD.items():
        assert reason in problems.get(path, ""), (path, problems)
    assert set(problems) == set(BAD)
    indexed = {d.path: d.encoding for d in corpus.documents}
    assert indexed == {
        "good.txt": "utf-8",
        "gbk.txt": "gb18030",
        "utf16.txt": "utf-16",
        "nested/sub/deep.md": "utf-8",
        "withmeta/speech.txt": "utf-8",
    }
    assert not any("不该读到" in d.text for d in corpus.documents)


async def test_reload_with_a_messy_folder_keeps_serving(messy, seed_engine):
    request = RecordingRequest()
    settings = Settings(corpus=messy, admins=[ADMIN])
    app = build_application(
        settings, EngineHolder(messy, seed_engine), TOKEN, request, RecordingRequest(), False
    )
    async with app:
        await app.process_update(update(app.bot, message=message("/reload", user_id=ADMIN)))
        report = request.last("editMessageText")["text"]
        check(report)
        assert "✅ 已重新载入语料" in report and "文档 5 篇" in report
        for path in BAD:
            assert path in report
        for question, title in (("森林防火责任", "全市森林防火"), ("安全生产每月调度", "全市安全生产")):
            await app.process_update(update(app.bot, message=message(question, user_id=7)))
            answer = request.last("sendMessage")["text"]
            check(answer)
            assert f"《在{title}会议上的讲话》" in answer
        # and a reload of the same folder again (from the index cache) still reports them
        await app.process_update(update(app.bot, message=message("/reload", user_id=ADMIN)))
        assert all(path in request.last("editMessageText")["text"] for path in BAD)


async def test_an_enormous_title_from_metadata_still_answers(tmp_path, seed_engine):
    """A corpus.yaml title of 5,000 characters must not hang the renderer (html.quoted
    shortened "…" forever once the heading left no room); now the heading is shortened."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(speech("全市防汛", "防汛抗旱"), encoding="utf-8")
    title = "很长的标题<&>" * 700
    (corpus / "corpus.yaml").write_text(f"a.txt: {{title: '{title}'}}\n", encoding="utf-8")
    engine = SearchEngine.from_folder(corpus)
    request = RecordingRequest()
    settings = Settings(corpus=corpus, admins=[ADMIN])
    app = build_application(settings, EngineHolder(corpus, engine), TOKEN, request, RecordingRequest(), False)
    async with app:
        msg = message("防汛责任", user_id=7)
        await app.process_update(update(app.bot, message=msg))
        reply = request.last("sendMessage")
        check(reply["text"])
        assert "<blockquote>" in reply["text"] and "很长的标题&lt;&amp;&gt;" in reply["text"]
        full = next(b for b in buttons(reply) if b["text"].startswith("全文"))
        await app.process_update(callback(app.bot, full["callback_data"], bot_message(reply, msg)))
        paragraph = request.last("editMessageText")
        check(paragraph["text"])
        part = next(b for b in buttons(paragraph) if b["text"] == "整个部分")
        await app.process_update(callback(app.bot, part["callback_data"], bot_message(paragraph, msg)))
        check(request.last("sendMessage")["text"])
        await app.process_update(update(app.bot, message=message("/speeches", user_id=7)))
        check(request.last("sendMessage")["text"])


FINGERPRINT = """
import sys
from pathlib import Path
from retrieval.search.engine import SearchEngine
engine = SearchEngine.from_folder(Path(sys.argv[1]), Path(sys.argv[2]))
print(sorted(p.path for p in engine.corpus.bad_files))
"""


def test_a_fifo_named_txt_does_not_hang_the_load(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(speech("全市防汛", "防汛抗旱"), encoding="utf-8")
    os.mkfifo(corpus / "pipe.txt")
    try:
        done = subprocess.run(
            [sys.executable, "-c", FINGERPRINT, str(corpus), str(tmp_path / "cache")],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=8,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("loading a corpus folder with a FIFO in it did not finish in 8 s")
    assert "pipe.txt" in done.stdout, done.stderr
