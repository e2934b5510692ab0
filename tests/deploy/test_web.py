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


def test_a_webhook_without_a_secret_is_not_served():
    with pytest.raises(ValueError, match="secret"):
        web_application(Status(), Metrics(process=False), "/hook", None)


async def open_socket(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def test_a_wrong_secret_is_refused_before_the_body_is_read(served):
    """The headers announce 1 MB and none of it is sent: the 403 comes anyway, then the close."""
    queue = make_ready(served.status)
    reader, writer = await open_socket(served.port)
    writer.write(
        b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-Telegram-Bot-Api-Secret-Token: wrong\r\nContent-Length: 1000000\r\n\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)  # read() returns at the close
    writer.close()
    assert answer.startswith(b"HTTP/1.1 403")
    assert queue.empty()
    assert sample(served.metrics, "speechbot_webhook_rejected_total", reason="secret") == 1


async def test_an_oversized_body_is_refused_from_its_length(served):
    """The declared length is over the limit: the connection is closed before the body is read."""
    queue = make_ready(served.status)
    reader, writer = await open_socket(served.port)
    writer.write(
        b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-Telegram-Bot-Api-Secret-Token: s3cret\r\nContent-Length: 2000000\r\n\r\n{"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    assert answer == b"" or answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 413"))
    assert queue.empty()


async def test_half_sent_headers_and_bodies_are_dropped_after_the_timeouts():
    status, metrics = Status(), Metrics(process=False)
    make_ready(status)
    port = free_port()
    app = web_application(status, metrics, "/hook", "s3cret")
    server = await start_server(app, "127.0.0.1", port, metrics, header_timeout=0.5, body_timeout=0.5)
    try:
        head_reader, head_writer = await open_socket(port)
        head_writer.write(b"POST /hook HTTP/1.1\r\nHost: x\r\n")  # never ends its headers
        body_reader, body_writer = await open_socket(port)
        body_writer.write(
            b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Telegram-Bot-Api-Secret-Token: s3cret\r\nContent-Length: 100\r\n\r\n{"
        )  # never ends its body
        # A closed connection reads as EOF; the bound only keeps a failure from hanging the run.
        assert await asyncio.wait_for(head_reader.read(), timeout=20) == b""
        assert await asyncio.wait_for(body_reader.read(), timeout=20) == b""
        head_writer.close()
        body_writer.close()
        assert status.update_queue is not None and status.update_queue.empty()
    finally:
        await stop_server(server)


async def test_connections_over_the_cap_are_closed_at_once():
    status, metrics = Status(), Metrics(process=False)
    port = free_port()
    server = await start_server(
        web_application(status, metrics), "127.0.0.1", port, metrics, max_connections=3
    )
    try:
        held = [await open_socket(port) for _ in range(3)]
        reader, writer = await open_socket(port)
        assert await asyncio.wait_for(reader.read(), timeout=20) == b""  # closed without a word
        assert sample(metrics, "speechbot_webhook_rejected_total", reason="connections") == 1
        for _, each in held:
            each.close()
        writer.close()
        await asyncio.sleep(0.2)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
            assert (await client.get("/healthz")).status_code == 503  # served again once they closed
    finally:
        await stop_server(server)
