"""Unit tests of each per-report stage on small inline inputs."""

from __future__ import annotations

import codecs

import markdown as md
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.archive import SourceError, archive, looks_like_mojibake
from pipeline.clean import clean, parse_header_line
from pipeline.extract.figures import extract_figures
from pipeline.extract.numbers import parse_number
from pipeline.markdown import escape, heading_level, to_markdown
from pipeline.metadata import document_type, issuer_from_title, parse_date, year_from
from pipeline.records import Source
from pipeline.script import detect_script

# ---------------------------------------------------------------- archive


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("政府信息公开工作年度报告".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "政府信息公开工作年度报告".encode(), "utf-8-sig"),
        ("政府信息公开工作年度报告".encode("utf-16"), "utf-16"),
        ("政府信息公开工作年度报告，主动公开政府信息".encode("gb18030"), "gb18030"),
        ("政府資訊公開工作年度報告，主動公開政府資訊".encode("big5"), "big5"),
    ],
)
def test_archive_detects_encoding(data, encoding):
    a = archive(Source("r.txt", data))
    assert a.encoding == encoding
    assert "年度" in a.text
    assert len(a.sha256) == 64 and a.size == len(data)


def test_archive_normalises_line_ends_and_spaces():
    a = archive(Source("r.txt", "一\r\n二\r三\u00a0四\u200b五".encode()))
    assert a.text == "一\n二\n三 四五"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"%PDF-1.4 ...", "PDF"),
        (b"PK\x03\x04rest", "ZIP"),
        (b"\x89PNG\r\n", "PNG"),
    ],
)
def test_archive_refuses_what_is_not_a_report(data, reason):
    with pytest.raises(SourceError, match=reason):
        archive(Source("bad.txt", data))


def test_archive_flags_mojibake():
    garbled = "政府信息公开工作年度报告，主动公开政府信息情况".encode().decode(
        "gbk", errors="replace"
    )
    assert looks_like_mojibake(garbled * 3)
    assert not looks_like_mojibake("政府信息公开工作年度报告，主动公开政府信息情况" * 3)


def test_archive_marks_html():
    assert archive(Source("a.html", "<p>年度报告</p>".encode())).media_type == "text/html"
    assert archive(Source("a.txt", "年度报告".encode())).media_type == "text/plain"


# ---------------------------------------------------------------- clean

PAGE = """当前位置:首页 > 政务公开 > 年报
  • 决策
  • 执行
某某县2015年政府信息公开工作年度报告
发布单位:某某县人民政府办公室 发布时间:2016-03-20 11:42
分享到:
一、概述
2015年，我县主动公开政府信息1200条。
（一）公开情况
某某县人民政府办公室
2016年3月20日
设为首页 | 加入收藏 | 网站地图
地址:某某路1号 电话:0000-1234567
某ICP备12345678号 某公网安备 123号
网站标识码:1234567890
相关解读
"""


def test_clean_removes_each_clutter_pattern_and_keeps_the_report():
    c = clean(PAGE)
    lines = c.text.splitlines()
    assert lines == [
        "某某县2015年政府信息公开工作年度报告",
        "一、概述",
        "2015年，我县主动公开政府信息1200条。",
        "（一）公开情况",
        "某某县人民政府办公室",
        "2016年3月20日",
    ]
    assert c.header["issuer"] == "某某县人民政府办公室"
    assert c.header["published"].startswith("2016-03-20")
    assert c.header["title"] == "某某县2015年政府信息公开工作年度报告"


def test_clean_never_drops_a_sentence_that_mentions_an_address():
    line = "如有疑问请联系我们(地址:某某路1号,电话:0000-1234567)。"
    assert clean(f"标题2015年工作报告\n{line}\n").text.splitlines()[-1] == line


def test_header_table_is_read_into_metadata():
    fields = parse_header_line("名称: | 某某通报 | 文号: | 某政办字〔2018〕6号 |")
    assert fields == {"title": "某某通报", "doc_number": "某政办字〔2018〕6号"}
    assert parse_header_line("索引号: | 组配分类: | 政府办公室文件 | |") == {
        "category": "政府办公室文件"
    }
    assert parse_header_line("这是一句正文，发布时间:2016年。") is None


