"""Small talk is recognised, and no question of any speech or public question set is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.service.small_talk import GREETING, HELP, LANGUAGE, THANKS, recognise, reply_text
from retrieval.search.about import asked_fact
from tests.support.paths import PROJECT, SHARED_EVAL


def yaml_questions(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [q["q"] for q in data.get("questions") or []] + list(data.get("negatives") or [])


def squad_questions(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [qa["question"] for article in data["data"] for p in article["paragraphs"] for qa in p["qas"]]


def question_sets() -> dict[str, list[str]]:
    sets = {f"eval/{p.name}": yaml_questions(p) for p in sorted((PROJECT / "eval").glob("*.yaml"))}
    sets |= {f"shared/{p.name}": yaml_questions(p) for p in sorted(SHARED_EVAL.glob("*.yaml"))}
    sets |= {
        f"external/{p.name}": squad_questions(p) for p in sorted((SHARED_EVAL / "external").glob("*.json"))
    }
    return sets


def test_every_question_set_is_present():
    sets = question_sets()
    assert {"eval/heldout_seed.yaml", "eval/offtopic.yaml", "shared/seed_dev.yaml"} <= set(sets)
    if (SHARED_EVAL / "external").is_dir():
        assert sum(len(qs) for name, qs in sets.items() if name.startswith("external/")) > 4000


@pytest.mark.parametrize("name", sorted(question_sets()))
def test_no_question_of_a_set_is_taken_for_small_talk(name):
    questions = question_sets()[name]
    assert questions
    caught = [(q, recognise(q)) for q in questions if recognise(q)]
    assert caught == []


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("你好", GREETING),
        ("您好！", GREETING),
        ("hello", GREETING),
        ("早上好呀", GREETING),
        ("谢谢", THANKS),
        ("谢谢你啦！", THANKS),
        ("好的，谢谢", THANKS),
        ("你能做什么", HELP),
        ("你能做什么？", HELP),
        ("你是谁", HELP),
        ("怎么用", HELP),
        ("What did the mayor say about discipline?", LANGUAGE),
        ("こんにちは、元気ですか", LANGUAGE),
    ],
)
def test_small_talk_is_recognised(message, kind):
    assert recognise(message) == kind


@pytest.mark.parametrize(
    "message", ["你好重庆", "谢谢大家的支持是什么意思", "GDP", "如何带好队伍", "2025年GDP增长目标"]
)
def test_questions_are_not_small_talk(message):
    assert recognise(message) is None


def test_reply_says_what_is_indexed_and_gives_examples(seed_engine):
    text = reply_text(GREETING, seed_engine.documents)
    assert text.startswith("你好！")
    assert "已收录 1 篇：讲话 1 篇" in text
    assert "• 市长办公会议讲话第三部分讲了什么" in text
    assert "<blockquote>" not in text and "「" not in text.split("可以这样问")[0]


@pytest.mark.parametrize("name", sorted(question_sets()))
def test_no_question_of_a_set_is_taken_for_a_question_about_a_speech(name):
    assert [q for q in question_sets()[name] if asked_fact(q)] == []
