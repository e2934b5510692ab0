"""Reloads across replicas, shared answer counts and the shared rate limit, against a real redis-server
(two Replicas in one event loop stand for two processes; tests/e2e/test_replicas_e2e.py runs three)."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from bot.config import REDIS_ENV, build_settings
from bot.service.corpus_version import corpus_version
from bot.service.holder import EngineHolder
from bot.service.replicas import REPLICA_PREFIX, Replicas
from bot.service.shared_stats import Numbers
from bot.telegram.shared_rate_limit import Bucket, SharedBuckets, SharedRateLimiter
from tests.support.ports import free_port
from tests.support.redis_server import find_redis_server, running_redis

SPEECH = "在全市防汛工作会议上的讲话\n同志们：\n一、压实责任。各级要落实防汛责任制，汛期值班不得脱岗。\n"


@pytest.fixture
def redis_server():
    binary = find_redis_server()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server missing under CI (run .ci/e2e-services.sh)")
        pytest.skip("redis-server not installed")
    with running_redis(binary) as server:
        yield server


def corpus_copy(seed_dir: Path, target: Path) -> Path:
    shutil.copytree(seed_dir, target)
    return target


async def replica(url: str, name: str, folder: Path, **kw) -> Replicas:
    link = Replicas(url, name, **kw)
    await link.prepare(folder)
    link.start(EngineHolder(folder))
    await link.beat()
    return link


async def test_a_reload_reaches_every_replica_and_reports_back(redis_server, seed_dir, tmp_path):
    first = corpus_copy(seed_dir, tmp_path / "a")
    second = corpus_copy(seed_dir, tmp_path / "b")
    reloads: list[str] = []
    a = await replica(redis_server.url, "a", first, on_reload=lambda report, via: reloads.append(f"a:{via}"))
    b = await replica(redis_server.url, "b", second, on_reload=lambda report, via: reloads.append(f"b:{via}"))
    try:
        before = corpus_version(a.holder.engine)
        assert before == corpus_version(b.holder.engine)
        for folder in (first, second):
            (folder / "防汛.txt").write_text(SPEECH, encoding="utf-8")
        result = await a.reload("command")
        assert [reply.replica for reply in result.reloaded] == ["a", "b"]
        assert result.missing == [] and result.warning is None
        assert result.local is not None and result.local.ok and result.local.changes.added == ["防汛"]
        (version,) = result.versions
        assert version != before
        assert corpus_version(b.holder.engine) == version and len(b.holder.engine.documents) == 2
        assert sorted(reloads) == ["a:command", "b:command"]
    finally:
        await a.stop()
        await b.stop()


async def test_a_replica_that_does_not_answer_is_named(redis_server, seed_dir, tmp_path):
    a = await replica(redis_server.url, "a", corpus_copy(seed_dir, tmp_path / "a"), report_timeout=1.0)
    try:
        await a.quick.set(REPLICA_PREFIX + "ghost", "{}", ex=30)
        result = await a.reload("command")
        assert [reply.replica for reply in result.reloaded] == ["a"]
        assert result.missing == ["ghost"]
    finally:
        await a.stop()


async def test_a_replica_started_later_catches_up(redis_server, seed_dir, tmp_path):
    first = corpus_copy(seed_dir, tmp_path / "a")
    second = corpus_copy(seed_dir, tmp_path / "b")
    a = await replica(redis_server.url, "a", first, report_timeout=0.5)
    late = Replicas(redis_server.url, "late")
    await late.prepare(second)  # remembers where the stream ended, then "loads"
    holder = EngineHolder(second)
    try:
        (second / "防汛.txt").write_text(SPEECH, encoding="utf-8")
        await a.reload("command")  # "late" is not listening yet
        assert len(holder.engine.documents) == 1
        late.start(holder)
        for _ in range(100):
            if len(holder.engine.documents) == 2:
                break
            await asyncio.sleep(0.1)
        assert len(holder.engine.documents) == 2
    finally:
        await a.stop()
        await late.stop()


async def test_without_redis_a_reload_stays_local_with_a_warning(seed_dir, tmp_path):
    fallbacks: list[str] = []
    folder = corpus_copy(seed_dir, tmp_path / "a")
    link = Replicas(f"redis://127.0.0.1:{free_port()}/0", "alone", on_fallback=fallbacks.append)
    await link.prepare(folder)
    link.start(EngineHolder(folder))
    try:
        (folder / "防汛.txt").write_text(SPEECH, encoding="utf-8")
        result = await link.reload("command")
        assert result.local is not None and result.local.ok
        assert len(link.holder.engine.documents) == 2
        assert result.warning and "Redis 不可用" in result.warning
        assert "reload" in fallbacks and link.down
        assert await link.shared_numbers(Numbers(questions=1)) is None
    finally:
        await link.stop()


async def test_redis_killed_and_restarted_reconnects_by_itself(redis_server, seed_dir, tmp_path):
    folder = corpus_copy(seed_dir, tmp_path / "a")
    fallbacks: list[str] = []
    link = await replica(redis_server.url, "a", folder, on_fallback=fallbacks.append, report_timeout=5)
    try:
        redis_server.stop()
        await link.beat()
        assert link.down and "heartbeat" in fallbacks
        redis_server.start()
        await link.beat()
        assert not link.down
        result = await link.reload("command")
        assert [reply.replica for reply in result.reloaded] == ["a"] and result.warning is None
    finally:
        await link.stop()


async def test_answer_counts_are_summed_over_replicas(redis_server, seed_dir, tmp_path):
    counts = {"a": Numbers(5, 1, 4, 0.4), "b": Numbers(3, 0, 3, 0.2)}
    a = await replica(
        redis_server.url, "a", corpus_copy(seed_dir, tmp_path / "a"), numbers=lambda: counts["a"]
    )
    b = await replica(
        redis_server.url, "b", corpus_copy(seed_dir, tmp_path / "b"), numbers=lambda: counts["b"]
    )
    try:
        shared = await a.shared_numbers(counts["a"])
        assert shared is not None and shared.replicas == 2
        assert (shared.total.questions, shared.total.refusals, shared.total.searched) == (8, 1, 7)
        assert shared.total.mean_seconds == pytest.approx(0.6 / 7)
    finally:
        await a.stop()
        await b.stop()


async def test_token_buckets_are_shared_between_clients(redis_server):
    from bot.service.replicas import connect

    one, two = connect(redis_server.url, 1.0), connect(redis_server.url, 1.0)
    try:
        slow = [Bucket("t:bot", 0.001, 3)]  # refills one token in 1000 s: nothing comes back during the test
        first, second = SharedBuckets(one), SharedBuckets(two)
        assert [await first.wait_ms(slow), await second.wait_ms(slow), await first.wait_ms(slow)] == [0, 0, 0]
        assert await second.wait_ms(slow) > 0  # the fourth, from either client, has to wait
        chat = [Bucket("t:bot2", 1000.0, 10), Bucket("t:chat", 0.001, 1)]
        assert await first.wait_ms(chat) == 0
        assert await second.wait_ms(chat) > 0  # the chat's bucket is empty though the bot's is not
    finally:
        await one.aclose()
        await two.aclose()


async def test_the_rate_limiter_sends_through_redis_and_without_it():
    from bot.service.replicas import connect

    fallbacks: list[str] = []
    dead = connect(f"redis://127.0.0.1:{free_port()}/0", 0.5)
    limiter = SharedRateLimiter(dead, max_retries=1, on_fallback=fallbacks.append)
    sent: list[dict] = []

    async def send(**kwargs):
        sent.append(kwargs)
        return {"ok": True}

    data = {"chat_id": 7, "text": "hi"}
    result = await limiter.process_request(send, (), data, "sendMessage", data, None)
    assert result == {"ok": True} and sent == [data]
    assert fallbacks == ["rate_limit"]
    await dead.aclose()


async def test_the_rate_limiter_takes_tokens_in_redis(redis_server):
    from bot.service.replicas import connect

    client = connect(redis_server.url, 1.0)
    limiter = SharedRateLimiter(client, max_retries=1)

    async def send(**kwargs):
        return True

    data = {"chat_id": 4242, "text": "hi"}
    assert await limiter.process_request(send, (), data, "sendMessage", data, None) is True
    assert await client.exists("speechbot:ratelimit:bot", "speechbot:ratelimit:chat:4242") == 2
    await client.aclose()


def test_redis_url_from_the_environment_and_the_command_line(monkeypatch):
    monkeypatch.delenv(REDIS_ENV, raising=False)
    assert build_settings(None, {}).redis_url is None
    monkeypatch.setenv(REDIS_ENV, "redis://127.0.0.1:6379/0")
    assert build_settings(None, {}).redis_url == "redis://127.0.0.1:6379/0"
    assert build_settings(None, {"redis_url": "redis://other:6380/1"}).redis_url == "redis://other:6380/1"
