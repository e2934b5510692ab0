"""Questions about a speech itself, answered from its metadata, citing where the text says so."""

from __future__ import annotations

from functools import cache

import pytest

from retrieval.corpus.document import Document
from retrieval.corpus.loading import parse_document
from retrieval.search.about import LENGTH, OCCASION, PARTS, WHEN, WHO, about, asked_fact
from tests.support.paths import PROJECT

CORPUS = PROJECT / "corpus"


@cache
def document(path: str) -> Document:
    return parse_document(CORPUS, CORPUS / path)


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("这篇讲话是谁讲的", WHO),
        ("2025年报告是谁作的", WHO),
        ("市长讲话是什么时候讲的", WHEN),
        ("那篇报告是哪年的", WHEN),
        ("广东报告在什么会议上作的", OCCASION),
        ("这篇讲话有多长", LENGTH),
        ("它有几个部分", PARTS),
        ("这项工作由谁负责", None),
        ("市长办公会议讲话第三部分讲了什么", None),
        ("廉政责任书多久签一次", None),
    ],
)
def test_asked_fact(question, fact):
    assert asked_fact(question) == fact


def test_speaker_and_date_from_the_header_lines():
    guangdong = document("gov-reports/2026_广东省_政府工作报告.txt")
    who = about(guangdong, WHO)
    assert who.text == "《2026年广东省政府工作报告》的讲话人：广东省省长 孟凡利。"
    assert who.source == "文首第3行「广东省省长 孟凡利」"
    when = about(guangdong, WHEN)
    assert (
        when.text == "《2026年广东省政府工作报告》：2026年1月26日，在广东省第十四届人民代表大会第五次会议上。"
    )
    assert when.source and when.source.startswith("文首第2行「——2026年1月26日")


def test_the_speaker_on_the_date_line():
    shaanxi = document("gov-reports/2026_陕西省_政府工作报告.txt")
    assert shaanxi.meta.speaker == "陕西省省长 赵刚"
    assert shaanxi.meta.occasion == "陕西省第十四届人民代表大会第四次会议"


def test_the_meeting_from_the_opening_and_unknowns_said_plainly():
    report = document("gov-reports/1955_国务院_政府工作报告.txt")
    occasion = about(report, OCCASION)
    assert occasion.text == "《1955年国务院政府工作报告》：在第一届全国人民代表大会第二次会议上。"
    assert occasion.source == (
        "开场白第2段「中华人民共和国国务院向第一届全国人民代表大会第二次会议提出关于发展国民经济第一个五年计划的议案…」"
    )
    assert about(report, WHO).text == "《1955年国务院政府工作报告》：语料没有注明讲话人。"
    assert "没有具体日期" in about(report, WHEN).text


def test_the_sample_speech_explains_its_placeholders():
    seed = document("seed/市长办公会议讲话.txt")
    assert "XX" in about(seed, WHO).text and "没有注明讲话人" in about(seed, WHO).text
    assert about(seed, PARTS).text.startswith(
        "《在市长办公会议上的讲话》共六个部分（另有开场白和结束语）：一、科学谋划"
    )


def test_every_answer_shows_the_speaker_and_date(tmp_path):
    from retrieval.render.terminal import answer_text
    from retrieval.search.engine import SearchEngine

    (tmp_path / "report.txt").write_text(
        "政府工作报告\n——2026年1月14日在某省第十四届人民代表大会第四次会议上\n某省省长 张三\n各位代表：\n"
        "现在，我代表省人民政府，向大会报告工作。\n一、2026年主要任务\n今年要新建保障性住房二万套，改造老旧小区三百个。\n",
        encoding="utf-8",
    )
    answer = SearchEngine.from_folder(tmp_path, use_cache=False).ask("保障性住房")
    assert answer.hits[0].speaker == "某省省长 张三"
    assert "（某省省长 张三，2026-01-14，第7段）" in answer_text(answer)


def test_placeholders_are_explained_under_the_quote(seed_engine):
    from retrieval.render.terminal import PLACEHOLDER_NOTE, answer_text

    assert answer_text(seed_engine.ask("行动改变")).endswith(PLACEHOLDER_NOTE)
    assert PLACEHOLDER_NOTE not in answer_text(seed_engine.ask("廉政责任书"))
