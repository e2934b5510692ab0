"""Uncaught errors go through the redacting formatter: the token never reaches stderr."""

from __future__ import annotations

import subprocess
import sys

from tests.support.paths import PROJECT

TOKEN = "424242:AAF-very-secret-token-value"


def test_an_uncaught_error_in_any_thread_is_masked():
    program = f"""
import threading
from bot.ops.logs import install_excepthook
install_excepthook(secrets=[{TOKEN!r}])
thread = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError("thread saw {TOKEN}")))
thread.start(); thread.join()
raise ValueError("The token `{TOKEN}` was rejected by the server.")
"""
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert TOKEN not in output and "AAF-very" not in output
    assert "ValueError: The token `[redacted]` was rejected" in output
    assert "RuntimeError: thread saw [redacted]" in output
