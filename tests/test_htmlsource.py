"""Reading saved government web pages: body text, header metadata, grids, attachments."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.htmlsource import HtmlDocument, declared_charset, extract, sanitize_fragment

# A page as saved from a TRS-style county CMS: navigation, breadcrumb, the 信息公开 header
# table, an info line, the body in .TRS_Editor, a share box, print links and a footer.
CMS_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>平潭综合实验区2021年政府信息公开工作年度报告_平潭综合实验区管委会</title>
<meta name="ArticleTitle" content="平潭综合实验区2021年政府信息公开工作年度报告">
<meta name="PubDate" content="2022-01-20 10:30">
<meta name="ContentSource" content="实验区党政办">
<meta name="keywords" content="政府信息公开,年度报告">
<meta name="description" content="平潭综合实验区2021年政府信息公开工作年度报告">
<style>.TRS_Editor p { text-indent: 2em; }</style>
<script src="/js/jquery.js"></script>
<script>var _hmt = _hmt || []; document.write("<p>统计代码</p>");</script>
</head>
<body onload="init()">
<div class="header"><div class="logo">平潭综合实验区管理委员会</div>
  <form action="/search"><input type="text" name="q">
  <button onclick="doSearch()">搜索</button></form>
</div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
  <li><a href="/xxgk/">信息公开</a></li>
  <li><a href="javascript:void(0)" onclick="openMenu()">互动交流</a></li></ul></div>
<div class="main">
  <div class="dqwz">当前位置：<a href="/">首页</a> &gt;
    <a href="/xxgk/">信息公开</a> &gt; 年度报告</div>
  <table class="xxgk_table" width="100%">
    <tr><td>索&nbsp;引&nbsp;号：</td><td>XM00107-0500-2022-00005</td>
        <td>主题分类：</td><td>政务公开</td></tr>
    <tr><td>发布机构：</td><td>平潭综合实验区党政办</td><td>成文日期：</td><td>2022-01-18</td></tr>
    <tr><td>文　　号：</td><td>岚综管办〔2022〕3号</td><td>发布日期：</td><td>2022-01-20</td></tr>
    <tr><td>标　　题：</td><td colspan="3">平潭综合实验区2021年政府信息公开工作年度报告</td></tr>
  </table>
  <h1 class="title">平潭综合实验区2021年政府信息公开工作年度报告</h1>
  <div class="info">发布时间：2022-01-20 10:30　来源：实验区党政办　浏览次数：
    <span id="count"></span>
    <span class="fontsize">【字体：<a href="javascript:setSize(16)">大</a>
    <a href="javascript:setSize(14)">中</a> <a href="javascript:setSize(12)">小</a>】</span></div>
  <div class="TRS_Editor">
    <p>　　本报告根据《中华人民共和国政府信息公开条例》编制。
    本报告所列数据的统计期限自2021年1月1日起至2021年12月31日止。</p>
    <p><strong>一、总体情况</strong></p>
    <p>　　2021年，实验区主动公开政府信息<span>1523</span>条，
    受理政府信息公开申请<b>75</b>件。</p>
    <p>（一）主动公开<br>全年召开新闻发布会12次。</p>
    <p><strong>二、收到和处理政府信息公开申请情况</strong></p>
    <table border="1">
      <tr><td rowspan="2" colspan="2">本列数据的勾稽关系</td><td colspan="2">申请人情况</td></tr>
      <tr><td>自然人</td><td>法人或其他组织</td></tr>
      <tr><td colspan="2">一、本年新收政府信息公开申请数量</td><td>71</td><td>4</td></tr>
      <tr><td rowspan="2">三、本年度办理结果</td><td>（一）予以公开</td><td>40</td><td>3</td></tr>
      <tr><td>（二）部分公开<br>（含不予公开|其他）</td><td>5</td><td><p>0</p></td></tr>
    </table>
    <p>三、存在的主要问题及改进情况</p>
    <div>一是公开意识有待加强。<br/>二是公开质量有待提升。</div>
    <p>附件：<a href="./P020220120.xls">2021年政府信息公开统计表.xls</a></p>
    <p><a href="javascript:void(0)" onclick="alert(1)">点击查看</a></p>
    <iframe src="https://video.example.cn/player"></iframe>
    <noscript>请启用JavaScript</noscript>
  </div>
  <div class="share bdsharebuttonbox">分享到：<a href="#" class="bds_weixin">微信</a></div>
  <div class="print"><a href="javascript:window.print()">【打印本页】</a>
    <a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="footer">
  <p>主办单位：平潭综合实验区管理委员会　<a href="/wzdt/">网站地图</a></p>
  <p>闽ICP备05024135号-1　闽公网安备 35012802000101号　网站标识码：3501280001</p>
</div>
<script type="text/javascript">document.getElementById("count").innerHTML = 100;</script>
</body>
</html>"""

