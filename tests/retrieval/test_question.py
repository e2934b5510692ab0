"""Question analysis (phrases, focus words, definitions, misjoined words) and what each
changes in the ranking: every ranking test also checks the order flips without the rule."""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path

import pytest

from retrieval.evaluate.tuning import START
from retrieval.render import terminal as render
from retrieval.search import engine as search
from retrieval.search.engine import SearchEngine
from retrieval.search.question import (
    DEFINITION_MARKERS,
    PROXIMITY_GAP,
    asked_part,
    defines,
    focus_words,
    question_phrases,
    rejoin_misjoined,
    split_unknown,
)
from retrieval.text import segment


def test_phrases_are_terms_written_together() -> None:
    assert question_phrases("提升质量有什么要求", ["提升", "质量", "要求"]) == [["提升", "质量"], ["要求"]]
    assert question_phrases("钉钉子精神", ["钉钉子", "精神"]) == [["钉钉子", "精神"]]


@pytest.mark.parametrize(
    ("question", "words", "focus", "inside"),
    [
        ("提升质量有什么要求", ["提升", "质量", "要求"], ["要求"], []),
        ("要主动接受哪些监督", ["主动", "接受", "监督"], ["监督"], []),
        ("三准是指哪三个准", ["三准", "三个", "准"], [], ["三个"]),  # a single character stays content
        ("为什么说班子成员相聚是一种缘份", ["班子成员", "相聚", "缘份"], [], []),  # 为什么 asks why, not what
        ("如何带好队伍", ["带好", "队伍"], [], []),
        ("学法有什么具体的要求和安排", ["学法", "要求", "安排"], ["要求", "安排"], []),  # 具体的: stop words
        ("四个导向是哪四个", ["四个", "导向"], [], []),  # 四个 is also said outside 哪四个: a topic word
    ],
)
def test_focus_words(question: str, words: list[str], focus: list[str], inside: list[str]) -> None:
    assert focus_words(question, words) == (focus, inside)


@pytest.mark.parametrize(
    ("phrase", "text", "defined"),
    [
        (["提升", "效能"], "提升效能，就要说了算、说了干、马上干", True),
        (["三", "专"], "二是落实“三专”。即专题、专案、专业。", True),
        (["聚焦"], "聚焦，就是抓住重点、要点、关键点", True),
        (["问题"], "问题是我们抓工作的一个“好指南”", True),
        (["提升", "效能"], "全力提升效能，推动发展", False),
    ],
)
def test_defines(phrase: list[str], text: str, defined: bool) -> None:
    assert defines(text, phrase) is defined


def test_defines_as_the_pattern_of_the_phrase_and_a_marker_would() -> None:
    """The phrase's words with at most PROXIMITY_GAP characters between two, then a marker."""
    rng = random.Random(5)
    alphabet = "提升效能，就要是即指的也“”。\n"
    for _ in range(3000):
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 14)))
        phrase = ["".join(rng.choices("提升效能", k=rng.randint(1, 2))) for _ in range(rng.randint(1, 3))]
        gap = f".{{0,{PROXIMITY_GAP}}}?"
        pattern = re.compile(gap.join(map(re.escape, phrase)) + DEFINITION_MARKERS)
        assert defines(text, phrase) is bool(pattern.search(text)), (text, phrase)


def test_rejoin_gives_a_character_back_to_its_neighbour() -> None:
    corpus = "二是落实“三专”。即专题、专案、专业。"
    rejoined = rejoin_misjoined(
        "三专指什么", ["三", "专指"], unknown=lambda w: w == "专指", in_corpus=lambda s: s in corpus
    )
    assert rejoined == ["三专", "指"]
    assert rejoin_misjoined("红烧肉怎么做", ["红烧肉"], lambda w: True, lambda s: s in corpus) == ["红烧肉"]
    # A word the corpus text has (though the index cut it finer) is not misjoined.
    speech = "在市长办公会议上的讲话"
    words = ["市长", "办公会议"]
    assert rejoin_misjoined(speech, words, lambda w: w == "办公会议", lambda s: s in speech) == words


def test_an_unknown_name_is_cut_from_the_character_glued_to_it() -> None:
    corpus = "刘七，明代人。史继偕，字世程。县BA冠军。"
    known = {"死", "大学"}
    unknown = lambda w: w not in known  # noqa: E731
    in_corpus = lambda s: s in corpus.lower()  # noqa: E731
    assert split_unknown(["刘七是", "死"], unknown, in_corpus) == ["刘七", "是", "死"]
    assert split_unknown(["史继偕著"], unknown, in_corpus) == ["史继偕", "著"]
    assert split_unknown(["nba", "冠军"], unknown, in_corpus) == ["nba", "冠军"]  # not a Chinese name
    assert split_unknown(["红烧肉"], unknown, in_corpus) == ["红烧肉"]  # nothing the corpus has


