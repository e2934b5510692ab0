"""What one sentence holds, read by the rules of data/commitments.yaml: quantities (a number
with its unit, never the number of a name), named programmes, a forecast or a past result,
the horizon it is meant for, and the action phrase (`what`).

Every function takes the sentence twice — folded (for matching) and original (for the words
shown) — and returns (offset in the sentence, original words) pairs, distinct, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from retrieval.data_files import data_text

CLAUSE_END_RE = re.compile(r"[，,；;。！!？?：:]")
QUOTED_RE = re.compile(r"“[^“”]{0,30}”|《[^《》]{0,40}》")
TITLE_RE = re.compile(r"《[^《》]{0,80}》")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
LIST_MARK_RE = re.compile(r"[、和与及]")
THIS_YEAR, PLAN_PERIOD, LATER = "this_year", "plan_period", "later"
HORIZONS = (THIS_YEAR, PLAN_PERIOD, LATER)
NAMED = ("law", "system", "designation", "policy", "facility", "measures")  # programme rules without a suffix
PLAN_YEARS = 5  # a five-year plan ends in a year divisible by 5 (2025, 2030)
CHINESE_DIGITS = {
    "〇": "0",
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}


def _words(text: str) -> list[str]:
    """A YAML alternation written over several lines (a|b|\\n c) as its alternatives."""
    return [w.strip() for w in re.split(r"\|(?![^()]*\))", text) if w.strip()]


def _longest_first(text: str) -> str:
    """Alternatives sorted longest first, so 平方公里 is tried before 公里 and 人次 before 人."""
    return "|".join(sorted(_words(text), key=len, reverse=True))


@dataclass(frozen=True)
class ElementRules:
    quantity: re.Pattern[str]
    name_number: re.Pattern[str]
    programme: re.Pattern[str]
    name_end: re.Pattern[str]  # where a longer programme name may end
    programme_name: re.Pattern[str]  # a name within a verb's reach
    quoted_programme: re.Pattern[str]
    named: tuple[re.Pattern[str], ...]  # laws, systems, designations, policies, facilities, measures
    milestones: tuple[re.Pattern[str], ...]  # a name with its milestone, or a site being built
    milestone_lead: re.Pattern[str]
    generic: frozenset[str]
    generic_words: re.Pattern[str]
    not_in_name: re.Pattern[str]
    shortest: int
    category: re.Pattern[str]
    category_verbs: re.Pattern[str]
    check: re.Pattern[str]
    directive_action: re.Pattern[str]
    forecast: re.Pattern[str]
    explains: re.Pattern[str]
    result: re.Pattern[str]
    this_year: re.Pattern[str]
    plan_period: re.Pattern[str]
    year: re.Pattern[str]
    result_period: tuple[tuple[str, re.Pattern[str]], ...]
    stance_question: tuple[tuple[int, re.Pattern[str]], ...]


@lru_cache(maxsize=1)
def element_rules() -> ElementRules:
    data: dict[str, Any] = yaml.safe_load(data_text("commitments.yaml"))
    q = data["quantity"]
    number, unit = q["number"], _longest_first(q["unit"])
    quantity = (
        f"(?:(?:{q['bound']})\\s*)?{number}(?:(?:\\s*(?:{unit}))?{q['range']}{number})?\\s*(?:{unit})"
        f"(?!(?<=人)(?:{q['not_after_person']}))(?:{q['qualifier']})?|{'|'.join(_words(q['words']))}"
    )
    p = data["programme"]
    verbs, suffixes = _longest_first(p["verb"]), "|".join(_words(p["suffix"]))
    horizon = data["horizon"]
    return ElementRules(
        quantity=re.compile(quantity),
        name_number=re.compile("|".join(f"(?:{item})" for item in q["name_number"])),
        programme=re.compile(
            f"(?<!探索)(?:{verbs})(?!了)(?:好|实|落细)?(?P<name>[^，,。；;：:！!？?]{{1,40}}?(?:{suffixes}))(?!{p['not_after']})"
        ),
        name_end=re.compile(f"(?:{suffixes})(?!{p['not_after']})"),
        programme_name=re.compile(f"[^，,。；;：:！!？?]{{1,40}}?(?:{suffixes})"),
        quoted_programme=re.compile(f"(?:{verbs})[^，,。；;：:！!？?]{{0,20}}?(?P<name>{p['quoted']})"),
        named=tuple(re.compile("".join(p[key].split())) for key in NAMED),
        milestones=tuple(re.compile("".join(p[key].split())) for key in ("milestone", "site")),
        milestone_lead=re.compile(p["milestone_lead"]),
        generic=frozenset(_words(p["generic"])),
        generic_words=re.compile(p["generic_words"]),
        not_in_name=re.compile("".join(p["not_in_name"].split())),
        shortest=int(p["shortest"]),
        category=re.compile(f"(?:{p['category']})$"),
        category_verbs=re.compile(f"^(?:{p['category_verbs']})"),
        check=re.compile(data["check"]),
        directive_action=re.compile("|".join(f"(?:{item})" for item in data["directive_action"])),
        forecast=re.compile(data["forecast"]),
        explains=re.compile(data["explains"]),
        result=re.compile(data["result"]),
        this_year=re.compile(horizon["this_year"]),
        plan_period=re.compile(horizon["plan_period"]),
        year=re.compile(horizon["year"]),
        result_period=tuple((period, re.compile(words)) for period, words in data["result_period"].items()),
        stance_question=tuple((int(sign), re.compile(words)) for sign, words in data["stance_question"]),
    )


def blanked(text: str, pattern: re.Pattern[str]) -> str:
    """The text with a pattern's matches replaced by spaces (offsets kept)."""
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _distinct(found: list[tuple[int, str]]) -> list[tuple[int, str]]:
    seen: dict[str, int] = {}
    for at, text in sorted(found):
        seen.setdefault(text.strip(), at)
    return sorted((at, text) for text, at in seen.items() if text)


