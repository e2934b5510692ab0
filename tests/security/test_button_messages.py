"""One button press sends a bounded number of messages, however long the part it shows."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.service.holder import EngineHolder
from bot.telegram import texts
from bot.telegram.application import build_application
from bot.telegram.callbacks import doc_key
from bot.telegram.handlers.browsing import MAX_PART_MESSAGES
from bot.telegram.html import part_messages
from retrieval.search.engine import SearchEngine
from tests.support.fake_telegram import TOKEN, RecordingRequest, bot_message, callback


async def test_a_long_part_is_sent_as_a_few_messages(tmp_path: Path):
    paragraph = "各级各部门要落实责任，" * 120  # about 1,300 characters
    body = "\n".join(paragraph + f"第{n}段。" for n in range(20))
    (tmp_path / "long.txt").write_text(
        f"关于长篇部署的讲话\n同志们：\n一、总体要求\n{body}\n", encoding="utf-8"
    )
    engine = SearchEngine.from_folder(tmp_path, use_cache=False)
    document = engine.documents[0]
    assert len(part_messages(document, "1")) > MAX_PART_MESSAGES  # the part itself is long
    request = RecordingRequest()
    settings = Settings(corpus=tmp_path)
    app = build_application(
        settings, EngineHolder(tmp_path, engine), TOKEN, request, RecordingRequest(), False
    )
    await app.initialize()
    try:
        sent = {"message_id": 1, "chat_id": 7, "text": "提纲"}
        await app.process_update(callback(app.bot, f"s|{doc_key(document.doc_id)}|1", bot_message(sent)))
    finally:
        await app.shutdown()
    messages = [params["text"] for params in request.sent("sendMessage")]
    assert len(messages) == MAX_PART_MESSAGES
    assert messages[-1] == texts.PART_TOO_LONG
