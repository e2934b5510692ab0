"""Log lines: plain text or JSON lines, secrets masked, and the one line per answered question.

Every line goes through a formatter that replaces the bot token and the webhook secret
with ``[redacted]``, whatever logged them; uncaught errors (any thread) and warnings take
the same path, so no traceback reaches stderr unmasked. Question texts are private: they appear only
when ``log_questions`` is set.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
QUIET_LOGGERS = ("httpx", "httpcore", "tornado.access")  # httpx logs request URLs, which hold the token

answers_log = logging.getLogger("speechbot.answers")
reload_log = logging.getLogger("speechbot.reloads")


class RedactingFormatter(logging.Formatter):
    """Formats as text or as one JSON object per line, then masks every secret."""

    def __init__(self, json_lines: bool = False, secrets: Iterable[str | None] = ()) -> None:
        super().__init__(TEXT_FORMAT)
        self.json_lines = json_lines
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = self._json(record) if self.json_lines else super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def _json(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(
    json_lines: bool = False, secrets: Iterable[str | None] = (), level: int = logging.INFO
) -> None:
    """Root logging to stderr (journald and `docker logs` read it), with URLs kept out."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(json_lines, secrets))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.captureWarnings(True)  # warnings.warn text goes through the same masking
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    install_excepthook(json_lines, secrets)


def install_excepthook(json_lines: bool = False, secrets: Iterable[str | None] = ()) -> None:
    """The last line of defence: an uncaught error, in the main thread or any other, is written
    through the redacting formatter (one record on stderr) instead of Python's raw traceback."""
    formatter = RedactingFormatter(json_lines, secrets)

    def write(typ: type[BaseException], value: BaseException | None, tb: TracebackType | None) -> None:
        if value is None:
            value = typ()
        record = logging.LogRecord(
            "speechbot", logging.CRITICAL, __file__, 0, "uncaught error", None, (typ, value, tb)
        )
        sys.stderr.write(formatter.format(record) + "\n")
        sys.stderr.flush()

    def hook(typ: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        write(typ, value, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            write(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """One line: `name key=value …` as text, or the fields as JSON keys (with "event": name)."""
    shown = " ".join(f"{key}={_text(value)}" for key, value in fields.items())
    logger.log(level, "%s %s", name, shown, extra={"fields": {"event": name, **fields}})


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if _needs_quotes(value) else value
    return str(value)


def _needs_quotes(value: str) -> bool:
    return not value or any(c.isspace() or c in '"=\\' for c in value)


def log_answer(
    *,
    via: str,
    found: bool,
    hits: int,
    latency: float,
    total: float | None = None,
    question: str = "",
    update_id: int | None = None,
    show_question: bool = False,
    refused: bool = False,
) -> None:
    """The line for one answered question: where from, result, hit count, latency; text only if allowed."""
    fields: dict[str, Any] = {"via": via}
    if update_id is not None:
        fields["update_id"] = update_id
    fields.update(
        result="refused" if refused else ("found" if found else "not_found"),
        hits=hits,
        latency_ms=round(latency * 1000, 1),
    )
    if total is not None:
        fields["total_ms"] = round(total * 1000, 1)
    fields["chars"] = len(question)
    if show_question:
        fields["question"] = question
    event(answers_log, "answered", **fields)
