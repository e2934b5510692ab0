"""Several replicas of the bot, one corpus: reloads coordinated through Redis.

* A reload request (``/reload``, an upload, ``/rollback``, SIGHUP on any replica) is an entry of
  the Redis stream ``speechbot:reloads``. Every replica reads the stream; for each new batch of
  entries it syncs its corpus folder from the corpus store (when one is configured), rebuilds
  beside its current index and swaps (EngineHolder.reload), then pushes a report to
  ``speechbot:reports:<request id>``.
* The replica that asked waits for the reports of every replica alive when it asked (each
  refreshes ``speechbot:replica:<id>`` every few seconds) and names those that failed or did not
  answer in time.
* A replica that starts, or reconnects after Redis was away, reads the stream from where it
  was, so it catches up with the requests it missed (one reload for all of them). One that
  starts while Redis is away reads the stream from its start once Redis is back (one reload).
* Redis down: answers go on from the index in memory, a reload happens here only (with a
  warning for the admin and the log), the caller's ``on_fallback`` counts it; the next command
  reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.service import shared_stats
from bot.service.corpus_store import CorpusStore, StoreError
from bot.service.corpus_version import corpus_version
from bot.service.holder import EngineHolder, ReloadReport

log = logging.getLogger(__name__)

STREAM = "speechbot:reloads"
STREAM_LENGTH = 1000
REPLICA_PREFIX = "speechbot:replica:"
REPORTS_PREFIX = "speechbot:reports:"
REPLICA_ENV = "SPEECHBOT_REPLICA_ID"
HEARTBEAT_SECONDS = 3.0
HEARTBEAT_TTL = 10
REPORT_TIMEOUT = 120.0  # a replica that has not reloaded by then is named as not answering
QUICK_TIMEOUT = 1.0  # seconds for a command that must not hold up an answer
BLOCK_SECONDS = 5.0  # one blocking read of the stream or of the reports
ERROR_PAUSE = 1.0  # between attempts while Redis is away


def replica_id(port: int | None = None) -> str:
    """``$SPEECHBOT_REPLICA_ID``, else host name and port: stable across restarts of one replica."""
    explicit = os.environ.get(REPLICA_ENV, "").strip()
    if explicit:
        return explicit
    host = socket.gethostname()
    return f"{host}:{port}" if port else host


def connect(url: str, timeout: float | None) -> Redis:
    """A client that fails fast (no retries): the caller falls back, the next call reconnects."""
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=QUICK_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


@dataclass(frozen=True)
class ReplicaReply:
    """What one replica's reload did."""

    replica: str
    ok: bool
    version: str
    documents: int
    error: str | None = None

    @classmethod
    def of(cls, replica: str, report: ReloadReport, holder: EngineHolder) -> ReplicaReply:
        engine = holder.engine
        return cls(replica, report.ok, corpus_version(engine), len(engine.documents), report.error)

    @classmethod
    def from_json(cls, text: str) -> ReplicaReply | None:
        try:
            data = json.loads(text)
            fields = (str(data["replica"]), bool(data["ok"]), str(data["version"]), int(data["documents"]))
            return cls(*fields, data.get("error"))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass
class ClusterReload:
    """A reload across replicas: this replica's own report, every reply, who did not answer."""

    local: ReloadReport | None
    replies: list[ReplicaReply] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    warning: str | None = None  # Redis could not be used: what happened instead

    @property
    def reloaded(self) -> list[ReplicaReply]:
        return [reply for reply in self.replies if reply.ok]

    @property
    def failed(self) -> list[ReplicaReply]:
        return [reply for reply in self.replies if not reply.ok]

    @property
    def versions(self) -> list[str]:
        return sorted({reply.version for reply in self.reloaded})


OnReload = Callable[[ReloadReport, str], None]
OnFallback = Callable[[str], None]
NumbersSource = Callable[[], shared_stats.Numbers]


