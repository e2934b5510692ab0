"""Handlers end to end through Application.process_update, with an offline Bot API."""

from __future__ import annotations

import asyncio
import shutil
import threading

import pytest
from telegram.error import InvalidToken

from bot.config import Settings
from bot.service.holder import EngineHolder
from bot.telegram import texts
from bot.telegram.application import build_application, set_commands
from bot.telegram.callbacks import QuestionStore
from retrieval.search.engine import SearchEngine
from tests.support.fake_telegram import (
    BOT_USERNAME,
    TOKEN,
    RecordingRequest,
    bot_message,
    buttons,
    callback,
    message,
    update,
)

ADMIN = 42


@pytest.fixture
async def env(corpus_dir, seed_engine):
    """(app, request) for a bot over a writable copy of the seed corpus; admin is user 42."""
    request = RecordingRequest()
    settings = Settings(corpus=corpus_dir, admins=[ADMIN], max_upload_bytes=100_000)
    holder = EngineHolder(corpus_dir, engine=seed_engine)
    app = build_application(settings, holder, TOKEN, request, RecordingRequest(), rate_limit=False)
    async with app:
        request.clear()
        yield app, request


async def send(app, **msg) -> None:
    await app.process_update(update(app.bot, message=message(**msg)))


async def ask(app, request, text: str, **kw) -> tuple[dict, dict]:
    """Send a question; return (the user's message, the bot's reply parameters)."""
    msg = message(text, **kw)
    await app.process_update(update(app.bot, message=msg))
    return msg, request.last("sendMessage")


# --------------------------------------------------------------------------- commands


@pytest.mark.parametrize("command", ["/start", "/help"])
async def test_start_and_help_in_chinese_with_examples(env, command):
    app, request = env
    await send(app, text=command)
    reply = request.last("sendMessage")
    assert reply["parse_mode"] == "HTML"
    assert "廉政责任书多久签一次" in reply["text"] and "/speeches" in reply["text"]
    assert "/reload" not in reply["text"]
    await send(app, text=command, user_id=ADMIN)
    assert "/reload" in request.last("sendMessage")["text"]


async def test_command_menus_set_at_start_and_404_tolerated(env, caplog):
    app, request = env
    await set_commands(app)
    menus = request.sent("setMyCommands")
    assert menus[0]["scope"] == {"type": "default"}
    assert menus[1]["scope"] == {"type": "chat", "chat_id": ADMIN}
    assert "reload" in [c["command"] for c in menus[1]["commands"]]
    request.failing["setMyCommands"] = InvalidToken("Not Found")
    await set_commands(app)  # telemelya answers 404: logged, not fatal
    assert "set_my_commands failed" in caplog.text


# --------------------------------------------------------------------------- questions


async def test_private_question_quotes_passages_with_references(env):
    app, request = env
    msg, reply = await ask(app, request, "表率")
    text = reply["text"]
    assert text.startswith("问：<b>表率</b>")
    assert text.count("<blockquote>") == 3 and "<b>表率</b>" in text
    assert "《在市长办公会议上的讲话》第三部分「当好表率，坚持以身作则」" in text and "第7段" in text
    assert reply["reply_parameters"]["message_id"] == msg["message_id"]
    labels = [b["text"] for b in buttons(reply)]
    assert labels == ["全文 1", "全文 2", "全文 3", "更多 ▶"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(reply))


async def test_not_found_is_an_honest_answer(env):
    app, request = env
    _, reply = await ask(app, request, "火星探测<script>")
    assert "没有找到与问题相符的段落" in reply["text"]
    assert "火星" in reply["text"] and "/speeches" in reply["text"]
    assert "&lt;script&gt;" in reply["text"] and "<script>" not in reply["text"]
    assert buttons(reply) == []


async def test_long_question_refused_with_the_limit(env):
    app, request = env
    _, reply = await ask(app, request, "表率" * 251)
    assert "500 字以内" in reply["text"] and "502 字" in reply["text"]
    assert "<blockquote>" not in reply["text"]


async def test_group_ignores_chatter(env):
    app, request = env
    await send(app, text="今天开会讨论表率问题", chat_id=-100, chat_type="supergroup")
    await send(app, text="表率", chat_id=-100, chat_type="group")
    assert request.sent("sendMessage") == []