CMS_GRID = (
    ("本列数据的勾稽关系", "本列数据的勾稽关系", "申请人情况", "申请人情况"),
    ("本列数据的勾稽关系", "本列数据的勾稽关系", "自然人", "法人或其他组织"),
    ("一、本年新收政府信息公开申请数量", "一、本年新收政府信息公开申请数量", "71", "4"),
    ("三、本年度办理结果", "（一）予以公开", "40", "3"),
    ("三、本年度办理结果", "（二）部分公开 （含不予公开|其他）", "5", "0"),
)


@pytest.fixture(scope="module")
def cms() -> HtmlDocument:
    return extract(CMS_PAGE)


def test_cms_page_text(cms: HtmlDocument) -> None:
    assert cms.text.split("\n") == [
        "本报告根据《中华人民共和国政府信息公开条例》编制。"
        "本报告所列数据的统计期限自2021年1月1日起至2021年12月31日止。",
        "一、总体情况",
        "2021年，实验区主动公开政府信息1523条，受理政府信息公开申请75件。",
        "（一）主动公开",
        "全年召开新闻发布会12次。",
        "二、收到和处理政府信息公开申请情况",
        "| 本列数据的勾稽关系 | 本列数据的勾稽关系 | 申请人情况 | 申请人情况 |",
        "| --- | --- | --- | --- |",
        "| 本列数据的勾稽关系 | 本列数据的勾稽关系 | 自然人 | 法人或其他组织 |",
        "| 一、本年新收政府信息公开申请数量 | 一、本年新收政府信息公开申请数量 | 71 | 4 |",
        "| 三、本年度办理结果 | （一）予以公开 | 40 | 3 |",
        "| 三、本年度办理结果 | （二）部分公开 （含不予公开\\|其他） | 5 | 0 |",
        "三、存在的主要问题及改进情况",
        "一是公开意识有待加强。",
        "二是公开质量有待提升。",
        "附件：2021年政府信息公开统计表.xls",
        "点击查看",
        "附件：2021年政府信息公开统计表.xls ./P020220120.xls",
    ]


def test_cms_page_meta(cms: HtmlDocument) -> None:
    # The visible header wins over <meta> tags; <meta> fills what the header lacks.
    assert cms.meta == {
        "charset": "gb18030",
        "description": "平潭综合实验区2021年政府信息公开工作年度报告",
        "doc_number": "岚综管办〔2022〕3号",
        "index_no": "XM00107-0500-2022-00005",
        "issuer": "平潭综合实验区党政办",
        "keywords": "政府信息公开,年度报告",
        "published": "2022-01-20",
        "subject": "政务公开",
        "title": "平潭综合实验区2021年政府信息公开工作年度报告",
        "written": "2022-01-18",
    }


def test_cms_page_grid_and_attachments(cms: HtmlDocument) -> None:
    assert cms.grids == (CMS_GRID,)
    assert cms.attachments == (("2021年政府信息公开统计表.xls", "./P020220120.xls"),)


