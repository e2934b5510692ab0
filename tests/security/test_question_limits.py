"""Bounded work per question: substring checks from the suffix array, a word cap, per-user
limits, a bounded number of searches at once, strict inline offsets."""

from __future__ import annotations

import asyncio
import random
import threading

import pytest

from bot.service.answering import Asker
from bot.service.holder import EngineHolder, Stats
from bot.service.limits import SearchSlots, UserLimits
from bot.telegram.handlers.answers import inline_offset
from retrieval.index.substrings import CorpusSubstrings


def test_substrings_agree_with_a_scan(seed_engine):
    texts = seed_engine.folded
    found = CorpusSubstrings(texts)
    rng = random.Random(7)
    for _ in range(2000):
        text = rng.choice(texts)
        start = rng.randrange(len(text))
        needle = text[start : start + rng.randint(1, 12)]
        if rng.random() < 0.5:
            needle = needle[:-1] + rng.choice("的了是啊xq1")
        assert found.contains(needle) == any(needle in t for t in texts), needle


def test_substrings_never_span_two_texts():
    found = CorpusSubstrings(["甲乙", "丙丁"])
    assert "乙" in found and "丙丁" in found
    assert "乙丙" not in found and "乙\x00丙" not in found
    assert "" in found and "戊" not in found
    assert "x" not in CorpusSubstrings([])


def test_the_engine_checks_unknown_words_without_scanning_the_corpus(seed_engine, monkeypatch):
    calls: list[str] = []
    real = seed_engine.substrings.contains
    monkeypatch.setattr(seed_engine.substrings, "contains", lambda text: calls.append(text) or real(text))

    class NoScan(list):
        def __iter__(self):
            raise AssertionError("the corpus texts were scanned")

    monkeypatch.setattr(seed_engine, "folded", NoScan(seed_engine.folded))
    try:
        seed_engine.rejoined("三专指什么呢嗯嗯", ["三", "专指", "什么", "呢嗯嗯"])
    finally:
        monkeypatch.undo()
    assert calls  # the unknown words were looked up in the suffix array


def test_a_question_with_too_many_words_is_refused_politely(seed_engine):
    asker = Asker(EngineHolder("unused", seed_engine), Stats(), max_chars=500, max_words=10)
    many = "廉政 责任书 签订 干部 队伍 作风 建设 考核 监督 问责 整改 落实"
    problem = asker.problem(many)
    assert problem is not None and "词语太多" in problem and "10" in problem
    assert asker.problem("廉政责任书多久签一次") is None


def test_a_user_gets_a_few_questions_in_flight_and_a_rate_per_minute():
    now = [0.0]
    limits = UserLimits(in_flight=2, per_minute=3, clock=lambda: now[0])
    with limits.question(1), limits.question(1):
        with pytest.raises(Exception, match="上一个问题还在查找中"), limits.question(1):
            pass
        with limits.question(2):  # another user is not held up
            pass
    with limits.question(1):
        pass
    with pytest.raises(Exception, match="每分钟最多 3 个"), limits.question(1):
        pass
    now[0] = 61.0
    with limits.question(1):  # a minute later
        pass
    assert limits.users[1].running == 0


def test_idle_users_are_forgotten():
    limits = UserLimits(clock=lambda: 0.0)
    for user in range(5):
        with limits.question(user):
            pass
    limits.forget_idle(now=1000.0)
    assert limits.users == {}


async def test_no_more_than_the_slots_run_at_once_and_none_on_the_event_loop():
    slots = SearchSlots(size=2)
    running, peak, threads = [0], [0], set()
    lock = threading.Lock()
    gate = threading.Event()

    def search(n: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        threads.add(threading.get_ident())
        gate.wait(5)
        with lock:
            running[0] -= 1
        return n

    tasks = [asyncio.create_task(slots.run(search, n)) for n in range(6)]
    await asyncio.sleep(0.2)
    gate.set()
    assert sorted(await asyncio.gather(*tasks)) == list(range(6))
    assert peak[0] == 2
    assert threading.get_ident() not in threads


@pytest.mark.parametrize(
    ("given", "offset"),
    [("", 0), ("5", 5), ("120", 120), ("²", 0), ("٣", 0), ("-1", 0), ("1e3", 0), ("99999", 0)],
)
def test_inline_offsets_are_parsed_strictly(given, offset):
    assert inline_offset(given) == offset


async def test_an_inline_query_over_the_limit_gets_the_polite_message(corpus_dir, seed_engine):
    from bot.config import Settings
    from bot.telegram.application import build_application
    from tests.support.fake_telegram import TOKEN, RecordingRequest, update

    request = RecordingRequest()
    settings = Settings(corpus=corpus_dir, user_questions_per_minute=1)
    app = build_application(
        settings, EngineHolder(corpus_dir, seed_engine), TOKEN, request, RecordingRequest(), False
    )
    sender = {"id": 5, "is_bot": False, "first_name": "A"}
    async with app:
        for number, query in enumerate(("表率", "依法行政")):
            inline = {"id": f"iq{number}", "from": sender, "query": query, "offset": ""}
            await app.process_update(update(app.bot, inline_query=inline))
    first, second = request.sent("answerInlineQuery")
    assert first["results"] and "button" not in first
    assert second["results"] == [] and "提问太频繁" in second["button"]["text"]