@pytest.mark.parametrize(
    "text",
    ["/ask 表率", f"/ask@{BOT_USERNAME} 表率", f"@{BOT_USERNAME} 表率", f"表率 @{BOT_USERNAME}"],
)
async def test_group_answers_ask_and_mentions(env, text):
    app, request = env
    _, reply = await ask(app, request, text, chat_id=-100, chat_type="supergroup")
    assert reply["chat_id"] == -100
    assert reply["text"].startswith("问：<b>表率</b>") and "<blockquote>" in reply["text"]


async def test_group_answers_replies_to_the_bot(env):
    app, request = env
    _, first = await ask(app, request, "/ask 表率", chat_id=-100, chat_type="supergroup")
    reply_to = bot_message(first, chat_type="supergroup")
    await send(app, text="依法行政", chat_id=-100, chat_type="supergroup", reply_to=reply_to)
    assert request.last("sendMessage")["text"].startswith("问：<b>依法行政</b>")
    other = message("随便说说", user_id=8, chat_id=-100, chat_type="supergroup")
    request.clear()
    await send(app, text="依法行政", chat_id=-100, chat_type="supergroup", reply_to=other)
    assert request.sent("sendMessage") == []


async def test_ask_without_question_shows_usage(env):
    app, request = env
    await send(app, text="/ask", chat_id=-100, chat_type="group")
    assert "用法：/ask 问题" in request.last("sendMessage")["text"]


# --------------------------------------------------------------------------- buttons


async def test_more_edits_the_same_message_and_goes_back(env):
    app, request = env
    msg, reply = await ask(app, request, "表率")
    more = next(b for b in buttons(reply) if b["text"] == "更多 ▶")
    await app.process_update(callback(app.bot, more["callback_data"], bot_message(reply, msg)))
    edit = request.last("editMessageText")
    assert edit["message_id"] == reply["message_id"] and edit["chat_id"] == reply["chat_id"]
    assert "<b>4. " in edit["text"] and "<b>1. " not in edit["text"]
    assert request.last("answerCallbackQuery").get("text") is None
    back = next(b for b in buttons(edit) if b["text"] == "◀ 上一页")
    await app.process_update(callback(app.bot, back["callback_data"], bot_message(reply, msg)))
    assert "<b>1. " in request.last("editMessageText")["text"]


async def test_button_after_restart_rebuilds_from_the_question(env, corpus_dir, seed_engine):
    app, request = env
    msg, reply = await ask(app, request, "表率")
    data = next(b["callback_data"] for b in buttons(reply) if b["text"] == "更多 ▶")
    fresh_request = RecordingRequest()
    settings = Settings(corpus=corpus_dir, admins=[ADMIN])
    restarted = build_application(
        settings, EngineHolder(corpus_dir, seed_engine), TOKEN, fresh_request, RecordingRequest(), False
    )
    async with restarted:
        await restarted.process_update(callback(restarted.bot, data, bot_message(reply, msg)))
        assert "<b>4. " in fresh_request.last("editMessageText")["text"]
        # the bot's own text also carries the question
        await restarted.process_update(callback(restarted.bot, data, bot_message(reply)))
        assert len(fresh_request.sent("editMessageText")) == 2
        # nothing to rebuild from (telemelya's callbacks carry text ""): a clear stale alert
        restarted.bot_data["state"].questions = QuestionStore()
        stripped = {**bot_message(reply), "text": ""}
        await restarted.process_update(callback(restarted.bot, data, stripped))
        alert = fresh_request.last("answerCallbackQuery")
        assert alert["text"] == texts.STALE and alert["show_alert"] is True


@pytest.mark.parametrize("data", ["x|1", "m|abc", "m|abc|x", "p|0000000000|1|abc|0", "o|0000000000", ""])
async def test_unknown_or_stale_callback_alerts(env, data):
    app, request = env
    sent = {"message_id": 1, "chat_id": 7, "text": "旧消息"}
    await app.process_update(callback(app.bot, data, bot_message(sent)))
    assert request.last("answerCallbackQuery")["text"] == "结果已过期，请重新提问"
    assert request.sent("editMessageText") == []


async def test_full_text_part_and_back(env):
    app, request = env
    msg, reply = await ask(app, request, "廉政责任书")
    full = next(b for b in buttons(reply) if b["text"] == "全文 1")
    await app.process_update(callback(app.bot, full["callback_data"], bot_message(reply, msg)))
    edit = request.last("editMessageText")
    assert edit["message_id"] == reply["message_id"]
    assert "第六部分「坚定信念，始终廉洁从政」（第10段）" in edit["text"]
    assert "<b>廉政责任书</b>" in edit["text"] and "六、坚定信念，始终廉洁从政。坚持自省" in edit["text"]
    assert [b["text"] for b in buttons(edit)] == ["整个部分", "↩ 返回结果"]
    part, back = buttons(edit)
    await app.process_update(callback(app.bot, part["callback_data"], bot_message(edit, msg)))
    follow = request.last("sendMessage")
    assert follow["text"].startswith("<b>《在市长办公会议上的讲话》第六部分「坚定信念，始终廉洁从政」</b>")
    await app.process_update(callback(app.bot, back["callback_data"], bot_message(edit, msg)))
    assert request.last("editMessageText")["text"] == reply["text"]


