"""Webhook mode's /healthz and /metrics, and the log lines, through the real `speechbot serve`.

The bot runs with a secret token (so updates go straight to its webhook with the header), a
config file asking for JSON logs and a separate metrics port, against telemelya (harness.py).
"""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import httpx
import pytest

from .harness import DEFAULT_TOKEN, LOCALHOST, BotClient, free_port, speechbot_command

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "corpus" / "seed"
ADMIN = 42
WAIT = 20.0
SECRET = "e2eHook0123456789abcdefGHIJKLMNOPqrstuv"
PRIVATE = "表率"


@pytest.fixture
def monitored(start_bot, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED, corpus)
    metrics_port = free_port()
    config = tmp_path / "speechbot.yaml"
    config.write_text(
        f"log_format: json\nlog_questions: false\nmetrics_listen: {LOCALHOST}\nmetrics_port: {metrics_port}\n"
    )
    args = speechbot_command(corpus, ADMIN, "--config", str(config), "--secret-token", SECRET)
    env = {"SPEECHBOT_CACHE": str(tmp_path / "cache")}
    bot = start_bot(args, env=env, cwd=str(ROOT), ready_timeout=60)
    bot.metrics_port = metrics_port
    bot.corpus_dir = corpus
    return bot


@pytest.fixture
def tg_direct(e2e_services):
    client = BotClient(e2e_services, token=DEFAULT_TOKEN, transport="direct", secret_token=SECRET)
    try:
        yield client
    finally:
        client.reset()
        client.close()


def get(port: int, path: str) -> httpx.Response:
    return httpx.get(f"http://{LOCALHOST}:{port}{path}", timeout=5, trust_env=False)


def samples(port: int) -> dict[str, float]:
    """The /metrics samples as {'name{labels}': value} (labels as prometheus-client prints them)."""
    result = {}
    for line in get(port, "/metrics").text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            result[name] = float(value)
    return result


def wait_for_sample(port: int, name: str, value: float, timeout: float = WAIT) -> dict[str, float]:
    """Counters move just after the reply is sent: poll until `name` reaches `value`."""
    deadline = time.monotonic() + timeout
    while True:
        found = samples(port)
        if found.get(name, 0.0) >= value or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def log_events(bot, event: str) -> list[dict]:
    entries = [json.loads(line) for line in bot.log_text().splitlines() if line.startswith("{")]
    return [entry for entry in entries if entry.get("event") == event]


def test_healthz_ready_on_the_webhook_port_and_the_metrics_port(monitored):
    identities = set()
    for port in (monitored.port, monitored.metrics_port):
        health = get(port, "/healthz")
        assert health.status_code == 200, health.text
        body = health.json()
        identities.add((body.pop("replica"), body.pop("corpus_version")))
        assert body == {"status": "ready", "documents": 1, "passages": body["passages"], "reloads": 0}
        assert body["passages"] > 100
    ((replica, version),) = identities  # one process: the same on both ports
    assert replica.endswith(f":{monitored.port}") and len(version) == 16
    metrics = samples(monitored.port)
    assert metrics["speechbot_ready"] == 1
    assert metrics["speechbot_corpus_documents"] == 1
    assert metrics["speechbot_corpus_passages"] == get(monitored.port, "/healthz").json()["passages"]
    assert metrics['speechbot_questions_total{via="private"}'] == 0
    assert metrics["speechbot_index_load_seconds"] > 0
    assert "process_resident_memory_bytes" in metrics


