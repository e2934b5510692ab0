"""Prometheus metrics of one bot process (prometheus-client, a registry per Application).

Everything is per process: with several processes behind a proxy, Prometheus scrapes each
and `sum()` adds them up. Names follow Prometheus conventions (`_total`, `_seconds`).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder

if TYPE_CHECKING:
    from telegram.ext import ContextTypes

    from bot.service.holder import EngineHolder, ReloadReport
    from retrieval.search.results import Answer

# Search on the shipped corpus takes milliseconds; a reply through the Bot API takes 50-500 ms.
SEARCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
REPLY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The counters, histograms and gauges the handlers, the reloads and the web server update."""

    def __init__(self, process: bool = True) -> None:
        self.registry = CollectorRegistry()
        if process:
            ProcessCollector(registry=self.registry)  # memory, CPU, open files (Linux)
            PlatformCollector(registry=self.registry)
        r = self.registry
        self.questions = Counter(
            "speechbot_questions",
            "Questions received, by chat kind (private, group, inline)",
            ["via"],
            registry=r,
        )
        self.answers = Counter(
            "speechbot_answers",
            "Questions answered, by result: found, not_found, refused (empty or too long)",
            ["via", "result"],
            registry=r,
        )
        self.answer_seconds = Histogram(
            "speechbot_answer_seconds",
            "Time to search the index and render the answer",
            ["via"],
            buckets=SEARCH_BUCKETS,
            registry=r,
        )
        self.reply_seconds = Histogram(
            "speechbot_reply_seconds",
            "From the handler receiving a question to the reply accepted by the Bot API "
            "(search, rendering, rate limiter and network)",
            ["via"],
            buckets=REPLY_BUCKETS,
            registry=r,
        )
        self.reloads = Counter(
            "speechbot_reloads", "Corpus reloads, by result: ok, failed", ["result"], registry=r
        )
        self.reload_seconds = Gauge("speechbot_reload_seconds", "Duration of the last reload", registry=r)
        self.errors = Counter(
            "speechbot_errors", "Exceptions while handling updates, by exception class", ["type"], registry=r
        )
        self.webhook_rejected = Counter(
            "speechbot_webhook_rejected",
            "Webhook requests refused: secret, content_type (403), body (400), not_ready (503)",
            ["reason"],
            registry=r,
        )
        self.webhook_updates = Counter(
            "speechbot_webhook_updates", "Updates accepted on the webhook", registry=r
        )
        self.ready = Gauge(
            "speechbot_ready", "1 when the index is loaded and updates are handled", registry=r
        )
        self.documents = Gauge("speechbot_corpus_documents", "Documents in the loaded index", registry=r)
        self.passages = Gauge("speechbot_corpus_passages", "Passages in the loaded index", registry=r)
        self.index_load_seconds = Gauge(
            "speechbot_index_load_seconds",
            "Time to load (from the cache) or build the index at start",
            registry=r,
        )
        self.index_loaded = Gauge(
            "speechbot_index_loaded_timestamp_seconds", "When the index in use was built", registry=r
        )
        self.redis_fallbacks = Counter(
            "speechbot_redis_fallbacks",
            "Uses of Redis that failed and fell back to this process alone, by what: reload, "
            "rate_limit, stats, heartbeat, listen, report, start",
            ["what"],
            registry=r,
        )
        for via in ("private", "group", "inline"):  # so rate() sees the series from the start
            self.questions.labels(via)
            for result in ("found", "not_found", "refused"):
                self.answers.labels(via, result)
        for result in ("ok", "failed"):
            self.reloads.labels(result)

    def watch(self, holder: EngineHolder) -> None:
        """Corpus gauges read the holder's current engine at scrape time (so they follow reloads)."""
        self.documents.set_function(lambda: len(holder.engine.documents))
        self.passages.set_function(lambda: len(holder.engine.passages))
        self.index_loaded.set_function(lambda: getattr(holder.engine, "built_at", 0.0))

    def answered(
        self, via: str, found: bool, search_seconds: float, reply_seconds: float | None = None
    ) -> None:
        self.questions.labels(via).inc()
        self.answers.labels(via, "found" if found else "not_found").inc()
        self.answer_seconds.labels(via).observe(search_seconds)
        if reply_seconds is not None:
            self.reply_seconds.labels(via).observe(reply_seconds)

    def refused(self, via: str) -> None:
        self.questions.labels(via).inc()
        self.answers.labels(via, "refused").inc()

    def reloaded(self, report: ReloadReport) -> None:
        self.reloads.labels("ok" if report.ok else "failed").inc()
        self.reload_seconds.set(report.seconds)

    def error(self, error: BaseException | None) -> None:
        self.errors.labels(type(error).__name__ if error is not None else "unknown").inc()

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """Every metric, and its content type: Prometheus text 0.0.4 unless ``accept`` asks for
        OpenMetrics or text 1.0.0 (prometheus-client's own negotiation)."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


_fallback: Metrics | None = None


def metrics_of(context: ContextTypes.DEFAULT_TYPE) -> Metrics:
    """The Application's metrics (bot_data["metrics"]); a process-wide spare one if none was set."""
    found = context.bot_data.get("metrics") if context is not None else None
    if isinstance(found, Metrics):
        return found
    global _fallback
    if _fallback is None:
        _fallback = Metrics(process=False)
    return _fallback


class Timer:
    """Seconds since creation."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.started


def observe_reload(metrics: Metrics, report: ReloadReport, via: str) -> None:
    """Count a reload and log one line about it (/reload, an upload, or SIGHUP)."""
    from bot.ops.logs import event, reload_log

    metrics.reloaded(report)
    fields = {"via": via, "ok": report.ok, "seconds": round(report.seconds, 2)}
    if report.ok:
        fields.update(documents=report.documents, passages=report.passages, warnings=len(report.warnings))
    else:
        fields["error"] = report.error or ""
    event(reload_log, "reloaded", logging.INFO if report.ok else logging.WARNING, **fields)


def observe_answer(
    metrics: Metrics | None,
    via: str,
    question: str,
    answer: Answer | None,
    searched: float,
    total: float,
    update_id: int | None = None,
    show_question: bool = False,
) -> None:
    """Count one question (``answer`` None: refused) and write its log line."""
    from bot.ops.logs import log_answer

    found = answer is not None and answer.found
    if metrics is not None:
        if answer is None:
            metrics.refused(via)
        else:
            metrics.answered(via, found, searched, total)
    log_answer(
        via=via,
        found=found,
        hits=len(answer.hits) if answer is not None else 0,
        latency=searched,
        total=total,
        question=question,
        update_id=update_id,
        show_question=show_question,
        refused=answer is None,
    )