def test_clean_peels_a_page_saved_on_one_line():
    one_line = (
        "当前位置： 首页政务公开年报 某区2021年度政府信息公开工作年度报告 来源：某区人民政府 "
        "时间：2022-02-08 16:34 微信 微博 QQ空间 "
        + "根据《中华人民共和国政府信息公开条例》，" * 10
        + "现予公布。"
    )
    c = clean(one_line)
    assert c.text.startswith("某区2021年度政府信息公开工作年度报告\n根据《")
    assert c.header["source"] == "某区人民政府"


def test_table_of_contents_line_becomes_headings():
    text = "某省2009年政府信息公开工作年度报告\n简介,工作情况,\n简介\n正文一句。\n工作情况\n正文二句。\n"
    c = clean(text)
    assert c.toc == ("简介", "工作情况")
    assert "简介,工作情况," not in c.text


# ---------------------------------------------------------------- markdown


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("一、概述", 2),
        ("十二、其他", 2),
        ("（一）公开内容", 3),
        ("(二)主动公开", 3),
        ("1.重大会议", 4),
        ("2、人事任免", 4),
        ("一、这是很长的一句正文，" + "内容" * 30, None),
        ("（一）结尾是句号。", 3),
        ("二、主动公开政府信息情况。", 2),
        ("一、主动公开政府信息的情况:", 2),
        ("一、全年共收到申请5件，已全部答复。", None),
        ("1.进一步梳理、整合政府公开信息。", None),
        ("2009年工作情况", None),
        ("正文", None),
    ],
)
def test_heading_levels(line, level):
    assert heading_level(line) == level


def test_markdown_headings_paragraphs_and_lead_titles():
    text = "某县2015年报告\n一、概述\n（一）收费情况。全年未收取费用。\n正文。\n二○一六年三月\n"
    out = to_markdown(text, "某县2015年报告")
    assert out.split("\n\n") == [
        "# 某县2015年报告",
        "## 一、概述",
        "### （一）收费情况。",
        "全年未收取费用。",
        "正文。",
        "二○一六年三月\n",
    ]


def test_markdown_escapes_source_markup():
    hostile = "<script>alert(1)</script> *bold* [link](javascript:alert(1)) # not a heading"
    html = md.markdown(
        to_markdown(hostile + "\n- list\n1. item\n", "t"), extensions=["tables", "md_in_html"]
    )
    assert "<script" not in html and "<em>" not in html and "<a " not in html
    assert "<li>" not in html and "<h2" not in html
    assert "&lt;script&gt;" in html


def test_markdown_links_only_http_urls():
    out = to_markdown("附件下载:https://example.gov.cn/a.zip\n", "t")
    assert "[https://example.gov.cn/a.zip](https://example.gov.cn/a.zip)" in out


def test_markdown_pipe_table_cells_are_escaped():
    out = to_markdown("| a | <b>x</b> |\n| --- | --- |\n| 1 | *2* |\n", "t")
    assert "| a | &lt;b&gt;x&lt;/b&gt; |" in out and "| 1 | \\*2\\* |" in out


def test_escape_round_trips_through_markdown():
    for text in ["a_b_c", "1. 不是列表", "# 不是标题", "a | b", "x*y*z", "`code`"]:
        html = md.markdown(escape(text), extensions=["tables"])
        assert html == f"<p>{text.replace('<', '&lt;')}</p>"


# ---------------------------------------------------------------- metadata


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2013-03-20", "2013-03-20"),
        ("2013-03-20 11:42", "2013-03-20"),
        ("2009-2-20", "2009-02-20"),
        ("2010年3月19日", "2010-03-19"),
        ("二○一○年三月三十日", "2010-03-30"),
        ("二〇一三年三月二十日", "2013-03-20"),
        ("2009219", "2009-02-19"),
        ("20100330", "2010-03-30"),
        ("2010/3/5", "2010-03-05"),
        ("不是日期", None),
        ("2010-13-40", None),
    ],
)
def test_parse_date(raw, iso):
    assert parse_date(raw) == iso


def test_year_document_type_and_issuer_from_title():
    assert year_from("2012年岳塘区政府信息公开工作年度报告") == 2012
    assert year_from("某局关于2017年全局政务公开工作情况的通报") == 2017
    assert year_from("二〇一九年度报告") == 2019
    assert document_type("某局关于2017年全局政务公开工作情况的通报") == "notice"
    assert document_type("某市2008年政府信息公开工作年度报告") == "annual_report"
    assert document_type("某市政务公开工作要点") == "other"
    assert issuer_from_title("2012年岳塘区政府信息公开工作年度报告") == "岳塘区人民政府"
    assert (
        issuer_from_title("内蒙古自治区公安厅2009年度政府信息公开工作年度报告")
        == "内蒙古自治区公安厅"
    )


