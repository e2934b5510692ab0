"""A small round-robin HTTP proxy on 127.0.0.1 for several bot replicas (what nginx does in
deploy/): each POST goes to the next replica; a replica that refuses the connection or answers
503 (still loading) is skipped and the next one tried. With `secret`, it adds the webhook secret
header that Telegram sends (the emulator does not) to requests that lack it."""

from __future__ import annotations

import http.client
import itertools
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.ports import LOCALHOST, free_port

FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobinProxy:
    """``start()``, then POST to ``url(path)``; ``hits`` counts the requests each port answered."""

    def __init__(self, ports: list[int], secret: str | None = None) -> None:
        self.ports = ports
        self.secret = secret
        self.port = free_port()
        self.hits: Counter[int] = Counter()
        self._next = itertools.count()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        return f"http://{LOCALHOST}:{self.port}/{path.strip('/')}"

    def _forward(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for _ in range(len(self.ports)):
            with self._lock:
                port = self.ports[next(self._next) % len(self.ports)]
            connection = http.client.HTTPConnection(LOCALHOST, port, timeout=15)
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                data = response.read()
            except OSError:
                continue
            finally:
                connection.close()
            if response.status == 503:
                continue
            with self._lock:
                self.hits[port] += 1
            return response.status, data
        return 502, b"no replica answered"

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name: self.headers[name] for name in FORWARDED_HEADERS if self.headers.get(name)}
                if proxy.secret:
                    headers.setdefault("X-Telegram-Bot-Api-Secret-Token", proxy.secret)
                status, data = proxy._forward(self.path, body, headers)
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reports what matters."""

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # thirty chats connect at once; the default backlog of 5 resets some

        self._server = Server((LOCALHOST, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
