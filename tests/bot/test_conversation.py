"""Conversation context: follow-ups resolve against the chat's last question, expire, and
never cross chats or the users of a group (handler level, offline Bot API)."""

from __future__ import annotations

import shutil

import pytest

from bot.config import Settings
from bot.service.answering import Asker
from bot.service.conversation import (
    ABOUT,
    ANSWER,
    CHOOSE,
    NO_CONTEXT,
    SMALL_TALK,
    Context,
    Dialogue,
    MemoryContextStore,
)
from bot.service.holder import EngineHolder, Stats
from bot.telegram.application import build_application
from retrieval.search.engine import SearchEngine
from tests.support.fake_telegram import BOT_USERNAME, TOKEN, RecordingRequest, message, update
from tests.support.paths import PROJECT

GROUP = -100777


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def two_speeches(tmp_path_factory) -> SearchEngine:
    folder = tmp_path_factory.mktemp("two") / "corpus"
    shutil.copytree(PROJECT / "corpus" / "seed", folder)
    shutil.copy(PROJECT / "corpus" / "gov-reports" / "2024_国务院_政府工作报告.txt", folder)
    return SearchEngine.from_folder(folder, use_cache=False)


def dialogue(engine: SearchEngine, store: MemoryContextStore | None = None) -> Dialogue:
    return Dialogue(Asker(EngineHolder(engine.corpus.root, engine), Stats()), store)


def test_follow_up_part_and_more(two_speeches):
    talk = dialogue(two_speeches)
    first = talk.respond((1, 1), "市长办公会议讲话第三部分讲了什么")
    assert first.kind == ANSWER and first.answer and first.answer.hits[0].section_number == 3
    fourth = talk.respond((1, 1), "那第四部分呢")
    assert fourth.question == "市长办公会议讲话第四部分"
    assert fourth.answer and {h.section_number for h in fourth.answer.hits} == {4}
    more = talk.respond((1, 1), "还有吗")
    assert more.kind == ANSWER and more.offset == 3 and more.question == fourth.question
    typed = talk.respond((1, 1), "更多")
    assert typed.offset == 6 or typed.kind == "no_more"


def test_part_question_without_a_speech_asks_which(two_speeches):
    reply = dialogue(two_speeches).respond((2, 2), "第三部分讲了什么")
    assert reply.kind == CHOOSE and reply.wanted == "3"
    assert [d.meta.title for d in reply.choices] == ["在市长办公会议上的讲话", "2024年国务院政府工作报告"]


def test_this_speech_means_the_one_just_discussed(two_speeches):
    talk = dialogue(two_speeches)
    talk.respond((3, 3), "2024年报告第二部分讲了什么")
    who = talk.respond((3, 3), "这篇报告是谁作的")
    assert who.kind == ABOUT and who.text == "《2024年国务院政府工作报告》的讲话人：国务院总理李强。"
    assert who.fact and who.fact.source == "文首第3行「国务院总理李　强」"
    parts = talk.respond((3, 3), "它有几个部分")
    assert parts.kind == ABOUT and parts.text.startswith("《2024年国务院政府工作报告》共三个部分")


def test_small_talk_never_quotes(two_speeches):
    reply = dialogue(two_speeches).respond((4, 4), "你好")
    assert reply.kind == SMALL_TALK and reply.answer is None and "已收录 2 篇" in reply.text


def test_context_expires_and_is_kept_per_chat_and_user(two_speeches):
    clock = Clock()
    store = MemoryContextStore(ttl=60, clock=clock)
    talk = dialogue(two_speeches, store)
    talk.respond((5, 50), "市长办公会议讲话第三部分讲了什么")
    assert talk.respond((5, 51), "还有吗").kind == NO_CONTEXT  # another user of the same group
    assert talk.respond((6, 50), "还有吗").kind == NO_CONTEXT  # the same user in another chat
    clock.now = 59
    assert talk.respond((5, 50), "还有吗").kind == ANSWER
    clock.now = 59 + 61
    assert talk.respond((5, 50), "还有吗").kind == NO_CONTEXT


def test_context_survives_json_for_a_shared_store():
    context = Context("市长办公会议讲话第四部分", 3, "seed/市长办公会议讲话", 4)
    assert Context.from_json(context.to_json()) == context


async def test_group_users_do_not_share_context(two_speeches):
    request = RecordingRequest()
    holder = EngineHolder(two_speeches.corpus.root, two_speeches)
    app = build_application(
        Settings(corpus=two_speeches.corpus.root), holder, TOKEN, request, RecordingRequest(), False
    )

    def said(text: str, user_id: int) -> dict:
        return message(f"@{BOT_USERNAME} {text}", user_id=user_id, chat_id=GROUP, chat_type="supergroup")

    async with app:
        await app.process_update(update(app.bot, message=said("市长办公会议讲话第三部分讲了什么", 11)))
        assert "第三部分" in request.last("sendMessage")["text"]
        await app.process_update(update(app.bot, message=said("那第四部分呢", 12)))
        assert "你问的是哪一篇讲话的第4部分" in request.last("sendMessage")["text"]
        await app.process_update(update(app.bot, message=said("那第四部分呢", 11)))
        assert "《在市长办公会议上的讲话》第四部分" in request.last("sendMessage")["text"]


async def test_a_warning_that_never_changes_is_reported_once(corpus_dir):
    holder = EngineHolder(corpus_dir, SearchEngine.from_folder(corpus_dir, use_cache=False))
    first = await holder.reload()
    assert first.ok and first.warnings == ["市长办公会议讲话.txt：删除 8 行"] and first.unchanged == 0
    second = await holder.reload()
    assert second.ok and second.warnings == [] and second.unchanged == 1
    path = corpus_dir / "市长办公会议讲话.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n同志们，散会。\n", encoding="utf-8")
    changed = await holder.reload()
    assert changed.warnings == ["市长办公会议讲话.txt：删除 8 行"] and changed.unchanged == 0


def test_a_part_of_several_named_speeches_asks_which(tmp_path):
    for name in (
        "2024_国务院_政府工作报告.txt",
        "2026_广东省_政府工作报告.txt",
        "2026_北京市_政府工作报告.txt",
    ):
        shutil.copy(PROJECT / "corpus" / "gov-reports" / name, tmp_path / name)
    talk = dialogue(SearchEngine.from_folder(tmp_path, use_cache=False))
    reply = talk.respond((8, 8), "2026年报告第三部分讲了什么")
    assert reply.kind == CHOOSE and reply.wanted == "3"
    assert sorted(d.meta.title for d in reply.choices) == [
        "2026年北京市政府工作报告",
        "2026年广东省政府工作报告",
    ]
    picked = talk.chosen((8, 8), reply.choices[0], "3")
    assert picked.answer and {h.doc_id for h in picked.answer.hits} == {reply.choices[0].doc_id}


def test_who_holds_the_speakers_office_is_answered_from_the_speaker(two_speeches):
    talk = dialogue(two_speeches)
    premier = talk.respond((7, 7), "2024年的总理是谁")
    assert premier.kind == ABOUT and premier.text == "《2024年国务院政府工作报告》的讲话人：国务院总理李强。"
    assert talk.respond((8, 8), "市长是谁").kind == ANSWER  # the speech names no speaker: a search