def test_metrics_count_what_happened(monitored, tg_direct: BotClient):
    tg = tg_direct
    tg.send_message(chat_id=1001, user_id=1001, text=PRIVATE)
    assert "<blockquote>" in tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT).text
    tg.send_message(chat_id=1001, user_id=1001, text="NBA总决赛冠军是谁")
    assert "没有找到" in tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT).text
    tg.send_message(chat_id=1001, user_id=1001, text="问" * 501)
    assert "问题太长" in tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT).text
    tg.send_command(chat_id=-100700, user_id=7007, command="/ask 依法行政", chat_type="supergroup")
    tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    tg.inline_query(user_id=2002, query="依法行政")
    tg.wait_for_reply(methods={"answerInlineQuery"}, timeout=WAIT)

    metrics = wait_for_sample(monitored.port, 'speechbot_questions_total{via="inline"}', 1)
    assert metrics['speechbot_questions_total{via="private"}'] == 3
    assert metrics['speechbot_questions_total{via="group"}'] == 1
    assert metrics['speechbot_questions_total{via="inline"}'] == 1
    assert metrics['speechbot_answers_total{result="found",via="private"}'] == 1
    assert metrics['speechbot_answers_total{result="not_found",via="private"}'] == 1
    assert metrics['speechbot_answers_total{result="refused",via="private"}'] == 1
    assert metrics['speechbot_answers_total{result="found",via="group"}'] == 1
    assert metrics['speechbot_answers_total{result="found",via="inline"}'] == 1
    assert metrics['speechbot_answer_seconds_count{via="private"}'] == 2
    assert metrics['speechbot_reply_seconds_count{via="private"}'] == 2
    assert metrics['speechbot_answer_seconds_bucket{le="+Inf",via="group"}'] == 1
    assert metrics["speechbot_webhook_updates_total"] == 5
    on_metrics_port = samples(monitored.metrics_port)  # the same registry on both ports
    assert on_metrics_port['speechbot_questions_total{via="private"}'] == 3

    # one JSON line per question: result, hit count and latency, never the question's text
    answered = log_events(monitored, "answered")
    assert [(e["via"], e["result"]) for e in answered] == [
        ("private", "found"),
        ("private", "not_found"),
        ("private", "refused"),
        ("group", "found"),
        ("inline", "found"),
    ]
    assert all(e["latency_ms"] >= 0 and "hits" in e and "question" not in e for e in answered)
    assert answered[0]["hits"] >= 1 and answered[1]["hits"] == 0
    log = monitored.log_text()
    assert PRIVATE not in log and "NBA" not in log
    assert DEFAULT_TOKEN not in log and SECRET not in log


def test_wrong_secret_is_refused_and_counted(monitored):
    url = f"http://{LOCALHOST}:{monitored.port}/{monitored.url_path}"
    body = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
        response = httpx.post(url, json=body, headers=headers, timeout=5, trust_env=False)
        assert response.status_code == 403
    metrics = samples(monitored.port)
    assert metrics['speechbot_webhook_rejected_total{reason="secret"}'] == 2
    assert metrics.get("speechbot_webhook_updates_total", 0) == 0


def test_reloads_by_command_and_by_sighup_are_counted(monitored, tg_direct: BotClient):
    tg_direct.send_command(chat_id=ADMIN, user_id=ADMIN, command="/reload")
    tg_direct.wait_for_replies(2, methods={"sendMessage", "editMessageText"}, timeout=WAIT)
    metrics = wait_for_sample(monitored.port, 'speechbot_reloads_total{result="ok"}', 1)
    assert metrics['speechbot_reloads_total{result="ok"}'] == 1

    (monitored.corpus_dir / "防汛.txt").write_text(
        "在全市防汛工作会议上的讲话\n同志们：\n一、压实责任。汛期值班不得脱岗。\n", encoding="utf-8"
    )
    monitored.proc.send_signal(signal.SIGHUP)  # what `systemctl reload` and `docker kill -s HUP` do
    metrics = wait_for_sample(monitored.port, 'speechbot_reloads_total{result="ok"}', 2)
    assert metrics['speechbot_reloads_total{result="ok"}'] == 2
    assert metrics["speechbot_corpus_documents"] == 2
    assert get(monitored.port, "/healthz").json()["documents"] == 2
    reloads = log_events(monitored, "reloaded")
    assert [(e["via"], e["ok"], e.get("documents")) for e in reloads] == [
        ("command", True, 1),
        ("signal", True, 2),
    ]


def test_sigterm_stops_cleanly(monitored):
    assert monitored.stop(timeout=15) == 0
    assert '"stopping"' in monitored.log_text()
