"""Wiring several replicas into `serve`: the Redis link, the shared rate limiter, SIGHUP."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.ops.metrics import Metrics, observe_reload
from bot.ops.stats_numbers import numbers_of
from bot.service.corpus_store import CorpusStore
from bot.service.replicas import Replicas, replica_id
from bot.telegram.retrying import RetryingRateLimiter
from bot.telegram.shared_rate_limit import SharedRateLimiter

log = logging.getLogger(__name__)


def replicas_for(settings: Settings, metrics: Metrics) -> Replicas | None:
    """The Redis link when ``redis_url`` is set (with the corpus store when that is), else None."""
    if not settings.redis_url:
        if settings.corpus_store_url:
            log.warning("corpus_store_url is used only together with redis_url; ignoring it")
        return None
    store = CorpusStore(settings.corpus_store_url) if settings.corpus_store_url else None
    return Replicas(
        settings.redis_url,
        replica_id(settings.port),
        store=store,
        on_reload=lambda report, via: observe_reload(metrics, report, via),
        on_fallback=lambda what: metrics.redis_fallbacks.labels(what).inc(),
        numbers=lambda: numbers_of(metrics),
    )


def rate_limiter(replicas: Replicas | None, metrics: Metrics | None, max_retries: int) -> RetryingRateLimiter:
    """Limits shared through Redis with replicas, python-telegram-bot's per-process ones without."""
    if replicas is None:
        return RetryingRateLimiter(max_retries=max_retries)

    def count(what: str) -> None:
        if metrics is not None:
            metrics.redis_fallbacks.labels(what).inc()

    return SharedRateLimiter(replicas.quick, max_retries=max_retries, on_fallback=count)


async def reload_everywhere(replicas: Replicas, via: str) -> None:
    """SIGHUP with replicas: every replica reloads; the outcome goes to the log."""
    result = await replicas.reload(via)
    log.info(
        "reload on every replica: %d of %d reloaded, versions %s, failed %s, not answering %s%s",
        len(result.reloaded),
        len(result.replies) + len(result.missing),
        ",".join(result.versions) or "-",
        ",".join(r.replica for r in result.failed) or "-",
        ",".join(result.missing) or "-",
        f"; {result.warning}" if result.warning else "",
    )
