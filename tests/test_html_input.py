"""Saved web pages through the whole build: body found, header read, tables kept, nothing live."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import build_into

PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某某县2019年政府信息公开工作年度报告_某某县人民政府</title>
<meta name="ArticleTitle" content="某某县2019年政府信息公开工作年度报告">
<script>var tracker = 1;</script><style>body{}</style></head>
<body onload="evil()">
<div class="nav"><a href="/">首页</a> | <a href="/zwgk">政务公开</a></div>
<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 年报</div>
<table class="xxgk_head"><tr><td>索引号：</td><td>000-2020-001</td><td>发布机构：</td><td>某某县人民政府办公室</td></tr>
<tr><td>文号：</td><td>某政办〔2020〕3号</td><td>成文日期：</td><td>2020-01-15</td></tr>
<tr><td>发布日期：</td><td>2020-01-16</td><td>主题分类：</td><td>年报</td></tr></table>
<div class="TRS_Editor">
<p>根据《中华人民共和国政府信息公开条例》，现公布本县2019年政府信息公开工作年度报告。</p>
<p>一、总体情况</p>
<p>2019年，全县主动公开政府信息3200条，召开新闻发布会12次。<a href="javascript:alert(1)">点我</a></p>
<p>三、收到和处理政府信息公开申请情况</p>
<table border="1">
<tr><td rowspan="2">类别</td><td colspan="2">数量</td></tr>
<tr><td>本年</td><td>上年</td></tr>
<tr><td>申请</td><td>12</td><td>9</td></tr>
</table>
<p>本年度未收取任何费用。<img src="x" onerror="alert(2)"></p>
<iframe src="https://evil.example/"></iframe>
<p>附件：<a href="/files/report.xls">统计表.xls</a></p>
</div>
<div class="footer">版权所有：某某县人民政府 某ICP备12345678号</div>
</body></html>
"""


def test_saved_gbk_page_builds_into_a_clean_report(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "page.html").write_bytes(PAGE.encode("gb18030"))
    out = tmp_path / "out"
    (out / "docs" / "assets").mkdir(parents=True)
    result = build_into(src, out, with_site=True)
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    (report,) = result.reports
    a, m = report.archived, report.metadata
    assert a.encoding == "gb18030" and a.media_type == "text/html"
    assert m.title == "某某县2019年政府信息公开工作年度报告"
    assert m.issuer == "某某县人民政府办公室"
    assert m.doc_number == "某政办〔2020〕3号"
    assert m.published_date == "2020-01-16"
    text = report.cleaned.text
    for clutter in ("首页", "当前位置", "ICP备", "版权所有", "tracker", "javascript", "evil"):
        assert clutter not in text, clutter
    assert "2019年，全县主动公开政府信息3200条，召开新闻发布会12次。" in text
    assert "| 类别 | 数量 | 数量 |" in text  # the colspan is expanded into the grid
    stats = {s.indicator: s.value for s in report.statistics}
    assert stats == {"proactive_items": 3200, "press_conferences": 12, "fees_collected": 0}
    page = (out / "site" / "reports" / report.report_id / "index.html").read_text(encoding="utf-8")
    assert "<table>" in page or "<table" in page
    assert "evil" not in page and "onerror" not in page and "javascript:" not in page
    # The original page is offered as text, never served as live HTML.
    assert not list((out / "site").rglob("*.html.html"))
    assert list((out / "site" / "downloads" / "originals").glob("*.html.txt"))
