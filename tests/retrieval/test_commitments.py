"""Commitments: the rules in data/commitments.yaml on the sample speech and the reports — kinds,
fields, horizons, forecasts and results kept apart — their precision and recall on the
hand-labelled sets, and the ranking of commitment, goal and result questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from retrieval.commitments.elements import programmes, quantities
from retrieval.commitments.finding import (
    document_statements,
    is_commitment_question,
    question_stance,
)
from retrieval.corpus.loading import load_corpus
from retrieval.evaluate.commitments import score_kinds, score_labels
from retrieval.render.commitments import commitments_text, listed_commitments, parse_filter
from retrieval.search import engine as engine_module
from retrieval.search import features as features_module
from retrieval.search.engine import SearchEngine
from retrieval.search.features import Query
from retrieval.text.normalize import fold
from tests.support.paths import PROJECT

LABELS = PROJECT / "eval" / "labels" / "commitments.yaml"
KIND_LABELS = PROJECT / "eval" / "labels" / "commitment_kinds.yaml"

# (words of the commitment, its part 一、…六、) — the five the product's brief names
BRIEF_COMMITMENTS = [
    ("每周一下午重大项目周例会和周三市政府常务会", 2),
    ("每年都要与分管部门“一把手”签订《廉政责任书》", 6),
    ("至少每半年与部门班子谈一次话", 6),
    ("每个班子成员每年参加集中学习不少于X次", 6),
    ("年底我们要检查", 6),
]


@pytest.fixture(scope="module")
def engine(seed_dir: Path) -> SearchEngine:
    return SearchEngine.from_folder(seed_dir, use_cache=False)


def copied_corpus(folder: Path, doc_ids: set[str]) -> list:
    """The documents named, copied from corpus/ to a small corpus."""
    for doc_id in doc_ids:
        source = next((PROJECT / "corpus").glob(doc_id + ".*"))
        target = folder / source.relative_to(PROJECT / "corpus")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return load_corpus(folder).documents


@pytest.fixture(scope="module")
def labelled_corpus(tmp_path_factory) -> list:
    """The documents both labelled files draw from."""
    doc_ids = {
        row["doc"]
        for path in (LABELS, KIND_LABELS)
        for rows in yaml.safe_load(path.read_text("utf-8")).values()
        for row in rows
    }
    return copied_corpus(tmp_path_factory.mktemp("labelled"), doc_ids)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, list]:
    """Statements of reports the tests quote (none of them labelled by kind)."""
    names = [
        "2024_国务院_政府工作报告",
        "2025_国务院_政府工作报告",
        "2026_浙江省_政府工作报告",
        "2026_安徽省_政府工作报告",
    ]
    documents = copied_corpus(tmp_path_factory.mktemp("reports"), {f"gov-reports/{n}" for n in names})
    return {d.doc_id.rsplit("/", 1)[-1][:7]: document_statements(d) for d in documents}


def holding(statements: list, words: str):
    found = [s for s in statements if words in s.text]
    assert len(found) == 1, words
    return found[0]


# --------------------------------------------------------------------------- the speech


def test_the_five_commitments_of_the_brief_each_in_its_part(engine):
    document = engine.documents[0]
    listed = listed_commitments(engine, document)
    for words, part in BRIEF_COMMITMENTS:
        found = [item for item in listed if words in item.commitment.text]
        assert len(found) == 1, words
        item = found[0]
        assert item.hit.part == "section" and item.hit.section_number == part, words
        assert document.text[item.commitment.start : item.commitment.end] == item.commitment.text
        assert item.hit.reference.startswith("《在市长办公会议上的讲话》第")


def test_fields_what_who_when_how_often_how_much(engine):
    by_words = {c.what: c for c in engine.commitments.by_document[0]}
    meeting = by_words["每周一下午重大项目周例会和周三市政府常务会"]
    assert meeting.how_often == ("每周一下午", "周三") and meeting.obligation == "我提出"
    assert meeting.kind == "directive" and meeting.horizon == ""  # nothing says which year
    study = by_words["每个班子成员每年参加集中学习不少于X次"]
    assert (
        study.how_often == ("每年",) and study.how_much == ("不少于X次",) and study.who == ("每个班子成员",)
    )
    plan = by_words["还要制定出详细的自学计划"]  # 年底我们要检查: what is checked, not the check
    assert plan.when == ("年底",) and plan.kind == "deadline" and plan.horizon == "this_year"
    talk = by_words["至少每半年与部门班子谈一次话"]
    assert talk.how_often == ("每半年",) and talk.how_much == ()  # 一次 with 每半年 is no amount
    owners = next(c for c in engine.commitments.by_document[0] if "分管副市长" in c.text)
    assert owners.who == ("分管副市长", "副秘书长")
    document = engine.documents[0]
    for commitment in engine.commitments.by_document[0]:
        assert document.text[commitment.what_start :].startswith(commitment.what)


def test_directives_without_an_obligation_word_and_named_systems(engine):
    """A directive's checkable action binds by itself; 按时 is on time, not how often; 争取…满意
    is a hope, not the obligation; a quoted system carried out is a programme."""
    timetable = next(c for c in engine.commitments.by_document[0] if "列出时间表" in c.text)
    assert timetable.kind == "directive" and timetable.what == "重点项目、重点工程列出时间表"
    report = next(c for c in engine.commitments.by_document[0] if "按时依法向人大" in c.text)
    assert report.how_often == () and report.obligation != "争取" and "报告分管工作" in report.what
    rule = next(c for c in engine.commitments.by_document[0] if "三重一大" in c.text)
    assert rule.kind == "programme" and rule.what == "严格执行“三重一大”制度"


def test_exhortations_questions_and_quoted_names_are_not_commitments(engine):
    texts = [c.text for c in engine.commitments.by_document[0]]
    assert not any("副市长要向我看齐" in t for t in texts)  # owner, but no checkable duty
    assert not any("明年准备达到什么目标" in t for t in texts)  # a question
    assert not any(t.startswith("首先，要把握四个重点") for t in texts)
    assert not any("常翻《中国共产党廉洁自律准则》" in t for t in texts)  # studying a law is no programme


# --------------------------------------------------------------------------- the reports


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("迭代升级我省“民营经济32条”", []),  # a document named by its article count
        ("加快民营经济32条落地", []),
        ("开展第四次全国文物普查", []),  # an ordinal
        ("全面实施低空经济高质量发展3年行动", []),  # a programme's span
        ("开展好第二轮土地承包到期后再延长30年整县试点", []),
        ("承办好中国民营企业500强发布活动", []),
        ("全年开行3000列以上", ["3000列以上"]),  # never 以上 alone
        ("地区生产总值增长5.5%—6%，城镇新增就业47万人以上", ["5.5%—6%", "47万人以上"]),
        ("确保地下水开采量控制在114亿立方米以内", ["114亿立方米以内"]),
        ("宁波舟山港集装箱吞吐量达到4500万标箱", ["4500万标箱"]),
        ("产业规模分别达1.28万亿、8200亿元", ["1.28万亿", "8200亿元"]),
        ("落实不少于一年监测期要求", ["不少于一年"]),
        ("推进卡阳、松如沟等14个750千伏电网工程", ["14个"]),  # a voltage class names a line
        ("新增劳动力平均受教育年限达到14.2年", ["14.2年"]),
        ("办好46项民生实事", ["46项"]),
        ("新建750千伏和330千伏电网工程", []),
        ("认真落实国务院关于鼓励引导民间投资新36条", []),  # a document named by its count
        ("推动优化工商业电价机制12条举措落地见效", []),
        ("打通50条断头路", ["50条"]),
        ("积极推进240小时过境免签政策落地", []),  # a policy named by its figure
        ("延续执行企业研发费用加计扣除75%政策", []),
        ("免费开展0—6岁儿童孤独症筛查、60岁以上老年人流感疫苗接种", []),  # ages naming who
        ("推动满3岁即入园", []),
        ("开工建设南网720兆瓦储能电站等项目", []),  # a capacity inside a project's name
        ("释放吉化120万吨乙烯转型升级项目新装置产能", []),
        ("布局建设700万千瓦新型储能项目", ["700万千瓦"]),  # the capacity built
        ("加快德令哈3座35万千瓦光热电站建设", ["3座", "35万千瓦"]),
        ("推动30万千瓦级煤电机组“上大压小”", []),  # a class
        ("抓好新建煤矿投产，新增千万吨产能", ["千万吨"]),  # magnitudes in words, 方, 头
        ("天然气产能达到22亿方", ["22亿方"]),
        ("肉牛屠宰加工量突破100万头", ["100万头"]),
        ("实施项目3500多个，开展活动5000场次", ["3500多个", "5000场次"]),  # one unit, not two
        ("建设200个家门口养老服务站", ["200个"]),
        ("生产一千八百万吨钢", []),  # no part of a longer number in words
    ],
)
def test_quantities_are_numbers_with_units_never_a_name(text, expected):
    assert [words for _, words in quantities(fold(text), text)] == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("扎实开展“碳达峰十大行动”", True),
        ("开展“人工智能+”行动", True),
        ("启动第二轮土地承包到期后再延长30年整省试点", True),
        ("落实增值税法", True),
        ("落实职工带薪错峰休假制度", True),
        ("深入实施城市更新行动", True),
        ("持续实施民生工程", False),  # generic words only
        ("实施自由贸易试验区提升战略", False),  # a strategy
        ("坚持和落实“两个毫不动摇”", False),  # a principle
        ("有序推进城市更新、农村基础设施和公共服务项目建设", False),  # a category of projects
        ("推进国贸中心等重大项目建设", True),  # projects named by example
        ("探索编制全口径政府投资计划", False),  # only explored
        ("编制了《青海省国民经济和社会发展第十五个五年规划纲要（草案）》", False),  # a title, a deed done
        ("加快国家数字经济创新发展试验区建设", False),  # a zone built, no programme
        ("深化非法金融活动全链条治理", False),  # what is fought
        ("广泛开展全民健身活动", False),  # a kind of activity, named by who takes part
        ("扎实开展党史学习教育", True),  # a study campaign
        ("支持襄阳争创国家农业高新技术产业示范区", True),  # a national designation sought
        ("注重扬长避短，争建国家脑机接口技术创新中心", True),  # a national centre sought
        ("推进昆仑山、罗布人村寨等创建国家5A级旅游景区", True),
        ("创建具有全国影响力的区域科技创新中心", False),  # an ambition
        ("落实离境退税政策", True),  # a policy named by its instrument
        ("落实育儿补贴等支持政策", True),
        ("落实落细就业优先政策", False),  # a policy named by its aim
        ("全面实行股票发行注册制", True),  # a system put in force
        ("完善市场主体退出机制，实行中小微企业简易注销制度", True),
        ("严格落实军委主席负责制", False),  # a duty
        ("全面投运共和机场", True),  # a facility put into service
        ("力争鄱阳湖水利枢纽工程等重大项目开工", True),  # a named project's milestone
        ("推动一批重大工程开工", False),  # a category
        ("加快“沙戈荒”新能源基地建设", True),  # a named site pushed forward
        ("加强综治中心建设", False),
        ("推行碳普惠试点", True),
        # the first name a verb reaches is too short: the longer one after it is tried
        ("加快宝中铁路、包兰铁路、河东机场改造等重点项目建设", True),
        ("扎实推进停工项目与闲置资产处置化解行动", True),
        ("加快病险水库除险加固、蓄滞洪区等防洪工程建设", False),  # starts no list
        ("抓紧启动一批重大科技专项和重点项目", False),  # adds a generic name only
        ("推动组建铁路发展公司统一运营管理省内控股地方铁路", False),
        # aims and slogans named by a quality (一流, 平安, 廉洁), kinds of show
        ("加快建设一批世界一流大学", False),
        ("持续开展平安校园、平安医院建设", False),
        ("以更高标准建设天津廉洁工程", False),
        ("积极举办商业演艺活动", False),
        ("举办更多大型演出活动和市民系列文化活动", False),
        ("实施打造一流营商环境三年行动", True),  # an action, not the aim it names
        # facilities built or opened, and their milestones
        ("建成开放中国长城博物馆", True),
        ("推进武王墩等遗址博物馆建设", True),
        ("首儿所通州院区基本完工", True),
        ("市疾控中心新址建成投用", True),
        ("建设西藏职业技术学院新校区", True),
        ("建设全国高校区域技术转移转化中心", False),
        # a package of measures named by its count
        ("落实财政支持文化旅游产业高质量发展十二条措施", True),
        ("全面落实省级开发区管理制度改革30条政策措施", True),
    ],
)
def test_named_programmes_and_what_is_not_one(text, named):
    assert bool(programmes(fold(text), text)) == named


def test_report_kinds_fields_and_horizons(reports):
    deficit = holding(reports["2024_国务"], "赤字率拟按3%安排")
    assert deficit.kind == "target" and deficit.what == "赤字率拟按3%安排" and deficit.how_much[0] == "3%"
    assert deficit.horizon == "this_year"
    graduates = holding(reports["2024_国务"], "预计今年高校毕业生超过1170万人")
    assert graduates.kind == "forecast" and not graduates.is_commitment
    assert holding(reports["2024_国务"], "城镇新增就业1200万人以上").kind == "target"
    growth = [s for s in reports["2024_国务"] if "增长5.2%" in s.text]
    assert growth and all(s.kind == "result" for s in growth)  # last year's result, not a pledge
    assert not [
        s for s in reports["2024_国务"] if "经济增长预期目标为5%左右，考虑了" in s.text
    ]  # its reasons
    pilot = holding(reports["2025_国务"], "第二轮土地承包到期后再延长30年试点")
    assert pilot.kind == "programme" and pilot.how_much == () and "延长30年试点" in pilot.programmes[0]
    assert holding(reports["2025_国务"], "实施提振消费专项行动。").programmes == ("实施提振消费专项行动",)
    trains = holding(reports["2026_浙江"], "全年开行3000列以上")
    assert trains.how_much == ("3000列以上",) and trains.what == "全年开行3000列以上"
    private = holding(reports["2026_浙江"], "民营经济32条")
    assert private.how_much == () and private.kind == "programme"
    port = holding(reports["2026_浙江"], "4500万标箱")
    assert port.kind == "target" and port.horizon == "this_year"
    assert holding(reports["2026_浙江"], "4387万标箱").kind == "result"
    goals = [s for s in reports["2026_浙江"] if "到2030年" in s.text and s.is_commitment]
    assert goals and all(s.horizon == "plan_period" for s in goals)  # not this year's list
    assert all(s.what.strip("，, ") not in ("到2030年", "今年") for s in goals)  # a what is never a date


def test_filters_by_kind_and_horizon(tmp_path):
    documents = copied_corpus(tmp_path, {"gov-reports/2026_浙江省_政府工作报告"})
    engine = SearchEngine(load_corpus(tmp_path))
    document = documents[0]
    everything = listed_commitments(engine, document)
    this_year = listed_commitments(engine, document, {"target"}, {"this_year"})
    assert 0 < len(this_year) < len(everything)
    assert all(i.commitment.kind == "target" and i.commitment.horizon == "this_year" for i in this_year)
    assert not any("到2030年" in i.commitment.text for i in this_year)
    results = listed_commitments(engine, document, {"result"})
    assert results and all(not i.commitment.is_commitment for i in results)
    assert parse_filter(["目标,今年"]) == ({"target"}, {"this_year"})
    with pytest.raises(ValueError):
        parse_filter(["明天"])
    text = commitments_text(engine, document, this_year)
    assert "[目标·今年]" in text and "内容：" in text


# --------------------------------------------------------------------------- measured on labels


def test_recall_on_the_first_hand_labelled_sample(labelled_corpus):
    """That sample counted no named programme as checkable (实施…重大工程 was no commitment then):
    its recall still holds; its precision no longer measures the rules (docs/commitments.md)."""
    scores = {score.name: score for score in score_labels(labelled_corpus, LABELS)}
    assert scores["all"].true_positive + scores["all"].false_negative >= 20
    assert scores["all"].recall >= 0.9 and scores["seed"].recall == 1.0
    assert scores["seed"].precision >= 0.9


# Field figures of a held-out first run that fell below the bar, with no rule changed after it:
# each is held at its measured value (docs/commitments.md) until the rules reach the bar on it,
# so the figure can only go up.
FIELD_BELOW_BAR: dict[tuple[str, str], int] = {}
# The same for a document's (precision, recall) below 0.9 or 0.8.
DOCUMENT_BELOW_BAR: dict[str, tuple[float, float]] = {}


def test_precision_recall_and_fields_by_kind_on_the_labels(labelled_corpus):
    """Every labelled document ≥ 0.8 recall and ≥ 0.9 precision (figures of each run in
    docs/commitments.md); every field ≥ 90% right where labelled; those of DOCUMENT_BELOW_BAR
    and FIELD_BELOW_BAR at their first-run figures."""
    lines = score_kinds(labelled_corpus, KIND_LABELS)
    documents = [line for line in lines if line.startswith("  ") and "_" in line.split(":")[0]]
    assert len(documents) >= 7
    for line in documents:
        precision = float(line.split("precision ")[1].split(" ")[0])
        recall = float(line.split("recall ")[1].split(" ")[0])
        least_precision, least_recall = DOCUMENT_BELOW_BAR.get(line.split(":")[0].strip(), (0.9, 0.8))
        assert recall >= least_recall and precision >= least_precision, line
    stratum = ""
    for line in lines:
        if line.startswith("== "):
            stratum = line[3:]
        elif line.startswith("  field "):
            name = line.split()[1].rstrip(":")
            share = int(line.split(": ")[1].split("%")[0])
            assert share >= FIELD_BELOW_BAR.get((stratum, name), 90), (stratum, line)


def test_labels_still_match_the_corpus_text(labelled_corpus):
    by_id = {d.doc_id: d for d in labelled_corpus}
    for rows in yaml.safe_load(KIND_LABELS.read_text("utf-8")).values():
        for row in rows:
            assert by_id[row["doc"]].text[row["start"] : row["start"] + len(row["text"])] == row["text"]
            assert row["kind"] in ("none", "directive", "target", "deadline", "programme")


# --------------------------------------------------------------------------- questions


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
    ("question", "stance"),
    [
        ("宁波舟山港今年集装箱吞吐量目标", 3),  # a goal of this year
        ("城镇新增就业目标是多少", 1),  # a goal of no named period
        ("安徽今年城镇新增就业计划", 3),
        ("宁波舟山港去年集装箱吞吐量完成多少", -3),  # a result of last year
        ("粮食产量增长了多少", -1),  # a result of no named period
        ("江苏省地区生产总值达到多少万亿元", -1),
        ("过去五年城镇新增就业累计多少", -2),  # a result of the five-year plan
        ("“十五五”时期粮食产量目标", 2),  # a goal of the new five-year plan
        ("今年要完成哪些任务", 3),  # a coming time decides before an achievement verb
        ("目标导向要求我们做什么", 0),  # 目标 modifies 导向: no goal asked for
        ("如何带好队伍", 0),
    ],
)
def test_question_stance(question, stance):
    assert question_stance(question) == stance


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
    plain = engine._ranked_hits(Query("常务会", ["常务会"], [], [], set(), set(), False, {}), 3)[0]
    flagged = engine._ranked_hits(Query("常务会", ["常务会"], [], [], set(), set(), True, {}), 3)[0]
    starts = {c.start for c in engine.commitments.by_document[0]}
    assert any(hit.quote.startswith("这里，我提出两项会议制度") for hit in flagged)  # the commitment itself
    assert all(hit.start in starts for hit in flagged)
    assert flagged[0].score > plain[0].score and flagged[0].start == plain[0].start
    assert engine.ask("常务会", top=3).hits == plain


def test_results_know_their_period(reports):
    """A review part tells of last year, then of the five years (这五年…): each result keeps the
    period its part last named."""
    assert holding(reports["2026_安徽"], "粮食产量838.6亿斤").horizon == ""  # last year
    five_years = holding(reports["2026_安徽"], "粮食产量稳定在800亿斤以上")
    assert five_years.kind == "result" and five_years.horizon == "plan_period"


def test_a_question_naming_a_year_takes_that_years_result(tmp_path):
    copied_corpus(tmp_path, {"gov-reports/2026_安徽省_政府工作报告"})
    engine = SearchEngine(load_corpus(tmp_path))
    assert "838.6亿斤" in engine.ask("安徽去年粮食产量达到多少", top=1).hits[0].quote


def test_a_named_reports_passages_without_its_name_are_candidates(tmp_path, monkeypatch):
    """山东去年城镇新增就业: the passage with the figure does not say 山东; passages saying it
    must not crowd it out of the named report's candidates (few of them here, as among the
    whole corpus's)."""
    monkeypatch.setattr(features_module, "EXTRA_PER_DOCUMENT", 6)
    seen: list = []

    def spy(engine, query, limit):
        ids, bm25 = features_module.candidate_ids(engine, query, 1)
        seen.extend(
            engine.documents[p.doc].text[p.start : p.end] for p in map(engine.passages.__getitem__, ids)
        )
        return ids, bm25

    monkeypatch.setattr(engine_module, "candidate_ids", spy)
    names = ["山东省", "江苏省", "浙江省", "安徽省", "福建省", "广东省"]
    copied_corpus(tmp_path, {f"gov-reports/2026_{name}_政府工作报告" for name in names})
    SearchEngine(load_corpus(tmp_path)).ask("山东去年城镇新增就业完成了多少", top=1)
    assert seen and any("124.9万人" in text for text in seen), seen


