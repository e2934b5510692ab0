"""Access: admin commands and uploads by the sender's user id, forged callback data
rejected cleanly, uploaded names kept inside the corpus folder, the token never shown."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.ops.logs import RedactingFormatter
from bot.telegram import texts
from bot.telegram.callbacks import KINDS, decode, doc_key
from bot.telegram.uploads import UploadRefused, safe_name, store
from retrieval.corpus.loading import is_speech_file
from retrieval.corpus.reading import SUFFIXES
from tests.support.fake_telegram import TOKEN, bot_message, callback, message, update
from tests.support.html_check import check
from tests.support.loop_bot import ADMIN

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_update(loop_bot, **payload) -> None:
    loop_bot.run(loop_bot.app.process_update(update(loop_bot.app.bot, **payload)))


def nothing_leaks(request) -> None:
    """No recorded Bot API call carries the token or the generic error text."""
    dumped = json.dumps(request.calls, ensure_ascii=False, default=str)
    assert TOKEN not in dumped and texts.ERROR not in dumped


# --------------------------------------------------------------------------- admins by user id


def without_text(msg: dict) -> dict:
    msg = dict(msg)
    msg.pop("text")
    return msg


@pytest.mark.parametrize("command", ["/reload", "/stats", "/reload@speech_bot", "/stats now"])
@pytest.mark.parametrize(
    "sender",
    [
        {"user_id": 7, "chat_id": ADMIN},  # a private chat whose id is the admin's: not the admin
        {"user_id": 7, "chat_id": -100, "chat_type": "group"},
        {"user_id": 7, "chat_id": -1001234, "chat_type": "supergroup"},
        {
            "user_id": 1087968824,
            "chat_id": -100,
            "chat_type": "supergroup",
            "sender_chat": {"id": -100, "type": "supergroup", "title": "g"},
        },  # anonymous admin
        {"user_id": -ADMIN, "chat_id": -ADMIN, "chat_type": "group"},
    ],
    ids=["chat-id-is-admin", "group", "supergroup", "anonymous-group-admin", "negative-id"],
)
def test_admin_commands_refused_for_everyone_but_the_admin_user(loop_bot, command, sender):
    request, holder = loop_bot.request, loop_bot.app.bot_data["state"].holder
    request.clear()
    reloads = holder.reloads
    run_update(loop_bot, message=message(command, **sender))
    assert [p["text"] for p in request.sent("sendMessage")] == [texts.NOT_ADMIN]
    assert holder.reloads == reloads and request.sent("editMessageText") == []


@pytest.mark.parametrize("chat", [{"chat_id": ADMIN}, {"chat_id": -100, "chat_type": "group"}])
def test_the_admin_user_passes_in_private_and_in_groups(loop_bot, chat):
    request = loop_bot.request
    request.clear()
    run_update(loop_bot, message=message("/stats", user_id=ADMIN, **chat))
    assert request.last("sendMessage")["text"].startswith("<b>运行统计</b>")


@FAST
@given(
    user_id=st.integers(-(2**52), 2**52).filter(lambda n: n != ADMIN),
    chat_id=st.integers(-(2**52), 2**52),
    chat_type=st.sampled_from(["private", "group", "supergroup"]),
    command=st.sampled_from(["/reload", "/stats"]),
)
@example(user_id=7, chat_id=ADMIN, chat_type="private", command="/reload")
def test_no_other_user_id_runs_an_admin_command(loop_bot, user_id, chat_id, chat_type, command):
    request, holder = loop_bot.request, loop_bot.app.bot_data["state"].holder
    request.clear()
    reloads = holder.reloads
    run_update(loop_bot, message=message(command, user_id=user_id, chat_id=chat_id, chat_type=chat_type))
    assert [p["text"] for p in request.sent("sendMessage")] == [texts.NOT_ADMIN]
    assert holder.reloads == reloads


def document_message(loop_bot, name: str, data: bytes, user_id: int, **chat) -> dict:
    file_id = f"file{len(loop_bot.request.files)}"
    loop_bot.request.files[file_id] = data
    msg = without_text(message("", user_id=user_id, **chat))
    msg["document"] = {
        "file_id": file_id,
        "file_unique_id": file_id,
        "file_name": name,
        "file_size": len(data),
    }
    return msg


SPEECH = "在全市大会上的讲话\n同志们：\n一、提高认识。防汛抗旱事关群众安全。\n二、压实责任。各级要落实防汛责任制。\n".encode()


@pytest.mark.parametrize(
    ("user_id", "chat"),
    [
        (7, {"chat_id": ADMIN}),
        (7, {"chat_id": -100, "chat_type": "group"}),
        (ADMIN, {"chat_id": -100, "chat_type": "group"}),
    ],
    ids=["non-admin-in-admin-chat-id", "non-admin-in-group", "admin-in-group-ignored"],
)
def test_uploads_only_from_the_admin_user_in_private(loop_bot, user_id, chat):
    request = loop_bot.request
    request.clear()
    corpus = loop_bot.settings.corpus
    before = sorted(p.name for p in corpus.iterdir())
    run_update(loop_bot, message=document_message(loop_bot, "speech.txt", SPEECH, user_id, **chat))
    assert request.sent("getFile") == []
    assert sorted(p.name for p in corpus.iterdir()) == before
    replies = [p["text"] for p in request.sent("sendMessage")]
    assert replies == ([] if chat.get("chat_type") == "group" else [texts.NOT_ADMIN])


# --------------------------------------------------------------------------- forged callback data

callback_kinds = st.sampled_from(sorted(KINDS))
hostile_fields = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["0", "-1", "1", "²", "٣", "１", "99999999999999999999", "1e3", " 1", "0x10", "", "|"]),
    st.integers(0, 10**6).map(str),
)


@st.composite
def forged_data(draw) -> str:
    kind = draw(callback_kinds)
    fields = draw(st.lists(hostile_fields, min_size=KINDS[kind] - 1, max_size=KINDS[kind] + 1))
    if fields and draw(st.booleans()):
        fields[0] = draw(st.sampled_from([DOC_KEY, "0000000000", DOC_KEY.upper()]))
    return "|".join([kind, *fields]).encode()[:64].decode("utf-8", "ignore")


DOC_KEY = doc_key("市长办公会议讲话")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(forged_data(), st.text(max_size=64)))
@example(data="m|abc|²")
@example(data=f"p|{DOC_KEY}|0|abc|0")
@example(data=f"p|{DOC_KEY}|999999|abc|0")
@example(data="l|99999999999999999999")
@example(data=f"c|{DOC_KEY}|999999")
@example(data=f"cp|{DOC_KEY}|0|0")
@example(data=f"s|{DOC_KEY}|<b>")
@example(data="m|" + "9" * 10 + "|" + "9" * 51)
def test_forged_callback_data_is_answered_cleanly(loop_bot, data):
    request = loop_bot.request
    request.clear()
    sent = {"message_id": 1, "chat_id": 7, "text": "旧消息"}
    run_update(
        loop_bot, callback_query=callback(loop_bot.app.bot, data, bot_message(sent)).callback_query.to_dict()
    )
    answers = request.sent("answerCallbackQuery")
    assert len(answers) == 1, request.calls
    if answers[0].get("text"):
        assert answers[0]["text"] == texts.STALE
    for params in request.sent("editMessageText", "sendMessage"):
        check(params["text"])
    if decode(data) is None:  # data this bot never made: no edit, no message, only the alert
        assert answers[0]["text"] == texts.STALE and request.sent("editMessageText", "sendMessage") == []
    nothing_leaks(request)


# --------------------------------------------------------------------------- uploaded file names

NAMES = [
    "../../etc/passwd.txt",
    "..\\..\\boot.ini.txt",
    "/etc/cron.d/x.md",
    "C:\\Windows\\x.docx",
    ".bashrc.txt",
    "~$lock.docx",
    "README.txt",
    "license.md",
    "a\x00b.txt",
    "𠀀" * 100 + ".txt",
    "..txt",
    "...",
    ".txt",
    "x.TXT",
    "x.txt.exe",
    "x.exe.txt",
    "corpus.yaml",
    "%2e%2e%2fx.txt",
    "\u202etxt.exe.md",
    "con.txt",
    "-rf .txt",
]


@settings(max_examples=300, deadline=None)
@given(name=st.one_of(st.sampled_from(NAMES), st.text(st.characters(codec="utf-8"), max_size=300)))
def test_uploaded_names_are_plain_corpus_file_names(name):
    try:
        safe = safe_name(name)
    except UploadRefused:
        return
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert Path(safe).name == safe and safe not in (".", "..")
    assert Path(safe).suffix in SUFFIXES and is_speech_file(Path(safe))
    assert len(safe.encode("utf-8")) <= 255


@pytest.mark.parametrize("name", NAMES)
def test_stored_uploads_land_inside_the_corpus_folder(tmp_path, name):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    source = tmp_path / "upload"
    source.write_bytes(SPEECH)
    try:
        target, _ = store(source, corpus, safe_name(name))
    except UploadRefused:
        return
    assert target.parent == corpus and target.read_bytes() == SPEECH
    assert list(outside.iterdir()) == []


def test_store_refuses_a_name_that_is_a_symlink_out_of_the_corpus(tmp_path):
    corpus, secret = tmp_path / "corpus", tmp_path / "secret.txt"
    corpus.mkdir()
    secret.write_text("keep me", encoding="utf-8")
    (corpus / "speech.txt").symlink_to(secret)
    source = tmp_path / "upload"
    source.write_bytes(SPEECH)
    with pytest.raises(UploadRefused):
        store(source, corpus, safe_name("speech.txt"))
    assert secret.read_text(encoding="utf-8") == "keep me"


def test_hostile_upload_names_through_the_handler(loop_bot, tmp_path):
    corpus = loop_bot.settings.corpus
    for name in ("../../../../tmp/evil.txt", "..\\sneaky.md", "𠀀" * 100 + ".txt"):
        loop_bot.request.clear()
        run_update(loop_bot, message=document_message(loop_bot, name, SPEECH, ADMIN))
        replies = [p["text"] for p in loop_bot.request.sent("sendMessage")]
        assert replies and replies[0].startswith("已保存"), replies
        for text in replies:
            check(text)
        nothing_leaks(loop_bot.request)
    assert all(p.parent == corpus for p in corpus.rglob("*"))
    assert not Path("/tmp/evil.txt").exists()


# --------------------------------------------------------------------------- the token


def test_the_log_formatter_masks_the_token_wherever_it_appears():
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "POST https://api/bot%s/sendMessage", (TOKEN,), None
    )
    try:
        raise RuntimeError(f"failed https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    for json_lines in (False, True):
        text = RedactingFormatter(json_lines, secrets=[TOKEN]).format(record)
        assert TOKEN not in text and "[redacted]" in text
