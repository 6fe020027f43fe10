"""The forms and traps real reports bring, each in a fixture written for it: other work counted
in the same reports, negations, sub-bodies, PDF and Word conversions, mirror pages, saved CMS
pages. Every fixture is our own text, shaped like what was seen on government websites."""

from __future__ import annotations

import pytest

from pipeline.clean import DATE_LINE_RE, clean, parse_header_line
from pipeline.extract.figures import extract_figures
from pipeline.htmlsource import extract as html_extract
from pipeline.records import Source
from pipeline.repair import repair, strip_glosses, unwrap
from pipeline.report import process


def figures(text: str, issuer: str | None = None) -> dict[tuple[str, str | None], object]:
    return {(s.indicator, s.scope): s for s in extract_figures(text, (), issuer)}


def whole(text: str, issuer: str | None = None) -> dict[str, float]:
    return {k: s.value for (k, scope), s in figures(text, issuer).items() if scope is None}


def run(text: str, name: str = "report.txt"):
    return process(Source(name, text.encode("utf-8")), "r")


# --------------------------------------------------------------------- other work is not disclosure

DISCLOSURE = "三、依申请公开情况\n全年共收到政府信息公开申请12件，已全部办结。\n"


@pytest.mark.parametrize(
    "other",
    [
        "区政务服务中心进驻审批服务部门和单位15个，设窗口30个，共受理申请128,506件。",
        "开通网上审批系统，累计收件8,870件，累计办结8,611件。",
        "便民服务热线全年共收到咨询投诉件16,002件，已办结15,870件。",
        "今年受理审批事项120件，办结118件。",
        "12345热线转办工单3,200件，按时办结3,150件。",
        "全年受理群众信访事项45件，办结43件。",
        "办理人大代表建议20件、政协提案35件，办复率100%。",
    ],
)
def test_counts_of_other_work_are_not_applications(other: str):
    text = "一、概述\n" + other + "\n" + DISCLOSURE
    got = whole(text)
    assert got["applications_received"] == 12
    assert got["applications_answered"] == 12  # 已全部办结: all twelve
    # Placed in the applications section itself, the other work still gives nothing.
    got = whole("三、依申请公开情况\n" + other + "\n")
    assert "applications_received" not in got and "applications_answered" not in got


@pytest.mark.parametrize(
    "posting",
    [
        "外文门户网站全年共发布各类信息12,000条。",
        "政府网站全年累计发布信息2,100条，其中政务信息发布400条。",
        "政务微博发布信息3,600条，政务微信推送信息880条。",
    ],
)
def test_postings_of_one_channel_are_not_proactive_disclosure(posting: str):
    text = "二、主动公开情况\n" + posting + "\n全年主动公开政府信息1,520条。\n"
    assert whole(text)["proactive_items"] == 1520
    assert "proactive_items" not in whole("二、主动公开情况\n" + posting + "\n")


def test_channel_parts_without_a_total_are_not_the_body_figure():
    text = "二、主动公开情况\n全年我镇在市政府门户网站主动公开信息60条，在镇门户网站主动公开信息5条。\n"
    assert "proactive_items" not in whole(text)
    one = "二、主动公开情况\n全年我镇在县政府门户网站主动公开政府信息46条。\n"
    assert whole(one)["proactive_items"] == 46


def test_breakdowns_and_cumulative_figures():
    text = (
        "二、主动公开情况\n截至目前，全乡累计主动公开政府信息65条。其中，网上公开信息20条，"
        "公开栏公开45条。\n"
    )
    assert whole(text)["proactive_items"] == 65  # the only figure, though counted to date
    text += "本年度主动公开政府信息30条。\n"
    assert whole(text)["proactive_items"] == 30  # the year's figure beats the running total


# --------------------------------------------------------------------------------- negation


def test_an_outcome_that_did_not_happen_says_nothing_about_the_cases():
    text = "四、行政复议和行政诉讼情况\n全年未发生因依申请公开被行政复议纠错或行政诉讼败诉情形。\n"
    got = whole(text)
    assert "reconsideration_cases" not in got and "litigation_cases" not in got
    text += "本年度有 2 件涉及政府信息公开工作的行政复议，均维持原行政行为。\n"
    assert whole(text)["reconsideration_cases"] == 2


