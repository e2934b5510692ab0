"""The security findings that are about the process, shown on the real `speechbot serve`:
start-up refusals, the token under a Bot API that answers 401/404, forged and Business-chat
updates, and the per-user limit. Every server here listens on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.e2e.harness import (
    DEFAULT_TOKEN,
    BotClient,
    BotProcess,
    local_env,
    speechbot_command,
)
from tests.support.paths import PROJECT, SEED
from tests.support.ports import LOCALHOST, free_port

ADMIN = 42
WAIT = 20.0
TOKEN = "735021:AAH-secret-part-of-the-token-0123456789"
SPEECH = (
    "在全市防汛工作会议上的讲话\n同志们：\n一、压实责任。各级要落实防汛责任制，汛期值班不得脱岗。\n".encode()
)


def serve_command(*options: str) -> list[str]:
    return [sys.executable, "-m", "bot", "serve", "--corpus", str(SEED), *options]


def run_bot(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, str]:
    """Run the bot to its end; (exit code, stdout and stderr together)."""
    done = subprocess.run(
        args,
        cwd=PROJECT,
        env=local_env({"TELEGRAM_BOT_TOKEN": TOKEN, **(env or {})}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    return done.returncode, done.stdout


# --------------------------------------------------------------------------- start-up


@pytest.mark.parametrize("secret", [None, "CHANGE-ME", "0123456789"])
def test_webhook_mode_refuses_to_start_without_a_fit_secret(secret):
    port = free_port()
    args = serve_command("--webhook-url", f"http://{LOCALHOST}:{port}/hook", "--listen", LOCALHOST)
    args += ["--port", str(port)] + (["--secret-token", secret] if secret else [])
    code, output = run_bot(args, env={"SPEECHBOT_SECRET_TOKEN": ""}, timeout=60)
    assert code == 2, output
    assert "openssl rand -hex 32" in output
    assert "Traceback" not in output


class RefusingBotApi(BaseHTTPRequestHandler):
    """A Bot API that refuses every call with one status (401 Unauthorized or 404 Not Found)."""

    status = 401

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        descriptions = {401: "Unauthorized", 404: "Not Found"}
        body = json.dumps({"ok": False, "error_code": self.status, "description": descriptions[self.status]})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_api(request) -> Iterator[str]:
    handler = type("Refusing", (RefusingBotApi,), {"status": request.param})
    server = ThreadingHTTPServer((LOCALHOST, free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOCALHOST}:{server.server_address[1]}/bot"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("refusing_api", [401, 404], indirect=True, ids=["401", "404"])
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_token_never_reaches_the_output_when_the_bot_api_refuses_it(refusing_api, log_format, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"log_format: {log_format}\n", encoding="utf-8")
    code, output = run_bot(serve_command("--config", str(config), "--api-base-url", refusing_api))
    assert code == 1, output
    assert "refused the token" in output, output
    secret_part = TOKEN.split(":", 1)[1]
    assert TOKEN not in output and secret_part not in output and secret_part[:12] not in output, output


# --------------------------------------------------------------------------- through the emulator


@pytest.fixture
def bot(e2e_services, tmp_path) -> Iterator[BotProcess]:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED, corpus)
    process = BotProcess(
        e2e_services,
        speechbot_command(corpus, ADMIN),
        env={"SPEECHBOT_CACHE": str(tmp_path / "cache")},
        cwd=str(PROJECT),
        ready_timeout=60,
    )
    process.corpus = corpus  # type: ignore[attr-defined]
    yield process
    process.stop(timeout=10)


@pytest.fixture
def client(e2e_services) -> Iterator[BotClient]:
    with BotClient(e2e_services, token=DEFAULT_TOKEN) as tg:
        yield tg
        tg.reset()


def admin_stats_update(update_id: int) -> dict:
    user = {"id": ADMIN, "is_bot": False, "first_name": "Admin"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": user,
            "chat": {"id": ADMIN, "type": "private", "first_name": "Admin"},
            "date": int(time.time()),
            "text": "/stats",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def test_a_forged_admin_update_with_a_wrong_secret_gets_403_and_nothing_is_sent(bot, client):
    client._map("chat_session", ADMIN)  # whatever the bot sends to the admin is recorded here
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "0" * 64}):
        response = httpx.post(
            bot.webhook_url, json=admin_stats_update(900_001), headers=headers, timeout=10, trust_env=False
        )
        assert response.status_code == 403
    client.assert_no_replies(within=1.5)
    client.post_update(admin_stats_update(900_002))  # the right secret: /stats is answered
    assert "<b>" in client.wait_for_reply(methods={"sendMessage"}, timeout=WAIT).text


def test_a_document_in_a_business_chat_is_ignored(bot, client):
    customer = 777_001
    file_id = client.upload_file("业务.txt", SPEECH, "text/plain")
    client._map("chat_session", customer)
    client.post_update(
        {
            "business_message": {
                "message_id": 11,
                "business_connection_id": "business-connection-1",
                "from": {"id": ADMIN, "is_bot": False, "first_name": "Admin"},
                "chat": {"id": customer, "type": "private", "first_name": "Customer"},
                "date": int(time.time()),
                "document": {
                    "file_id": file_id,
                    "file_unique_id": file_id[:16],
                    "file_name": "业务.txt",
                    "file_size": len(SPEECH),
                },
            }
        }
    )
    client.assert_no_replies(within=2.0)
    assert not (bot.corpus / "业务.txt").exists()
    client.send_document(ADMIN, ADMIN, "业务.txt", SPEECH, mime_type="text/plain")  # the same, privately
    saved = client.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    assert saved.text.startswith("已保存 业务.txt")


def test_one_user_flooding_gets_the_polite_limit_and_others_are_answered(bot, client):
    flooder, other = 880_001, 880_002
    for number in range(24):
        client.send_message(flooder, flooder, f"依法行政 {number}")
    replies = client.wait_for_replies(24, methods={"sendMessage"}, timeout=60)
    refused = [r.text for r in replies if "请稍候" in r.text or "提问太频繁" in r.text]
    answered = [r.text for r in replies if r.text.startswith("问：")]
    assert refused and answered and len(refused) + len(answered) == 24
    assert len(answered) <= 20  # at most 20 a minute
    client.send_message(other, other, "表率")
    reply = client.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    assert reply.chat_id == other and reply.text.startswith("问：<b>表率</b>")
