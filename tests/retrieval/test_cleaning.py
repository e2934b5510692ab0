"""Cleaning: promotional headers are dropped and reported; speech lines are kept."""

from __future__ import annotations

from pathlib import Path

from retrieval.corpus.cleaning import clean_lines


def test_seed_promo_header_dropped_with_line_numbers_and_reasons(seed_file: Path) -> None:
    raw = seed_file.read_text(encoding="utf-8")
    kept, dropped = clean_lines(raw)
    raw_lines = raw.splitlines()
    promo = [
        "仅供学习 禁止外传",
        "酷乐文行",
        "自建平台、实时分享",
        "现在订阅立享前3年的所有权益和资料",
        "【打击倒卖活动】",
    ]
    dropped_texts = [d.text for d in dropped]
    for line in promo:
        assert line in dropped_texts
    assert any("会员群" in t and "QQ群" in t for t in dropped_texts)
    for line in dropped:
        assert line.reason
        assert raw_lines[line.line_number - 1].strip() == line.text
    assert dropped[0].line_number == 1
    assert kept[0][1] == "在市长办公会议上的讲话"
    assert kept[1][1] == "同志们："
    assert not any(word in text for _, text in kept for word in ("禁止外传", "QQ群", "会员群", "订阅"))


CLEAN_SPEECH = """在全市安全生产工作会议上的讲话
——2024年3月1日
同志们：
今天召开会议，主要任务是部署今年的安全生产工作。
一、提高认识，压实责任。安全生产是发展的底线，必须时刻绷紧这根弦。
二、突出重点，狠抓落实。要盯住重点行业、重点领域、重点时段。
同志们，安全生产责任重于泰山，让我们共同努力！
"""


def test_clean_speech_keeps_every_line() -> None:
    kept, dropped = clean_lines(CLEAN_SPEECH)
    assert dropped == []
    assert [text for _, text in kept] == CLEAN_SPEECH.strip().splitlines()
    assert [number for number, _ in kept] == list(range(1, 8))


def test_promo_header_with_other_wording_is_dropped() -> None:
    raw = "扫码关注公众号 获取更多范文\n加入VIP会员群，每日更新\n\n" + CLEAN_SPEECH
    kept, dropped = clean_lines(raw)
    assert [(d.line_number, d.text) for d in dropped] == [
        (1, "扫码关注公众号 获取更多范文"),
        (2, "加入VIP会员群，每日更新"),
    ]
    assert all(d.reason for d in dropped)
    assert [text for _, text in kept] == CLEAN_SPEECH.strip().splitlines()
