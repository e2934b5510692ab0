"""The `speechbot` terminal commands, through main(argv) and one real subprocess."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import pytest

from bot.cli import main
from tests.support.paths import PROJECT, SEED


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_prints_question_and_quoted_answer(capsys):
    code, out, _ = run(capsys, "ask", "廉政责任书多久签一次", "--corpus", str(SEED))
    assert code == 0
    assert out.startswith("问：廉政责任书多久签一次\n1. 《在市长办公会议上的讲话》第六部分")
    assert "【廉政责任书】" in out


def test_ask_json_one_object_per_question(capsys):
    code, out, _ = run(capsys, "ask", "表率", "火星探测", "--corpus", str(SEED), "--json", "--top", "2")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    first, second = map(json.loads, lines)
    assert first["query"] == "表率" and first["found"] and len(first["hits"]) == 2
    assert first["hits"][0]["reference"].startswith("《在市长办公会议上的讲话》")
    assert second["found"] is False and second["missing_terms"] == ["火星", "探测"]


def test_ask_json_hits_carry_their_score_parts(capsys):
    code, out, _ = run(capsys, "ask", "提升效能要怎么做", "--corpus", str(SEED), "--json", "--top", "1")
    hit = json.loads(out)["hits"][0]
    parts = hit.pop("score_parts")
    assert code == 0 and parts["definition"] > 0 and parts["coverage"] == hit["coverage"]
    assert sum(v for k, v in parts.items() if k != "coverage") == pytest.approx(hit["score"], abs=1e-3)


def test_ask_explain_prints_each_feature_and_its_contribution(capsys):
    code, out, _ = run(capsys, "ask", "提升效能要怎么做", "--corpus", str(SEED), "--top", "1", "--explain")
    assert code == 0
    explained = out.split("」\n\n", 1)[1]
    question_level, explained = explained.split("\n\n", 1)
    assert question_level.startswith("answerable: P ") and "coverage 1.00" in question_level
    assert "absent 0.00" in question_level and "density " in question_level
    assert explained.startswith("1. 《在市长办公会议上的讲话》第二部分")
    assert "coverage 1.000" in explained
    assert any(
        line.split()[0] == "definition" and "× 0.5" in line
        for line in explained.splitlines()[1:]
        if line.strip()
    )
    assert "score" in explained


def test_ask_reads_questions_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("表率\n\n依法行政\n"))
    code, out, _ = run(capsys, "ask", "-", "--corpus", str(SEED), "--json")
    assert code == 0
    assert [json.loads(line)["query"] for line in out.splitlines()] == ["表率", "依法行政"]


def test_corpus_env_variable_is_the_default(capsys, monkeypatch):
    monkeypatch.setenv("SPEECHBOT_CORPUS", str(SEED))
    code, out, _ = run(capsys, "ask", "表率", "--json", "--top", "1")
    assert code == 0 and json.loads(out)["hits"][0]["doc_id"] == "市长办公会议讲话"


def test_corpus_check(capsys, tmp_path):
    code, out, _ = run(capsys, "corpus", "check", str(SEED))
    assert code == 0 and "文档：1" in out and "问题文件：0" in out
    (tmp_path / "bad.txt").write_bytes(b"")
    code, out, _ = run(capsys, "corpus", "check", str(tmp_path))
    assert code == 1 and "bad.txt：empty file" in out


def test_outline_by_title_substring(capsys):
    code, out, _ = run(capsys, "outline", "市长办公", "--corpus", str(SEED))
    assert code == 0
    assert out.splitlines()[0] == "《在市长办公会议上的讲话》" and "六、坚定信念，始终廉洁从政" in out


def test_outline_unknown_lists_documents(capsys):
    code, out, err = run(capsys, "outline", "没有这篇", "--corpus", str(SEED))
    assert code == 2 and out == ""
    assert "没有找到讲话“没有这篇”" in err and "市长办公会议讲话" in err


def test_eval_prints_summary(capsys):
    sets = PROJECT.parent / "shared" / "eval" / "seed_dev.yaml"
    if not sets.is_file():
        pytest.skip("shared/eval/seed_dev.yaml not present")
    code, out, _ = run(capsys, "eval", str(sets), "--corpus", str(SEED))
    assert code == 0 and out.startswith("seed_dev: ")


def test_eval_squad_reports_speechbot_and_plain_bm25(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SPEECHBOT_CACHE", str(tmp_path / "cache"))
    articles = [
        {"id": str(i), "title": title, "paragraphs": [{"context": text, "qas": qas}]}
        for i, (title, text, qas) in enumerate(
            [
                (
                    "熊猫",
                    "大熊猫主要以竹子为食。",
                    [{"question": "大熊猫主要吃什么？", "answers": [{"text": "竹子"}]}],
                ),
                ("长江", "长江是亚洲最长的河流。", []),
                ("咖啡", "咖啡是用咖啡豆制作的饮料。", []),
            ]
        )
    ]
    path = tmp_path / "set.json"
    path.write_text(json.dumps({"data": articles}, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "eval", "--squad", str(path))
    first, plain = out.splitlines()
    assert code == 0
    assert first.startswith(
        "set [speechbot]: 1 questions, right article @1 100.0%, answer in top quote 100.0%"
    )
    assert plain.startswith("set [plain rank-bm25]: 1 questions, right article @1 100.0%")


def test_eval_missing_set(capsys):
    code, _, err = run(capsys, "eval", "/nonexistent/set.yaml", "--corpus", str(SEED))
    assert code == 2 and "找不到评测集" in err


def test_chat_with_piped_stdin():
    script = "表率\n更多\n/speeches\n/outline 1\n/help\n"  # ends without /quit: EOF exits
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--corpus", str(SEED)],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("问> ") == 6
    assert "1. 《在市长办公会议上的讲话》第三部分" in out and "\n4. 《在市长办公会议上的讲话》" in out
    assert "1. 《在市长办公会议上的讲话》\n" in out  # /speeches
    assert "六、坚定信念，始终廉洁从政" in out and "/quit" in out  # outline, help


def test_run_without_token_falls_back_to_chat(monkeypatch):
    env = {"PATH": "", "SPEECHBOT_CORPUS": str(SEED)} | {
        name: os.environ[name] for name in ("SPEECHBOT_CACHE", "SPEECHBOT_INDEX_KEY_FILE")
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("未设置 TELEGRAM_BOT_TOKEN，启动终端对话")


def test_commitments_filtered_by_kind_with_new_json_fields(capsys):
    code, out, _ = run(capsys, "commitments", "市长", "--json", "--kind", "directive", "--corpus", str(SEED))
    assert code == 0
    items = json.loads(out)["commitments"]
    assert items and all(item["kind"] == "directive" for item in items)
    assert {"how_often", "how_much", "when", "who", "what", "obligation", "horizon", "programmes"} <= set(
        items[0]
    )
    code, out, _ = run(
        capsys, "commitments", "市长", "--kind", "期限", "--horizon", "今年", "--corpus", str(SEED)
    )
    assert code == 0 and "[期限·今年]" in out and "承诺与要求：1 条" in out


def test_commitments_unknown_filter_word(capsys):
    code, _, err = run(capsys, "commitments", "--kind", "明天", "--corpus", str(SEED))
    assert code == 2 and "明天" in err


def test_a_cache_folder_inside_the_corpus_is_refused_with_the_reason(capsys, monkeypatch, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED, corpus)
    monkeypatch.setenv("SPEECHBOT_CACHE", str(corpus / "cache"))
    assert main(["ask", "--corpus", str(corpus), "表率"]) == 2
    err = capsys.readouterr().err
    assert "overlaps the corpus folder" in err and str(corpus / "cache") in err
    assert not (corpus / "cache").exists()