def test_negated_verbs_are_not_the_indicator():
    text = "三、依申请公开情况\n全年受理政府信息公开申请9件，同意公开4件，不同意公开2件，不予以公开3件。\n"
    got = whole(text)
    assert got["applications_received"] == 9
    assert got["applications_granted"] == 4
    assert got["applications_refused"] == 2  # the first refusal stated
    text = "三、依申请公开情况\n不予受理申请2件。\n"
    assert "applications_received" not in whole(text)


def test_not_even_one_is_zero():
    text = "四、复议诉讼情况\n全年未发生一起因政府信息公开申请行政复议、提起行政诉讼的事项。\n"
    got = whole(text)
    assert got["reconsideration_cases"] == 0 and got["litigation_cases"] == 0


def test_a_stated_zero_in_its_section_beats_a_number_about_other_work():
    text = (
        "一、概述\n我局全年办理行政复议案件125件，行政诉讼应诉案件40件。\n"
        "四、因政府信息公开申请行政复议、提起行政诉讼的情况\n"
        "本年度未发生因政府信息公开引起的行政复议和行政诉讼。\n"
    )
    got = whole(text)
    assert got["reconsideration_cases"] == 0 and got["litigation_cases"] == 0


def test_statements_of_none_in_many_wordings():
    cases = {
        "三、依申请公开情况\n本年度我镇没有收到公民、法人和其他组织提出的政府信息公开申请。\n": {
            "applications_received": 0
        },
        "三、依申请公开情况\n全镇政府信息公开依申请办理事项为零。\n": {"applications_received": 0},
        "三、依申请公开情况\n我镇2016年度无申请。\n": {"applications_received": 0},
        "四、收费情况\n我镇政府信息公开没有收费。\n": {"fees_collected": 0},
        "四、收费情况\n未对任何公民、法人和组织收取任何费用。\n": {"fees_collected": 0},
        "五、依申请公开政府信息收费及减免情况\n无\n": {"fees_collected": 0},
        "五、复议、诉讼和申诉情况\n未接到有关政府信息公开方面的复议、诉讼和申诉。\n": {
            "reconsideration_cases": 0,
            "litigation_cases": 0,
            "complaints": 0,
        },
    }
    for text, expected in cases.items():
        got = whole(text)
        for indicator, value in expected.items():
            assert got.get(indicator) == value, (text, got)
        assert set(got) == set(expected), (text, got)


def test_a_section_that_names_one_kind_of_case_gives_only_that_one():
    text = (
        "四、因政府信息公开申请行政复议提起行政诉讼的情况\n"
        "2010年，我局没有收到有关政府信息公开行政复议申请。\n"
    )
    got = whole(text)
    assert got == {"reconsideration_cases": 0}


def test_silence_gives_nothing_and_consultations_are_not_applications():
    text = (
        "一、围绕重点工作，着力推进主动公开。信息及时有效。\n"
        "二、咨询处理情况\n全年共接受群众咨询0次，未收到任何形式的有关信息公开方面的咨询。\n"
        "政府信息公开窗口部门接待咨询68人次，答复72人次。\n"
    )
    assert whole(text) == {}


def test_a_document_number_is_not_a_count():
    text = "根据《辽宁省人民政府办公厅关于印发2018年政务公开重点工作安排的通知》（辽政办[2018]27号）。\n"
    assert whole(text) == {}


# --------------------------------------------------------------------------------- scopes


def test_another_body_named_as_subject_is_a_scope():
    text = "二、主动公开情况\n全县主动公开政府信息5,000条，县教育局主动公开信息120条。\n"
    f = figures(text, issuer="某某县人民政府")
    assert f[("proactive_items", None)].value == 5000
    assert f[("proactive_items", "县教育局")].value == 120
    own = figures("2018年，某某县教育局主动公开信息120条。\n", issuer="某某县教育局")
    assert own[("proactive_items", None)].value == 120


# --------------------------------------------------------------------------------- cleaning


