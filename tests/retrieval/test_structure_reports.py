"""The outlines of shipped reports that number things unusually: list items inside a part
(1955), parts opened only by 各位代表！ (1975), headings without numbers (1984), and
appendices after the closing (广东 2026)."""

from __future__ import annotations

from functools import cache

from retrieval.corpus.document import Document
from retrieval.corpus.loading import parse_document
from retrieval.render.terminal import outline_lines
from tests.support.paths import PROJECT

REPORTS = PROJECT / "corpus" / "gov-reports"


@cache
def report(name: str) -> Document:
    return parse_document(REPORTS.parent, REPORTS / f"{name}_政府工作报告.txt")


def titles(document: Document) -> list[str]:
    return [s.title for s in document.sections]


def test_1955_list_items_are_not_parts():
    document = report("1955_国务院")
    assert titles(document) == [
        "国家在过渡时期的总任务",
        "第一个五年计划概要",
        "第一個五年計劃的若幹問題",
        "为完成和超额完成第一个五年计划而奋斗",
    ]
    third = document.sections[2]
    assert [s.title for s in third.subsections][:2] == [
        "关于工业和运输业的基本建设问题",
        "关于工业的生产问题",
    ]
    assert len(third.subsections) == 9


def test_1955_points_continue_across_paragraphs():
    lines = outline_lines(report("1955_国务院"))
    start = lines.index("  （一）关于工业和运输业的基本建设问题")
    assert lines[start + 1 : start + 7] == [
        "    第一，基本建设规模的大小问题",
        "    第二，轻重工业投资的比重问题",
        "    第三，大中小型企业的配合问题",
        "    第四，工业的地区分布问题",
        "    第五，基本建设的标准问题",
        "    第六，保证工程的质量问题",
    ]
    assert (
        sum(line.strip().startswith("第一，") for line in lines) == 5
    )  # one per sub-section that has points


def test_1975_parts_open_at_each_salutation():
    document = report("1975_国务院")
    assert titles(document) == ["我们党的第十次全国代表大会", "当前国际形势的特点", "在国内外大好形势下"]
    assert [p.kind for p in document.paragraphs[:2]] == [
        "header",
        "opening",
    ]  # the first 各位代表！ opens the speech


def test_1984_headings_without_numbers():
    document = report("1984_国务院")
    assert titles(document) == ["关于国内建设", "关于外交工作"]
    closing = [p for p in document.paragraphs if p.kind == "closing"]
    assert closing and document.paragraph_text(closing[0]).startswith("统一祖国，振兴中华")


def test_guangdong_2026_appendices_are_not_parts():
    document = report("2026_广东省")
    assert titles(document) == [
        "2025年和“十四五”时期工作回顾",
        "“十五五”时期的主要目标和重点任务",
        "2026年工作安排",
    ]
    assert len(document.sections[2].subsections) == 14
    lines = outline_lines(document)
    assert lines[-3:] == ["结束语", "附：附件1 2026年省十件民生实事", "附：附件2 名词解释"]
    item = next(p for p in document.paragraphs if document.paragraph_text(p).startswith("十、深入推进"))
    assert item.kind == "closing" and item.appendix == "附件1 2026年省十件民生实事" and item.section is None