def quantities(folded: str, original: str) -> list[tuple[int, str]]:
    """Numbers with their units as written (不少于X次, 5.5%—6%, 47万人以上, 3000列以上); numbers
    of names (第四次, 3年行动, 民营经济32条) and numbers inside quotes or titles are none."""
    rules = element_rules()
    masked = blanked(blanked(folded, QUOTED_RE), rules.name_number)
    return _distinct([(m.start(), original[m.start() : m.end()]) for m in rules.quantity.finditer(masked)])


def _is_generic(name: str) -> bool:
    rules = element_rules()
    core = rules.generic_words.sub("", name).strip()
    return (
        core in rules.generic
        or len(core) < rules.shortest
        or "的" in name
        or bool(rules.not_in_name.search(name))
    )


def _is_category(name: str, verb_on: str) -> bool:
    """A …项目 that names a category: no examples (等), no quotes, not launched (实施/启动)."""
    rules = element_rules()
    if not rules.category.search(name) or "等" in name or "“" in name:
        return False
    return not rules.category_verbs.match(verb_on)


def _named_programme(match: re.Match[str], text: str) -> int | None:
    """Where the programme a verb reaches ends: the shortest name after the verb, or, when that
    one is generic or a category and starts a list (加快宝中铁路、包兰铁路…等重点项目建设, 推进
    停工项目与闲置资产处置化解行动), the first longer one whose added names are no generic ones
    (…专项和重点项目 adds none; 病险水库除险加固… starts no list)."""
    rules = element_rules()
    start, first = match.start("name"), match.end()
    for end in (first, *(m.end() for m in rules.name_end.finditer(text, first))):
        name, added = text[start:end], text[first:end]
        if not rules.programme_name.fullmatch(name):
            return None
        if added and not (LIST_MARK_RE.match(added) and not _is_generic(added)):
            continue
        if not (_is_generic(name) or _is_category(name, match.group() + added)):
            return end
    return None


def programmes(folded: str, original: str) -> list[tuple[int, str]]:
    """Named programmes, actions, pilots, projects, events, plans, laws, systems, policies and
    facilities the sentence carries out (实施城市更新行动, 开展“人工智能+”行动, 落实增值税法,
    落实离境退税政策, 投运共和机场), each from its verb on, or a named project with its milestone
    (…水利枢纽工程开工)."""
    rules = element_rules()
    found = []
    untitled = blanked(folded, TITLE_RE)
    for m in rules.programme.finditer(untitled):
        end = _named_programme(m, untitled)
        if end is not None:
            found.append((m.start(), original[m.start() : end]))
    found += [(m.start(), original[m.start() : m.end()]) for m in rules.quoted_programme.finditer(untitled)]
    for m in (m for pattern in rules.milestones for m in pattern.finditer(untitled)):
        if not _is_generic(rules.milestone_lead.sub("", m.group("name"))):
            found.append((m.start(), original[m.start() : m.end()]))
    for pattern in rules.named:
        found += [(m.start(), original[m.start() : m.end()]) for m in pattern.finditer(folded)]
    return _distinct(found)