def test_pinyin_glosses_of_mirror_pages_are_removed_and_the_title_found():
    page = (
        "當(dāng)前位置 : 首頁 |\n"
        "2009年度某某鎮(zhèn)政府信息公開年度報(bào)告 | ||\n"
        "一、政府信息主動公開情況 全年我鎮(zhèn)主動公開信息數(shù)量為46件。"
        " 二、政府信息公開收費(fèi)和減免情況 本年度未發(fā)生依申請公開信息收費(fèi)情況。\n"
    )
    assert strip_glosses("收費(fèi)46件") == "收費46件"
    report = run(page)
    assert report.metadata.title == "2009年度某某鎮政府信息公開年度報告"
    assert "(dāng)" not in report.cleaned.text and "當前位置" not in report.cleaned.text
    assert "## 二、政府信息公開收費和減免情況" in report.markdown
    stats = {s.indicator: (s.value, s.unit) for s in report.statistics}
    assert stats["proactive_items"] == (46, "件")
    assert stats["fees_collected"] == (0, "元")


def test_conversion_artefacts_are_repaired():
    para = (
        "根据《中华人民共和国政府信息公开条例》要求，现公布本区政府信息公开工作年度报告，"
        "本报告所列数据的统计期限自2021年1月1日起至2021年12月31日止。全年本机关收到政府信息"
        "公开申请40件，予以公开20件，部分公开5件，不予公开答复 2件，因政府信息公开工作被申请行政复"
        "议3件，被提起行政诉讼1件，所有申请均在法定期限内答复完毕，未收取任何费用，今后将"
        "继续加强政府信息公开工作，进一步提高公开质量和水平，更好地服务社会公众和市场主体。"
    )
    width = 30
    lines = [para[i : i + width] for i in range(0, len(para), width)]
    # Some wraps land inside a number and its unit (答复 2 / 件).
    text = "正文\n某某区2021年政府信息公开工作年度报告\n" + "\n".join(lines[:4])
    text += "\n— 2 —\n" + "\n".join(lines[4:]) + "\n第3页 共3页\n"
    repaired = repair(text)
    assert not repaired.startswith("正文") and "— 2 —" not in repaired and "第3页" not in repaired
    assert "行政复议3件" in repaired and "不予公开答复 2件" in repaired
    report = run(text)
    assert report.metadata.title == "某某区2021年政府信息公开工作年度报告"
    assert report.metadata.year == 2021
    got = {s.indicator: s.value for s in report.statistics if s.scope is None}
    assert got["applications_received"] == 40 and got["reconsideration_cases"] == 3
    assert got["litigation_cases"] == 1 and got["applications_refused"] == 2


def test_unwrapped_text_is_left_alone():
    lines = ["一、概述", "本年度工作稳步推进。", "二、主动公开情况", "全年主动公开信息30条。"]
    assert unwrap(lines) == lines


def test_word_markers_and_attachment_lines_are_removed():
    text = (
        "某县2015年政府信息公开工作年度报告\n"
        "<!--[if !supportLists]-->一、<!--[endif]-->概述\n本年度工作稳步推进。\n"
        "附件下载：某县2015年政府信息公开工作年度报告.pdf\n"
        "某县2015年政府信息公开工作年度报告.docx\n"
    )
    cleaned = clean(text).text
    assert "supportLists" not in cleaned and "endif" not in cleaned
    assert "一、概述" in cleaned and ".pdf" not in cleaned and ".docx" not in cleaned


def test_a_label_glued_to_the_value_before_it_ends_that_value():
    fields = parse_header_line("发布机构：某某区管委会办公室时间：2025-03-10 15:35")
    assert fields == {"issuer": "某某区管委会办公室", "published": "2025-03-10 15:35"}


def test_the_title_is_never_page_chrome_and_none_when_there_is_none():
    page = (
        "当前位置：首页 > 政务公开 > 年度报告\n上一篇：某县2014年政府信息公开工作年度报告\n"
        "某县2015年政府信息公开工作年度报告\n发布时间：2016-03-20\n"
        "根据《条例》规定，现公布本县2015年政府信息公开工作年度报告。\n"
    )
    assert run(page).metadata.title == "某县2015年政府信息公开工作年度报告"
    untitled = run(
        "正文\n一、概述\n根据《条例》要求，2010年，我局继续开展政府信息公开工作，"
        "2010年全年运行正常，2010年度未收到申请。\n"
    )
    m = untitled.metadata
    assert m.title is None and m.issuer is None and m.year == 2010
    assert "原文无标题" in m.display_title


