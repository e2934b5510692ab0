"""/commitments through Application.process_update with the offline Bot API: the chooser,
pages, the paragraph button, and the CSV document."""

from __future__ import annotations

import csv
import io
import shutil
import time

import pytest

from bot.config import Settings
from bot.service.holder import EngineHolder
from bot.telegram import texts
from bot.telegram.application import build_application
from retrieval.search.engine import SearchEngine
from tests.support.fake_telegram import (
    TOKEN,
    RecordingRequest,
    bot_message,
    buttons,
    callback,
    message,
    update,
)
from tests.support.paths import PROJECT


class DocumentRequest(RecordingRequest):
    """Also answers sendDocument, keeping the uploaded files."""

    def __init__(self) -> None:
        super().__init__()
        self.uploads: list[tuple[str, bytes]] = []

    async def do_request(self, url, method, request_data=None, *args, **kwargs):
        if request_data is not None and request_data.contains_files:
            for value in request_data.multipart_data.values():
                if isinstance(value, tuple):
                    self.uploads.append((value[0], value[1]))
        return await super().do_request(url, method, request_data, *args, **kwargs)

    def result(self, name, params):
        if name == "sendDocument":
            return {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": params["chat_id"], "type": "private"},
                "from": {"id": 999, "is_bot": True, "first_name": "Speech"},
                "document": {"file_id": "f", "file_unique_id": "u", "file_name": "x.csv"},
            }
        return super().result(name, params)


async def make_app(folder, engine):
    request = DocumentRequest()
    app = build_application(
        Settings(corpus=folder), EngineHolder(folder, engine), TOKEN, request, RecordingRequest(), False
    )
    return app, request


@pytest.fixture
async def env(corpus_dir, seed_engine):
    app, request = await make_app(corpus_dir, seed_engine)
    async with app:
        request.clear()
        yield app, request


FILTER_LABELS = ["✓全部", "目标", "项目", "要求", "期限", "✓不限", "今年", "规划期"]


async def press(app, request, reply: dict, text: str) -> None:
    data = next(b["callback_data"] for b in buttons(reply) if b["text"] == text)
    await app.process_update(callback(app.bot, data, bot_message(reply)))


async def test_commitments_of_the_only_speech_paged_with_references(env):
    app, request = env
    await app.process_update(update(app.bot, message=message("/commitments")))
    reply = request.last("sendMessage")
    text = reply["text"]
    assert text.startswith("<b>《在市长办公会议上的讲话》承诺与要求</b>（共 11 条，第 1/3 页）")
    assert "<u>第二部分「立即行动，行动改变XX」</u>" in text and "【要求】二是落实“三专”（第6段）" in text
    assert "<b>每周一下午</b>重大项目周例会和<b>周三</b>市政府常务会" in text
    assert text.count("<blockquote>") == 5
    labels = [b["text"] for b in buttons(reply)]
    assert labels[:6] == ["原文 1", "原文 2", "原文 3", "原文 4", "原文 5", "下一页 ▶"]
    assert labels[6:] == [*FILTER_LABELS, "导出 CSV", "◀ 讲话列表"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(reply))

    await press(app, request, reply, "下一页 ▶")
    page = request.last("editMessageText")
    assert "第 2/3 页" in page["text"] and "<b>6. " in page["text"]
    assert "<b>每年</b>都要与分管部门<b>“一把手”</b>签订《廉政责任书》" in page["text"]
    assert [b["text"] for b in buttons(page)][-12:] == [
        "◀ 上一页",
        "下一页 ▶",
        *FILTER_LABELS,
        "导出 CSV",
        "◀ 讲话列表",
    ]

    await press(app, request, page, "原文 9")
    paragraph = request.last("editMessageText")
    assert "第六部分「坚定信念，始终廉洁从政」" in paragraph["text"] and "第10段" in paragraph["text"]
    assert "至少<b>每半年</b>与部门班子谈" in paragraph["text"]
    await press(app, request, paragraph, "↩ 返回承诺列表")
    assert "第 2/3 页" in request.last("editMessageText")["text"]
    assert request.last("answerCallbackQuery").get("text") is None


