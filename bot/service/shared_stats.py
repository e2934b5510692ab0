"""Answer counts summed over the replicas: each replica writes its own totals to a Redis hash
(``speechbot:stats:<replica>``, kept a day after its last write), ``/stats`` adds them up.

A replica writes its totals (not increments), so a write repeated after a lost reply counts
nothing twice; a restarted replica starts again from zero under the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

STATS_PREFIX = "speechbot:stats:"
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Numbers:
    """One replica's (or the sum of all replicas') answer counts."""

    questions: int = 0
    refusals: int = 0
    searched: int = 0  # questions searched (the latency below is theirs)
    search_seconds: float = 0.0

    def __add__(self, other: Numbers) -> Numbers:
        return Numbers(
            self.questions + other.questions,
            self.refusals + other.refusals,
            self.searched + other.searched,
            self.search_seconds + other.search_seconds,
        )

    @property
    def mean_seconds(self) -> float | None:
        return self.search_seconds / self.searched if self.searched else None

    def as_mapping(self) -> dict[Any, Any]:
        return {
            "questions": str(self.questions),
            "refusals": str(self.refusals),
            "searched": str(self.searched),
            "search_seconds": repr(self.search_seconds),
        }

    @classmethod
    def from_mapping(cls, values: dict[Any, Any]) -> Numbers:
        try:
            return cls(
                int(values.get("questions", 0)),
                int(values.get("refusals", 0)),
                int(values.get("searched", 0)),
                float(values.get("search_seconds", 0.0)),
            )
        except ValueError:
            return cls()


@dataclass(frozen=True)
class SharedNumbers:
    total: Numbers
    replicas: int


async def publish(redis: Redis, replica: str, numbers: Numbers) -> None:
    key = STATS_PREFIX + replica
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping=numbers.as_mapping())
        pipe.expire(key, KEEP_SECONDS)
        await pipe.execute()


async def shared_numbers(redis: Redis, replica: str, mine: Numbers) -> SharedNumbers:
    """Write this replica's numbers, then the sum over every replica's hash."""
    await publish(redis, replica, mine)
    total, count = Numbers(), 0
    async for key in redis.scan_iter(match=STATS_PREFIX + "*", count=100):
        values = await redis.hgetall(key)
        if values:
            total += Numbers.from_mapping(values)
            count += 1
    return SharedNumbers(total, count)