@pytest.mark.parametrize(
    "gone",
    [
        *["当前位置", "首页", "索引号", "XM00107", "浏览次数", "字体", "分享到", "打印"],
        *["关闭窗口", "ICP备", "网站标识码", "主办单位", "统计代码", "请启用", "搜索"],
        *["互动交流", "javascript", "<", "#", "**"],
    ],
)
def test_cms_page_clutter_is_gone(cms: HtmlDocument, gone: str) -> None:
    assert gone not in cms.text


# A page from a CMS whose body class is unknown: the body must be found by its text.
FALLBACK_PAGE = """<html><head>
<title>关于某某县2020年政府信息公开工作年度报告 - 某某县人民政府</title>
</head><body>
<div class="topnav"><a href="/">首页</a> | <a href="/a">机构概况</a> |
<a href="/b">政策文件</a></div>
<div class="wrap">
<div class="lefter"><h3>栏目导航</h3><ul>
<li><a href="/1">政府信息公开指南</a></li><li><a href="/2">政府信息公开制度</a></li>
<li><a href="/3">法定主动公开内容</a></li><li><a href="/4">政府信息公开年报</a></li></ul>
<p>联系电话：0591-12345678</p></div>
<div class="righter">
<div class="weizhi">您的位置：<a href="/">首页</a> &gt; <a href="/4">政府信息公开年报</a></div>
<h2>某某县2020年政府信息公开工作年度报告</h2>
<p class="sub">发布时间：2021-01-28 09:12:33 &nbsp; 信息来源：县政府办 &nbsp;
【字体：<a href="javascript:;">大</a> <a href="javascript:;">中</a>
<a href="javascript:;">小</a>】</p>
<div class="wz">
<p>　　根据《中华人民共和国政府信息公开条例》规定，现公布某某县2020年政府信息公开工作年度报告。</p>
<p>　　一、总体情况</p>
<p>　　2020年，全县共主动公开政府信息3200条，收到政府信息公开申请12件，全部按时答复。</p>
<table><tr><th>项目</th><th>数量</th></tr><tr><td>主动公开</td><td>3200</td></tr></table>
<p>　　二、存在的不足</p>
<p>　　公开内容不够全面，部分部门更新不及时。</p>
<p>附件：<a href="/u/年报 2020.pdf"><img src="i.gif" alt="年报全文"></a></p>
</div>
<div class="fenxiang">分享到：微信 微博</div>
</div></div>
<div class="foot"><p>版权所有：某某县人民政府　技术支持：某某公司</p><p>闽ICP备12345678号</p></div>
</body></html>"""


def test_fallback_finds_the_body_by_its_text() -> None:
    doc = extract(FALLBACK_PAGE)
    assert doc.text.split("\n") == [
        "根据《中华人民共和国政府信息公开条例》规定，现公布某某县2020年政府信息公开工作年度报告。",
        "一、总体情况",
        "2020年，全县共主动公开政府信息3200条，收到政府信息公开申请12件，全部按时答复。",
        "| 项目 | 数量 |",
        "| --- | --- |",
        "| 主动公开 | 3200 |",
        "二、存在的不足",
        "公开内容不够全面，部分部门更新不及时。",
        "附件：",
        "附件：年报全文 /u/年报%202020.pdf",
    ]
    assert doc.meta == {
        "issuer": "县政府办",
        "published": "2021-01-28 09:12:33",
        "title": "关于某某县2020年政府信息公开工作年度报告",
    }
    assert doc.grids == ((("项目", "数量"), ("主动公开", "3200")),)
    assert doc.attachments == (("年报全文", "/u/年报%202020.pdf"),)


