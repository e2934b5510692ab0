"""Every command answers: the menu matches the handlers, /commitments and /speeches take words
and list titles with buttons, /outline without an argument says what to pick."""

from __future__ import annotations

import shutil

import pytest
from telegram.ext import CommandHandler

from bot.config import Settings
from bot.service.holder import EngineHolder
from bot.telegram import texts
from bot.telegram.application import build_application
from retrieval.search.engine import SearchEngine
from tests.support.fake_telegram import TOKEN, RecordingRequest, buttons, message, update
from tests.support.paths import PROJECT

ADMIN = 42


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    target = tmp_path_factory.mktemp("commands") / "corpus"
    shutil.copytree(PROJECT / "corpus" / "seed", target)
    for name in ("2024_国务院_政府工作报告.txt", "2026_广东省_政府工作报告.txt"):
        shutil.copy(PROJECT / "corpus" / "gov-reports" / name, target / name)
    return target


@pytest.fixture
async def env(folder):
    engine = SearchEngine.from_folder(folder, use_cache=False)
    request = RecordingRequest()
    settings = Settings(corpus=folder, admins=[ADMIN])
    app = build_application(settings, EngineHolder(folder, engine), TOKEN, request, RecordingRequest(), False)
    async with app:
        yield app, request


def test_the_menus_list_only_commands_the_bot_has():
    app = build_application(Settings(), EngineHolder(PROJECT / "corpus" / "seed"), TOKEN, None, None, False)
    handled = {
        c
        for group in app.handlers.values()
        for h in group
        if isinstance(h, CommandHandler)
        for c in h.commands
    }
    menu = {c.command for c in texts.ADMIN_COMMANDS}
    assert menu <= handled
    assert {c.command for c in texts.USER_COMMANDS} == menu - {"reload", "stats", "rollback"}
    assert "outline" in menu


async def test_commitments_with_words_lists_titles_with_buttons(env):
    app, request = env
    await app.process_update(update(app.bot, message=message("/commitments 2026")))
    sent = request.last("sendMessage")
    assert "《2026年广东省政府工作报告》承诺与要求" in sent["text"]  # one match: straight to it
    await app.process_update(update(app.bot, message=message("/commitments 报告")))
    sent = request.last("sendMessage")
    assert "gov-reports/" not in sent["text"] and "《2024年国务院政府工作报告》" in sent["text"]
    assert [b["text"] for b in buttons(sent)] == [
        "1. 2024年国务院政府工作报告",
        "2. 2026年广东省政府工作报告",
    ]


async def test_speeches_are_grouped_by_kind(env):
    app, request = env
    await app.process_update(update(app.bot, message=message("/speeches")))
    text = request.last("sendMessage")["text"]
    assert (
        text.index("<u>讲话</u>")
        < text.index("<u>国务院政府工作报告</u>")
        < text.index("<u>地方政府工作报告</u>")
    )
    await app.process_update(update(app.bot, message=message("/speeches 孟凡利")))
    sent = request.last("sendMessage")
    assert [b["text"] for b in buttons(sent)] == ["1. 2026年广东省政府工作报告"]


async def test_outline_without_and_with_an_argument(env):
    app, request = env
    await app.process_update(update(app.bot, message=message("/outline")))
    sent = request.last("sendMessage")
    assert sent["text"].startswith("用法：/outline") and len(buttons(sent)) == 3
    await app.process_update(update(app.bot, message=message("/outline 广东")))
    assert "三、2026年工作安排" in request.last("sendMessage")["text"]


async def test_unknown_commands(env):
    app, request = env
    await app.process_update(update(app.bot, message=message("/weather")))
    assert request.last("sendMessage")["text"].startswith("没有 /weather 这个命令。")
    count = len(request.sent("sendMessage"))
    group = message("/weather", chat_id=-100200, chat_type="supergroup")
    await app.process_update(update(app.bot, message=group))  # maybe another bot's command: silence
    assert len(request.sent("sendMessage")) == count
