"""Bounded work for questions: a per-user limit (questions in flight, questions a minute) and a
cap on the searches running at once, so one user's flood cannot slow everyone else down."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
WINDOW_SECONDS = 60.0
FORGET_AFTER = 10_000  # users remembered before idle ones are forgotten

BUSY = "请稍候：您的上一个问题还在查找中，答复后再提下一个。"
TOO_MANY = "提问太频繁了（每分钟最多 {limit} 个），请稍后再试。"


class Refused(Exception):
    """A question not taken now; the message says why, politely (in Chinese)."""


@dataclass
class UserUse:
    running: int = 0
    recent: deque[float] = field(default_factory=deque)


class UserLimits:
    """At most `in_flight` questions of one user at a time and `per_minute` in any minute."""

    def __init__(self, in_flight: int = 2, per_minute: int = 20, clock: Callable[[], float] = time.monotonic):
        self.in_flight = in_flight
        self.per_minute = per_minute
        self.clock = clock
        self.users: dict[int, UserUse] = {}

    @contextmanager
    def question(self, user_id: int) -> Iterator[None]:
        """Holds one of the user's places while the question is answered; raises Refused."""
        now = self.clock()
        use = self.users.setdefault(user_id, UserUse())
        while use.recent and use.recent[0] <= now - WINDOW_SECONDS:
            use.recent.popleft()
        if use.running >= self.in_flight:
            raise Refused(BUSY)
        if len(use.recent) >= self.per_minute:
            raise Refused(TOO_MANY.format(limit=self.per_minute))
        use.running += 1
        use.recent.append(now)
        try:
            yield
        finally:
            use.running -= 1
            if len(self.users) > FORGET_AFTER:
                self.forget_idle(now)

    def forget_idle(self, now: float) -> None:
        self.users = {
            user: use
            for user, use in self.users.items()
            if use.running or (use.recent and use.recent[-1] > now - WINDOW_SECONDS)
        }


class SearchSlots:
    """At most `size` searches at once, each in a worker thread, so the event loop stays free."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._semaphore: asyncio.Semaphore | None = None

    async def run(self, function: Callable[..., T], *args: object) -> T:
        if self._semaphore is None:  # made inside the running loop
            self._semaphore = asyncio.Semaphore(self.size)
        async with self._semaphore:
            return await asyncio.to_thread(function, *args)
