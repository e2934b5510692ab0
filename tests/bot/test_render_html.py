"""Telegram HTML: escaped, well-formed, never over 4,096 characters, never cut in a tag."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.config import ConfigError, Settings, build_settings
from bot.telegram.callbacks import MAX_BYTES, QuestionStore, decode, doc_key, encode, question_key
from bot.telegram.html import LIMIT, answer_html, length, outline_html, part_messages, reload_html
from bot.telegram.uploads import UploadRefused, safe_name
from retrieval.search.engine import SearchEngine

ALLOWED = {"b", "i", "blockquote", "code"}


class TagChecker(HTMLParser):
    """Fails on unknown tags, attributes, or unbalanced nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert tag in ALLOWED and not attrs, f"unexpected <{tag} {attrs}>"
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"


def assert_valid(text: str) -> None:
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.stack == [], f"unclosed {checker.stack}"
    assert length(text) <= LIMIT


LONG = "一、<b>部署</b>&安排。" + "防汛工作要<i>抓紧</i>落实责任&。" * 400


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> SearchEngine:
    folder = tmp_path_factory.mktemp("hostile")
    text = "\n".join(["关于<script>防汛&抗旱</script>的讲话", "同志们：", "今天部署防汛工作。", LONG, LONG])
    (folder / "a&b.txt").write_text(text, encoding="utf-8")
    return SearchEngine.from_folder(folder, use_cache=False)


def test_answer_escapes_and_fits(hostile):
    answer = hostile.ask("防汛工作 落实责任 <b>", top=3)
    assert answer.found
    rendered = answer_html(answer)
    assert_valid(rendered.text)
    assert "<script>" not in rendered.text and "&lt;script&gt;" in rendered.text
    assert "问：<b>防汛工作 落实责任 &lt;b&gt;</b>" in rendered.text
    assert rendered.shown


@pytest.mark.parametrize("limit", [120, 300, 700, 1500])
def test_answer_drops_whole_hits_rather_than_cutting(seed_engine, limit):
    answer = seed_engine.ask("表率", top=3)
    rendered = answer_html(answer, limit=limit)
    assert length(rendered.text) <= limit
    assert_valid(rendered.text)
    assert rendered.text.count("<blockquote>") == len(rendered.shown)


def test_parts_outline_and_reports_fit(hostile, seed_engine):
    document = hostile.documents[0]
    for key in ("0", "1", "c"):
        for text in part_messages(document, key):
            assert_valid(text)
    assert len(part_messages(document, "1")) >= 2  # split between paragraphs
    assert_valid(outline_html(seed_engine.documents[0]))


def test_reload_report_escapes_warnings():
    from bot.service.holder import ReloadReport

    report = ReloadReport(
        False, 0.1, "没有可读的文档", warnings=[f"<x{i}>.txt：empty file" for i in range(500)]
    )
    text = reload_html(report, 1, 2)
    assert_valid(text)
    assert "&lt;x0&gt;.txt" in text and "另有 470 条" in text


def test_callback_codec_roundtrip_and_limit():
    data = encode("p", doc_key("很长的文件夹/" * 20), 123, question_key("问" * 500), 30)
    assert len(data.encode()) <= MAX_BYTES
    callback = decode(data)
    assert callback.kind == "p" and callback.number(1) == 123 and callback.number(3) == 30
    with pytest.raises(ValueError):
        encode("m", "x" * 70, 0)
    with pytest.raises(ValueError):
        encode("m", "only-one-field")
    for bad in (None, "", "m", "m|a|b|c", "m|abc|-1", "z|1", "l|x"):
        assert decode(bad) is None


def test_question_store_is_bounded():
    store = QuestionStore(size=2)
    keys = [store.put(q) for q in ("一", "二", "三")]
    assert store.get(keys[0]) is None and store.get(keys[2]) == "三"
    assert keys[1] == question_key(" 二 ")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("讲话.txt", "讲话.txt"),
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\x.DOCX", "x.docx"),
        ("a b;c$.txt", "a_b_c.txt"),
        (".hidden.txt", "hidden.txt"),
        ("README.txt", "speech-README.txt"),
        ("....txt", "speech.txt"),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["x.pdf", "x", None, "x.txt.exe"])
def test_safe_name_refuses_other_types(name):
    with pytest.raises(UploadRefused):
        safe_name(name)


def test_settings_file_then_command_line(tmp_path):
    config = tmp_path / "bot.yaml"
    config.write_text("corpus: speeches\nadmins: [1, 2]\nport: 9000\napi_base_url: http://h:1/bot\n")
    settings = build_settings(config, {"port": 9100, "admins": None, "webhook_url": "https://x/hook"})
    assert settings.corpus == tmp_path / "speeches" and settings.admins == [1, 2]
    assert settings.port == 9100 and settings.webhook_url == "https://x/hook"
    assert settings.base_file_url == "http://h:1/file/bot"
    assert settings.is_admin(2) and not settings.is_admin(None)
    assert build_settings(config, {"admins": [5]}).admins == [5]
    assert Settings().base_file_url is None


def test_settings_refuse_unknown_keys_and_tokens(tmp_path):
    config = tmp_path / "bot.yaml"
    config.write_text("colour: blue\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        build_settings(config, {})
    config.write_text("token: 123:abc\n")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        build_settings(config, {})