def test_target_and_result_questions_rank_their_kind_first(tmp_path):
    copied_corpus(tmp_path, {"gov-reports/2026_浙江省_政府工作报告"})
    engine = SearchEngine(load_corpus(tmp_path))
    target = engine.ask("宁波舟山港今年集装箱吞吐量目标", top=2).hits
    result = engine.ask("宁波舟山港去年集装箱吞吐量完成多少", top=2).hits
    assert "4500万标箱" in target[0].quote and "4387万标箱" in target[1].quote
    assert "4387万标箱" in result[0].quote


def test_programme_abbreviations_find_the_full_name(tmp_path):
    copied_corpus(tmp_path, {"gov-reports/2026_浙江省_政府工作报告"})
    engine = SearchEngine(load_corpus(tmp_path))
    answer = engine.ask("保租房", top=1)
    assert answer.found and "保障性租赁住房" in answer.hits[0].quote


def test_terminal_listing_grouped_by_part_with_kinds(engine):
    text = commitments_text(engine, engine.documents[0])
    assert text.index("第二部分「立即行动，行动改变XX」") < text.index("第六部分「坚定信念，始终廉洁从政」")
    assert "频次：每周一下午、周三" in text and "[要求]" in text and "[期限·今年]" in text


def test_only_paragraphs_holding_a_statement_weigh(engine):
    index, passages = engine.commitments, engine.passages
    ids = np.arange(len(passages))
    holding = index.holding(passages.paragraph_keys(ids))
    assert holding.any() and not holding.all()
    for passage_id, held in zip(ids.tolist(), holding.tolist(), strict=True):
        passage = passages[passage_id]
        assert held == ((passage.doc, passage.paragraph) in index.spans)
        if not held:
            assert index.weight(passage, 1) == index.weight(passage, -1) == index.weight(passage) == 0.0
