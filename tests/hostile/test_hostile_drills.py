"""Failure drills: killed while writing the index, a reload that raises, the Bot API
answering 429 / 5xx / timing out, and buttons pressed after a restart."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from telegram.error import TimedOut

from bot.config import Settings
from bot.service.holder import EngineHolder
from bot.telegram import texts
from bot.telegram.application import build_application
from bot.telegram.callbacks import QuestionStore
from retrieval.index import cache, saved
from retrieval.search import stored
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
from tests.support.paths import PROJECT, SEED

# --------------------------------------------------------------------------- killed while writing the index

KILLED_WRITER = r"""
import sys, time
from pathlib import Path
from retrieval.index import saved
from retrieval.search.engine import SearchEngine

folder, cache_dir, marker = map(Path, sys.argv[1:4])
checksum = saved._checksum


def stalling_checksum(path):
    # called after each array file is written: after the first, wait to be killed
    marker.write_text(str(path.parent))
    time.sleep(60)
    return checksum(path)


saved._checksum = stalling_checksum
SearchEngine.from_folder(folder, cache_dir)
"""

LOADER = r"""
import sys
from pathlib import Path
from retrieval.search.engine import SearchEngine
engine = SearchEngine.from_folder(Path(sys.argv[1]), Path(sys.argv[2]))
print(repr(engine.built_at), len(engine.documents), engine.ask("表率").found)
"""


def test_killed_while_writing_the_index_leaves_the_previous_one_loadable(tmp_path):
    corpus, cache_dir, marker = tmp_path / "corpus", tmp_path / "cache", tmp_path / "writing"
    shutil.copytree(SEED, corpus)
    previous = SearchEngine.from_folder(corpus, cache_dir)  # the index on disk before the drill
    old_fingerprint = cache.corpus_fingerprint(corpus)
    bundle = cache.index_folder(corpus, cache_dir, old_fingerprint)
    before = {path.name: path.read_bytes() for path in bundle.iterdir()}

    extra = corpus / "新增.txt"  # a changed corpus: the next start writes a new index
    shutil.copy(corpus / "市长办公会议讲话.txt", extra)
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(corpus), str(cache_dir), str(marker)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), writer.communicate(timeout=5)[0] if writer.poll() is not None else "no hook"
        temporary = Path(marker.read_text())
        assert temporary.parent == cache_dir and temporary.name.startswith(".tmp-")  # mid-write
        assert not (temporary / saved.MANIFEST).exists()
    finally:
        writer.kill()  # SIGKILL: no cleanup, no finally blocks in the child
        writer.wait(timeout=10)

    assert {path.name: path.read_bytes() for path in bundle.iterdir()} == before  # the previous index, whole
    opened = cache.load(corpus, cache_dir, old_fingerprint)
    assert opened is not None and len(stored.from_bundle(opened).corpus.documents) == 1

    def load_in_a_fresh_process() -> list[str]:
        run = subprocess.run(
            [sys.executable, "-c", LOADER, str(corpus), str(cache_dir)],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return run.stdout.split()

    # a fresh process with the old corpus loads the previous index instead of rebuilding
    extra.unlink()
    assert load_in_a_fresh_process() == [repr(previous.built_at), "1", "True"]
    # and with the changed corpus it rebuilds (the half-written file is never read)
    shutil.copy(corpus / "市长办公会议讲话.txt", extra)
    assert load_in_a_fresh_process()[1:] == ["2", "True"]


# --------------------------------------------------------------------------- a reload that raises


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("parser exploded"),
        MemoryError(),
        RecursionError("too deep"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"),
    ],
    ids=["runtime", "memory", "recursion", "unicode"],
)
async def test_a_reload_that_raises_keeps_the_old_index_and_keeps_answering(
    corpus_dir, seed_engine, monkeypatch, error
):
    request = RecordingRequest()
    settings = Settings(corpus=corpus_dir, admins=[ADMIN])
    holder = EngineHolder(corpus_dir, seed_engine)
    app = build_application(settings, holder, TOKEN, request, RecordingRequest(), False)

    def explode(*args, **kwargs):
        raise error

    monkeypatch.setattr(SearchEngine, "from_folder", staticmethod(explode))
    async with app:
        await app.process_update(update(app.bot, message=message("/reload", user_id=ADMIN)))
        report = request.last("editMessageText")["text"]
        check(report)
        assert f"❌ 重新载入失败：{type(error).__name__}" in report and "仍在使用原来的索引（1 篇" in report
        assert holder.engine is seed_engine
        await app.process_update(update(app.bot, message=message("表率", user_id=7)))
        assert "<blockquote>" in request.last("sendMessage")["text"]


# --------------------------------------------------------------------------- the Bot API failing


class FlakyRequest(RecordingRequest):
    """A RecordingRequest whose first calls of a method fail as scripted: an HTTP status
    (answered with Telegram's JSON error body) or an exception."""

    def __init__(self, script: dict[str, list]) -> None:
        super().__init__()
        self.script = script

    async def do_request(self, url, method, request_data=None, *args, **kwargs):
        name = url.rsplit("/", 1)[-1]
        pending = self.script.get(name)
        if pending:
            failure = pending.pop(0)
            self.calls.append((f"{name}!failed", request_data.parameters if request_data else {}))
            if isinstance(failure, Exception):
                raise failure
            body = {"ok": False, "error_code": failure, "description": f"HTTP {failure}"}
            if failure == 429:
                body = {
                    **body,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                }
            return failure, json.dumps(body).encode()
        return await super().do_request(url, method, request_data, *args, **kwargs)


async def answered_through(
    script: dict[str, list], corpus_dir, seed_engine, rate_limit: bool = True
) -> list[str]:
    request = FlakyRequest(script)
    settings = Settings(corpus=corpus_dir, admins=[ADMIN])
    app = build_application(
        settings, EngineHolder(corpus_dir, seed_engine), TOKEN, request, RecordingRequest(), rate_limit
    )
    async with app:
        await app.process_update(update(app.bot, message=message("表率", user_id=7)))
    return [params["text"] for name, params in request.calls if name == "sendMessage"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_429_is_retried_after_retry_after_and_the_answer_delivered(
    corpus_dir, seed_engine
):
    started = time.monotonic()
    sent = await answered_through({"sendMessage": [429, 429]}, corpus_dir, seed_engine)
    assert len(sent) == 1 and sent[0].startswith("问：<b>表率</b>") and "<blockquote>" in sent[0]
    assert time.monotonic() - started >= 2  # waited retry_after (1 s) twice


@pytest.mark.parametrize("failure", [502, 500], ids=["bad-gateway", "internal-error"])
async def test_server_error_5xx_is_retried_and_the_answer_delivered(corpus_dir, seed_engine, failure):
    sent = await answered_through({"sendMessage": [failure]}, corpus_dir, seed_engine)
    assert any("<blockquote>" in text for text in sent), sent


async def test_timed_out_send_is_retried_and_the_answer_delivered(corpus_dir, seed_engine):
    sent = await answered_through({"sendMessage": [TimedOut("read timed out")]}, corpus_dir, seed_engine)
    assert any("<blockquote>" in text for text in sent), sent


async def test_a_failed_send_is_never_reported_with_a_traceback_or_the_token(corpus_dir, seed_engine, caplog):
    # More failures than the retries allow: the answer cannot be sent, the error message is.
    sent = await answered_through({"sendMessage": [502] * 4}, corpus_dir, seed_engine)
    assert sent == [texts.ERROR]
    assert all(TOKEN not in text for text in sent)


# --------------------------------------------------------------------------- buttons after a restart


async def test_buttons_after_a_restart_work_or_say_stale(corpus_dir, seed_engine):
    settings = Settings(corpus=corpus_dir, admins=[ADMIN])
    first_request = RecordingRequest()
    first = build_application(
        settings, EngineHolder(corpus_dir, seed_engine), TOKEN, first_request, RecordingRequest(), False
    )
    async with first:
        msg = message("表率", user_id=7)
        await first.process_update(update(first.bot, message=msg))
        reply = first_request.last("sendMessage")
    data = {b["text"]: b["callback_data"] for b in buttons(reply)}

    # the restarted process has an empty question store and a rebuilt (reloaded) corpus
    shutil.copy(corpus_dir / "市长办公会议讲话.txt", corpus_dir / "副本.txt")
    request = RecordingRequest()
    restarted = build_application(
        settings, EngineHolder(corpus_dir), TOKEN, request, RecordingRequest(), False
    )
    async with restarted:
        for label in ("更多 ▶", "全文 1"):
            request.clear()
            await restarted.process_update(callback(restarted.bot, data[label], bot_message(reply, msg)))
            edit = request.last("editMessageText")
            check(edit["text"])
            assert request.last("answerCallbackQuery").get("show_alert") is not True
        # a message the bot can no longer read the question from: a clear stale alert, no edit
        restarted.bot_data["state"].questions = QuestionStore()
        request.clear()
        blank = {**bot_message(reply), "text": "（内容已变）"}
        await restarted.process_update(callback(restarted.bot, data["更多 ▶"], blank))
        assert request.last("answerCallbackQuery")["text"] == texts.STALE
        assert request.sent("editMessageText") == []
