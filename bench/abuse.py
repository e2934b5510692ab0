"""Benchmark: the worst case one user can cause with questions, and what another user feels.

    python -m bench.abuse [--rounds 5]

1. Per question, in process (`SearchEngine.ask`, as `speechbot ask` runs it): hostile questions
   of 500 characters (rare characters the corpus lacks; corpus characters shuffled; the longest
   shuffled question the bot accepts, at most max_question_words words), with the suffix array
   answering "is this text in the corpus", and with the former scan of every text for comparison.
2. The flood, through the bot's handlers (the Application, its update processing and the
   per-user limit, with an offline Bot API recording when each reply is sent): one user sends
   ten questions at once, another user asks an ordinary question 20 ms later; the time until
   the other user's answer is sent. Run with the shipped settings, and with the per-user limit
   and the word cap turned off (only the search slots and the suffix array left).
3. With --process, the same flood through the real `speechbot serve` in webhook mode (Bot API
   emulator, redis and the S3 stand-in on 127.0.0.1, as tests/e2e/harness.py starts them): the
   time from posting the other user's update to the emulator recording the bot's answer.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import time
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.service.holder import EngineHolder
from bot.telegram.application import build_application
from retrieval.search.engine import SearchEngine
from retrieval.text.segment import query_words
from tests.support.fake_telegram import TOKEN, RecordingRequest, message, update

ROOT = Path(__file__).resolve().parent.parent
ORDINARY = "廉政责任书多久签一次"


class TimedRequest(RecordingRequest):
    """Records when each sendMessage reaches the (offline) Bot API, by chat."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: dict[int, list[float]] = {}

    def result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "sendMessage":
            self.sent_at.setdefault(int(params["chat_id"]), []).append(time.perf_counter())
        return super().result(name, params)


def hostile_questions(engine: SearchEngine, max_words: int, seed: int = 1) -> dict[str, str]:
    rng = random.Random(seed)
    corpus_chars = list("".join(engine.folded))
    known = set(corpus_chars)
    rare = [chr(c) for c in range(0x4E00, 0x9FA5) if chr(c) not in known]
    shuffled = "".join(rng.choice(corpus_chars) for _ in range(500))
    allowed = shuffled
    while len(query_words(allowed)) > max_words:
        allowed = allowed[: int(len(allowed) * 0.95)]
    latin = " ".join("".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(9)) for _ in range(50))
    return {
        "rare characters, 500": "".join(rng.choice(rare) for _ in range(500)),
        f"50 unknown Latin words ({len(latin)} chars)": latin,
        "corpus characters shuffled, 500": shuffled,
        f"shuffled, longest the bot accepts ({len(allowed)} chars)": allowed,
    }


def per_question(engine: SearchEngine, questions: dict[str, str], rounds: int) -> None:
    print("\n1. one question, in process (ms; min / median / max of", rounds, "runs)")
    suffixes = engine.substrings.contains

    def scan(text: str) -> bool:
        return any(text in folded for folded in engine.folded)

    for name, question in questions.items():
        words = len(query_words(question))
        for label, check in (("suffix array", suffixes), ("scan (before)", scan)):
            engine.substrings.contains = check  # type: ignore[method-assign]
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                engine.ask(question)
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"  {name:<45} {words:>4} words  {label:<14} "
                f"{min(times):7.1f} {statistics.median(times):7.1f} {max(times):7.1f}"
            )
        engine.substrings.contains = suffixes  # type: ignore[method-assign]


async def flood_round(app, request: TimedRequest, flooder: int, other: int, question: str) -> float:
    bot = app.bot
    tasks = [
        asyncio.create_task(app.process_update(update(bot, message=message(question, flooder))))
        for _ in range(10)
    ]
    await asyncio.sleep(0.02)
    asked = time.perf_counter()
    ordinary = update(bot, message=message(ORDINARY, other))
    await app.process_update(ordinary)
    waited = request.sent_at[other][0] - asked
    await asyncio.gather(*tasks)
    return waited


