"""Polling mode with metrics_port: /healthz and /metrics on the small local port, questions counted.

telemelya (the e2e emulator) has no getUpdates, so a minimal fake Bot API on 127.0.0.1 serves
getMe / deleteWebhook / getUpdates (one private question, then nothing) / sendMessage.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import httpx
import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "corpus" / "seed"
TOKEN = "654321:POLLING-TEST-TOKEN"
BOT = {"id": 654321, "is_bot": True, "first_name": "Speech", "username": "speech_test_bot"}
QUESTION = {
    "update_id": 1,
    "message": {
        "message_id": 10,
        "date": int(time.time()),
        "chat": {"id": 77, "type": "private", "first_name": "T"},
        "from": {"id": 77, "is_bot": False, "first_name": "T"},
        "text": "表率",
    },
}


class FakeBotApi(BaseHTTPRequestHandler):
    sent: ClassVar[list[dict]] = []
    pending: ClassVar[list[dict]] = []
    polls: ClassVar[list[dict]] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def params(self) -> dict:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if "json" in (self.headers.get("Content-Type") or ""):
            return json.loads(body or "{}")
        result = {}
        for key, values in parse_qs(body).items():
            try:
                result[key] = json.loads(values[0])
            except ValueError:
                result[key] = values[0]
        return result

    def reply(self, code: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        method = self.path.rsplit("/", 1)[-1]
        params = self.params()
        if not self.path.startswith(f"/bot{TOKEN}/"):
            self.reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        elif method == "getMe":
            self.reply(200, {"ok": True, "result": BOT})
        elif method in ("deleteWebhook", "setWebhook"):
            self.reply(200, {"ok": True, "result": True})
        elif method == "getUpdates":
            FakeBotApi.polls.append(params)
            offset = int(params.get("offset") or 0)
            updates = [u for u in FakeBotApi.pending if u["update_id"] >= offset]
            if not updates:
                time.sleep(0.3)
            self.reply(200, {"ok": True, "result": updates})
        elif method == "sendMessage":
            FakeBotApi.sent.append(params)
            message = {
                "message_id": 100 + len(FakeBotApi.sent),
                "date": int(time.time()),
                "chat": {"id": params["chat_id"], "type": "private"},
                "from": BOT,
                "text": params.get("text", ""),
            }
            self.reply(200, {"ok": True, "result": message})
        else:  # setMyCommands & co.: what telemelya does with methods it lacks
            self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})


@pytest.fixture
def fake_api():
    FakeBotApi.sent, FakeBotApi.pending, FakeBotApi.polls = [], [QUESTION], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBotApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    server.shutdown()
    server.server_close()


def get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2, trust_env=False)
    except httpx.TransportError:
        return None


def wait_until(check, timeout: float, what: str, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if proc.poll() is not None:
            pytest.fail(f"bot exited with {proc.returncode} waiting for {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def test_polling_mode_serves_health_and_metrics_on_the_local_port(fake_api, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED, corpus)
    port = free_port()
    config = tmp_path / "speechbot.yaml"
    config.write_text(f"metrics_port: {port}\nlog_format: text\n")
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, SPEECHBOT_CACHE=str(tmp_path / "cache"), NO_PROXY="127.0.0.1")
    log = tmp_path / "bot.log"
    command = [sys.executable, "-m", "bot", "serve", "--config", str(config), "--api-base-url", fake_api]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--corpus", str(corpus)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        health = wait_until(
            lambda: (r := get(base + "/healthz")) is not None and r.status_code == 200 and r,
            60, "/healthz 200", proc, log,
        )  # fmt: skip
        assert health.json()["status"] == "ready" and health.json()["documents"] == 1
        wait_until(lambda: FakeBotApi.sent, 30, "the answer", proc, log)
        assert "<blockquote>" in FakeBotApi.sent[0]["text"] and FakeBotApi.sent[0]["chat_id"] == 77
        # exactly the update types the handlers take: no business_message, no channel posts
        wanted = ["message", "edited_message", "callback_query", "inline_query"]
        assert FakeBotApi.polls and all(poll.get("allowed_updates") == wanted for poll in FakeBotApi.polls)

        def counted() -> str | None:
            text = get(base + "/metrics").text
            return text if 'speechbot_answers_total{result="found",via="private"} 1.0' in text else None

        metrics = wait_until(counted, 10, "the answer counted", proc, log)
        assert 'speechbot_questions_total{via="private"} 1.0' in metrics
        assert "speechbot_ready 1.0" in metrics and "speechbot_corpus_documents 1.0" in metrics
        assert get(f"{base}/telegram").status_code == 404  # no webhook endpoint in polling mode

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        text = log.read_text()
        assert "Traceback" not in text and "ERROR" not in text, text
        assert TOKEN not in text and "表率" not in text
        assert "answered via=private" in text and "result=found" in text
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
