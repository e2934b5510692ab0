"""A throw-away redis-server on a free 127.0.0.1 port (no persistence), for tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.ports import LOCALHOST, free_port


def find_redis_server() -> str | None:
    explicit = os.environ.get("E2E_REDIS_SERVER")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    candidates = ("/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server")
    return shutil.which("redis-server") or next((c for c in candidates if os.access(c, os.X_OK)), None)


def answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((LOCALHOST, port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """``start()`` and ``stop()`` (SIGKILL, like a crash) may be called again on the same port."""

    def __init__(self, binary: str, folder: Path, port: int | None = None) -> None:
        self.binary = binary
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOCALHOST}:{self.port}/0"

    def start(self, timeout: float = 20.0) -> None:
        args = [self.binary, "--bind", LOCALHOST, "--port", str(self.port), "--dir", str(self.folder),
                "--save", "", "--appendonly", "no", "--protected-mode", "yes"]  # fmt: skip
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while not answers_ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def running_redis(binary: str) -> Iterator[RedisServer]:
    with tempfile.TemporaryDirectory(prefix="speechbot-redis-") as folder:
        server = RedisServer(binary, Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()
