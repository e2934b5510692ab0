"""The real `speechbot serve` process under hostile updates and a hard restart, through the
Bot API emulator telemelya on 127.0.0.1 (see tests/e2e/harness.py)."""

from __future__ import annotations

import json
import shutil
import uuid

import httpx
import pytest

from bot.telegram import texts
from tests.e2e.harness import DEFAULT_TOKEN, E2E_SECRET, BotClient, BotProcess, speechbot_command
from tests.support.html_check import check
from tests.support.loop_bot import ADMIN
from tests.support.paths import PROJECT, SEED

WAIT = 20.0


@pytest.fixture
def launch(e2e_services, tmp_path):
    """launch() -> a running bot over one corpus copy and cache; every bot is stopped at the end."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED, corpus)
    started: list[BotProcess] = []

    def _launch() -> BotProcess:
        args = speechbot_command(corpus, ADMIN)
        bot = BotProcess(
            e2e_services,
            args,
            env={"SPEECHBOT_CACHE": str(tmp_path / "cache")},
            cwd=str(PROJECT),
            ready_timeout=60,
        )
        started.append(bot)
        return bot

    yield _launch
    for bot in started:
        bot.stop(timeout=10)


@pytest.fixture
def client(e2e_services):
    with BotClient(e2e_services, token=DEFAULT_TOKEN) as tg:
        yield tg
        tg.reset()


def press(client: BotClient, reply, label: str, question: dict | None) -> None:
    """Press a button as Telegram delivers it: the bot's message with its text as users see it
    (entities parsed, which telemelya does not do) and the message it replied to, if any."""
    data = next(b["callback_data"] for b in reply.buttons() if b["text"] == label)
    msg = {
        "message_id": reply.message_id,
        "date": 0,
        "chat": {"id": reply.chat_id, "type": "private"},
        "from": {"id": 123456789, "is_bot": True, "first_name": "Bot"},
        "text": check(reply.text),
    }
    if question is not None:
        msg["reply_to_message"] = question
    client._map("callback_session", cid := str(uuid.uuid4()))
    client.post_update(
        {
            "callback_query": {
                "id": cid,
                "from": {"id": reply.chat_id, "is_bot": False, "first_name": "x"},
                "chat_instance": "1",
                "data": data,
                "message": msg,
            }
        }
    )


def test_buttons_after_the_process_is_killed_and_restarted(launch, client):
    bot = launch()
    question = client.send_message(chat_id=6001, user_id=6001, text="表率")["message"]
    reply = client.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    bot.proc.kill()  # SIGKILL mid-conversation: no shutdown of any kind
    bot.proc.wait(timeout=10)
    restarted = launch()

    for source in (question, None):  # rebuilt from the question replied to, or from the bot's own text
        press(client, reply, "更多 ▶", source)
        got = client.wait_for_replies(2, methods={"answerCallbackQuery", "editMessageText"}, timeout=WAIT)
        edit = next(r for r in got if r.method == "editMessageText")
        assert edit.message_id == reply.message_id and "<b>4. " in check(edit.text) + edit.text
    press(client, reply, "全文 1", question)
    got = client.wait_for_replies(2, methods={"answerCallbackQuery", "editMessageText"}, timeout=WAIT)
    assert "（第" in check(next(r for r in got if r.method == "editMessageText").text)

    # after another restart, a message the question cannot be read from (edited away): a clear alert
    restarted.proc.kill()
    restarted.proc.wait(timeout=10)
    launch()
    reply.record["text"] = "<b>别的内容</b>"
    press(client, reply, "更多 ▶", None)
    alert = client.wait_for_reply(methods={"answerCallbackQuery", "editMessageText"}, timeout=WAIT)
    assert alert.method == "answerCallbackQuery" and alert.get("text") == texts.STALE


HOSTILE_TEXTS = [
    "\ud800表率",  # a lone surrogate, as a modified client can put in JSON
    "表率\u0000\u202e\u200f<b>&amp;</blockquote>",
    "表" * 10_000,
    "。，、；！？……",
    "🙂" * 400,
]


def post_raw(client: BotClient, e2e_services, body: bytes, chat_id: int | None = None) -> int:
    if chat_id is not None:
        client._map("chat_session", chat_id)
    url = e2e_services.get_webhook_url(DEFAULT_TOKEN)
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": E2E_SECRET}
    response = httpx.post(url, content=body, headers=headers, timeout=10, trust_env=False)
    return response.status_code


def test_hostile_updates_leave_the_process_answering_and_the_token_unlogged(launch, client, e2e_services):
    bot = launch()
    for number, text in enumerate(HOSTILE_TEXTS):
        chat = 7000 + number
        update = {
            "update_id": 9_000_000 + number,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "x"},
                "text": text,
            },
        }
        # ensure_ascii keeps the lone surrogate as the JSON escape \ud800, as Telegram would send it
        assert post_raw(client, e2e_services, json.dumps(update).encode(), chat) == 200
        (reply,) = client.wait_for_replies(1, methods={"sendMessage"}, timeout=WAIT)
        assert reply.chat_id == chat and reply.text != texts.ERROR
        check(reply.text)
    # not updates at all, and forged button data: the process must shrug them off
    for body in (
        b"{not json",
        b"[]",
        b'{"update_id": 5}',
        json.dumps({"update_id": 6, "message": {"x": 1}}).encode(),
    ):
        post_raw(client, e2e_services, body)
    sent = {"message_id": 1, "chat_id": 7100, "text": "旧"}
    for data in ("m|abc|²", "p|0000000000|999999|abc|0", "l|99999999999999999999", "x" * 64):
        client._map("callback_session", cid := str(uuid.uuid4()))
        client.post_update(
            {
                "callback_query": {
                    "id": cid,
                    "from": {"id": 7100, "is_bot": False, "first_name": "x"},
                    "chat_instance": "1",
                    "data": data,
                    "message": {**sent, "date": 0, "chat": {"id": 7100, "type": "private"}},
                }
            }
        )
        alert = client.wait_for_reply(methods={"answerCallbackQuery"}, timeout=WAIT)
        assert alert.get("text") == texts.STALE
    client.send_message(chat_id=7200, user_id=7200, text="表率")
    assert "<blockquote>" in client.wait_for_reply(methods={"sendMessage"}, timeout=WAIT).text
    assert bot.alive()
    log = bot.log_text()
    assert DEFAULT_TOKEN not in log
    assert all(DEFAULT_TOKEN not in json.dumps(r.record) for r in client.responses())