BODY = "<p>" + "本年度共主动公开政府信息一千二百条，受理依申请公开十五件。" * 2 + "</p>"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(
            '<div class="xxgk_head"><ul><li><span>索引号：</span><span>ABC-2021-001</span></li>'
            "<li><span>发布机构</span><span>某某县人民政府办公室</span></li>"
            "<li><b>成文日期：</b>2021年1月5日</li><li><b>文号：</b></li></ul></div>",
            {
                "index_no": "ABC-2021-001",
                "issuer": "某某县人民政府办公室",
                "written": "2021年1月5日",
            },
            id="list-of-spans",
        ),
        pytest.param(
            "<dl><dt>索 引 号</dt><dd>001/2021-0002</dd><dt>主题分类</dt><dd>综合政务</dd>"
            "<dt>发文字号</dt><dd>某政办〔2021〕2号</dd></dl>"
            # A sidebar heading that happens to be a label is not a header value.
            '<div class="lm"><h3>主题分类</h3><ul><li><a href="/a">综合政务</a></li>'
            '<li><a href="/b">国土资源</a></li></ul></div>',
            {"index_no": "001/2021-0002", "subject": "综合政务", "doc_number": "某政办〔2021〕2号"},
            id="definition-list",
        ),
        pytest.param(
            "<table><tr><td>索引号：11350000-2021-001</td><td>分类：其他</td></tr>"
            "<tr><td>发布机构：<span>某某市</span><span>统计局</span></td>"
            "<td>发布日期：2021-03-01</td></tr></table>",
            {"index_no": "11350000-2021-001", "issuer": "某某市统计局", "published": "2021-03-01"},
            id="label-and-value-in-one-cell",
        ),
        pytest.param(
            '<div class="form-group"><label>发文机构：</label><div>某某市财政局</div></div>'
            '<div class="form-group"><label>成文日期：</label><div>2021-02-03</div></div>',
            {"issuer": "某某市财政局", "written": "2021-02-03"},
            id="label-elements",
        ),
        pytest.param(
            '<div class="info">发布时间：2021-01-28　来源：市政府办公室　作者：张三　'
            "浏览次数：12　点击数：3　【字体：大 中 小】</div>",
            {"published": "2021-01-28", "issuer": "市政府办公室"},
            id="info-line",
        ),
    ],
)
def test_header_shapes(header: str, expected: dict[str, str]) -> None:
    doc = extract(f'<html><body>{header}<div id="zoom">{BODY}</div></body></html>')
    assert doc.meta == expected
    assert doc.text == _text_of(BODY)


def _text_of(paragraph: str) -> str:
    return re.sub(r"<[^>]+>", "", paragraph)


def test_meta_tags_and_title_without_a_header() -> None:
    page = (
        "<html><head><meta charset='utf-8'><title>某某市人民政府 | 2019年度信息公开年报</title>"
        "<meta name='pubdate' content='2020-01-15'><meta name='Author' content='市政府办'>"
        f"</head><body><div class='article-content'>{BODY}</div></body></html>"
    )
    assert extract(page).meta == {
        "charset": "utf-8",
        "issuer": "市政府办",
        "published": "2020-01-15",
        "title": "2019年度信息公开年报",
    }


def test_page_that_only_links_to_its_report() -> None:
    page = (
        "<html><body><div class='nav'><a href='/'>首页</a><a href='/xxgk'>信息公开</a></div>"
        "<h1>某某县2020年政府信息公开工作年度报告</h1>"
        "<div class='TRS_Editor'><p><a href='./W020210120.pdf'>年度报告全文</a></p></div>"
        "<div class='footer'>版权所有：某某县人民政府 闽ICP备123号</div></body></html>"
    )
    doc = extract(page)
    assert doc.text.split("\n") == [
        "某某县2020年政府信息公开工作年度报告",
        "年度报告全文",
        "附件：年度报告全文 ./W020210120.pdf",
    ]
    assert doc.attachments == (("年度报告全文", "./W020210120.pdf"),)