def directive_actions(folded: str, original: str) -> list[tuple[int, str]]:
    """A directive's checkable actions (列出时间表, 按时…报告)."""
    return _distinct(
        [
            (m.start(), original[m.start() : m.end()])
            for m in element_rules().directive_action.finditer(folded)
        ]
    )


def is_forecast(folded: str) -> bool:
    """预计今年高校毕业生超过1170万人: what the speaker expects, not a pledge."""
    return bool(element_rules().forecast.search(folded))


def explains_target(folded: str) -> bool:
    """经济增长预期目标为5%左右，考虑了…: the reasons for a target already set, not a pledge."""
    return bool(element_rules().explains.search(folded))


def reports_result(folded: str) -> bool:
    """Whether a sentence speaks of what the past period achieved (去年…增长了…)."""
    return bool(element_rules().result.search(folded))


def year_value(text: str) -> int:
    return int("".join(CHINESE_DIGITS.get(c, c) for c in text))


def horizon(folded: str, deadlines: list[str], part_title: str, doc_year: int | None) -> str:
    """this_year, plan_period or later: from a dated deadline in the sentence (compared with the
    document's year and the end of its five-year plan), else the sentence's words, else its
    part's title; empty when none says."""
    rules = element_rules()
    years = [year_value(m.group()) for d in deadlines for m in rules.year.finditer(d)]
    if years and doc_year:
        latest = max(years)
        plan_end = doc_year + (-doc_year % PLAN_YEARS)
        return THIS_YEAR if latest <= doc_year else PLAN_PERIOD if latest <= plan_end else LATER
    if rules.this_year.search(folded):
        return THIS_YEAR
    if rules.this_year.search(part_title) or (doc_year and str(doc_year) in part_title):
        return THIS_YEAR
    return PLAN_PERIOD if rules.plan_period.search(part_title) or rules.plan_period.search(folded) else ""


def action_phrase(original: str, anchor: int, dates: list[tuple[int, str]]) -> tuple[int, str]:
    """The clause holding the anchor (the element that makes the sentence a commitment), as
    (offset, text). A clause that is only a date or a horizon (到2030年, 今年) takes the
    next clause with it: the what is an action, never a date alone."""
    start = max((m.end() for m in CLAUSE_END_RE.finditer(original, 0, anchor + 1)), default=0)
    if start > anchor:
        start = max((m.end() for m in CLAUSE_END_RE.finditer(original, 0, anchor)), default=0)
    end_match = CLAUSE_END_RE.search(original, anchor)
    end = end_match.start() if end_match else len(original)
    clause = original[start:end]
    rest = clause
    for at, date in dates:
        if start <= at < end:
            rest = rest.replace(date, "")
    rest = element_rules().this_year.sub("", rest)
    if len(CJK_RE.findall(rest)) < 3 and end_match and end < len(original) - 1:
        following = CLAUSE_END_RE.search(original, end + 1)
        end = following.start() if following else len(original)
    text = original[start:end]
    lead = len(text) - len(text.lstrip())
    return start + lead, text.strip()


def is_check(clause: str) -> bool:
    """Whether a clause only checks something (年底我们要检查)."""
    return bool(element_rules().check.search(clause))


def result_period(folded: str, current: str) -> str:
    """The period a review sentence's results are of: the horizon the last period word in it
    names (这五年 → plan_period, 一年来 → "" for last year), else the current one of its part."""
    last = max(
        (
            (m.start(), period)
            for period, words in element_rules().result_period
            for m in words.finditer(folded)
        ),
        default=None,
    )
    if last is None:
        return current
    return PLAN_PERIOD if last[1] == PLAN_PERIOD else ""


def question_stance(question_folded: str) -> int:
    """+1 when a question asks for a goal (目标, 计划, 今年), -1 when it asks what was achieved
    (完成, 去年, 增长了多少), 0 otherwise: the first list of the rules that matches decides."""
    return next((sign for sign, words in element_rules().stance_question if words.search(question_folded)), 0)


def is_result_word(folded_word: str) -> bool:
    """Whether a whole word is one of the achievement words of the stance rules (去年, 完成)."""
    return any(sign < 0 and words.fullmatch(folded_word) for sign, words in element_rules().stance_question)
