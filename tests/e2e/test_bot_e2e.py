"""The real `speechbot serve` process in webhook mode against telemelya (see harness.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .harness import DEFAULT_TOKEN, BotClient, speechbot_command

SEED = Path(__file__).resolve().parents[2] / "corpus" / "seed"
ADMIN = 42
WAIT = 20.0


@pytest.fixture
def speechbot(start_bot, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED, corpus)
    args = speechbot_command(corpus, ADMIN)
    env = {"SPEECHBOT_CACHE": str(tmp_path / "cache")}
    bot = start_bot(args, env=env, cwd=str(Path(__file__).resolve().parents[2]), ready_timeout=60)
    bot.corpus = corpus
    return bot


def test_question_quotes_passages_and_more_edits(speechbot, tg: BotClient):
    tg.send_message(chat_id=1001, user_id=1001, text="表率")
    reply = tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    assert reply.chat_id == 1001
    assert reply.text.startswith("问：<b>表率</b>")
    assert "<blockquote>" in reply.text and "《在市长办公会议上的讲话》第三部分" in reply.text
    labels = [b["text"] for b in reply.buttons()]
    assert "全文 1" in labels and "更多 ▶" in labels

    tg.press_button(reply, button_text="更多 ▶")
    got = tg.wait_for_replies(2, methods={"answerCallbackQuery", "editMessageText"}, timeout=WAIT)
    edit = next(r for r in got if r.method == "editMessageText")
    assert edit.message_id == reply.message_id and edit.chat_id == 1001
    assert "<b>4. " in edit.text


def test_inline_query_answered(speechbot, tg: BotClient):
    update = tg.inline_query(user_id=2002, query="依法行政")
    answer = tg.wait_for_reply(methods={"answerInlineQuery"}, timeout=WAIT)
    assert answer["inline_query_id"] == update["inline_query"]["id"]
    assert answer.results and answer.results[0]["title"].startswith("《在市长办公会议上的讲话》")
    assert "<blockquote>" in answer.results[0]["input_message_content"]["message_text"]


def test_reload_for_admin_only(speechbot, tg: BotClient):
    tg.send_command(chat_id=3003, user_id=3003, command="/reload")
    refusal = tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    assert refusal.text == "抱歉，这个功能只对管理员开放。"

    tg.send_command(chat_id=ADMIN, user_id=ADMIN, command="/reload")
    status = tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    report = tg.wait_for_reply(methods={"editMessageText"}, timeout=WAIT)
    assert report.message_id == status.message_id
    assert "✅ 已重新载入语料" in report.text and "文档 1 篇" in report.text

    log = speechbot.log_text()
    assert "set_my_commands failed" in log  # telemelya 404s setMyCommands: start-up survives
    assert DEFAULT_TOKEN not in log  # the token never reaches the log


SPEECH = "\n".join(
    [
        "在全市防汛工作会议上的讲话",
        "同志们：",
        "今天召开会议，部署防汛抗旱工作。",
        "一、提高认识。防汛抗旱事关群众生命财产安全。",
        "二、压实责任。各级要落实防汛责任制，汛期值班不得脱岗。",
    ]
).encode()


def test_admin_uploads_a_speech_then_it_answers(speechbot, tg: BotClient):
    tg.send_document(ADMIN, ADMIN, "防汛 讲话.txt", SPEECH, mime_type="text/plain")
    saved, report = tg.wait_for_replies(2, methods={"sendMessage"}, timeout=WAIT)
    assert (speechbot.corpus / "防汛_讲话.txt").read_bytes() == SPEECH
    assert "已保存 防汛_讲话.txt：《在全市防汛工作会议上的讲话》" in saved.text
    assert "新增：防汛_讲话" in report.text
    tg.send_message(chat_id=ADMIN, user_id=ADMIN, text="汛期值班")
    answer = tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    assert "《在全市防汛工作会议上的讲话》" in answer.text


def test_group_answers_ask_and_ignores_chatter(speechbot, tg: BotClient):
    tg.send_message(chat_id=-100500, user_id=5005, text="大家好，今天讨论表率", chat_type="supergroup")
    tg.assert_no_replies(within=1.0)
    tg.send_command(chat_id=-100500, user_id=5005, command="/ask 依法行政", chat_type="supergroup")
    reply = tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    assert reply.chat_id == -100500 and "<blockquote>" in reply.text