def test_layout_tables_flow_as_paragraphs() -> None:
    page = (
        "<html><body><table width='100%'><tr><td>"
        "<table><tr><td>一、总体情况</td></tr><tr><td>全年主动公开信息二百条。</td></tr></table>"
        "</td><td><p>二、主动公开情况</p><p>全年召开新闻发布会五次，培训人员三百人次。</p></td></tr>"
        "</table></body></html>"
    )
    doc = extract(page)
    assert doc.text.split("\n") == [
        "一、总体情况",
        "全年主动公开信息二百条。",
        "二、主动公开情况",
        "全年召开新闻发布会五次，培训人员三百人次。",
    ]
    assert doc.grids == ()


def test_span_edge_cases_give_rectangular_grids() -> None:
    table = (
        "<table>"
        "<tr><th>项目</th><th colspan='0'>说明</th><th>数量</th></tr>"
        "<tr><td rowspan='0'>合计</td><td>甲</td></tr>"  # rowspan=0 runs to the end
        "<tr><td colspan='99999'>乙</td></tr>"  # absurd colspan is clamped
        "<tr><td>丙</td><td rowspan='x'>7</td><td></td></tr>"
        "</table>"
    )
    doc = extract(f"<html><body><div class='TRS_Editor'>{BODY}{table}</div></body></html>")
    (grid,) = doc.grids
    assert len({len(row) for row in grid}) == 1
    assert len(grid[0]) == 1 + 1000  # 合计 plus the clamped span
    assert [row[:3] for row in grid] == [
        ("项目", "说明", "数量"),
        ("合计", "甲", ""),
        ("合计", "乙", "乙"),
        ("合计", "丙", "7"),
    ]


def test_whitespace_and_invisible_characters() -> None:
    page = (
        "<html><body><div class='TRS_Editor'>"
        "<p>\u3000\u3000全年\u200b公开\ufeff信息\xa0\xa0200条，\n   同比增长\u3000\u300010%。</p>"
        "<p>中文\n换行不留空格，English\nwords keep a space.</p>"
        "<p>\xa0</p><p>　　</p><p>（一）<span>主动</span><span>公开</span></p>"
        "</div></body></html>"
    )
    assert extract(page).text.split("\n") == [
        "全年公开信息 200条，同比增长 10%。",
        "中文换行不留空格，English words keep a space.",
        "（一）主动公开",
    ]


def test_hidden_elements_are_not_text() -> None:
    page = (
        "<html><body><div class='TRS_Editor'>"
        f"{BODY}<div style='DISPLAY: none'>隐藏的打印版本正文</div><p hidden>隐藏段落</p>"
        "<p>可见段落<span style='visibility:hidden'>隐藏文字</span></p>"
        "</div></body></html>"
    )
    assert extract(page).text.split("\n") == [_text_of(BODY), "可见段落"]


def test_nothing_from_the_page_stays_live() -> None:
    page = (
        "<html><head><meta name='description' content='&lt;script&gt;x()&lt;/script&gt;'>"
        "</head><body><div class='TRS_Editor'>"
        f"{BODY}<p>&lt;script&gt;alert(1)&lt;/script&gt; 见 JavaScript:alert(2)</p>"
        "<p><a href=' java&#10;script:alert(1)'>附件1：恶意.pdf</a>"
        "<a href='data:text/html,x'>附件2.pdf</a><a href='mailto:a@b.cn'>附件3</a>"
        "<a href='HTTPS://example.cn/a.pdf' onclick='steal()'>附件4</a>"
        "<a href='/files/a\"b<c>.docx'>附件5</a></p>"
        "<iframe src='javascript:alert(3)'></iframe><svg><script>alert(4)</script></svg>"
        "</div></body></html>"
    )
    doc = extract(page)
    assert "＜script>alert(1)＜/script> 见 JavaScript：alert(2)" in doc.text.split("\n")
    assert not re.search(r"<[a-z/!?]", doc.text, re.IGNORECASE)
    assert "javascript:" not in doc.text.lower()
    assert doc.meta["description"] == "＜script>x()＜/script>"
    assert doc.attachments == (
        ("附件4", "HTTPS://example.cn/a.pdf"),
        ("附件5", "/files/a%22b%3Cc%3E.docx"),
    )


