"""Structure: parts, inline headings, opening, closing, sub-sections and points."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.corpus.document import Document
from retrieval.corpus.loading import parse_document
from retrieval.corpus.references import part_label

GOV_REPORT = """政府工作报告
——2026年1月14日在某省第十四届人民代表大会第四次会议上
某省省长 张三
各位代表：
现在，我代表省人民政府，向大会报告工作，请予审议，并请省政协委员提出意见。
一、2025年工作回顾
过去一年，全省经济运行稳中有进，地区生产总值增长百分之五点五。
（一）坚持创新驱动
第一，加大研发投入，全社会研发经费增长百分之十。第二，建设重大科创平台，新增国家重点实验室三家。
（二）推进乡村振兴
我们扎实推进乡村振兴，粮食产量保持稳定。
二、2026年主要任务
今年要重点抓好以下工作：1. 扩大有效投资，实施重大项目二百个。2. 提振消费，开展促消费活动。
各位代表！奋斗创造历史，实干成就未来。让我们团结一心，奋力谱写新篇章！
"""


@pytest.fixture(scope="module")
def seed_doc(seed_dir: Path, seed_file: Path) -> Document:
    return parse_document(seed_dir, seed_file)


@pytest.fixture(scope="module")
def gov_doc(tmp_path_factory: pytest.TempPathFactory) -> Document:
    root = tmp_path_factory.mktemp("gov")
    path = root / "report.txt"
    path.write_text(GOV_REPORT, encoding="utf-8")
    return parse_document(root, path)


def kinds(document: Document) -> list[str]:
    return [p.kind for p in document.paragraphs]


def test_seed_has_six_inline_parts(seed_doc: Document) -> None:
    assert [s.number for s in seed_doc.sections] == [1, 2, 3, 4, 5, 6]
    assert seed_doc.sections[1].title == "立即行动，行动改变XX"
    assert seed_doc.sections[0].title == "科学谋划，打开工作局面"
    assert seed_doc.sections[5].title == "坚定信念，始终廉洁从政"
    assert all(s.inline_heading for s in seed_doc.sections)


def test_seed_opening_before_first_part(seed_doc: Document) -> None:
    opening = [p for p in seed_doc.paragraphs if p.kind == "opening"]
    assert len(opening) == 1
    assert seed_doc.paragraph_text(opening[0]).startswith("上周，根据组织安排")
    assert opening[0].number < seed_doc.sections[0].paragraph
    assert seed_doc.salutation == "同志们："


def test_seed_closing_is_not_part_six(seed_doc: Document) -> None:
    last = seed_doc.paragraphs[-1]
    assert seed_doc.paragraph_text(last).startswith("同志们，惟其艰难")
    assert last.kind == "closing"
    assert last.section is None
    part_six = [p for p in seed_doc.paragraphs if p.section == 6]
    assert part_six and all("惟其艰难" not in seed_doc.paragraph_text(p) for p in part_six)


def test_seed_points(seed_doc: Document) -> None:
    labels = {p.number: [pt.label for pt in p.points] for p in seed_doc.paragraphs}
    part_two = next(p for p in seed_doc.paragraphs if p.section == 2)
    assert labels[part_two.number] == ["一是把握“三准”", "二是落实“三专”", "三是坚持“三聚”", "四是着力“三提”"]
    part_three = next(p for p in seed_doc.paragraphs if p.section == 3)
    assert labels[part_three.number][0] == "一要做识大体的表率"
    assert len(labels[part_three.number]) == 3
    all_labels = [label for ls in labels.values() for label in ls]
    assert "一是目标导向" in all_labels
    for paragraph in seed_doc.paragraphs:
        for point in paragraph.points:
            assert paragraph.start <= point.start < point.end <= paragraph.end
            assert seed_doc.text[point.start : point.start + len(point.label)] == point.label


def test_seed_point_at_offset(seed_doc: Document) -> None:
    part_two = next(p for p in seed_doc.paragraphs if p.section == 2)
    offset = seed_doc.text.index("聚力，就是心往一处想")
    assert seed_doc.point_at(part_two, offset).label == "三是坚持“三聚”"
    assert seed_doc.point_at(part_two, part_two.start) is None


def test_gov_report_headings_on_own_lines(gov_doc: Document) -> None:
    assert [(s.number, s.title, s.inline_heading) for s in gov_doc.sections] == [
        (1, "2025年工作回顾", False),
        (2, "2026年主要任务", False),
    ]
    heading = gov_doc.paragraphs[gov_doc.sections[0].paragraph - 1]
    assert heading.kind == "heading"
    assert not heading.indexed
    assert gov_doc.salutation == "各位代表："


def test_gov_report_subsections(gov_doc: Document) -> None:
    subsections = gov_doc.sections[0].subsections
    assert [(s.number, s.title) for s in subsections] == [(1, "坚持创新驱动"), (2, "推进乡村振兴")]
    rural = next(p for p in gov_doc.paragraphs if "粮食产量" in gov_doc.paragraph_text(p))
    assert (rural.kind, rural.section, rural.subsection) == ("section", 1, 2)


def test_gov_report_points(gov_doc: Document) -> None:
    first = next(p for p in gov_doc.paragraphs if gov_doc.paragraph_text(p).startswith("第一"))
    assert [pt.label for pt in first.points] == [
        "第一，加大研发投入，全社会研发经费增长百分之十",
        "第二，建设重大科创平台，新增国家重点实验室三家",
    ]
    tasks = next(p for p in gov_doc.paragraphs if "扩大有效投资" in gov_doc.paragraph_text(p))
    assert [pt.label for pt in tasks.points] == [
        "1. 扩大有效投资，实施重大项目二百个",
        "2. 提振消费，开展促消费活动",
    ]


def test_gov_report_opening_and_closing(gov_doc: Document) -> None:
    assert kinds(gov_doc)[:4] == ["header"] * 4  # title, date line, speaker, salutation
    assert gov_doc.paragraphs[4].kind == "opening"
    last = gov_doc.paragraphs[-1]
    assert gov_doc.paragraph_text(last).startswith("各位代表！")
    assert last.kind == "closing"


def test_gov_report_metadata(gov_doc: Document) -> None:
    meta = gov_doc.meta
    assert meta.title == "政府工作报告"
    assert meta.date == "2026-01-14"
    assert meta.year == 2026
    assert meta.occasion == "某省第十四届人民代表大会第四次会议"
    assert meta.speaker == "某省省长 张三"


def test_skipped_numbering_is_not_a_new_part(tmp_path: Path) -> None:
    text = (
        "在工作会议上的讲话\n同志们：\n开场的话在这里说。\n"
        "一、抓好落实。落实是关键，必须一抓到底。\n"
        "三、这一行只是列举的内容，编号跳过了二。\n"
        "二、改进作风。作风建设永远在路上。\n"
    )
    path = tmp_path / "speech.txt"
    path.write_text(text, encoding="utf-8")
    document = parse_document(tmp_path, path)
    assert [s.title for s in document.sections] == ["抓好落实", "改进作风"]
    skipped = next(p for p in document.paragraphs if document.paragraph_text(p).startswith("三、"))
    assert skipped.section == 1


def parse_text(tmp_path: Path, text: str) -> Document:
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    return parse_document(tmp_path, path)


def test_bare_numerals_on_their_own_lines_are_parts(tmp_path: Path) -> None:
    """Some older reports number their parts with a lone 一 / 二 line."""
    document = parse_text(
        tmp_path,
        "政府工作报告\n各位代表：\n一\n农业发展纲要执行得很好。\n二\n下面说一说工业。\n各位代表，让我们共同努力！\n",
    )
    assert [(s.number, s.title) for s in document.sections] == [(1, ""), (2, "")]
    closing = document.paragraphs[-1]
    assert closing.kind == "closing"
    assert part_label("section", 1, "") == "第一部分"


def test_parenthesised_numbers_are_parts_when_there_is_no_higher_level(tmp_path: Path) -> None:
    text = (
        "政府工作报告\n各位代表：\n开场的话。\n（一）关于经济形势\n经济形势很好。\n"
        "（二）关于经济体制改革\n一、合理调整农村粮食购销价格和棉花收购价格，逐步理顺农产品价格关系，切实保护广大农民的生产积极性和收入。其余内容。\n"
    )
    document = parse_text(tmp_path, text)
    assert [s.title for s in document.sections] == ["关于经济形势", "关于经济体制改革"]
    assert document.paragraphs[2].kind == "opening"
    with_parts = parse_text(tmp_path, text.replace("（一）关于经济形势", "一、总体形势\n（一）关于经济形势"))
    assert [s.title for s in with_parts.sections] == ["总体形势"]  # （一） is a sub-section again
    assert [s.title for s in with_parts.sections[0].subsections] == ["关于经济形势", "关于经济体制改革"]
