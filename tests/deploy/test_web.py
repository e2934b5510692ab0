"""bot/ops/web.py: /healthz, /metrics and the webhook endpoint, served by tornado on 127.0.0.1."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpx
import pytest
from telegram import Bot, Update

from bot.ops.metrics import Metrics
from bot.ops.web import Status, main, start_server, stop_server, web_application
from tests.support.ports import free_port

UPDATE = {
    "update_id": 7,
    "message": {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 5, "type": "private", "first_name": "T"},
        "from": {"id": 5, "is_bot": False, "first_name": "T"},
        "text": "表率",
    },
}


@pytest.fixture
async def served():
    """A web app with a webhook at /hook (secret "s3cret"), its status, metrics and a client."""
    status, metrics = Status(), Metrics(process=False)
    port = free_port()
    server = await start_server(web_application(status, metrics, "/hook", "s3cret"), "127.0.0.1", port)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
        yield SimpleNamespace(status=status, metrics=metrics, client=client, port=port)
    await stop_server(server)


def make_ready(status: Status, documents: int = 3) -> asyncio.Queue:
    queue: asyncio.Queue = asyncio.Queue()
    engine = SimpleNamespace(documents=[object()] * documents, passages=[object()] * 10)
    status.holder = SimpleNamespace(engine=engine, reloads=0)
    status.bot = Bot("123456:TEST")
    status.update_queue = queue
    status.state = "ready"
    return queue


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_healthz_is_503_until_ready_then_200(served):
    loading = await served.client.get("/healthz")
    assert loading.status_code == 503 and loading.json() == {"status": "loading"}
    make_ready(served.status)
    ready = await served.client.get("/healthz")
    assert ready.status_code == 200
    body = ready.json()
    version = body.pop("corpus_version")
    assert body == {"status": "ready", "documents": 3, "passages": 10, "reloads": 0}
    assert len(version) == 16 and int(version, 16) >= 0  # the loaded corpus' content fingerprint
    served.status.state = "stopping"
    assert (await served.client.get("/healthz")).status_code == 503


async def test_metrics_in_prometheus_text_format(served):
    served.metrics.answered("private", True, 0.01, 0.2)
    response = await served.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'speechbot_questions_total{via="private"} 1.0' in response.text
    assert 'speechbot_answers_total{result="found",via="private"} 1.0' in response.text
    assert 'speechbot_answer_seconds_bucket{le="0.025",via="private"} 1.0' in response.text
    openmetrics = await served.client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.rstrip().endswith("# EOF")


async def test_webhook_queues_a_valid_update(served):
    queue = make_ready(served.status)
    response = await served.client.post(
        "/hook", json=UPDATE, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    )
    assert response.status_code == 200
    update = queue.get_nowait()
    assert isinstance(update, Update) and update.message.text == "表率"
    assert sample(served.metrics, "speechbot_webhook_updates_total") == 1


@pytest.mark.parametrize(
    ("headers", "body", "code", "reason"),
    [
        ({}, UPDATE, 403, "secret"),
        ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, UPDATE, 403, "secret"),
        (
            {"X-Telegram-Bot-Api-Secret-Token": "s3cret", "Content-Type": "text/plain"},
            "x",
            403,
            "content_type",
        ),
        ({"X-Telegram-Bot-Api-Secret-Token": "s3cret", "Content-Type": "application/json"}, "{", 400, "body"),
    ],
)
async def test_webhook_refuses_bad_requests(served, headers, body, code, reason):
    queue = make_ready(served.status)
    if isinstance(body, dict):
        response = await served.client.post("/hook", json=body, headers=headers)
    else:
        response = await served.client.post("/hook", content=body, headers=headers)
    assert response.status_code == code
    assert queue.empty()
    assert sample(served.metrics, "speechbot_webhook_rejected_total", reason=reason) == 1


async def test_webhook_answers_503_before_the_index_is_loaded(served):
    response = await served.client.post(
        "/hook", json=UPDATE, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    )
    assert response.status_code == 503  # not taken: Telegram (or the proxy) delivers it again
    assert sample(served.metrics, "speechbot_webhook_rejected_total", reason="not_ready") == 1


async def test_only_post_on_the_webhook_and_no_other_paths(served):
    assert (await served.client.get("/hook")).status_code == 405
    assert (await served.client.get("/")).status_code == 404


def test_webhook_path_may_not_hide_the_endpoints():
    with pytest.raises(ValueError, match="taken"):
        web_application(Status(), Metrics(process=False), "/metrics")


async def test_health_probe_exit_codes(served):
    url = f"http://127.0.0.1:{served.port}/healthz"
    assert await asyncio.to_thread(main, [url]) == 1
    make_ready(served.status)
    assert await asyncio.to_thread(main, [url]) == 0
