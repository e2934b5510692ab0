"""A question naming a document (issuer, year, kind) ranks that document first; naming widens, never hijacks."""

from __future__ import annotations

import pytest

from retrieval.search.engine import SearchEngine

DOCS = {
    "2019_国务院_政府工作报告": "国务院",
    "2020_浙江省_政府工作报告": "浙江省",
    "2021_江苏省_政府工作报告": "江苏省",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    root = tmp_path_factory.mktemp("reports")
    for stem, issuer in DOCS.items():
        text = (
            "政府工作报告\n各位代表：\n"
            f"过去一年，{issuer}经济运行总体平稳，就业形势保持稳定。\n"
            "一、主要工作\n"
            "我们深入推进乡村振兴，加强农村基础设施建设，农民收入持续增长。\n"
            "我们持续改善生态环境，空气质量明显好转。\n"
        )
        (root / f"{stem}.txt").write_text(text, encoding="utf-8")
    return SearchEngine.from_folder(root, use_cache=False)


def test_titles_from_file_names(engine: SearchEngine) -> None:
    assert sorted(d.meta.title for d in engine.documents) == [
        "2019年国务院政府工作报告",
        "2020年浙江省政府工作报告",
        "2021年江苏省政府工作报告",
    ]


def test_without_a_name_all_documents_answer(engine: SearchEngine) -> None:
    answer = engine.ask("乡村振兴", top=3)
    assert answer.named_documents == []
    assert {h.doc_id for h in answer.hits} == set(DOCS)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("浙江 乡村振兴", "2020_浙江省_政府工作报告"),
        ("浙江省的乡村振兴", "2020_浙江省_政府工作报告"),
        ("江苏的乡村振兴", "2021_江苏省_政府工作报告"),
        ("国务院 乡村振兴", "2019_国务院_政府工作报告"),
        ("2021年乡村振兴", "2021_江苏省_政府工作报告"),
        ("2019年乡村振兴", "2019_国务院_政府工作报告"),
        ("２０２１年乡村振兴", "2021_江苏省_政府工作报告"),  # full-width digits
        ("浙江省政府的乡村振兴", "2020_浙江省_政府工作报告"),  # one word that begins with the issuer
    ],
)
def test_named_document_ranks_first(engine: SearchEngine, question: str, expected: str) -> None:
    answer = engine.ask(question, top=3)
    assert answer.found
    assert answer.hits[0].doc_id == expected
    assert answer.named_documents == [expected]
    assert "乡村振兴" in answer.hits[0].quote


def test_generic_question_verb_does_not_cause_refusal(engine: SearchEngine) -> None:
    answer = engine.ask("江苏乡村振兴怎么做")
    assert answer.found
    assert answer.hits[0].doc_id == "2021_江苏省_政府工作报告"


def test_a_kind_few_documents_are_names_them(tmp_path) -> None:
    for stem, issuer in DOCS.items():
        (tmp_path / f"{stem}.txt").write_text(
            f"政府工作报告\n各位代表：\n过去一年，{issuer}大力推进乡村振兴。\n", encoding="utf-8"
        )
    (tmp_path / "市长讲话.txt").write_text(
        "在市长办公会议上的讲话\n同志们：\n我们要抓好乡村振兴。\n", encoding="utf-8"
    )
    engine = SearchEngine.from_folder(tmp_path, use_cache=False)
    # 在讲话中 is one word of the dictionary: the speech word inside it names the speech too
    for question in ("这篇讲话里的乡村振兴", "市长在讲话中怎么说乡村振兴"):
        answer = engine.ask(question, top=1)
        assert answer.named_documents == ["市长讲话"], question
        assert answer.hits[0].doc_id == "市长讲话"
        assert answer.unmatched == []  # 讲话 names the speech: it is not a word the quote lacks


def test_a_common_title_word_names_nothing_and_the_question_keeps_its_words(tmp_path) -> None:
    texts = {
        "广州番禺职业技术学院": "广州番禺职业技术学院是一所高职院校。学院开设多个专业。",
        "赵鹏": "赵鹏是一名演员，职业是演员。",
        "甲": "他的职业是医生。",
        "乙": "她的职业是教师。",
        "丙": "我的职业是工程师。",
        "丁": "你的职业是律师。",
    }
    for stem, text in texts.items():
        (tmp_path / f"{stem}.txt").write_text(f"---\ntitle: {stem}\n---\n{text}\n", encoding="utf-8")
    answer = SearchEngine.from_folder(tmp_path, use_cache=False).ask("赵鹏的职业是什么", top=1)
    assert answer.named_documents == ["赵鹏"]  # 职业 is in the texts of most documents: it names nothing
    assert answer.hits[0].doc_id == "赵鹏"
    assert "职业" in answer.terms


def test_the_answer_type_is_the_topic_when_the_question_names_only_a_document(engine: SearchEngine) -> None:
    answer = engine.ask("浙江省报告讲了哪些生态环境", top=1)
    assert answer.hits[0].doc_id == "2020_浙江省_政府工作报告"
    assert "生态环境" in answer.hits[0].quote


def test_a_verb_for_what_the_named_document_says_is_not_its_topic(tmp_path, monkeypatch) -> None:
    """北京市政府工作报告「提出」了哪些目标: 提出 says where to look (data/saying_words.txt); the opening's
    请…提出意见 is not the answer, the targets are."""
    for stem, issuer in {**DOCS, "2026_北京市_政府工作报告": "北京市"}.items():
        text = (
            "政府工作报告\n各位代表：\n"
            f"现在，我代表{issuer}人民政府，向大会报告政府工作，请予审议，并请各位委员提出意见。\n"
            "一、今年的工作\n"
            "今年经济社会发展主要预期目标是：地区生产总值增长5%左右，城镇新增就业26万人。\n"
        )
        (tmp_path / f"{stem}.txt").write_text(text, encoding="utf-8")
    engine = SearchEngine.from_folder(tmp_path, use_cache=False)
    question = "北京市政府工作报告提出了哪些目标"
    hit = engine.ask(question, top=1).hits[0]
    assert hit.doc_id == "2026_北京市_政府工作报告" and "主要预期目标" in hit.quote
    monkeypatch.setattr("retrieval.search.engine.saying_words", lambda: frozenset())
    assert "主要预期目标" not in engine.ask(question, top=1).hits[0].quote


def test_a_title_names_its_document_by_each_run_between_punctuation(tmp_path) -> None:
    """东关街 (扬州): the segmenter cuts the title 东关|街, the question's 东关街 is rejoined whole."""
    texts = {
        "东关街": ("东关街 (扬州)", "东关街是扬州的一条街道，全长1122米，街上多老字号。"),
        "西湖": ("西湖 (杭州)", "西湖是杭州的一个湖。湖边有很多街道，长约十公里。"),
    }
    for stem, (title, text) in texts.items():
        (tmp_path / f"{stem}.txt").write_text(f"---\ntitle: {title}\n---\n{text}\n", encoding="utf-8")
    answer = SearchEngine.from_folder(tmp_path, use_cache=False).ask("东关街有多长？", top=1)
    assert answer.named_documents == ["东关街"]
