"""Proves the e2e harness: a real PTB webhook bot (echo_bot.py) against telemelya."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from .harness import BotClient, HarnessError

ECHO_BOT = str(Path(__file__).with_name("echo_bot.py"))
ECHO_ARGS = [
    sys.executable,
    ECHO_BOT,
    "--api-base-url",
    "{api_base_url}",
    "--webhook-url",
    "{webhook_url}",
    "--listen",
    "127.0.0.1",
    "--port",
    "{port}",
]
WAIT = 15.0


@pytest.fixture
def echo_bot(start_bot):
    return start_bot(ECHO_ARGS)


@pytest.mark.parametrize("transport", ["control", "direct"])
def test_message_button_edit(echo_bot, tg: BotClient, transport):
    tg.transport = transport
    tg.send_message(chat_id=1001, user_id=1001, text="你好 world")
    reply = tg.wait_for_reply(timeout=WAIT)
    assert reply.method == "sendMessage"
    assert reply.chat_id == 1001
    assert reply.text == "echo: 你好 world [private]"
    assert [b["callback_data"] for b in reply.buttons()] == ["press:你好 world"]

    tg.press_button(reply, "press:你好 world")
    got = tg.wait_for_replies(2, methods={"answerCallbackQuery", "editMessageText"}, timeout=WAIT)
    by_method = {r.method: r for r in got}
    assert by_method["answerCallbackQuery"]["text"] == "pressed"
    edit = by_method["editMessageText"]
    assert edit.message_id == reply.message_id and edit.chat_id == 1001
    assert edit.text.startswith("edited: press:你好 world")
    if transport == "direct":  # direct callbacks carry the real message; telemelya's carry text ""
        assert edit.text.endswith("(was: echo: 你好 world [private])")
    tg.assert_no_replies(within=0.5)


def test_inline_query(echo_bot, tg: BotClient):
    update = tg.inline_query(user_id=2002, query="讲话")
    answer = tg.wait_for_reply(methods={"answerInlineQuery"}, timeout=WAIT)
    assert answer["inline_query_id"] == update["inline_query"]["id"]
    assert [r["title"] for r in answer.results] == ["inline: 讲话"]
    assert answer.results[0]["input_message_content"]["message_text"] == "inline: 讲话"


def test_group_chat_and_numeric_text(echo_bot, tg: BotClient):
    tg.send_message(chat_id=-100123, user_id=3003, text="42", chat_type="supergroup")
    reply = tg.wait_for_reply(timeout=WAIT)
    assert reply.chat_id == -100123
    assert reply.text == "echo: 42 [supergroup]"
    tg.press_button(reply, button_text="Press me")
    edit = tg.wait_for_reply(methods={"editMessageText"}, timeout=WAIT)
    assert edit.message_id == reply.message_id


def test_document_download(echo_bot, tg: BotClient):
    data = "第一段。\n第二段。\n".encode() * 50
    tg.send_document(chat_id=4004, user_id=4004, filename="speech.txt", data=data, mime_type="text/plain")
    reply = tg.wait_for_reply(timeout=WAIT)
    assert reply.text == f"doc speech.txt {len(data)} bytes {hashlib.sha256(data).hexdigest()[:12]}"


def test_startup_tolerates_missing_set_my_commands(echo_bot, tg: BotClient):
    tg.send_message(chat_id=5005, user_id=5005, text="ping")
    tg.wait_for_reply(timeout=WAIT)
    assert "set_my_commands failed (InvalidToken" in echo_bot.log_text()


def test_secret_token_bot(start_bot, e2e_services):
    start_bot([*ECHO_ARGS, "--secret-token", "s3cr3t"])
    with BotClient(e2e_services, transport="control") as plain:
        with pytest.raises(HarnessError, match="403"):  # telemelya does not send the secret header
            plain.send_message(6006, 6006, "hi")
        plain.reset()
    with BotClient(e2e_services, transport="direct", secret_token="s3cr3t") as tg:
        tg.send_message(6006, 6006, "hi")
        assert tg.wait_for_reply(timeout=WAIT).text == "echo: hi [private]"
        tg.reset()