def test_a_run_of_digits_is_not_a_closing_date():
    assert DATE_LINE_RE.match("2009219") and DATE_LINE_RE.match("20100315")
    assert not DATE_LINE_RE.match("200000") and not DATE_LINE_RE.match("20001399")


def test_issuer_from_the_signature_or_the_opening_never_a_phrase():
    signed = run(
        "根据《中华人民共和国政府信息公开条例》，编制本局2018年度政府信息公开报告。\n"
        "一、主动公开情况\n我局主动公开政府信息267条。\n某某县农业农村局\n2019年3月7日\n"
    )
    assert signed.metadata.issuer == "某某县农业农村局"
    assert signed.metadata.published_date == "2019-03-07"
    opened = run(
        "本年报依据某某区司法局2010年政府信息公开工作情况编制。\n一、概述\n工作稳步推进。\n"
    )
    assert opened.metadata.issuer == "某某区司法局"
    reposted = run(
        "某镇2009年政府信息公开工作年报\n公开日期：2015-08-03 10:13\n本年度工作稳步推进。\n"
    )
    assert reposted.metadata.published_date is None  # six years on: a re-post, not publication


# ----------------------------------------------------------------------------- local tables


def test_local_tables_flattened_or_as_rows():
    flat = "五、复议诉讼情况\n行政复议数条行政诉讼数条00\n"
    got = whole(flat)
    assert got == {"reconsideration_cases": 0, "litigation_cases": 0}
    # Four headers over five digits: more than one way to read them, so none is read.
    assert whole("主动公开信息数条依申请公开数件行政复议数条行政诉讼数条12000\n") == {}
    rows = (
        "| 主动公开信息数（条） | 依申请公开数（件） | 行政复议数（件） |\n"
        "| --- | --- | --- |\n| 35 | 2 | 0 |\n"
    )
    assert whole(rows) == {
        "proactive_items": 35,
        "applications_received": 2,
        "reconsideration_cases": 0,
    }


# --------------------------------------------------------------------------------- checks


def test_figures_that_do_not_add_up_are_marked():
    text = (
        "三、依申请公开情况\n全年收到政府信息公开申请10件，上年结转2件，办结9件，"
        "结转下年度继续办理1件。其中同意公开5件，部分公开1件，不予公开1件。\n"
    )
    report = run(text)
    checks = {c.check: c.status for c in report.checks}
    assert checks["applications_balance"] == "fail"  # 10 + 2 ≠ 9 + 1
    assert checks["outcomes_within_answered"] == "pass"
    marked = {s.indicator for s in report.statistics if s.check_failed}
    assert marked == {
        "applications_received",
        "applications_carried_in",
        "applications_answered",
        "applications_carried_out",
    }


def test_prose_and_table_disagreeing_fails():
    from pipeline.extract.checks import prose_vs_table
    from pipeline.records import Statistic

    prose = Statistic("applications_received", 10, "件", "more_than", evidence="收到申请10余件")
    table = Statistic("applications_received", 40, "件", method="table")
    _, (check,) = prose_vs_table([prose], [table])
    assert check.status == "fail"  # 10余 is not 40
    _, (check,) = prose_vs_table([prose], [Statistic("applications_received", 12, "件")])
    assert check.status == "pass"
    _, (check,) = prose_vs_table([prose], [table], frozenset({"applications_received"}))
    assert check.status == "unverified"


# ------------------------------------------------------------------------------ HTML tables


