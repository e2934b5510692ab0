"""Log lines (text / JSON, secrets masked, question text only when configured), metrics, settings."""

from __future__ import annotations

import io
import json
import logging
from types import SimpleNamespace

import pytest
from telegram import Update

from bot.config import ConfigError, Settings, build_settings
from bot.ops.logs import REDACTED, RedactingFormatter, answers_log, log_answer
from bot.ops.metrics import Metrics, observe_answer, observe_reload
from bot.telegram.handlers.errors import describe_update

TOKEN = "123456:AAE-secret_token-value"


@pytest.fixture
def captured():
    """What speechbot.* loggers write, through the formatter; call it with json_lines/secrets."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger("speechbot")
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)

    def use(json_lines: bool = False, secrets=()) -> io.StringIO:
        handler.setFormatter(RedactingFormatter(json_lines, secrets))
        return stream

    yield use
    root.removeHandler(handler)
    root.setLevel(previous)


def test_token_and_secret_are_masked_in_messages_and_tracebacks(captured):
    stream = captured(secrets=[TOKEN, "webhook-secret", None])
    log = logging.getLogger("speechbot.test")
    log.warning("calling https://api.telegram.org/bot%s/getMe with webhook-secret", TOKEN)
    try:
        raise RuntimeError(f"failed: {TOKEN}")
    except RuntimeError:
        log.exception("boom")
    text = stream.getvalue()
    assert TOKEN not in text and "webhook-secret" not in text
    assert text.count(REDACTED) == 3


def test_answer_line_as_json_without_the_question(captured):
    stream = captured(json_lines=True, secrets=[TOKEN])
    log_answer(
        via="private",
        found=True,
        hits=3,
        latency=0.0123,
        total=0.2,
        question="廉政责任书多久签一次",
        update_id=9,
    )
    entry = json.loads(stream.getvalue())
    assert entry["event"] == "answered" and entry["logger"] == answers_log.name
    assert entry | {"ts": None} == {
        "ts": None,
        "level": "INFO",
        "logger": "speechbot.answers",
        "message": entry["message"],
        "event": "answered",
        "via": "private",
        "update_id": 9,
        "result": "found",
        "hits": 3,
        "latency_ms": 12.3,
        "total_ms": 200.0,
        "chars": 10,
    }
    assert "廉政" not in stream.getvalue()


def test_answer_line_as_text_with_the_question_when_configured(captured):
    stream = captured()
    log_answer(via="group", found=False, hits=0, latency=0.004, question="NBA 冠军", show_question=True)
    line = stream.getvalue().strip()
    assert line.endswith(
        ' INFO speechbot.answers: answered via=group result=not_found hits=0 latency_ms=4.0 chars=6 question="NBA 冠军"'
    )


def test_reload_line_and_counter(captured):
    stream = captured(json_lines=True)
    metrics = Metrics(process=False)
    ok = SimpleNamespace(ok=True, seconds=1.234, documents=2, passages=40, warnings=["x"], error=None)
    bad = SimpleNamespace(ok=False, seconds=0.5, documents=0, passages=0, warnings=[], error="没有可读的文档")
    observe_reload(metrics, ok, "signal")
    observe_reload(metrics, bad, "command")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["event"] == "reloaded" and first["via"] == "signal"
    assert first["ok"] is True and first["documents"] == 2 and first["seconds"] == 1.23
    assert second["level"] == "WARNING" and second["error"] == "没有可读的文档"
    value = metrics.registry.get_sample_value
    assert value("speechbot_reloads_total", {"result": "ok"}) == 1
    assert value("speechbot_reloads_total", {"result": "failed"}) == 1
    assert value("speechbot_reload_seconds") == 0.5


def test_metrics_count_answers_refusals_and_errors(captured):
    captured()
    metrics = Metrics(process=False)
    found = SimpleNamespace(found=True, hits=[1, 2])
    missing = SimpleNamespace(found=False, hits=[])
    observe_answer(metrics, "private", "q", found, 0.01, 0.3)
    observe_answer(metrics, "private", "q", missing, 0.02, 0.3)
    observe_answer(metrics, "inline", "q", None, 0.0, 0.1)
    metrics.error(ValueError("x"))
    value = metrics.registry.get_sample_value
    assert value("speechbot_questions_total", {"via": "private"}) == 2
    assert value("speechbot_questions_total", {"via": "inline"}) == 1
    assert value("speechbot_answers_total", {"via": "private", "result": "found"}) == 1
    assert value("speechbot_answers_total", {"via": "private", "result": "not_found"}) == 1
    assert value("speechbot_answers_total", {"via": "inline", "result": "refused"}) == 1
    assert value("speechbot_answer_seconds_count", {"via": "private"}) == 2
    assert value("speechbot_answer_seconds_sum", {"via": "private"}) == pytest.approx(0.03)
    assert value("speechbot_reply_seconds_count", {"via": "private"}) == 2
    assert value("speechbot_errors_total", {"type": "ValueError"}) == 1


def test_corpus_gauges_follow_the_holder():
    metrics = Metrics(process=False)
    holder = SimpleNamespace(engine=SimpleNamespace(documents=[1, 2], passages=[1] * 5, built_at=100.0))
    metrics.watch(holder)
    value = metrics.registry.get_sample_value
    assert value("speechbot_corpus_documents") == 2 and value("speechbot_corpus_passages") == 5
    holder.engine = SimpleNamespace(documents=[1], passages=[1], built_at=200.0)  # a reload swaps it
    assert (
        value("speechbot_corpus_documents") == 1 and value("speechbot_index_loaded_timestamp_seconds") == 200
    )


def test_error_log_describes_an_update_without_its_text():
    update = Update.de_json(
        {
            "update_id": 3,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private", "first_name": "T"},
                "text": "我的私人问题",
            },
        },
        None,
    )
    assert describe_update(update) == {"update_id": 3, "kind": "message", "chat_type": "private"}
    assert "我的私人问题" in str(describe_update(update, whole=True))


def test_new_settings_from_a_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("log_format: json\nlog_questions: yes\nmetrics_port: 9100\nmetrics_listen: 0.0.0.0\n")
    settings = build_settings(path, {})
    assert (settings.log_format, settings.log_questions, settings.metrics_port, settings.metrics_listen) == (
        "json",
        True,
        9100,
        "0.0.0.0",
    )
    defaults = Settings()
    assert (defaults.log_format, defaults.log_questions, defaults.metrics_port) == ("text", False, None)
    for bad in ("log_format: xml\n", "log_questions: maybe\n", "metrics_port: eighty\n"):
        path.write_text(bad)
        with pytest.raises(ConfigError):
            build_settings(path, {})