async def flood(engine: SearchEngine, question: str, rounds: int, **settings: Any) -> list[float]:
    request = TimedRequest()
    app = build_application(
        Settings(corpus=ROOT / "corpus", **settings), EngineHolder(ROOT / "corpus", engine), TOKEN,
        request, RecordingRequest(), False,
    )  # fmt: skip
    await app.initialize()
    try:
        return [await flood_round(app, request, 10_000 + n, 20_000 + n, question) for n in range(rounds)]
    finally:
        await app.shutdown()


UNLIMITED = {"user_questions_in_flight": 1000, "user_questions_per_minute": 1000, "max_question_words": 1000}


def process_flood(questions: dict[str, str], rounds: int) -> None:
    """Part 3: the flood against the real process, shipped settings and limits off."""
    import shutil
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    import yaml

    from tests.e2e.harness import DEFAULT_TOKEN, BotClient, BotProcess, Services, speechbot_command

    print("\n3. the same through the real process (webhook, emulator): seconds until answered")
    workdir = Path(tempfile.mkdtemp(prefix="speechbot-abuse-"))
    services = Services.start(workdir / "services")
    try:
        accepted = list(questions.values())[-1]
        for label, question, settings in (
            ("no flood (the emulator's own delay)", "", {}),
            ("shipped settings, longest accepted question", accepted, {}),
            (
                "shipped settings, 500 shuffled (refused: words)",
                questions["corpus characters shuffled, 500"],
                {},
            ),
            (
                "no per-user limit, no word cap, 500 shuffled",
                questions["corpus characters shuffled, 500"],
                UNLIMITED,
            ),
        ):
            config = workdir / "config.yaml"
            config.write_text(yaml.safe_dump(settings), encoding="utf-8")
            bot = BotProcess(
                services,
                speechbot_command(ROOT / "corpus", 42, "--config", str(config)),
                env={"SPEECHBOT_CACHE": str(workdir / "cache")},
                cwd=str(ROOT),
                ready_timeout=300,
            )
            waits = []
            try:
                with BotClient(services, token=DEFAULT_TOKEN) as client, ThreadPoolExecutor(10) as pool:
                    for n in range(rounds):
                        flooder, other = 30_000 + n, 40_000 + n
                        client.mark()
                        flood = 10 if question else 0
                        list(
                            pool.map(
                                client.send_message, [flooder] * flood, [flooder] * flood, [question] * flood
                            )
                        )
                        time.sleep(0.02)
                        asked = time.perf_counter()
                        client.send_message(other, other, ORDINARY)
                        while not any(r.chat_id == other for r in client.responses({"sendMessage"})):
                            time.sleep(0.005)
                        waits.append(time.perf_counter() - asked)
                        client.wait_for_replies(flood + 1, methods={"sendMessage"}, timeout=120)
                    client.reset()
            finally:
                bot.stop(timeout=10)
            print(f"  {label:<58} median {statistics.median(waits):6.3f}  max {max(waits):6.3f}")
    finally:
        services.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--process", action="store_true", help="also flood the real process (part 3)")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d', time.gmtime())}, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")  # fmt: skip
    engine = SearchEngine.from_folder(ROOT / "corpus")
    print(f"corpus/: {len(engine.documents)} documents, {sum(map(len, engine.folded)):,} characters")
    defaults = Settings()
    questions = hostile_questions(engine, defaults.max_question_words)
    per_question(engine, questions, args.rounds)
    print(
        "\n2. ten questions from one user at once; another user's ordinary question: seconds until answered"
    )
    accepted = list(questions.values())[-1]
    for label, question, settings in (
        ("shipped settings, longest accepted question", accepted, {}),
        ("shipped settings, 500 rare characters (refused: words)", questions["rare characters, 500"], {}),
        ("no per-user limit, no word cap, 500 rare characters", questions["rare characters, 500"], UNLIMITED),
        (
            "no per-user limit, no word cap, 500 shuffled",
            questions["corpus characters shuffled, 500"],
            UNLIMITED,
        ),
    ):
        waits = asyncio.run(flood(engine, question, args.rounds, **settings))
        print(f"  {label:<58} median {statistics.median(waits):6.3f}  max {max(waits):6.3f}")
    if args.process:
        process_flood(questions, args.rounds)


if __name__ == "__main__":
    main()