@pytest.mark.parametrize(
    "page",
    [
        pytest.param("", id="empty"),
        pytest.param("<", id="lone-bracket"),
        pytest.param("<html><body></body></html>", id="empty-body"),
        pytest.param("<html><body><p>Annual report in English only.</p></body></html>", id="en"),
        pytest.param("\x00\x01\ufffd<<>><p <div>>>", id="junk"),
        pytest.param("<div>" * 30000 + "中文" + "</div>" * 30000, id="deep"),
        pytest.param("<div>来源：甲" * 5000 + "</div>" * 5000, id="deep-labels"),
        pytest.param("<span>" * 20000 + "<a href='a.pdf'>附件</a>" * 50, id="deep-links"),
        pytest.param("<table>" * 2000 + "<td rowspan=65534 colspan=1000>表</td>", id="tables"),
    ],
)
def test_hostile_pages_do_not_raise(page: str) -> None:
    doc = extract(page)
    assert isinstance(doc.text, str)
    assert "<" not in doc.text


def test_page_without_chinese_gives_empty_text() -> None:
    doc = extract("<html><head><title>Report</title></head><body><p>English.</p></body></html>")
    assert doc == HtmlDocument(text="", meta={"title": "Report"}, grids=(), attachments=())


def test_two_megabyte_page() -> None:
    nav = "<div class='nav'>" + "<a href='/x'>导航链接</a>" * 5000 + "</div>"
    block = "<p>" + "政府信息公开工作年度报告正文内容。" * 20 + "</p>"
    table = "<table><tr><td>项目</td><td>数量</td></tr><tr><td>申请</td><td>7</td></tr></table>"
    page = f"<html><body>{nav}<div id='UCAP-CONTENT'>{(block + table) * 1900}</div></body></html>"
    assert len(page.encode()) > 2_000_000
    doc = extract(page)
    assert len(doc.grids) == 1900
    assert doc.text.count("\n") + 1 == 1900 * 4  # a paragraph and a three-line pipe table
    assert "导航链接" not in doc.text


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'<html><head><meta charset="utf-8"><title>x</title>', "utf-8"),
        (b"<meta charset=UTF8>", "utf-8"),
        (b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=GB2312">', "gb18030"),
        (b"<meta content='text/html;charset=gbk' http-equiv='content-type'>", "gb18030"),
        (b'<meta charset="x-gbk">', "gb18030"),
        (b'<meta charset="GB18030">', "gb18030"),
        (b'<meta charset="big5">', "big5"),
        (b'<meta charset="utf-16">', "utf-8"),
        (b'<meta charset="iso-8859-1">', "cp1252"),
        (b'<?xml version="1.0" encoding="GBK"?><html>', "gb18030"),
        (b'<!-- <meta charset="big5"> --><meta charset="utf-8">', "utf-8"),
        (b'<meta charset="no-such-codec"><meta charset="gbk">', "gb18030"),
        (b'<meta charset="rot13">', None),
        (b'<meta charset="utf-7">', None),
        (b"<html><head><title>none</title></head>", None),
        (b"", None),
        (b" " * 4096 + b'<meta charset="gbk">', None),
        ("<meta charset='gb2312'><p>中文</p>".encode("gb18030"), "gb18030"),
    ],
)
def test_declared_charset(head: bytes, expected: str | None) -> None:
    assert declared_charset(head) == expected


