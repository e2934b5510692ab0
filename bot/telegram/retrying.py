"""Sending that survives a flaky Bot API: flood control (429) waits as Telegram asks,
and server errors (5xx) and time-outs are retried with a growing pause.

A retried time-out can deliver a message twice, if the first attempt did reach Telegram:
a duplicate answer is the lesser harm than a lost one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class RetryingRateLimiter(AIORateLimiter):
    """python-telegram-bot's rate limiter (which retries 429s), plus retries of 5xx and time-outs."""

    def __init__(self, max_retries: int, network_retries: int = 3, first_pause: float = 0.5) -> None:
        super().__init__(max_retries=max_retries)
        self.network_retries = network_retries
        self.first_pause = first_pause

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        pause = self.first_pause
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:  # the request itself is wrong: sending it again cannot help
                raise
            except NetworkError as err:  # 5xx, time-outs, connection errors
                if attempt == self.network_retries:
                    raise
                log.warning("%s failed (%s); retry %d in %.1f s", endpoint, err, attempt + 1, pause)
                await asyncio.sleep(pause)
                pause *= 2
        raise AssertionError("unreachable")
