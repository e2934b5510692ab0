"""Telegram's flood limits for the whole bot, however many replicas send: token buckets in Redis.

Every request with a ``chat_id`` takes a token from the bot's bucket (``OVERALL_PER_SECOND``)
and from its chat's bucket (a private chat about one a second, a group 20 a minute), both in one
Lua script so that the check and the take are atomic across replicas; when either is empty
the replica waits as long as the script says and asks again. Redis keeps the buckets' state,
the script reads Redis' own clock, so replicas need no synchronised clocks.

429 "retry after" answers are still honoured (the base class, python-telegram-bot's
AIORateLimiter, retries them), and 5xx and time-outs are retried (RetryingRateLimiter).
When Redis cannot be reached the request goes through the per-process limiter instead, the
fallback is counted, and Redis is tried again after ``RETRY_REDIS_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.telegram.retrying import JSONResult, RetryingRateLimiter

log = logging.getLogger(__name__)

# A third below Telegram's ~30 a second: replies leave the replicas at this pace, but reach the
# Bot API with jitter (a loaded host, the network), which bunches them; at 25 a second, a one-second
# window at the emulator once held 31 (tests/e2e/test_replicas_e2e.py, 2026-11-29, 2 shared cores).
OVERALL_PER_SECOND = 20.0
OVERALL_BURST = 1
PRIVATE_PER_SECOND = 1.0
PRIVATE_BURST = 3  # an answer and its edits may go out together; the average stays at one a second
GROUP_PER_SECOND = 20 / 60
GROUP_BURST = 5
RETRY_REDIS_SECONDS = 5.0
KEY_PREFIX = "speechbot:ratelimit:"

# KEYS: bucket keys; ARGV: per key, its rate (tokens a millisecond) and capacity.
# Returns 0 when a token was taken from every bucket, else the milliseconds to wait.
TOKEN_BUCKETS = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local wait = 0
local tokens = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local capacity = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local left = tonumber(state[1]) or capacity
  local at = tonumber(state[2]) or now
  left = math.min(capacity, left + math.max(0, now - at) * rate)
  tokens[i] = left
  if left < 1 then
    local need = math.ceil((1 - left) / rate)
    if need > wait then wait = need end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local capacity = tonumber(ARGV[2 * i])
  redis.call('HSET', key, 'tokens', tokens[i] - 1, 'at', now)
  redis.call('PEXPIRE', key, math.ceil(capacity / rate) + 1000)
end
return 0
"""


@dataclass(frozen=True)
class Bucket:
    key: str
    per_second: float
    capacity: int


def buckets_for(chat_id: int | str) -> list[Bucket]:
    """The bot's bucket and the chat's (groups and channels have negative or @name ids)."""
    overall = Bucket(KEY_PREFIX + "bot", OVERALL_PER_SECOND, OVERALL_BURST)
    if isinstance(chat_id, str) or chat_id < 0:
        chat = Bucket(f"{KEY_PREFIX}chat:{chat_id}", GROUP_PER_SECOND, GROUP_BURST)
    else:
        chat = Bucket(f"{KEY_PREFIX}chat:{chat_id}", PRIVATE_PER_SECOND, PRIVATE_BURST)
    return [overall, chat]


class SharedBuckets:
    """The Lua token buckets in one Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.script = redis.register_script(TOKEN_BUCKETS)

    async def wait_ms(self, buckets: list[Bucket]) -> int:
        """Take a token from every bucket (0), or the milliseconds until that is possible."""
        args: list[float | int] = []
        for bucket in buckets:
            args.extend((bucket.per_second / 1000.0, bucket.capacity))
        return int(await self.script(keys=[b.key for b in buckets], args=args))

    async def acquire(self, buckets: list[Bucket]) -> None:
        while True:
            wait = await self.wait_ms(buckets)
            if wait <= 0:
                return
            await asyncio.sleep(wait / 1000.0)


_chat: contextvars.ContextVar[int | str | None] = contextvars.ContextVar("speechbot_rate_chat", default=None)


class SharedRateLimiter(RetryingRateLimiter):
    """RetryingRateLimiter whose flood limits are shared through Redis (per process without it)."""

    def __init__(
        self,
        redis: Redis,
        max_retries: int,
        on_fallback: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_retries=max_retries, **kwargs)
        self.buckets = SharedBuckets(redis)
        self.on_fallback = on_fallback or (lambda what: None)
        self._redis_retry_at = 0.0

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str):
            with contextlib.suppress(ValueError):
                chat_id = int(chat_id)
        token = _chat.set(chat_id if isinstance(chat_id, int | str) else None)
        try:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        finally:
            _chat.reset(token)

    async def _run_request(
        self,
        chat: bool,
        group: str | int | bool,
        allow_paid_broadcast: bool,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> JSONResult:
        chat_id = _chat.get()
        if chat_id is None or allow_paid_broadcast or time.monotonic() < self._redis_retry_at:
            return await super()._run_request(chat, group, allow_paid_broadcast, callback, args, kwargs)
        try:
            await self.buckets.acquire(buckets_for(chat_id))
        except (RedisError, OSError) as err:
            self._redis_retry_at = time.monotonic() + RETRY_REDIS_SECONDS
            self.on_fallback("rate_limit")
            log.warning("shared rate limit unavailable (%s); per-process limits for now", type(err).__name__)
            return await super()._run_request(chat, group, allow_paid_broadcast, callback, args, kwargs)
        await self._retry_after_event.wait()  # a 429 elsewhere in this process: wait like the base class
        return await callback(*args, **kwargs)