async def test_csv_export_is_a_document_for_spreadsheets(env):
    app, request = env
    await app.process_update(update(app.bot, message=message("/commitments")))
    await press(app, request, request.last("sendMessage"), "导出 CSV")
    sent = request.last("sendDocument")
    assert "承诺与要求，共 11 条" in sent["caption"]
    name, data = request.uploads[-1]
    assert name.endswith("_承诺.csv") and data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:7] == ["序号", "讲话", "部分", "小节", "要点", "段落", "承诺原文"]
    assert len(rows) == 12
    pact = next(r for r in rows if "廉政责任书" in r[6])
    assert pact[2] == "第六部分「坚定信念，始终廉洁从政」" and pact[5] == "10" and pact[8] == "每年"
    assert rows[0][13:] == ["类型", "期限范围", "项目"] and pact[13] == "要求"
    plan = next(r for r in rows if "自学计划" in r[6])
    assert plan[13] == "期限" and plan[14] == "今年" and plan[10] == "年底"


async def test_chooser_when_several_speeches_and_stale_buttons(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(PROJECT / "corpus" / "seed", folder)
    shutil.copy(PROJECT / "corpus" / "gov-reports" / "2024_国务院_政府工作报告.txt", folder)
    engine = SearchEngine.from_folder(folder, use_cache=False)
    app, request = await make_app(folder, engine)
    async with app:
        await app.process_update(update(app.bot, message=message("/commitments")))
        chooser = request.last("sendMessage")
        assert "选择一篇讲话" in chooser["text"]
        titles = [b["text"] for b in buttons(chooser)]
        assert len(titles) == 2 and any("2024年国务院政府工作报告" in t for t in titles)
        await press(app, request, chooser, next(t for t in titles if "2024" in t))
        page = request.last("editMessageText")
        assert "第二部分「2024年经济社会发展总体要求和政策取向」" in page["text"]
        assert "单位国内生产总值能耗降低<b>2.5%左右</b>" in page["text"]
        await press(app, request, page, "◀ 讲话列表")
        assert "选择一篇讲话" in request.last("editMessageText")["text"]

        await app.process_update(update(app.bot, message=message("/commitments 市长办公")))
        assert "《在市长办公会议上的讲话》承诺与要求" in request.last("sendMessage")["text"]
        await app.process_update(update(app.bot, message=message("/commitments 火星")))
        assert "没有找到讲话“火星”" in request.last("sendMessage")["text"]

        stale = {"message_id": 1, "chat_id": 7, "text": "旧消息"}
        await app.process_update(callback(app.bot, "c|0000000000|0", bot_message(stale)))
        assert request.last("answerCallbackQuery")["text"] == texts.STALE


async def test_commands_menu_and_help_mention_commitments(env):
    app, request = env
    await app.process_update(update(app.bot, message=message("/help")))
    assert "/commitments" in request.last("sendMessage")["text"]
    assert "commitments" in [c.command for c in texts.USER_COMMANDS]


async def test_filters_by_kind_and_horizon_from_words_and_buttons(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(PROJECT / "corpus" / "seed", folder)
    shutil.copy(PROJECT / "corpus" / "gov-reports" / "2026_浙江省_政府工作报告.txt", folder)
    engine = SearchEngine.from_folder(folder, use_cache=False)
    app, request = await make_app(folder, engine)
    async with app:
        await app.process_update(update(app.bot, message=message("/commitments 浙江 今年 目标")))
        page = request.last("sendMessage")
        assert "（只看：今年·目标）" in page["text"]
        assert page["text"].count("【目标·今年】") == page["text"].count("<blockquote>") > 0
        assert "到2030年" not in page["text"]
        labels = [b["text"] for b in buttons(page)]
        assert "✓目标" in labels and "✓今年" in labels
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(page))

        await press(app, request, page, "项目")  # another kind, the same horizon
        programmes = request.last("editMessageText")
        assert "（只看：今年·项目）" in programmes["text"] and "【项目·今年】" in programmes["text"]
        assert "【目标" not in programmes["text"]

        await press(app, request, programmes, "原文 1")
        paragraph = request.last("editMessageText")
        await press(app, request, paragraph, "↩ 返回承诺列表")
        assert "（只看：今年·项目）" in request.last("editMessageText")["text"]

        await press(app, request, request.last("editMessageText"), "全部")
        assert "（只看：今年）" in request.last("editMessageText")["text"]

        stale = callback(app.bot, "cf|0123456789|zz.|0", bot_message(page))
        await app.process_update(stale)
        assert request.last("answerCallbackQuery").get("show_alert") is True