def test_a_2019_table_with_blank_cells_in_a_saved_page_decodes():
    zero_rows = [
        "二、上年结转政府信息公开申请数量",
        "（二）部分公开",
        "（三）不予公开",
        "（四）无法提供",
        "（五）不予处理",
        "（六）其他处理",
        "四、结转下年度继续办理",
    ]
    rows = [("一、本年新收政府信息公开申请数量", ["3", "", "", "", "", "", "3"])]
    rows += [(label, [""] * 7) for label in zero_rows[:1]]
    rows += [("三、本年度办理结果（一）予以公开", ["2", "", "", "", "", "", "2"])]
    rows += [("（四）无法提供 1.本机关不掌握相关政府信息", ["1", "", "", "", "", "", "1"])]
    rows += [("（七）总计", ["3", "", "", "", "", "", "3"])]
    rows += [(zero_rows[-1], [""] * 7)]
    body = "".join(
        "<tr><td>" + label + "</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        for label, cells in rows
    )
    page = (
        "<html><body><div class='TRS_Editor'><p>某县2019年政府信息公开工作年度报告</p>"
        "<p>三、收到和处理政府信息公开申请情况</p><table><tr><td>申请人情况</td><td>自然人</td>"
        "<td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td>"
        "<td>总计</td></tr>" + body + "</table>"
        "<p>四、政府信息公开行政复议、行政诉讼情况</p></div></body></html>"
    )
    doc = html_extract(page)
    assert doc.grids
    report = process(Source("page.html", page.encode("utf-8")), "r")
    cells = {(c.row_key, c.column_key): c.value for c in report.cells if c.table == "applications"}
    assert cells[("1", "total")] == 3 and cells[("1", "commercial")] is None
    assert cells[("3.1", "total")] == 2
    stats = {s.indicator: s.value for s in report.statistics}
    assert stats["applications_received"] == 3 and stats["applications_answered"] == 3


# ------------------------------------------------------------------------ common phrasings

