"""The bot's HTTP side: the Telegram webhook, GET /healthz and GET /metrics (tornado).

tornado is what python-telegram-bot's `webhooks` extra installs; this module replaces
`Application.run_webhook`'s built-in server with one that also answers health and metrics.

* ``POST /<path of the webhook URL>``: an update from Telegram. The headers are checked before
  a byte of the body is read (``X-Telegram-Bot-Api-Secret-Token`` compared in constant time,
  the JSON content type, the declared length); a refused request is answered and its
  connection closed. Then the body is parsed and put on the Application's update queue.
  Before the index is loaded it answers 503, so Telegram (or the proxy, trying another
  process) delivers it again later.
* ``GET /healthz``: 200 ``{"status": "ready", …}`` once the index is loaded and updates are
  handled; 503 with ``loading`` / ``stopping`` otherwise.
* ``GET /metrics``: Prometheus text format.

The server bounds what one client can hold: headers within ``HEADER_TIMEOUT`` (and an idle
keep-alive connection is closed after as long), a body within ``BODY_TIMEOUT`` and
``MAX_BODY_BYTES``, and at most ``MAX_CONNECTIONS`` open connections (more are closed at once).

``python -m bot.ops.web [URL]`` is the container's health probe: exit 0 when URL answers 200.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import sys
import urllib.request
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import tornado.web
from telegram import Update
from telegram.ext import ExtBot
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream

from bot.ops.metrics import Metrics
from bot.service.corpus_version import corpus_version

if TYPE_CHECKING:
    from telegram import Bot

    from bot.service.holder import EngineHolder

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # Telegram updates are a few kilobytes
HEADER_TIMEOUT = 10.0  # seconds to send the headers, and to keep an idle connection open
BODY_TIMEOUT = 10.0  # seconds to send the body
MAX_CONNECTIONS = 200  # Telegram opens at most max_connections (default 40) at once
HEALTH_URL_ENV = "SPEECHBOT_HEALTH_URL"
DEFAULT_HEALTH_URL = "http://127.0.0.1:8080/healthz"


@dataclass
class Status:
    """What /healthz reports; the webhook accepts updates only when ``ready``."""

    state: str = "loading"  # loading -> ready -> stopping
    holder: EngineHolder | None = None
    bot: Bot | None = None
    update_queue: asyncio.Queue | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def report(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.state}
        if self.holder is not None:
            engine = self.holder.engine
            body.update(
                documents=len(engine.documents), passages=len(engine.passages), reloads=self.holder.reloads
            )
            body["corpus_version"] = corpus_version(engine)
        body.update(self.extra)
        return body


class HealthHandler(tornado.web.RequestHandler):
    def initialize(self, status: Status) -> None:
        self.status = status

    def get(self) -> None:
        self.set_status(HTTPStatus.OK if self.status.ready else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(self.status.report(), ensure_ascii=False))

    def head(self) -> None:
        self.set_status(HTTPStatus.OK if self.status.ready else HTTPStatus.SERVICE_UNAVAILABLE)
        self.finish()


class MetricsHandler(tornado.web.RequestHandler):
    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> None:
        body, content_type = self.metrics.exposition(self.request.headers.get("Accept", ""))
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "no-store")
        self.finish(body)


@tornado.web.stream_request_body
class WebhookHandler(tornado.web.RequestHandler):
    """Telegram's POSTs: headers checked first, then the body read, parsed and queued.
    Never logs the body (it holds private text)."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, status: Status, metrics: Metrics, secret_token: str | None) -> None:
        self.status = status
        self.metrics = metrics
        self.secret_token = secret_token
        self.chunks: list[bytes] = []
        self.received = 0

    def _refused(self, code: HTTPStatus, reason: str) -> tornado.web.HTTPError:
        self.metrics.webhook_rejected.labels(reason).inc()
        return tornado.web.HTTPError(code, reason=reason)

    def prepare(self) -> None:
        """Runs once the headers are in, before the body is read: a refusal here closes the
        connection without reading the body."""
        if self.request.method != "POST":
            return  # tornado answers 405
        if self.secret_token is not None:
            given = self.request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
                raise self._refused(HTTPStatus.FORBIDDEN, "secret")
        media_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise self._refused(HTTPStatus.FORBIDDEN, "content_type")
        if not self.status.ready or self.status.bot is None or self.status.update_queue is None:
            raise self._refused(HTTPStatus.SERVICE_UNAVAILABLE, "not_ready")

    def data_received(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > MAX_BODY_BYTES:  # chunked bodies carry no length to refuse up front
            raise self._refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body")
        self.chunks.append(chunk)

    async def post(self) -> None:
        body = b"".join(self.chunks)
        if self.status.bot is None or self.status.update_queue is None:  # checked in prepare
            raise self._refused(HTTPStatus.SERVICE_UNAVAILABLE, "not_ready")
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.status.bot)
        except Exception as err:  # malformed JSON or not an Update: nothing we could answer
            log.warning("webhook: refused a body that is not an update (%d bytes)", len(body))
            raise self._refused(HTTPStatus.BAD_REQUEST, "body") from err
        if update is not None:
            if isinstance(self.status.bot, ExtBot):
                self.status.bot.insert_callback_data(update)
            await self.status.update_queue.put(update)
            self.metrics.webhook_updates.inc()
        self.set_status(HTTPStatus.OK)
        self.finish()

    def log_exception(self, typ, value, tb) -> None:
        if not isinstance(value, tornado.web.HTTPError):
            log.error("webhook handler failed: %s: %s", typ.__name__ if typ else "?", value)


