"""Any text a client can send is answered or clearly refused, as valid Telegram HTML within
4,096 characters, never with an exception (property-based tests of the question path)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.config import MAX_QUESTION_WORDS
from bot.service.holder import ReloadReport
from bot.service.small_talk import OPENERS
from bot.telegram import texts
from bot.telegram.html import answer_html, inline_hit_html, not_found_html, reload_html
from retrieval.corpus.loading import CorpusChanges
from retrieval.search.results import Answer, Hit
from retrieval.text.segment import query_words
from tests.support.fake_telegram import BOT_USERNAME, message, update
from tests.support.html_check import TelegramHTMLError, check
from tests.support.loop_bot import ADMIN

CONVERSATION_REPLIES = tuple(OPENERS.values())
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LOOK_ALIKES = [
    "<b>",
    "</b>",
    "&amp;",
    "&",
    "</blockquote>",
    "<blockquote>",
    "<a href='x'>",
    "<script>",
    "]]>",
    "**粗体**",
    "__斜体__",
    "`代码`",
    "```",
    "[链接](http://x)",
    "&lt;",
    "&#0;",
    "&#xD800;",
    "<!--",
    "<tg-spoiler>",
]
HOSTILE = [
    "\x00",
    "\u202e",
    "\u200f",
    "\u200b",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\x1b[31m",
    "\r\n",
    "\t",
    "👨‍👩‍👧",
    "𠀀",
    "\U0010ffff",
    "\ufffd",
    "ﷺ",
    "Ⅻ",
    "表率",
    "廉政责任书",
    "多久",
    "？",
    "！",
    "…",
]
any_char = st.characters(codec=None, categories=None)  # every code point, lone surrogates included
questions = st.one_of(
    st.text(any_char, min_size=1, max_size=60),
    st.lists(st.sampled_from(LOOK_ALIKES + HOSTILE), min_size=1, max_size=30).map("".join),
    st.text(st.characters(categories=["P", "S", "Z"]), min_size=1, max_size=40),
    st.builds(
        lambda piece, n: (piece * n)[:10_000], st.sampled_from(LOOK_ALIKES + HOSTILE), st.integers(1, 10_000)
    ),
)
not_a_command = questions.filter(lambda q: not q.startswith("/"))


def sent_texts(request, method: str = "sendMessage") -> list[str]:
    return [params["text"] for params in request.sent(method)]


def assert_answer_or_refusal(question: str, replies: list[str], limit: int = 500) -> None:
    assert len(replies) == 1, replies
    reply = replies[0]
    check(reply)
    assert reply != texts.ERROR
    if not question.strip():  # white space only, however long, asks nothing
        assert "请输入问题" in reply
    elif len(question) > limit:
        assert f"问题太长（{len(question)} 字）" in reply and f"{limit} 字以内" in reply
    elif any("\ud800" <= c <= "\udfff" for c in question):
        assert "无法识别的字符" in reply
    elif "词语太多" in reply:  # over max_question_words (tests/security/test_question_limits.py)
        assert len(query_words(question)) > MAX_QUESTION_WORDS
    elif reply.startswith(CONVERSATION_REPLIES):  # small talk or another language: no quote
        assert "<blockquote>" not in reply
    else:
        assert reply.startswith("问：<b>")
        assert "<blockquote>" in reply or "没有找到" in reply or "没有可检索的词语" in reply


# --------------------------------------------------------------------------- through the handlers


@FAST
@given(question=not_a_command)
@example(question="\ud800表率")
@example(question="表率\x00<b>&amp;</blockquote>")
@example(question="表" * 10_000)
@example(question="。，、；！？")
@example(question="&" * 500)
@example(question="𠀀" * 500)
def test_private_question_answered_or_refused(loop_bot, question):
    request = loop_bot.request
    request.clear()
    loop_bot.run(loop_bot.app.process_update(update(loop_bot.app.bot, message=message(question, user_id=7))))
    assert_answer_or_refusal(question, sent_texts(request))


@FAST
@given(question=questions)
def test_group_ask_answered_or_refused(loop_bot, question):
    request = loop_bot.request
    request.clear()
    msg = message(f"/ask@{BOT_USERNAME} {question}", user_id=8, chat_id=-100, chat_type="supergroup")
    loop_bot.run(loop_bot.app.process_update(update(loop_bot.app.bot, message=msg)))
    argument = msg["text"].strip().split(maxsplit=1)
    asked = argument[1].strip() if len(argument) > 1 else ""
    (reply,) = sent_texts(request)
    check(reply)
    if asked:
        assert_answer_or_refusal(asked, [reply])
    else:
        assert "用法：/ask 问题" in reply


@FAST
@given(question=questions)
def test_inline_query_answers_valid_html(loop_bot, question):
    request = loop_bot.request
    request.clear()
    query = {
        "id": "iq",
        "from": {"id": 5, "is_bot": False, "first_name": "A"},
        "query": question,
        "offset": "",
    }
    loop_bot.run(loop_bot.app.process_update(update(loop_bot.app.bot, inline_query=query)))
    (answer,) = request.sent("answerInlineQuery")
    for result in answer["results"]:
        check(result["input_message_content"]["message_text"])
        result["title"].encode("utf-8")
        result["description"].encode("utf-8")
    assert not any(t == texts.ERROR for t in sent_texts(request))


@pytest.mark.parametrize("question", ["表率", "<b>表率</b>", "表率 & 依法行政"])
def test_over_long_and_admin_free_paths_are_not_silently_cut(loop_bot, question):
    """A question one character over the limit is refused with its length, not cut and answered."""
    request = loop_bot.request
    request.clear()
    long = (question * 500)[:501]
    loop_bot.run(loop_bot.app.process_update(update(loop_bot.app.bot, message=message(long, user_id=ADMIN))))
    (reply,) = sent_texts(request)
    assert "问题太长（501 字）" in reply and "<blockquote>" not in reply


# --------------------------------------------------------------------------- the renderers alone

texts_ = st.text(any_char.filter(lambda c: not "\ud800" <= c <= "\udfff"), max_size=300)
long_texts = st.one_of(texts_, st.builds(lambda s, n: s * n, texts_, st.integers(1, 40)))
hits = st.builds(
    Hit,
    doc_id=texts_,
    title=texts_,
    date=st.none() | texts_,
    part=st.sampled_from(["opening", "section", "closing"]),
    section_number=st.none() | st.integers(1, 30),
    section_title=st.none() | texts_,
    subsection=st.none() | texts_,
    point=st.none() | texts_,
    paragraph=st.integers(1, 10_000),
    quote=long_texts.filter(lambda s: s.strip()),
    start=st.just(0),
    end=st.just(1),
    score=st.floats(0, 100),
    coverage=st.floats(0, 1),
    reference=st.one_of(
        long_texts,
        st.builds(lambda c, n: c * n, st.sampled_from(["长", "&", "<b>", "𠀀"]), st.integers(0, 6000)),
    ),
    matched_terms=st.tuples(texts_),
)
answers = st.builds(
    Answer,
    query=long_texts.filter(lambda s: 0 < len(s) <= 500),
    found=st.booleans(),
    hits=st.lists(hits, max_size=5),
    terms=st.lists(st.one_of(texts_, st.sampled_from(LOOK_ALIKES)), max_size=6),
    missing_terms=st.lists(texts_, max_size=6),
    unmatched=st.lists(st.one_of(texts_, long_texts), max_size=6),
)


LONG_REFERENCE = Hit(
    "d",
    "t",
    None,
    "section",
    1,
    "x",
    None,
    None,
    1,
    "表率很重要",
    0,
    1,
    1.0,
    1.0,
    "《" + "长&" * 3000 + "》",
    (),
)


@settings(max_examples=150, deadline=None)
@given(answer=answers, offset=st.integers(0, 10_000))
@example(
    answer=Answer("表率", True, [LONG_REFERENCE], ["表率"]), offset=0
)  # must not hang the renderer (html.quoted)
@example(answer=Answer("&" * 500, True, [LONG_REFERENCE] * 3, ["表率", "<b>"]), offset=0)
def test_answer_html_always_valid(answer, offset):
    rendered = answer_html(answer, offset)
    check(rendered.text)
    if answer.found and answer.hits:
        assert rendered.shown, "a found answer must show at least one hit"
        for hit in rendered.shown:
            check(inline_hit_html(answer, hit))
    else:
        check(not_found_html(answer))


@settings(max_examples=60, deadline=None)
@given(
    ok=st.booleans(),
    error=st.none() | long_texts,
    names=st.lists(texts_, max_size=50),
    warnings=st.lists(long_texts, max_size=60),
)
def test_reload_report_always_valid(ok, error, names, warnings):
    changes = CorpusChanges(names[:20], names[20:35], names[35:])
    report = ReloadReport(ok, 1.5, error, changes if ok else None, 3, 300, warnings)
    try:
        check(reload_html(report, 1, 100))
    except TelegramHTMLError:
        assume(not (ok or error or warnings))  # a report with nothing to say is never sent
        raise