PHRASINGS = {
    "三、依申请公开情况\n全年共受理依申请公开信息3件，均已在规定时间内予以答复。\n": {
        "applications_received": 3,
        "applications_answered": 3,
    },
    "三、依申请公开情况\n本机关全年共收到政府信息公开申请15件，其中当面申请3件、网上申请12件。"
    "已答复15件，其中同意公开10件，同意部分公开2件，不予公开3件。\n": {
        "applications_received": 15,
        "applications_answered": 15,
        "applications_granted": 10,
        "applications_partially_granted": 2,
        "applications_refused": 3,
    },
    "一、概述\n全年共召开新闻发布会5次，举办培训班3期，培训人员200人次。政府信息公开网站访问量"
    "达到120万人次。编印《政府公报》12期，共计发行3.6万份。\n": {
        "press_conferences": 5,
        "training_sessions": 3,
        "training_participants": 200,
        "website_visits": 1_200_000,
        "gazette_copies": 36_000,
    },
    "五、收费情况\n全年收取检索、复制、邮寄费用共计320元。\n": {"fees_collected": 320},
    "三、依申请公开情况\n通过网络申请10件，信函申请2件，当面申请3件。\n": {},
    "一、总体情况\n2021年，本机关共收到政府信息公开申请126件，上年结转12件，办结130件，"
    "结转下年度8件。\n": {
        "applications_received": 126,
        "applications_carried_in": 12,
        "applications_answered": 130,
        "applications_carried_out": 8,
    },
    "二、主动公开情况\n全年通过政府门户网站公开信息856条，通过政务公开栏公开信息120条，"
    "共计公开信息976条。\n": {"proactive_items": 976},
    "三、依申请公开情况\n本年度收到依申请公开件2件，均予以公开。\n": {
        "applications_received": 2,
        "applications_granted": 2,
    },
    "全年主动公开政府信息四百余条。\n": {"proactive_items": 400},
    "三、依申请公开情况\n今年共收到3条依申请政府信息公开，内容涉及决算数据，我局均已按时答复。\n": {
        "applications_received": 3,
        "applications_answered": 3,
    },
    "三、依申请公开情况\n本年度共受理信息公开申请1件。申请事项可以公开，已完成答复工作。\n": {
        "applications_received": 1,
        "applications_answered": 1,
    },
    "四、复议诉讼情况\n政府信息公开行政复议、行政诉讼0条。\n": {
        "reconsideration_cases": 0,
        "litigation_cases": 0,
    },
    "2014年我镇主动公开政府信息数160条。\n六、存在问题及改进措施\n（三）继续做好主动公开工作。"
    "坚持把主动公开作为一项常态工作。\n": {"proactive_items": 160},
    "二、主动公开情况\n全年在市政府网站主动公开市政府规章13件（含新制定5件），行政规范性文件42件，"
    "其他文件113件。\n": {},
    "一、概述\n全年共举办191场市政府新闻发布活动。其中，专题新闻发布会累计举行151场。\n": {
        "press_conferences": 191
    },
    "二、主动公开情况\n全年共通过公示栏等形式发布信息108条，通过网站公开信息33条。\n": {},
    "二、主动公开情况\n2019年度完成政府信息公开301条。\n": {"proactive_items": 301},
    "（一）主动公开情况\n2021年度，我局已在网站发布政府信息84条，其中财政资金信息31条。\n": {
        "proactive_items": 84
    },
    "三、依申请公开情况\n收到政府信息公开申请2件，均已办结，无下年度结转。\n": {
        "applications_received": 2,
        "applications_answered": 2,
        "applications_carried_out": 0,
    },
    "二、主动公开情况\n政务公开专栏全年更新信息120条，访问量已达906万人次，日均浏览量2.4万人次。\n": {
        "website_visits": 9_060_000
    },
    "通过《某市人民政府公报》公开规章和规范性文件68条，全年共印发13期39598册。\n": {
        "gazette_copies": 39598
    },
    # Documents the gazette carries are not copies of it.
    "二、主动公开\n通过每月一期的《某市人民政府公报》公开了市政府文件54份。\n": {},
    # The sum of the parts listed before it.
    "三、依申请公开情况\n全年共收到群众网上申请105件，快递17件，合计122件，上年结转11件。\n": {
        "applications_received": 122,
        "applications_carried_in": 11,
    },
    # New applications, not those handled (which include last year's).
    "三、依申请公开情况\n全年共受理依申请公开事项59件，结转上年后新收到依申请公开事项47件。\n": {
        "applications_received": 47
    },
    "三、依申请公开情况\n全年共处理政府信息公开申请1261件（含上年度结转申请74件），答复1181件，"
    "结转下年度继续办理80件。\n": {
        "applications_carried_in": 74,
        "applications_answered": 1181,
        "applications_carried_out": 80,
    },
    # No review about applications says nothing about the applications.
    "四、复议\n2021年，我局未发生依申请公开政府信息方面的行政复议和行政诉讼。\n": {
        "reconsideration_cases": 0,
        "litigation_cases": 0,
    },
    # A total over many channels, new media among them; a single new-media channel is a part.
    "二、主动公开\n全年通过门户网站、微信公众号、微博等渠道公开各类信息1812条。\n": {
        "proactive_items": 1812
    },
    "二、主动公开\n通过门户网站、官方抖音号等渠道，主动公开财政管理、政府采购、重点工作、办事指南"
    "等信息共计2186条。其中，通过门户网站公开政府信息15条。\n": {"proactive_items": 2186},
    "二、主动公开\n通过县政府门户网站、县政务服务中心等平台主动公开政府信息6391条。\n": {
        "proactive_items": 6391
    },
    "二、主动公开\n街道通过政务公开栏等渠道发布各类信息100余条。\n": {"proactive_items": 100},
    "三、依申请\n发生行政复议4件，其中3件维持；发生行政诉讼4件，其中3件维持。\n": {
        "reconsideration_cases": 4,
        "litigation_cases": 4,
    },
    "三、依申请\n全区共收到依申请公开件30件，共办结24件，结转到2025年办理7件。\n": {
        "applications_received": 30,
        "applications_answered": 24,
        "applications_carried_out": 7,
    },
    "三、依申请\n结转上年度政府信息公开申请10件，共办理完成198件。\n": {
        "applications_carried_in": 10,
        "applications_answered": 198,
    },
    # A list of kinds of document summed up is still a part; a list of subjects is the whole.
    "二、主动公开\n通过《某市人民政府公报》公开市政府规章、规范性文件、人事任免、机构设置等方面信息"
    "68条。\n": {},
    "二、主动公开\n主动公开了行政许可事项148条，公共服务事项257条。\n": {},
    "三、依申请\n共收到公开申请1466件（上年度结转16件）。\n": {
        "applications_received": 1466,
        "applications_carried_in": 16,
    },
    "三、依申请\n本年度未收到和处理政府信息公开申请。\n": {"applications_received": 0},
    # The table's own row wording in prose is prose.
    "三、依申请\n全年新收政府信息公开申请数量0件，上年结转政府信息公开申请数量0件。\n": {
        "applications_received": 0,
        "applications_carried_in": 0,
    },
}


