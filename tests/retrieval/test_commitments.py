"""Commitment sentences: the rules in data/commitments.yaml on the sample speech and the
reports, their measured precision/recall, and the ranking boost for commitment questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from retrieval.commitments import (
    commitments_text,
    document_commitments,
    is_commitment_question,
    listed_commitments,
    score_labels,
)
from retrieval.corpus import load_corpus
from retrieval.features import Query
from retrieval.search import SearchEngine

PROJECT = Path(__file__).resolve().parents[2]
LABELS = PROJECT / "eval" / "labels" / "commitments.yaml"

# (words of the commitment, its part 一、…六、) — the five the issue quotes
ISSUE_COMMITMENTS = [
    ("每周一下午重大项目周例会和周三市政府常务会", 2),
    ("每年都要与分管部门“一把手”签订《廉政责任书》", 6),
    ("至少每半年与部门班子谈一次话", 6),
    ("每个班子成员每年参加集中学习不少于X次", 6),
    ("年底我们要检查", 6),
]


@pytest.fixture(scope="module")
def engine(seed_dir: Path) -> SearchEngine:
    return SearchEngine.from_folder(seed_dir, use_cache=False)


@pytest.fixture(scope="module")
def labelled_corpus(tmp_path_factory) -> list:
    """The documents the labelled file draws from, copied to a small corpus."""
    folder = tmp_path_factory.mktemp("labelled")
    documents = {row["doc"] for rows in yaml.safe_load(LABELS.read_text("utf-8")).values() for row in rows}
    for doc_id in documents:
        source = next((PROJECT / "corpus").glob(doc_id + ".*"))
        target = folder / source.relative_to(PROJECT / "corpus")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return load_corpus(folder).documents


def test_the_five_commitments_of_the_issue_each_in_its_part(engine):
    document = engine.documents[0]
    listed = listed_commitments(engine, document)
    for words, part in ISSUE_COMMITMENTS:
        found = [item for item in listed if words in item.commitment.text]
        assert len(found) == 1, words
        item = found[0]
        assert item.hit.part == "section" and item.hit.section_number == part, words
        assert document.text[item.commitment.start : item.commitment.end] == item.commitment.text
        assert item.hit.reference.startswith("《在市长办公会议上的讲话》第")


def test_fields_what_who_when_how_often_how_much(engine):
    by_words = {c.what: c for c in engine.commitments.by_document[0]}
    meeting = by_words["每周一下午重大项目周例会和周三市政府常务会"]
    assert meeting.how_often == ("每周一", "周三") and meeting.obligation == "我提出"
    study = by_words["每个班子成员每年参加集中学习不少于X次"]
    assert "每年" in study.how_often and "不少于" in study.how_much and study.who == ("每个班子成员",)
    assert by_words["年底我们要检查"].when == ("年底",)
    talk = by_words["至少每半年与部门班子谈一次话"]
    assert talk.how_often == ("每半年",) and "至少" in talk.how_much
    owners = next(c for c in engine.commitments.by_document[0] if "分管副市长" in c.text)
    assert owners.who == ("分管副市长", "副秘书长")
    document = engine.documents[0]
    for commitment in engine.commitments.by_document[0]:
        assert document.text[commitment.what_start :].startswith(commitment.what)


def test_exhortations_questions_and_quoted_names_are_not_commitments(engine):
    texts = [c.text for c in engine.commitments.by_document[0]]
    assert not any("副市长要向我看齐" in t for t in texts)  # owner, but no checkable duty
    assert not any("明年准备达到什么目标" in t for t in texts)  # a question
    assert not any(t.startswith("首先，要把握四个重点") for t in texts)


def test_report_targets_and_decisions(labelled_corpus):
    report = next(d for d in labelled_corpus if d.doc_id.endswith("2024_国务院_政府工作报告"))
    commitments = document_commitments(report)
    deficit = next(c for c in commitments if "赤字率拟按3%安排" in c.text)
    assert deficit.what == "赤字率拟按3%安排" and deficit.how_much[0] == "3%"
    assert any("城镇新增就业1200万人以上" in c.text for c in commitments)  # a listed target
    assert not any("增长5.2%" in c.text for c in commitments)  # last year's result


def test_precision_and_recall_on_the_hand_labelled_sample(labelled_corpus):
    scores = {score.name: score for score in score_labels(labelled_corpus, LABELS)}
    assert scores["all"].true_positive + scores["all"].false_negative >= 20
    assert scores["heldout"].precision >= 0.85 and scores["heldout"].recall >= 0.75
    assert scores["all"].precision >= 0.9 and scores["all"].recall >= 0.85
    assert scores["seed"].recall >= 0.85


@pytest.mark.parametrize(
    "question",
    [
        "廉政责任书多久签一次",
        "常务会星期几开",
        "每年参加集中学习多少次",
        "什么时候检查",
        "议题由谁负责",
        "赤字率拟按多少安排",
    ],
)
def test_commitment_questions(question):
    assert is_commitment_question(question)


@pytest.mark.parametrize("question", ["如何带好队伍", "钉钉子精神", "理想信念是思想和行动的什么", "實踐導向"])
def test_other_questions(question):
    assert not is_commitment_question(question)


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("廉政责任书多久签一次", "必须认真落实“一岗双责”"),
        ("常务会星期几开", "这里，我提出两项会议制度"),
        ("周例会什么时候开", "这里，我提出两项会议制度"),
        ("多久与部门班子谈一次话", "至少每半年与部门班子谈一次话"),
    ],
)
def test_commitment_question_quotes_the_commitment_first(engine, question, sentence):
    hit = engine.ask(question, top=1).hits[0]
    assert hit.quote.startswith(sentence)


def test_boost_only_for_commitment_questions(engine):
    """The flag adds a bonus to commitment passages; without it the ranking is the plain one."""
    plain = engine._ranked_hits(Query("常务会", ["常务会"], [], [], set(), set(), False, {}), 3)
    flagged = engine._ranked_hits(Query("常务会", ["常务会"], [], [], set(), set(), True, {}), 3)
    starts = {c.start for c in engine.commitments.by_document[0]}
    assert any(hit.quote.startswith("这里，我提出两项会议制度") for hit in flagged)  # the commitment itself
    assert all(hit.start in starts for hit in flagged)
    assert flagged[0].score > plain[0].score and flagged[0].start == plain[0].start
    assert engine.ask("常务会", top=3).hits == plain


def test_terminal_listing_grouped_by_part(engine):
    text = commitments_text(engine, engine.documents[0])
    assert text.index("第二部分「立即行动，行动改变XX」") < text.index("第六部分「坚定信念，始终廉洁从政」")
    assert "频次：每周一、周三" in text
