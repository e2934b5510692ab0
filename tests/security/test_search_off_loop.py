"""Every search a handler starts runs in a worker thread, never on the event loop (where a slow
one would stall every other user): questions, "更多", "全文" and inline queries."""

from __future__ import annotations

import threading

from bot.config import Settings
from bot.service.holder import EngineHolder
from bot.telegram.application import build_application
from tests.support.fake_telegram import (
    TOKEN,
    RecordingRequest,
    bot_message,
    buttons,
    callback,
    message,
    update,
)


async def test_no_search_runs_on_the_event_loop(corpus_dir, seed_engine, monkeypatch):
    threads: list[int] = []
    real_ask = seed_engine.ask

    def recorded_ask(*args, **kwargs):
        threads.append(threading.get_ident())
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(seed_engine, "ask", recorded_ask)
    request = RecordingRequest()
    settings = Settings(corpus=corpus_dir)
    app = build_application(
        settings, EngineHolder(corpus_dir, seed_engine), TOKEN, request, RecordingRequest(), False
    )
    loop_thread = threading.get_ident()
    async with app:
        msg = message("表率")
        await app.process_update(update(app.bot, message=msg))
        reply = request.last("sendMessage")
        for label in ("更多 ▶", "全文 1"):
            pressed = next(b for b in buttons(reply) if b["text"] == label)
            await app.process_update(callback(app.bot, pressed["callback_data"], bot_message(reply, msg)))
        query = {
            "id": "iq1",
            "from": {"id": 7, "is_bot": False, "first_name": "U"},
            "query": "表率",
            "offset": "",
        }
        await app.process_update(update(app.bot, inline_query=query))
    assert len(threads) == 4, threads  # the question, the next page, the paragraph's terms, inline
    assert loop_thread not in threads