async def test_speeches_outline_and_parts(env):
    app, request = env
    await send(app, text="/speeches")
    listing = request.last("sendMessage")
    assert "共 1 篇" in listing["text"] and "《在市长办公会议上的讲话》" in listing["text"]
    (choice,) = buttons(listing)
    await app.process_update(callback(app.bot, choice["callback_data"], bot_message(listing)))
    outline = request.last("editMessageText")
    assert "六、坚定信念，始终廉洁从政" in outline["text"] and "三是坚持“三聚”" in outline["text"]
    labels = [b["text"] for b in buttons(outline)]
    assert labels[0] == "开场白" and labels[-2] == "结束语" and labels[-1] == "◀ 讲话列表"
    opening = buttons(outline)[0]
    await app.process_update(callback(app.bot, opening["callback_data"], bot_message(outline)))
    assert "<b>《在市长办公会议上的讲话》开场白</b>" in request.last("sendMessage")["text"]
    await app.process_update(callback(app.bot, buttons(outline)[-1]["callback_data"], bot_message(outline)))
    assert request.last("editMessageText")["text"] == listing["text"]


# --------------------------------------------------------------------------- inline mode


async def test_inline_query_offers_passages_with_references(env):
    app, request = env
    sender = {"id": 5, "is_bot": False, "first_name": "A"}
    query = {"id": "iq1", "from": sender, "query": "表率", "offset": ""}
    await app.process_update(update(app.bot, inline_query=query))
    answer = request.last("answerInlineQuery")
    results = answer["results"]
    assert 1 <= len(results) <= 5 and len({r["id"] for r in results}) == len(results)
    first = results[0]
    assert first["title"].startswith("《在市长办公会议上的讲话》")
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML" and "<blockquote>" in content["message_text"]
    await app.process_update(update(app.bot, inline_query={**query, "id": "iq2", "query": "火星探测"}))
    assert request.last("answerInlineQuery")["results"][0]["title"] == "没有找到相符的段落"


# --------------------------------------------------------------------------- admin


async def test_admin_commands_refused_by_user_id_not_chat_id(env):
    app, request = env
    for command in ("/reload", "/stats"):
        await send(app, text=command, user_id=7, chat_id=ADMIN)  # chat id 42, user 7: refused
        assert request.last("sendMessage")["text"] == texts.NOT_ADMIN
    await send(app, text="/stats", user_id=ADMIN, chat_id=-100, chat_type="group")
    assert request.last("sendMessage")["text"].startswith("<b>运行统计</b>")


async def test_stats(env):
    app, request = env
    await ask(app, request, "表率")
    await ask(app, request, "依法行政")
    await send(app, text="/stats", user_id=ADMIN)
    text = request.last("sendMessage")["text"]
    assert "文档：1 篇" in text and "片段：" in text and "已回答问题：2 个" in text and "毫秒" in text


async def test_reload_reports_changes(env, corpus_dir):
    app, request = env
    shutil.copy(corpus_dir / "市长办公会议讲话.txt", corpus_dir / "副本.txt")
    await send(app, text="/reload", user_id=ADMIN)
    status = request.last("sendMessage")
    report = request.last("editMessageText")
    assert report["message_id"] == status["message_id"]
    assert "✅ 已重新载入语料" in report["text"] and "文档 2 篇" in report["text"]
    assert "新增：副本" in report["text"] and "删除：无" in report["text"] and "警告" in report["text"]
    assert len(app.bot_data["state"].holder.engine.documents) == 2


async def test_reload_failure_keeps_the_old_index(env, corpus_dir):
    app, request = env
    for path in corpus_dir.iterdir():
        path.unlink()
    (corpus_dir / "空.txt").write_text("", encoding="utf-8")
    await send(app, text="/reload", user_id=ADMIN)
    report = request.last("editMessageText")["text"]
    assert "❌ 重新载入失败：没有可读的文档" in report and "仍在使用原来的索引（1 篇" in report
    assert "空.txt：empty file" in report
    _, reply = await ask(app, request, "表率")
    assert "<blockquote>" in reply["text"]


