"""SQuAD-format sets as corpora: one file per article, figures for speechbot and plain rank-bm25."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.evaluate.squad import (
    evaluate_engine,
    evaluate_plain_bm25,
    holds_answer,
    load_squad,
    reciprocal_rank,
)
from retrieval.search.engine import SearchEngine

SET = {
    "data": [
        {
            "id": "A/1",
            "title": "熊猫",
            "paragraphs": [
                {
                    "context": "大熊猫是中国特有的哺乳动物，主要以竹子为食。",
                    "qas": [{"question": "大熊猫主要吃什么？", "answers": [{"text": "竹子"}]}],
                },
                {"context": "大熊猫\n栖息在四川的高山竹林里。", "qas": []},
            ],
        },
        {
            "id": "B",
            "title": "長江",
            "paragraphs": [
                {
                    "context": "長江全長六千三百公里，是亞洲最長的河流。",
                    "qas": [{"question": "長江全長多少公里？", "answers": [{"text": "六千三百公里"}]}],
                }
            ],
        },
        {
            "id": "C",
            "title": "咖啡",
            "paragraphs": [{"context": "咖啡是用咖啡豆烘焙制作的饮料。", "qas": []}],
        },
    ]
}


@pytest.fixture()
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(SET, ensure_ascii=False), encoding="utf-8")
    return path


def test_each_article_becomes_a_file_with_its_title_and_one_line_per_context(
    squad_file: Path, tmp_path: Path
) -> None:
    squad = load_squad(squad_file, tmp_path / "cache")
    files = sorted(squad.folder.glob("*.txt"))
    assert [f.stem for f in files] == ["0000_A_1", "0001_B", "0002_C"]
    text = files[0].read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 熊猫\n---\n")
    assert text.splitlines()[3:] == [
        "大熊猫是中国特有的哺乳动物，主要以竹子为食。",
        "大熊猫 栖息在四川的高山竹林里。",
    ]
    assert [(q.article, q.answers) for q in squad.questions] == [
        ("0000_A_1", ("竹子",)),
        ("0001_B", ("六千三百公里",)),
    ]
    assert load_squad(squad_file, tmp_path / "cache").folder == squad.folder  # built once per content


def test_figures_count_right_articles_and_answers_in_quotes(squad_file: Path, tmp_path: Path) -> None:
    squad = load_squad(squad_file, tmp_path / "cache")
    result = evaluate_engine(SearchEngine.from_folder(squad.folder, use_cache=False), squad)
    assert (result.questions, result.right_article, result.answer_in_quote, result.answered) == (2, 2, 2, 2)
    assert result.reciprocal_ranks == 2.0
    plain = evaluate_plain_bm25(squad)
    assert (plain.questions, plain.right_article) == (2, 2)
    assert "right article @1 100.0%" in plain.summary()


def test_a_wrong_article_or_a_quote_without_the_answer_does_not_count() -> None:
    assert reciprocal_rank(["b", "a"], "a") == 0.5
    assert reciprocal_rank(["b"], "a") == 0.0
    assert holds_answer("長江全長六千三百公里", ("长江",))  # folded: traditional and simplified agree
    assert not holds_answer("長江全長", ("六千",))