def test_detect_script():
    assert detect_script("內蒙古自治區2009年政府信息公開工作年度報告") == "hant"
    assert detect_script("内蒙古自治区2009年政府信息公开工作年度报告") == "hans"


_SCRIPT_LINES = [
    "內蒙古自治區2009年政府信息公開工作年度報告",
    "内蒙古自治区2009年政府信息公开工作年度报告",
    "本機關全年共受理政府信息公開申請128件，均已按時答覆。",
    "本机关全年共受理政府信息公开申请128件，均已按时答复。",
    "發佈會、聽證會和網上訪談共舉辦十五場。",
    "2019 年 1 月 1 日至 12 月 31 日",
    "干部 乾燥 幹部 后来 皇后 頭髮 发展",
    "",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SCRIPT_LINES), max_size=400))
def test_detect_script_is_the_whole_sample_compared(lines):
    """``detect_script`` converts the sample back a few lines at a time and may stop early:
    the answer is that of both conversions of the whole sample compared."""
    from pipeline.script import SAMPLE, converter, to_simplified

    text = "\n".join(lines)
    sample = text[:SAMPLE]
    to_hans = sum(map(str.__ne__, sample, to_simplified(sample)))
    to_hant = sum(map(str.__ne__, sample, converter("s2t").convert(sample)))
    assert detect_script(text) == ("hant" if to_hans > to_hant else "hans")


# ---------------------------------------------------------------- numbers and figures


@pytest.mark.parametrize(
    ("text", "value", "qualifier"),
    [
        ("605620", 605620, "exact"),
        ("4.5万", 45000, "exact"),
        ("4.5萬", 45000, "exact"),
        ("10万多", 100000, "more_than"),
        ("近2000", 2000, "nearly"),
        ("约300", 300, "approximately"),
        ("300左右", 300, "approximately"),
        ("20余", 20, "more_than"),
        ("350多", 350, "more_than"),
        ("二十五", 25, "exact"),
        ("两", 2, "exact"),
        ("一百零八", 108, "exact"),
        ("1,234", 1234, "exact"),
        ("超过500", 500, "more_than"),
    ],
)
def test_parse_number(text, value, qualifier):
    n = parse_number(text)
    assert n is not None and (n.value, n.qualifier) == (value, qualifier)


def _figures(text):
    return {(s.indicator, s.scope): s for s in extract_figures(text)}


def test_figures_with_sub_scopes_and_evidence():
    text = "全区主动公开政府信息605620条，其中各盟市主动公开559359条；区直部门主动公开46261条。\n"
    f = _figures(text)
    assert f[("proactive_items", None)].value == 605620
    assert f[("proactive_items", "各盟市")].value == 559359
    assert f[("proactive_items", "区直部门")].value == 46261
    assert f[("proactive_items", None)].evidence == text.strip()
    assert f[("proactive_items", None)].anchor == "p1-s1"


def test_figures_section_assigned_by_law_wins():
    text = (
        "一、概述\n网站政府信息主动公开近2000条。\n"
        "二、主动公开政府信息情况\n全年主动公开政府信息8000多条。\n"
    )
    s = _figures(text)[("proactive_items", None)]
    assert (s.value, s.qualifier) == (8000, "more_than")
    assert s.section == "二、主动公开政府信息情况"


def test_statements_of_zero_and_silence():
    f = _figures("各部门未收取费用。\n没有发生因政府信息公开申请行政复议和提起行政诉讼案件。\n")
    assert f[("fees_collected", None)].value == 0
    assert f[("reconsideration_cases", None)].value == 0
    assert f[("litigation_cases", None)].value == 0
    assert ("applications_received", None) not in f
    assert not _figures("本年度工作稳步推进。\n")


def test_units_are_normalised():
    f = _figures("全年收取信息处理费0.5万元。\n召开新闻发布会二十五次。\n")
    assert f[("fees_collected", None)].value == 5000 and f[("fees_collected", None)].unit == "元"
    assert f[("press_conferences", None)].value == 25


def test_figures_in_traditional_script():
    f = _figures("全區共受理依申請公開1291件，已全部答覆處理。\n")
    assert f[("applications_received", None)].value == 1291
    assert f[("applications_answered", None)].value == 1291


def test_numbers_that_are_not_figures_are_ignored():
    f = _figures("51条信息被门户网站采用，发放宣传资料5200余份，接待群众咨询1000余人次。\n")
    assert not f