async def test_reload_crash_keeps_the_old_index(env, monkeypatch):
    app, request = env

    def crash(folder):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(SearchEngine, "from_folder", staticmethod(crash))
    await send(app, text="/reload", user_id=ADMIN)
    assert "重新载入失败：RuntimeError: parser exploded" in request.last("editMessageText")["text"]


async def test_two_reloads_are_serialised_and_questions_answered_meanwhile(env, monkeypatch, seed_engine):
    app, request = env
    running, overlaps, started = [], [], asyncio.Event()
    loop = asyncio.get_running_loop()
    gate = threading.Event()

    def slow(folder):
        running.append(1)
        overlaps.append(len(running))
        loop.call_soon_threadsafe(started.set)
        gate.wait(5)
        running.pop()
        return seed_engine

    monkeypatch.setattr(SearchEngine, "from_folder", staticmethod(slow))
    reloads = asyncio.gather(*(send(app, text="/reload", user_id=ADMIN) for _ in range(2)))
    task = asyncio.ensure_future(reloads)
    await asyncio.wait_for(started.wait(), 5)
    _, reply = await ask(app, request, "表率")  # answered from the old index while rebuilding
    assert "<blockquote>" in reply["text"]
    gate.set()
    await asyncio.wait_for(task, 10)
    assert overlaps == [1, 1]
    assert len([e for e in request.sent("editMessageText") if "✅" in e["text"]]) == 2


# --------------------------------------------------------------------------- uploads


def document_update(app, request, name: str, data: bytes, user_id: int = ADMIN, size: int | None = None):
    file_id = f"file{len(request.files)}"
    request.files[file_id] = data
    doc = {"file_id": file_id, "file_unique_id": file_id, "file_name": name, "file_size": size or len(data)}
    msg = message("", user_id=user_id)
    del msg["text"]
    msg["document"] = doc
    return update(app.bot, message=msg)


SPEECH = "\n".join(
    [
        "在全市干部大会上的讲话",
        "同志们：",
        "今天召开会议，部署防汛抗旱工作。",
        "一、提高认识。防汛抗旱事关群众安全。",
        "二、压实责任。各级要落实防汛责任制。",
    ]
).encode()


async def test_admin_uploads_a_speech(env, corpus_dir):
    app, request = env
    await app.process_update(document_update(app, request, "../../防汛<讲话>.txt", SPEECH))
    saved, report = request.sent("sendMessage")[-2:]
    assert "已保存 防汛_讲话.txt：《在全市干部大会上的讲话》" in saved["text"]
    assert (corpus_dir / "防汛_讲话.txt").read_bytes() == SPEECH
    assert "✅" in report["text"] and "新增：防汛_讲话" in report["text"]
    _, reply = await ask(app, request, "防汛责任制")
    assert "《在全市干部大会上的讲话》" in reply["text"]


@pytest.mark.parametrize(
    ("name", "data", "size", "expected"),
    [
        ("speech.pdf", b"%PDF", None, "只接受 .txt、.md 或 .docx 文件"),
        ("big.txt", b"x", 10_000_000, "文件太大"),
        ("empty.md", "只有标题\n".encode(), None, "文件无法使用"),
        ("short.txt", SPEECH, len(SPEECH) + 5, "下载不完整"),
    ],
)
async def test_upload_refusals(env, corpus_dir, name, data, size, expected):
    app, request = env
    before = sorted(p.name for p in corpus_dir.iterdir())
    await app.process_update(document_update(app, request, name, data, size=size))
    assert expected in request.last("sendMessage")["text"]
    assert sorted(p.name for p in corpus_dir.iterdir()) == before


async def test_upload_by_non_admin_refused(env, corpus_dir):
    app, request = env
    await app.process_update(document_update(app, request, "speech.txt", SPEECH, user_id=7))
    assert request.last("sendMessage")["text"] == texts.NOT_ADMIN
    assert not (corpus_dir / "speech.txt").exists() and request.sent("getFile") == []


# --------------------------------------------------------------------------- errors


async def test_error_handler_tells_the_user_without_traceback(env, monkeypatch, caplog):
    app, request = env

    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(app.bot_data["state"].holder.engine, "ask", broken)
    await send(app, text="表率")
    assert request.last("sendMessage")["text"] == texts.ERROR
    assert "boom" in caplog.text and "error while handling update" in caplog.text