def test_rejoin_leaves_a_word_whose_rest_the_corpus_lacks_and_numbers_whole() -> None:
    corpus = "从北竿去南竿要坐船。1960年去世。"
    question = "从北竿去南竿会搭什么"
    words = ["北竿", "去", "南竿会", "搭"]
    assert rejoin_misjoined(question, words, lambda w: w == "南竿会", lambda s: s in corpus) == words  # 竿会
    years = ["1960", "年去"]
    assert rejoin_misjoined("1960年去哪里", years, lambda w: True, lambda s: s in corpus) == years


@pytest.mark.parametrize(
    ("question", "words", "part", "spelled"),
    [
        ("市长办公会议讲话的第三部分讲了什么", ["市长", "办公会议", "第三", "部分"], 3, ["第三", "部分"]),
        ("2019年报告第12部分", ["报告", "第", "12", "部分"], 12, ["第", "12", "部分"]),
        ("第二个方面是什么", ["第二个", "方面"], 2, ["第二个", "方面"]),
        ("第三产业", ["第三产业"], None, []),
        ("讲话的结束语说了什么", ["结束语"], "closing", ["结束语"]),
        ("开场白", ["开场白"], "opening", ["开场白"]),
    ],
)
def test_asked_part(question: str, words: list[str], part: int | None, spelled: list[str]) -> None:
    assert asked_part(question, words) == (part, spelled)


def engine_over(root: Path, texts: dict[str, str]) -> SearchEngine:
    for stem, text in texts.items():
        (root / f"{stem}.txt").write_text(f"{stem}讲话\n同志们：\n{text}\n", encoding="utf-8")
    return SearchEngine.from_folder(root, use_cache=False)


def top_doc(engine: SearchEngine, question: str) -> str | None:
    answer = engine.ask(question, top=1)
    return answer.hits[0].doc_id if answer.hits else None