def test_sanitize_fragment_keeps_only_safe_markup() -> None:
    dirty = (
        '<p onclick="x()" style="color:red">正文<script>alert(1)</script>'
        '<a href="javascript:alert(1)">脚本</a> <a href="https://x.gov.cn/a.pdf" target="_blank">'
        'PDF</a> <a href="/relative">相对</a><img src="x" onerror="alert(1)"><strong>粗</strong>'
        '</p><iframe src="https://x">框</iframe><table><tr><td rowspan="2x" colspan="3" '
        'class="c">格</td></tr></table><ul><li>项</li></ul><div>块</div><style>p{}</style>'
    )
    assert sanitize_fragment(dirty) == (
        '<p>正文<a rel="nofollow noopener">脚本</a> '
        '<a href="https://x.gov.cn/a.pdf" rel="nofollow noopener">PDF</a> '
        '<a rel="nofollow noopener">相对</a><strong>粗</strong></p>'
        '<table><tbody><tr><td rowspan="2" colspan="3">格</td></tr></tbody></table>'
        "<ul><li>项</li></ul>块"
    )


# --- hostile input, property-tested ---------------------------------------------------------

MARKER = "本段用于检验正文提取是否稳定可靠。"
TAGS = ["p", "div", "span", "b", "a", "br", "ul", "li", "table", "tr", "td", "th", "h2"]
TAGS += ["script", "style", "iframe", "noscript", "textarea", "title", "xmp", "svg", "form"]
TAGS += ["nav", "object", "template", "select", "pre", "img", "font", "center"]
ATTRIBUTES = st.sampled_from(
    [
        'onclick="alert(1)"',
        'href="javascript:alert(1)"',
        "href=' JaVaScRiPt:alert(1)'",
        'href="data:text/html;base64,PHNjcmlwdD4="',
        'href="./附件1.pdf"',
        'src="javascript:alert(1)"',
        'rowspan="0"',
        'rowspan="-3"',
        'colspan="70000"',
        'colspan="x"',
        'class="TRS_Editor"',
        'class="share"',
        'style="display:none"',
    ]
)
TEXTS = st.one_of(
    st.text(max_size=20),
    st.text(max_size=20).map(html_lib.escape),
    st.sampled_from(
        [
            "附件：",
            "索引号：",
            "当前位置：",
            "javascript:alert(1)",
            "<script>alert(1)</script>",
            "&lt;iframe src=x&gt;",
            "a|b",
            "\u3000\u200b\xa0",
            "ICP备",
        ]
    ),
)


def _wrap(tag: str, attributes: list[str], children: list[str]) -> str:
    return f"<{tag} {' '.join(attributes)}>{''.join(children)}</{tag}>"


FRAGMENTS = st.recursive(
    TEXTS,
    lambda inner: st.builds(
        _wrap, st.sampled_from(TAGS), st.lists(ATTRIBUTES, max_size=3), st.lists(inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragment=FRAGMENTS)
# A short body beside a link of digits: the link's share once counted in all characters, and a
# four-character block inside the link outscored the body's paragraph.
@example(
    fragment="<a>000000000<p>00000000000000000<div>000000000000000000000当前位置：</div></p></a>"
)
def test_hostile_fragments_never_leak_markup(fragment: str) -> None:
    page = f"<html><body><div class='TRS_Editor'><p>{MARKER}</p>{fragment}</div></body></html>"
    doc = extract(page)
    # The body survives whatever follows it (an exception would have emptied the document).
    assert doc.text.split("\n")[0] == MARKER
    outputs = [doc.text, *doc.meta.values(), *(t + " " + u for t, u in doc.attachments)]
    outputs += [cell for grid in doc.grids for row in grid for cell in row]
    for out in outputs:
        assert not re.search(r"<\s*/?\s*(script|iframe|style)", out, re.IGNORECASE)
        assert "javascript:" not in out.lower()
    for _, url in doc.attachments:
        scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
        assert scheme is None or scheme.group(1).lower() in ("http", "https")
    for grid in doc.grids:
        assert len({len(row) for row in grid}) == 1
    assert "" not in doc.text.split("\n")