class Replicas:
    """This replica's link to the others. ``prepare`` before loading, ``start`` after, ``stop`` at the end."""

    def __init__(
        self,
        redis_url: str,
        replica: str,
        store: CorpusStore | None = None,
        on_reload: OnReload | None = None,
        on_fallback: OnFallback | None = None,
        numbers: NumbersSource | None = None,
        report_timeout: float = REPORT_TIMEOUT,
    ) -> None:
        self.replica = replica
        self.store = store
        self.on_reload = on_reload or (lambda report, via: None)
        self.on_fallback = on_fallback or (lambda what: None)
        self.numbers = numbers
        self.report_timeout = report_timeout
        self.quick = connect(redis_url, QUICK_TIMEOUT)
        self.blocking = connect(redis_url, BLOCK_SECONDS + 5)
        self.holder: EngineHolder | None = None
        self.down = False
        self.last_id = "0-0"
        self._waiting: dict[str, asyncio.Future[ReloadReport]] = {}
        self._tasks: list[asyncio.Task] = []
        self._stopping = False

    # ---- life cycle
    async def prepare(self, folder: Path) -> None:
        """Before the first load: remember where the stream ends (later requests are news), and
        bring the folder up to the store's current version."""
        try:
            last = await self.quick.xrevrange(STREAM, count=1)
            self.last_id = str(last[0][0]) if last else "0-0"
        except RedisError as err:
            self.fallback("start", err)  # read the stream from its start once Redis is back
        if self.store is not None:
            try:
                version = await asyncio.to_thread(self.store.sync, folder)
                log.info("corpus folder synced from the store (version %s)", version)
            except (StoreError, OSError) as err:
                log.warning("corpus store not usable at start (%s); loading the local folder", err)

    def start(self, holder: EngineHolder) -> None:
        self.holder = holder
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._heartbeat())]

    async def stop(self) -> None:
        # The loops also end on this flag: the Redis client can turn a cancellation inside a read
        # into a connection error, which the loops take for an outage and would outlive.
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        # A blocking read on a connection to a Redis that was killed and restarted can outlive its
        # cancellation: wait one blocking read at most, then close the clients under it.
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=BLOCK_SECONDS + 1)
        with contextlib.suppress(RedisError, OSError):
            await self.quick.delete(REPLICA_PREFIX + self.replica)
        for client in (self.quick, self.blocking):
            with contextlib.suppress(RedisError, OSError):
                await client.aclose()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
        for task in self._tasks:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: a task's last error is no news at stop

    def fallback(self, what: str, err: BaseException) -> None:
        """Count a use of Redis that failed; warn once per outage."""
        self.on_fallback(what)
        if not self.down:
            self.down = True
            log.warning(
                "Redis unreachable (%s: %s): answering on; reloads stay on this replica and the rate "
                "limit is per process until it is back",
                what,
                err,
            )

    def _back(self) -> None:
        if self.down:
            self.down = False
            log.info("Redis reachable again")

    # ---- reloads
    async def reload(self, via: str) -> ClusterReload:
        """Ask every replica to reload; wait for their reports (this replica's included)."""
        holder = self._holder()
        request = uuid.uuid4().hex
        mine: asyncio.Future[ReloadReport] = asyncio.get_running_loop().create_future()
        self._waiting[request] = mine
        try:
            expected = await self.live() | {self.replica}
            await self.quick.xadd(
                STREAM,
                {"request": request, "from": self.replica, "via": via},
                maxlen=STREAM_LENGTH,
                approximate=True,
            )
            self._back()
        except RedisError as err:
            self._waiting.pop(request, None)
            self.fallback("reload", err)
            report = await self.reload_here(via)
            reply = ReplicaReply.of(self.replica, report, holder)
            return ClusterReload(
                report, [reply], [], f"Redis 不可用（{type(err).__name__}），只重新载入了本副本"
            )
        try:
            replies, warning = await self._collect(request, expected)
            local: ReloadReport | None = None
            if warning is None:
                with contextlib.suppress(TimeoutError):
                    local = await asyncio.wait_for(asyncio.shield(mine), timeout=1.0 if replies else 0.1)
            elif mine.done():
                local = mine.result()
            else:  # Redis went away before this replica's own listener saw the request
                local = await self.reload_here(via)
                replies[self.replica] = ReplicaReply.of(self.replica, local, holder)
        finally:
            self._waiting.pop(request, None)
        missing = sorted(expected - set(replies))
        return ClusterReload(local, sorted(replies.values(), key=lambda r: r.replica), missing, warning)

    async def _collect(self, request: str, expected: set[str]) -> tuple[dict[str, ReplicaReply], str | None]:
        replies: dict[str, ReplicaReply] = {}
        deadline = time.monotonic() + self.report_timeout
        while not expected <= set(replies):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                item = await self.blocking.blpop([REPORTS_PREFIX + request], timeout=min(left, BLOCK_SECONDS))
            except RedisError as err:
                self.fallback("reports", err)
                return replies, f"Redis 在等待各副本回复时断开（{type(err).__name__}）"
            if item:
                reply = ReplicaReply.from_json(str(item[1]))
                if reply is not None:
                    replies[reply.replica] = reply
        return replies, None

    async def reload_here(self, via: str) -> ReloadReport:
        """Sync the folder from the store (if any), then rebuild and swap this replica's index."""
        holder = self._holder()
        if self.store is not None:
            try:
                await asyncio.to_thread(self.store.sync, holder.folder)
            except (StoreError, OSError) as err:
                log.warning("corpus store sync failed: %s", err)
                report = ReloadReport(False, 0.0, f"语料存储不可用：{err}")
                self.on_reload(report, via)
                return report
        report = await holder.reload()
        self.on_reload(report, via)
        return report

    async def live(self) -> set[str]:
        """The replicas whose heartbeat is fresh."""
        found = set()
        async for key in self.quick.scan_iter(match=REPLICA_PREFIX + "*", count=100):
            found.add(key.removeprefix(REPLICA_PREFIX))
        return found

    async def _listen(self) -> None:
        while not self._stopping:
            try:
                batch: Any = await self.blocking.xread(
                    {STREAM: self.last_id}, count=100, block=int(BLOCK_SECONDS * 1000)
                )
            except RedisError as err:
                if self._stopping:
                    return
                self.fallback("listen", err)
                await asyncio.sleep(ERROR_PAUSE)
                continue
            self._back()
            entries: list[tuple[str, dict[str, Any]]] = [entry for _, items in batch or [] for entry in items]
            if not entries:
                continue
            try:
                await self._serve_requests(entries)
            except Exception:  # one bad batch must not stop this replica from hearing the next
                log.exception("serving reload requests failed")
            self.last_id = entries[-1][0]

    async def _serve_requests(self, entries: list[tuple[str, dict[str, Any]]]) -> None:
        """One reload for a batch of requests, then a report to each requester."""
        via = entries[-1][1].get("via", "replica")
        report = await self.reload_here(via if len(entries) == 1 else "catch-up")
        reply = json.dumps(asdict(ReplicaReply.of(self.replica, report, self._holder())), ensure_ascii=False)
        for _, fields in entries:
            request = fields.get("request", "")
            waiting = self._waiting.get(request)
            if waiting is not None and not waiting.done():
                waiting.set_result(report)
            await self._report(request, reply)

    async def _report(self, request: str, reply: str) -> None:
        key = REPORTS_PREFIX + request
        for _attempt in range(3):
            try:
                async with self.quick.pipeline(transaction=True) as pipe:
                    pipe.rpush(key, reply)
                    pipe.expire(key, int(self.report_timeout) + 60)
                    await pipe.execute()
                return
            except RedisError as err:
                self.fallback("report", err)
                await asyncio.sleep(ERROR_PAUSE)

    # ---- heartbeat and shared numbers
    async def _heartbeat(self) -> None:
        while not self._stopping:
            await self.beat()
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def beat(self) -> None:
        """Say this replica is alive (and which corpus it serves); write its answer counts."""
        holder = self._holder()
        state = {
            "version": corpus_version(holder.engine),
            "documents": len(holder.engine.documents),
            "at": round(time.time(), 3),
        }
        try:
            await self.quick.set(REPLICA_PREFIX + self.replica, json.dumps(state), ex=HEARTBEAT_TTL)
            if self.numbers is not None:
                await shared_stats.publish(self.quick, self.replica, self.numbers())
            self._back()
        except RedisError as err:
            self.fallback("heartbeat", err)

    async def shared_numbers(self, mine: shared_stats.Numbers) -> shared_stats.SharedNumbers | None:
        """The answer counts of every replica, or None when Redis cannot be reached."""
        try:
            found = await shared_stats.shared_numbers(self.quick, self.replica, mine)
        except RedisError as err:
            self.fallback("stats", err)
            return None
        self._back()
        return found

    def _holder(self) -> EngineHolder:
        if self.holder is None:
            raise RuntimeError("Replicas.start(holder) was not called")
        return self.holder
