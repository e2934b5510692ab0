"""The admin's replies about replicas: /rollback without a corpus store, a reload across replicas."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.service.holder import EngineHolder, ReloadReport
from bot.service.replicas import ClusterReload, ReplicaReply
from bot.service.shared_stats import Numbers, SharedNumbers
from bot.telegram import texts
from bot.telegram.application import build_application
from bot.telegram.replica_html import cluster_reload_html, shared_stats_html
from retrieval.corpus.loading import CorpusChanges
from tests.support.fake_telegram import TOKEN, RecordingRequest, message, update

ADMIN = 42


@pytest.fixture
async def env(corpus_dir, seed_engine):
    request = RecordingRequest()
    settings = Settings(corpus=corpus_dir, admins=[ADMIN])
    holder = EngineHolder(corpus_dir, engine=seed_engine)
    app = build_application(settings, holder, TOKEN, request, RecordingRequest(), rate_limit=False)
    async with app:
        request.clear()
        yield app, request


async def test_rollback_needs_an_admin_and_a_corpus_store(env):
    app, request = env
    await app.process_update(update(app.bot, message=message("/rollback", user_id=7)))
    assert request.last("sendMessage")["text"] == texts.NOT_ADMIN
    await app.process_update(update(app.bot, message=message("/rollback", user_id=ADMIN)))
    assert request.last("sendMessage")["text"] == texts.NO_CORPUS_STORE


def test_a_reload_across_replicas_names_who_failed_and_who_did_not_answer():
    local = ReloadReport(True, 0.4, None, CorpusChanges(["防汛"], [], []), 2, 133)
    result = ClusterReload(
        local,
        [ReplicaReply("a:1", True, "v2", 2), ReplicaReply("b:1", False, "v1", 1, "没有可读的文档")],
        ["c:1"],
    )
    text = cluster_reload_html(result, 1, 128)
    assert text.startswith("副本：1/3 个已重新载入，语料版本 <code>v2</code>。")
    assert "❌ b:1：没有可读的文档" in text and "⏱ c:1：未按时回复" in text
    assert "✅ 已重新载入语料" in text and "新增：防汛" in text


def test_shared_numbers_and_their_absence():
    shared = shared_stats_html(SharedNumbers(Numbers(10, 2, 8, 0.08), 3))
    assert "全部副本（3 个）" in shared and "问题：10 个，其中拒绝 2 个" in shared and "10 毫秒" in shared
    assert "Redis 不可用" in shared_stats_html(None)
