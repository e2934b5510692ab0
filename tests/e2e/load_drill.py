"""Load test: the real `speechbot serve` process (webhook mode) driven through the Bot API
emulator telemelya, everything on 127.0.0.1 (redis-server, moto's S3 server, telemelya and the
bot are started here and stopped at the end; see tests/e2e/harness.py).

    python -m tests.e2e.load_drill [--chats 50] [--questions 20] [--reload-every 0] [--corpus DIR]

Each simulated chat is a user in a private chat who asks its questions one after another,
waiting for each answer (at most --timeout s) before the next; all chats run at once. The
latency of a question is the time from injecting its update into telemelya to telemelya
recording the bot's sendMessage for that chat (read from telemelya's Redis with BLPOP, so no
polling delay). A question is *answered* when exactly one reply arrives, *failed* when that
reply is the bot's error message, *lost* when none arrives in time.

With --reload-every N, an admin chat sends /reload every N seconds while the load runs (a
soak), and a speech file is added or removed before each one so that every reload rebuilds
the index; each reload must end in a "✅" report.

Note: the bot runs python-telegram-bot's AIORateLimiter, which keeps to Telegram's limit of
about 30 messages a second overall; that, not searching, bounds the throughput here.
Exit status: 0 when nothing is lost or failed (and every reload succeeded), else 1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.harness import DEFAULT_TOKEN, BotClient, BotProcess, Services, speechbot_command
from tests.support.paths import PROJECT as ROOT

ADMIN = 42
ERROR_TEXT = "抱歉，处理时出错了，请稍后再试。"  # bot/telegram/texts.py ERROR
QUESTIONS = [
    "表率",
    "廉政责任书多久签一次",
    "常务会星期几开",
    "依法行政",
    "如何带好队伍",
    "一岗双责",
    "钉钉子精神",
    "提升质量有什么要求",
    "三重一大",
    "NBA总决赛冠军是谁",
    "<b>表率</b> &amp; </blockquote>",
    "廉政責任書多久簽一次",
    "🙂🙂 依法行政？",
    "。。。！！！",
    "市长办公会议讲话的第三部分",
    "干部作风",
    "重大项目周例会",
    "调查研究",
    "表率" * 300,  # over the 500-character limit: refused with a message
    "安全生产",
]


@dataclass
class Inbox:
    """Replies per session, collected by one BLPOP thread over every session's response list."""

    services: Services
    sessions: list[str]
    replies: dict[str, list[tuple[float, dict]]] = field(default_factory=dict)
    condition: threading.Condition = field(default_factory=threading.Condition)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        redis = self.services.redis()
        keys = [f"responses:{s}" for s in self.sessions]
        while not self.stopping.is_set():
            popped = redis.blpop(keys, timeout=1)
            if popped is None:
                continue
            key, raw = popped
            arrived = time.monotonic()
            with self.condition:
                self.replies.setdefault(key.removeprefix("responses:"), []).append((arrived, json.loads(raw)))
                self.condition.notify_all()

    def wait(self, session: str, count: int, methods: set[str], timeout: float) -> list[tuple[float, dict]]:
        """The first `count` replies of `methods` in a session (fewer if the timeout passes)."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                found = [r for r in self.replies.get(session, []) if r[1].get("method") in methods]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return found[:count]
                self.condition.wait(min(left, 0.5))

    def take(self, session: str) -> None:
        with self.condition:
            self.replies[session] = []


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    answered: int = 0
    failed: int = 0
    lost: int = 0
    extra: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def chat_worker(
    services: Services,
    inbox: Inbox,
    chat_id: int,
    session: str,
    questions: int,
    timeout: float,
    result: Result,
) -> None:
    with BotClient(services, token=DEFAULT_TOKEN, session_id=session) as client:
        for number in range(questions):
            question = QUESTIONS[(chat_id + number) % len(QUESTIONS)]
            inbox.take(session)
            sent = time.monotonic()
            try:
                client.send_message(chat_id=chat_id, user_id=chat_id, text=question)
            except Exception as err:  # the update never reached the bot: count it as lost
                with result.lock:
                    result.lost += 1
                    result.problems.append(f"chat {chat_id} q{number}: delivery failed: {err}")
                continue
            got = inbox.wait(session, 1, {"sendMessage"}, timeout)
            with result.lock:
                if not got:
                    result.lost += 1
                    result.problems.append(f"chat {chat_id} q{number}: no reply in {timeout:.0f} s")
                    continue
                arrived, reply = got[0]
                text = reply.get("text") or ""
                if text == ERROR_TEXT:
                    result.failed += 1
                    result.problems.append(f"chat {chat_id} q{number}: the error message")
                else:
                    result.answered += 1
                result.latencies.append(arrived - sent)
        time.sleep(0.5)  # late duplicates, if any, show up as extra replies
        with result.lock:
            result.extra += max(0, len(inbox.replies.get(session, [])) - 1)


def reloader(
    services: Services, inbox: Inbox, corpus: Path, every: float, done: threading.Event, outcomes: list[str]
) -> None:
    session = "load-admin"
    spare = next(corpus.glob("*.txt"))
    copy = corpus / "reload-copy.txt"
    with BotClient(services, token=DEFAULT_TOKEN, session_id=session) as client:
        while not done.wait(every):
            if copy.exists():
                copy.unlink()
            else:
                shutil.copy(spare, copy)
            inbox.take(session)
            client.send_message(chat_id=ADMIN, user_id=ADMIN, text="/reload")
            got = inbox.wait(session, 2, {"sendMessage", "editMessageText"}, 60)
            report = (got[-1][1].get("text") or "") if len(got) == 2 else ""
            outcomes.append("ok" if report.startswith("✅") else f"FAILED: {report[:120]!r}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else float("nan")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20, help="questions per chat")
    parser.add_argument("--reload-every", type=float, default=0, help="seconds between /reload (0: none)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "seed")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for one answer")
    parser.add_argument("--max-seconds", type=float, default=300, help="give up (as lost) after this long")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="speechbot-load-"))
    corpus = workdir / "corpus"
    shutil.copytree(args.corpus, corpus)
    services = Services.start(workdir / "services")
    bot: BotProcess | None = None
    try:
        command = speechbot_command(corpus, ADMIN)
        started = time.monotonic()
        bot = BotProcess(
            services,
            command,
            env={"SPEECHBOT_CACHE": str(workdir / "cache")},
            cwd=str(ROOT),
            ready_timeout=120,
        )
        print(f"bot ready in {time.monotonic() - started:.1f} s (corpus {args.corpus})", flush=True)
        return drive(services, bot, corpus, args)
    finally:
        if bot is not None:
            bot.stop(timeout=10)
        services.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def drive(services: Services, bot: BotProcess, corpus: Path, args: argparse.Namespace) -> int:
    chats = [10_000 + n for n in range(args.chats)]
    sessions = {chat: f"load-{chat}" for chat in chats}
    inbox = Inbox(services, [*sessions.values(), "load-admin"])
    collector = threading.Thread(target=inbox.run, daemon=True)
    collector.start()
    result, outcomes, done = Result(), [], threading.Event()
    soak = None
    if args.reload_every > 0:
        soak = threading.Thread(
            target=reloader, args=(services, inbox, corpus, args.reload_every, done, outcomes)
        )
        soak.start()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.chats) as pool:
        work: list[Callable] = [
            pool.submit(
                chat_worker,
                services,
                inbox,
                chat,
                sessions[chat],
                args.questions,
                min(args.timeout, args.max_seconds),
                result,
            )
            for chat in chats
        ]
        for future in work:
            future.result(timeout=args.max_seconds + args.timeout)
    elapsed = time.monotonic() - started
    done.set()
    if soak is not None:
        soak.join(timeout=90)
    inbox.stopping.set()
    collector.join(timeout=5)

    total = args.chats * args.questions
    lat = [x * 1000 for x in result.latencies]
    print(
        f"chats {args.chats} x questions {args.questions} = {total} updates in {elapsed:.1f} s "
        f"({total / elapsed:.1f}/s), reload every {args.reload_every or '-'} s"
    )
    print(
        f"answered {result.answered}  failed {result.failed}  lost {result.lost}  extra replies {result.extra}"
    )
    if lat:
        print(
            f"latency update->reply ms: p50 {percentile(lat, 0.5):.0f}  p95 {percentile(lat, 0.95):.0f}  "
            f"p99 {percentile(lat, 0.99):.0f}  max {max(lat):.0f}  mean {statistics.fmean(lat):.0f}"
        )
    if soak is not None:
        print(
            f"reloads {len(outcomes)}: ok {outcomes.count('ok')}, failed {len(outcomes) - outcomes.count('ok')}"
        )
        for outcome in outcomes:
            if outcome != "ok":
                print("  " + outcome)
    for problem in result.problems[:20]:
        print("  " + problem)
    if not bot.alive():
        print("the bot process died:\n" + bot.tail())
    bad = result.lost or result.failed or result.extra or any(o != "ok" for o in outcomes) or not bot.alive()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