@pytest.mark.parametrize("text", list(PHRASINGS), ids=range(len(PHRASINGS)))
def test_common_phrasings(text: str):
    assert whole(text) == PHRASINGS[text]


# ------------------------------------------------------------------ metadata of real page forms

METADATA = [
    # A body's name on the line above a title that opens with the year.
    (
        "某某市人民政府办公室\n2020年政府信息公开工作年度报告\n本报告依据《条例》编制。\n",
        "title",
        "某某市人民政府办公室2020年政府信息公开工作年度报告",
    ),
    # The page date after the title on one line.
    (
        "2012年某某区某某街道办事处政府信息公开工作年度报告 2013-02-15\n一、概述\n工作正常。\n",
        "published_date",
        "2013-02-15",
    ),
    # A label with spaces inside and no colon before the title.
    (
        "名  称 某某县人民政府2021年度政府信息公开工作年度报告\n一、总体情况\n工作正常。\n",
        "title",
        "某某县人民政府2021年度政府信息公开工作年度报告",
    ),
    # Label cells without colons in a CMS header table.
    (
        "| 发布机构 | 某某市人民政府办公室 | 发文日期 | 2018-02-28 |\n一、概述\n2017年工作正常。\n",
        "published_date",
        "2018-02-28",
    ),
    # The body named only where readers are told whom to contact.
    (
        "本报告电子版可在门户网站下载。如对本报告有疑问，请与某某县财政局办公室联系。\n"
        "一、总体情况\n2021年，我局工作正常。\n",
        "issuer",
        "某某县财政局",
    ),
    # The body that compiled the report.
    (
        "某某县财政局编制了本报告。\n一、总体情况\n2024年，我局工作正常。\n",
        "issuer",
        "某某县财政局",
    ),
    # A zone is run by its committee, not by a people's government.
    (
        "某某工业园区2020年政府信息公开工作年度报告\n一、总体情况\n工作正常。\n",
        "issuer",
        "某某工业园区",
    ),
]


@pytest.mark.parametrize(("text", "field", "value"), METADATA, ids=range(len(METADATA)))
def test_metadata_of_real_page_forms(text: str, field: str, value: str):
    assert getattr(run(text).metadata, field) == value


def test_cited_documents_and_conjunctions_do_not_place_the_issuer():
    text = (
        "根据《中华人民共和国政府信息公开条例》和县委、县政府有关要求，现将本镇2015年政府信息公开"
        "工作年度报告公布如下。按照《重庆市人民政府办公厅关于做好年度报告编制工作的通知》要求编制。\n"
        "一、概述\n本镇工作正常。\n"
    )
    region = run(text).metadata.region
    assert region.province is None and region.county is None


def test_a_page_showing_only_table_four_is_a_template_report():
    text = (
        "某某区信访局2022年政府信息公开工作年度报告\n"
        "四、因政府信息公开工作被申请行政复议提起行政诉讼情况\n行政复议 行政诉讼\n"
        "未经复议直接起诉 复议后起诉\n结果 结果 其他 尚未 总\n维持 纠正 结果 审结 计 结果 结果 其他 尚未 总 "
        "结果 结果 其他 尚未 总\n维持 纠正 结果 审结 计 维持 纠正 结果 审结 计\n"
        "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n五、存在的主要问题及改进情况\n宣传不够。\n"
    )
    report = run(text)
    assert report.metadata.report_format == "template_2021"
    stats = {s.indicator: s.value for s in report.statistics}
    assert stats == {"reconsideration_cases": 0, "litigation_cases": 0}