def without_feature(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Score with the tuning's starting weights but this feature's weight 0."""
    changed = dataclasses.replace(START, weights={**START.weights, name: 0.0})
    monkeypatch.setattr(search, "default_weights", lambda: changed)


@pytest.mark.parametrize(
    ("texts", "question", "rule", "without"),
    [
        pytest.param(  # without the rule the shorter mention wins on BM25 alone
            ("提升效能，就要说了算、说了干、马上干，兑现承诺，让群众满意。", "各部门全力提升效能。"),
            "提升效能要怎么做",
            lambda monkeypatch: without_feature(monkeypatch, "definition"),
            "乙",
            id="a passage defining the phrase wins",
        ),
        pytest.param(  # without the rule 要求 is required and the scattered words win
            (
                "提升质量，就要从头到尾、科学谋划、精心部署、扎实推进。",
                "实施标准提升行动，构建适应高质量发展要求的标准体系，推动服务质量不断提高。",
            ),
            "提升质量有什么要求",
            lambda monkeypatch: monkeypatch.setattr(search, "focus_words", lambda question, words: ([], [])),
            "乙",
            id="the focus word is not required",
        ),
    ],
)
def test_a_ranking_rule_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, texts: tuple[str, str], question: str, rule, without: str
) -> None:
    """The rule's mechanics, at the tuning's starting weights (the fitted ones are data)."""
    monkeypatch.setattr(search, "default_weights", lambda: START)
    engine = engine_over(tmp_path, dict(zip(("甲", "乙"), texts, strict=True)))
    assert top_doc(engine, question) == "甲"
    rule(monkeypatch)
    assert top_doc(engine, question) == without


def test_a_misjoined_word_is_rejoined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engine_over(
        tmp_path, {"甲": "二是落实“三专”。即专题、专案、专业。专题，对于重点工作必须专题深入研究。"}
    )
    answer = engine.ask("三专指什么", top=1)
    assert answer.found and "三专" in answer.hits[0].quote
    monkeypatch.setattr(SearchEngine, "rejoined", lambda self, question, words: words)
    assert not engine.ask("三专指什么").found  # 专指 is nowhere in the corpus


def test_a_part_of_a_named_speech(seed_engine: SearchEngine) -> None:
    """第三部分讲了什么 reads part three from its start; with words of its own, only part three answers."""
    answer = seed_engine.ask("市长办公会议讲话的第三部分讲了什么", top=3)
    assert [hit.section_number for hit in answer.hits] == [3, 3, 3]
    assert answer.hits[0].quote.startswith("三、当好表率")
    assert [hit.start for hit in answer.hits] == sorted(hit.start for hit in answer.hits)
    assert answer.more
    focused = seed_engine.ask("第六部分 一把手", top=3)  # one speech: no need to name it
    assert focused.found and {hit.section_number for hit in focused.hits} == {6}
    assert "一把手" in focused.hits[0].quote
    assert not seed_engine.ask("第九部分讲了什么").found


def test_a_part_of_no_named_speech_is_not_searched_as_words(tmp_path: Path) -> None:
    engine = engine_over(
        tmp_path, {"甲": "一、第一部分\n我们要抓好落实。", "乙": "一、总体要求\n第三产业发展很快。"}
    )
    assert not engine.ask("第三部分讲了什么").found


def test_the_closing_and_the_opening_of_a_speech(seed_engine: SearchEngine) -> None:
    closing = seed_engine.ask("市长办公会议讲话的结束语", top=2).hits
    assert [hit.part for hit in closing] == ["closing", "closing"]
    assert closing[0].quote.startswith("同志们，惟其艰难")
    assert seed_engine.ask("开场白讲了什么", top=1).hits[0].quote.startswith("上周，根据组织安排")


def test_a_speech_named_and_nothing_else_is_read_from_its_start(tmp_path: Path) -> None:
    """「2019年政府工作报告」 alone: each named speech's start, in turn, not a search for 报告."""
    root = tmp_path
    for year in (2019, 2020):
        (root / f"{year}_国务院_政府工作报告.txt").write_text(
            f"政府工作报告\n各位代表：\n{year}年的开场。政府工作报告要讲好。\n一、回顾\n{year}年我们做了很多工作。\n",
            encoding="utf-8",
        )
    engine = SearchEngine.from_folder(root, use_cache=False)
    answer = engine.ask("2019年政府工作报告", top=3)
    assert answer.named_documents == ["2019_国务院_政府工作报告"]
    assert [hit.quote for hit in answer.hits] == [
        "2019年的开场。政府工作报告要讲好。",
        "2019年我们做了很多工作。",
    ]
    assert answer.terms == []  # nothing to bold: the question asked for no words


def test_an_abbreviation_finds_what_the_speech_spells_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_over(
        tmp_path, {"甲": "全省地区生产总值增长5.5%，高于全国平均水平。", "乙": "我们要抓好安全生产。"}
    )
    answer = engine.ask("ＧＤＰ增长多少", top=1)
    assert answer.found and answer.hits[0].doc_id == "甲"
    assert any("总值" in term for term in answer.terms)  # bolded in the quote too
    monkeypatch.setattr(search, "synonyms", lambda word: ())
    monkeypatch.setattr(segment, "synonyms", lambda word: ())
    assert not engine.ask("ＧＤＰ增长多少").found


def test_words_for_the_speech_itself_are_not_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """讲话里面… refers to the speech, not to words in it."""
    engine = engine_over(
        tmp_path, {"甲": "要把学法当作一项必修课，系统学习宪法和基本法律法规。", "乙": "我们听取了讲话。"}
    )
    assert engine.ask("讲话里面对学法怎么说", top=1).hits[0].doc_id == "甲"
    monkeypatch.setattr(search, "document_words", lambda words: [])
    assert (
        engine.ask("讲话里面对学法怎么说", top=1).hits[0].doc_id != "甲"
        or not engine.ask("讲话里面对学法怎么说").found
    )


def test_words_the_first_passage_lacks_are_said(tmp_path: Path) -> None:
    engine = engine_over(
        tmp_path, {"甲": "今年元旦和春节的节日市场，货源比较充足。", "乙": "我们要抓好安全生产。"}
    )
    answer = engine.ask("明年春节的市场怎么样", top=1)
    assert answer.found and answer.unmatched == ["明年"]
    assert answer.to_json()["unmatched"] == ["明年"]
    assert render.answer_text(answer).startswith("（只部分相符：第一条结果所在的段落没有「明年」。）")
    assert engine.ask("春节的市场怎么样").unmatched == []


def test_an_abbreviation_finds_every_spelling_out_of_it(tmp_path: Path) -> None:
    """GDP is 国内生产总值 in a national report and 地区生产总值 in a provincial one: each is one
    index word, which a search for the shorter 生产总值 would not find."""
    engine = engine_over(
        tmp_path,
        {"甲": "国内生产总值增长5%左右。", "乙": "地区生产总值增长6%。", "丙": "生产总值统计口径调整。"},
    )
    assert {hit.doc_id for hit in engine.ask("GDP", top=3).hits} >= {"甲", "乙"}


def test_an_abbreviation_the_corpus_spells_out_is_not_cut_as_an_unknown_word(tmp_path: Path) -> None:
    """保租房 is not in the index, but its synonym 保障性租赁住房 is in the text: it stays whole
    (not 保 + 租房) and finds the spelled-out form."""
    engine = engine_over(
        tmp_path, {"甲": "全年交付保障性租赁住房15万套。", "乙": "我们要保护好租房群众的权益。"}
    )
    assert engine.ask("浙江保租房", top=1).hits[0].doc_id == "甲"
