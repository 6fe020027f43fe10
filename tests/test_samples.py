"""Reports in the 2019/2021 formats as CMS pages carry them (header lines, breadcrumb, the whole
body on one line with every table cell run together), through the whole pipeline."""

from __future__ import annotations

import pytest

from pipeline.records import Source
from pipeline.report import process, report_id_for
from tests.test_template import TABLES, render

PAGE = """标题: 某某区{year}年度政府信息公开工作年度报告
发布时间: {published} 16:34
文号:
发布机构:
栏目: 政府信息公开年报
原文链接: https://www.example.gov.cn/zwgk/ndbg/{year}.htm
当前位置： 首页政务公开政府信息公开年报 某某区{year}年度政府信息公开工作年度报告 来源：某某区人民政府 时间：{published} 16:34 微信 微博 文件下载 相关链接： --> {body} 附件下载
"""

CASES = {
    "county_2021": ("template_2021", 2021, "2022-02-08"),
    "department_2019": ("template_2019", 2019, "2020-01-20"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def sample(request):
    name = request.param
    _, year, published = CASES[name]
    body = render(name, "flat").split("\n", 1)[1].replace("\n", "")
    text = PAGE.format(year=year, published=published, body=body)
    source = Source(f"{name}.txt", text.encode("utf-8"))
    return name, process(source, report_id_for(source.name))


def test_format_and_metadata(sample):
    name, report = sample
    fmt, year, published = CASES[name]
    m = report.metadata
    assert m.report_format == fmt
    assert m.year == year and m.published_date == published
    assert m.title == f"某某区{year}年度政府信息公开工作年度报告"
    assert m.url == f"https://www.example.gov.cn/zwgk/ndbg/{year}.htm"
    assert "当前位置" not in report.cleaned.text and "附件下载" not in report.cleaned.text


def test_applications_and_review_tables_decode_completely(sample):
    _, report = sample
    cells = [c for c in report.cells if c.table in {"applications", "review_litigation"}]
    assert len(cells) >= 7 * 20 + 15
    assert all(c.value is not None for c in cells)
    identities = [c for c in report.checks if c.check.split(":")[0] in {"I1", "I2", "I3", "I4"}]
    assert identities and all(c.status == "pass" for c in identities), [
        c for c in identities if c.status != "pass"
    ]


def test_derived_statistics_match_the_prose(sample):
    name, report = sample
    stats = {s.indicator: s for s in report.statistics if s.scope is None}
    table = TABLES[name]["applications"]
    assert stats["applications_received"].value == table["1"][-1]
    assert stats["applications_answered"].value == table["3.7"][-1]
    assert stats["applications_carried_out"].value == table["4"][-1]
    for indicator in ("applications_received", "applications_answered", "reconsideration_cases"):
        assert stats[indicator].method == "table"
        assert not stats[indicator].check_failed
    prose = [c for c in report.checks if c.check.startswith("prose_vs_table:")]
    assert prose and all(c.status == "pass" for c in prose), prose
