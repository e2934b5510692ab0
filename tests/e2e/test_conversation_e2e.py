"""A scripted conversation with the real `speechbot serve` process through the Bot API
emulator: small talk, another language, a part question that names no speech, follow-ups
(那第四部分呢, 还有吗), questions about a speech itself, /speeches with words, /outline
without an argument and an unknown command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .harness import BotClient, speechbot_command

PROJECT = Path(__file__).resolve().parents[2]
REPORTS = PROJECT / "corpus" / "gov-reports"
ADMIN = 42
WAIT = 20.0
CHAT = 7001


@pytest.fixture
def speechbot(start_bot, tmp_path):
    """The sample speech and two reports with header lines (speaker, date, meeting)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT / "corpus" / "seed", corpus)
    for name in ("2024_国务院_政府工作报告.txt", "2026_广东省_政府工作报告.txt"):
        shutil.copy(REPORTS / name, corpus / name)
    env = {"SPEECHBOT_CACHE": str(tmp_path / "cache")}
    return start_bot(speechbot_command(corpus, ADMIN), env=env, cwd=str(PROJECT), ready_timeout=90)


def say(tg: BotClient, text: str, chat: int = CHAT):
    tg.send_message(chat_id=chat, user_id=chat, text=text)
    return tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)


def test_a_scripted_conversation(speechbot, tg: BotClient):
    hello = say(tg, "你好")
    assert hello.text.startswith("你好！") and "已收录 3 篇" in hello.text
    assert "可以这样问" in hello.text and "<blockquote>" not in hello.text

    english = say(tg, "What did the mayor say about discipline?")
    assert "Chinese" in english.text and "<blockquote>" not in english.text
    assert "语料中没有出现的词" not in english.text

    thanks = say(tg, "谢谢")
    assert thanks.text.startswith("不客气") and "<blockquote>" not in thanks.text

    which = say(tg, "第三部分讲了什么")
    assert "你问的是哪一篇讲话的第3部分" in which.text
    labels = [b["text"] for b in which.buttons()]
    assert labels[0] == "在市长办公会议上的讲话"
    tg.press_button(which, button_text="在市长办公会议上的讲话")
    part = tg.wait_for_reply(methods={"sendMessage"}, timeout=WAIT)
    assert "《在市长办公会议上的讲话》第三部分" in part.text and "<blockquote>" in part.text

    fourth = say(tg, "那第四部分呢")
    assert fourth.text.startswith("问：<b>市长办公会议讲话第四部分</b>")
    assert "《在市长办公会议上的讲话》第四部分" in fourth.text and "第三部分" not in fourth.text

    more = say(tg, "还有吗")
    assert "<b>4. " in more.text and "《在市长办公会议上的讲话》第四部分" in more.text

    who = say(tg, "这篇讲话是谁讲的")
    assert "《在市长办公会议上的讲话》：语料没有注明讲话人" in who.text and "XX" in who.text

    premier = say(tg, "2024年报告是谁作的")
    assert "《2024年国务院政府工作报告》的讲话人：国务院总理李强" in premier.text
    assert "出处：文首第3行" in premier.text

    when = say(tg, "它是什么时候作的")
    assert "2024年3月5日，在第十四届全国人民代表大会第二次会议上" in when.text

    mayor = say(tg, "市长讲话是什么时候讲的")
    assert "《在市长办公会议上的讲话》：语料没有注明日期" in mayor.text

    governor = say(tg, "广东省长是谁")
    assert "《2026年广东省政府工作报告》的讲话人：广东省省长 孟凡利" in governor.text

    listed = say(tg, "/speeches 市长")
    assert "与“市长”相符的讲话" in listed.text and "《在市长办公会议上的讲话》" in listed.text
    assert "广东" not in listed.text
    assert [b["text"] for b in listed.buttons()] == ["1. 在市长办公会议上的讲话"]

    outline = say(tg, "/outline")
    assert "用法：/outline" in outline.text
    assert [b["text"] for b in outline.buttons()][:3] == [
        "1. 在市长办公会议上的讲话",
        "2. 2024年国务院政府工作报告",
        "3. 2026年广东省政府工作报告",
    ]

    unknown = say(tg, "/weather")
    assert "没有 /weather 这个命令" in unknown.text and "/speeches" in unknown.text


def test_context_is_per_chat(speechbot, tg: BotClient):
    say(tg, "市长办公会议讲话第三部分讲了什么", chat=7101)
    other = say(tg, "那第四部分呢", chat=7102)  # another user's chat knows nothing of the first
    assert "你问的是哪一篇讲话的第4部分" in other.text
    nothing = say(tg, "还有吗", chat=7103)
    assert "还没有提问" in nothing.text