class QuietApplication(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """No access log: every request line would be noise (and the proxy logs them)."""


def web_application(
    status: Status, metrics: Metrics, webhook_path: str | None = None, secret_token: str | None = None
) -> tornado.web.Application:
    """/healthz and /metrics, plus the webhook at ``webhook_path`` (e.g. "/telegram") when given."""
    routes: list[Any] = [
        (r"/healthz", HealthHandler, {"status": status}),
        (r"/metrics", MetricsHandler, {"metrics": metrics}),
    ]
    if webhook_path is not None:
        path = "/" + webhook_path.strip("/")
        if path in ("/healthz", "/metrics"):
            raise ValueError(f"the webhook URL path {path} is taken by the health/metrics endpoints")
        if not secret_token:  # anyone could post updates, as any user (an admin too)
            raise ValueError("a webhook needs a secret token")
        pattern = rf"{path.rstrip('/')}/?" if path != "/" else r"/"
        routes.append(
            (pattern, WebhookHandler, {"status": status, "metrics": metrics, "secret_token": secret_token})
        )
    return QuietApplication(routes)


class CappedHTTPServer(HTTPServer):
    """An HTTPServer that closes a new connection at once when ``max_connections`` are open."""

    max_connections = MAX_CONNECTIONS
    metrics: Metrics | None = None
    open_connections = 0

    def handle_stream(self, stream: IOStream, address: tuple) -> None:
        if self.open_connections >= self.max_connections:
            if self.metrics is not None:
                self.metrics.webhook_rejected.labels("connections").inc()
            stream.close()
            return
        self.open_connections += 1
        super().handle_stream(stream, address)

    def on_close(self, server_conn: object) -> None:
        self.open_connections -= 1
        super().on_close(server_conn)


async def start_server(
    app: tornado.web.Application,
    listen: str,
    port: int,
    metrics: Metrics | None = None,
    max_connections: int = MAX_CONNECTIONS,
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
) -> HTTPServer:
    """Listen now (the caller's event loop), with the timeouts and caps above; stop with
    ``stop_server``. Connections refused for the cap count in ``metrics`` (reason "connections")."""
    server = CappedHTTPServer(
        app,
        max_body_size=MAX_BODY_BYTES,
        idle_connection_timeout=header_timeout,
        body_timeout=body_timeout,
    )
    server.max_connections = max_connections
    server.metrics = metrics
    server.listen(port, address=listen)
    return server


async def stop_server(server: HTTPServer) -> None:
    server.stop()
    await server.close_all_connections()


def probe(url: str, timeout: float = 5.0) -> bool:
    """True when ``url`` answers 200 (no proxy: it is always this host)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    url = args[0] if args else os.environ.get(HEALTH_URL_ENV, DEFAULT_HEALTH_URL)
    healthy = probe(url)
    print("healthy" if healthy else f"unhealthy: {url}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
