"""Pages stage: the site's Markdown (home, a page per report, browse indexes, datasets, search)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import package
from pipeline.extract.figures import indicator_titles
from pipeline.markdown import escape
from pipeline.records import Report

LEVEL_ZH = {
    "central": "中央", "province": "省级", "prefecture": "地市级", "county": "县级", "township": "乡镇级",
}
FORMAT_ZH = {"free_text": "自由文本", "template_2019": "2019 年格式", "template_2021": "2021 年格式"}
TYPE_ZH = {"annual_report": "年度报告", "notice": "通报", "other": "其他"}
SCRIPT_ZH = {"hans": "简体", "hant": "繁体"}
ISSUER_TYPE_ZH = {"government": "政府", "department": "部门", "other": "其他"}
QUALIFIER_ZH = {"exact": "", "more_than": "多", "nearly": "近", "approximately": "约"}
TABLE_ZH = {
    "proactive": "主动公开政府信息情况",
    "applications": "收到和处理政府信息公开申请情况",
    "review_litigation": "政府信息公开行政复议、行政诉讼情况",
}
STATUS_MARK = {"pass": "✔", "fail": "✘", "not_applicable": "–"}


@dataclass(frozen=True)
class SiteFiles:
    """Files the pages link to, relative to the docs folder."""

    downloads: str = "downloads"


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def _region(r: Report) -> str:
    g = r.metadata.region
    return " · ".join(x for x in (g.province, g.prefecture, g.county) if x) or "未知"


def _slug(value: str | None) -> str:
    """File-safe name for an index page: region names keep their Han characters."""
    if not value:
        return "unknown"
    return "".join(ch for ch in value if ch.isalnum() or ch in "-_") or "unknown"


def report_page(r: Report, same_issuer: Sequence[Report], dl: str) -> str:
    m = r.metadata
    rid = r.report_id
    filters = [f"year:{m.year or '未知'}", f"level:{LEVEL_ZH.get(m.admin_level or '', '未知')}",
               f"province:{m.region.province or '未知'}"]
    lines = [
        "---",
        f"title: {json.dumps(m.title_hans, ensure_ascii=False)}",
        "---",
        "",
        f'<div class="report" data-pagefind-body data-pagefind-filter="{", ".join(_attr(f) for f in filters)}" markdown="1">',
        "",
        f"# {_e(m.title)}",
        "",
        '<div class="report-card" markdown="1">',
        "",
        "| | |",
        "| --- | --- |",
        f"| 发布机关 | {_e(m.issuer or '未知')}（{ISSUER_TYPE_ZH.get(m.issuer_type, '')}） |",
        f"| 地区 | {_e(_region(r))}{' · ' + _e(m.region.division_code) if m.region.division_code else ''} |",
        f"| 层级 | {_e(LEVEL_ZH.get(m.admin_level or '', '未知'))} |",
        f"| 报告年度 | {_e(m.year or '未知')} |",
        f"| 发布日期 | {_e(m.published_date or '未知')} |",
    ]
    if m.doc_number:
        lines.append(f"| 文号 | {_e(m.doc_number)} |")
    lines += [
        f"| 类型 · 格式 · 字体 | {TYPE_ZH[m.document_type]} · {FORMAT_ZH[m.report_format]} · {SCRIPT_ZH[m.script]} |",
    ]
    if m.url:
        lines.append(f"| 原文链接 | <{_url(m.url)}> |")
    lines += ["", "</div>", ""]

    titles = indicator_titles()
    if r.statistics:
        lines += ["## 主要数字 {#key-figures}", "", "| 指标 | 数值 | 范围 | 依据 |", "| --- | ---: | --- | --- |"]
        for s in r.statistics:
            name = titles.get(s.indicator, (s.indicator, s.indicator, ""))[1]
            value = f"{QUALIFIER_ZH[s.qualifier]}{_fmt(s.value)} {s.unit}"
            link = f"[{_e(value)}](#{s.anchor})" if s.anchor else _e(value)
            how = "表格" if s.method == "table" else "原文"
            lines.append(f"| {_e(name)} | {link} | {_e(s.scope or '全部')} | {how} |")
        lines.append("")

    if r.cells:
        lines += ["## 法定表格 {#tables}", ""]
        by_table: dict[str, list] = defaultdict(list)
        for c in r.cells:
            by_table[c.table].append(c)
        for table, cells in by_table.items():
            lines += _grid(table, cells)
    if r.checks:
        lines += ["### 一致性检查 {#checks}", "", "| 检查 | 结果 | 说明 |", "| --- | :---: | --- |"]
        for c in r.checks:
            lines.append(f"| {_e(c.check)} | {STATUS_MARK.get(c.status, c.status)} {_e(c.status)} | {_e(c.detail)} |")
        lines.append("")

    # The report's own headings keep their levels (一、 → h2), so the text is not put under a heading.
    lines += ['<p class="section-label" id="full-text">全文</p>', ""]
    lines.append('<div class="report-text" markdown="1">')
    lines.append("")
    body = r.markdown.split("\n", 1)[1] if r.markdown.startswith("# ") else r.markdown
    lines.append(body)
    lines += ["</div>", ""]
    if r.text_hans is not None:
        lines += [
            "## 简体版 {#simplified}",
            "",
            '<details class="simplified" markdown="1">',
            "<summary>显示简体中文文本</summary>",
            "",
            "\n\n".join(_e(p) for p in r.text_hans.split("\n") if p.strip()),
            "",
            "</details>",
            "",
        ]
    lines += ["</div>", "", "## 下载 {#downloads}", ""]
    ext = "html.txt" if r.archived.media_type == "text/html" else "txt"
    lines += [
        f"- [原始文件]({dl}/originals/{r.archived.sha256}.{ext})（{r.archived.size:,} 字节，{_e(r.archived.encoding)}，SHA-256 `{r.archived.sha256}`）",
        f"- [清理后文本]({dl}/texts/{rid}.txt)",
        f"- [Markdown]({dl}/markdown/{rid}.md)",
        f"- [本报告的数据（CSV）]({dl}/reports/{rid}.csv)",
    ]
    if r.duplicates:
        lines.append(f"- 相同内容的其他源文件：{_e('、'.join(r.duplicates))}")
    others = [o for o in same_issuer if o.report_id != rid]
    if others:
        lines += ["", "## 同一机关的其他年度 {#same-issuer}", ""]
        for o in sorted(others, key=lambda o: (o.metadata.year or 0, o.report_id)):
            lines.append(f"- [{_e(o.metadata.year or '未知')} · {_e(o.metadata.title)}]({o.report_id}.md)")
    return "\n".join(lines) + "\n"


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(",", "，")


def _url(url: str) -> str:
    return url.replace(" ", "%20").replace(">", "%3E").replace("<", "%3C")


def _grid(table: str, cells: list) -> list[str]:
    rows: dict[str, str] = {}
    cols: dict[str, str] = {}
    values: dict[tuple[str, str], float | None] = {}
    for c in cells:
        rows.setdefault(c.row_key, c.row_label)
        cols.setdefault(c.column_key, c.column_label)
        values[(c.row_key, c.column_key)] = c.value
    out = [f"### {TABLE_ZH.get(table, table)} {{#table-{table.replace('_', '-')}}}", ""]
    out.append("| 项目 | " + " | ".join(_e(v) for v in cols.values()) + " |")
    out.append("| --- | " + " | ".join("---:" for _ in cols) + " |")
    for rk, label in rows.items():
        cells_md = [_fmt(values.get((rk, ck))) if (rk, ck) in values else "" for ck in cols]
        out.append(f"| {_e(rk)} {_e(label)} | " + " | ".join(cells_md) + " |")
    out.append("")
    return out


def report_csv(r: Report) -> str:
    """This report's statistics as CSV (the per-report download)."""
    _, schemas = package.schemas()
    rows = package.report_rows(r)["statistics"]
    buf = io.StringIO()
    names = [f.name for f in schemas["statistics"].fields]
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for row in rows:
        w.writerow(["" if row.get(n) is None else row.get(n) for n in names])
    return buf.getvalue()


def _index(title: str, intro: str, groups: Iterable[tuple[str, list[Report]]], prefix: str) -> str:
    lines = [f"# {escape(title)}", "", intro, ""]
    for label, reps in groups:
        lines += [f"## {escape(label)}（{len(reps)}）", ""]
        for r in sorted(reps, key=lambda r: (-(r.metadata.year or 0), r.metadata.title_hans, r.report_id)):
            m = r.metadata
            lines.append(f"- [{_e(m.title)}]({prefix}{r.report_id}.md) · {_e(m.issuer or '')} · {_e(m.year or '')}")
        lines.append("")
    return "\n".join(lines) + "\n"


def browse_pages(reports: Sequence[Report]) -> dict[str, str]:
    """Index pages: by year, by province (then prefecture, county), by level, by document type."""
    pages: dict[str, str] = {}
    by_year: dict[str, list[Report]] = defaultdict(list)
    by_prov: dict[str, list[Report]] = defaultdict(list)
    by_level: dict[str, list[Report]] = defaultdict(list)
    by_type: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        m = r.metadata
        by_year[str(m.year or "未知")].append(r)
        by_prov[m.region.province or "未知"].append(r)
        by_level[m.admin_level or "unknown"].append(r)
        by_type[m.document_type].append(r)
    years = sorted(by_year, reverse=True)
    lines = ["# 按年度浏览", "", "| 年度 | 报告数 |", "| --- | ---: |"]
    for y in years:
        lines.append(f"| [{escape(y)}](year/{_slug(y)}.md) | {len(by_year[y])} |")
        pages[f"browse/year/{_slug(y)}.md"] = _index(f"{y} 年度的报告", "", [(f"{y} 年", by_year[y])], "../../reports/")
    pages["browse/years.md"] = "\n".join(lines) + "\n"
    lines = ["# 按地区浏览", "", "| 省级行政区 | 报告数 |", "| --- | ---: |"]
    for prov in sorted(by_prov):
        lines.append(f"| [{escape(prov)}](region/{_slug(prov)}.md) | {len(by_prov[prov])} |")
        groups: dict[str, list[Report]] = defaultdict(list)
        for r in by_prov[prov]:
            g = r.metadata.region
            groups[" · ".join(x for x in (g.prefecture, g.county) if x) or "省级机关"].append(r)
        pages[f"browse/region/{_slug(prov)}.md"] = _index(
            prov, "按地市、区县分组。", sorted(groups.items()), "../../reports/"
        )
    pages["browse/regions.md"] = "\n".join(lines) + "\n"
    order = ["central", "province", "prefecture", "county", "township", "unknown"]
    pages["browse/levels.md"] = _index(
        "按层级浏览", "", [(LEVEL_ZH.get(k, "未知"), by_level[k]) for k in order if k in by_level], "../reports/"
    )
    pages["browse/types.md"] = _index(
        "按文件类型浏览", "", [(TYPE_ZH[k], v) for k, v in sorted(by_type.items())], "../reports/"
    )
    pages["browse/index.md"] = (
        "# 浏览\n\n- [按年度](years.md)\n- [按地区](regions.md)\n- [按层级](levels.md)\n- [按文件类型](types.md)\n"
    )
    return pages


def home_page(reports: Sequence[Report], problems: int) -> str:
    years = Counter(r.metadata.year for r in reports if r.metadata.year)
    levels = Counter(r.metadata.admin_level or "unknown" for r in reports)
    provinces = Counter(r.metadata.region.province or "未知" for r in reports)
    stats = sum(len(r.statistics) for r in reports)
    lines = [
        "---",
        "title: 政府信息公开工作年度报告 · 开放数据",
        "---",
        "",
        "# 政府信息公开工作年度报告 · 开放数据",
        "",
        "中国各级行政机关每年须发布《政府信息公开工作年度报告》。本站收集散落于各政府网站的报告，"
        "保存原始文件，去除网页杂项，提取其中的统计数字（每个数字附原句），并以开放数据发布。",
        "",
        f"本站现收录 **{len(reports)}** 份报告，提取 **{stats}** 个统计数字。"
        f"[浏览](browse/index.md) · [搜索](search.md) · [数据下载](datasets.md) · [构建报告](build-report.md)",
        "",
        "## 按年度",
        "",
        "| 年度 | 报告数 |",
        "| --- | ---: |",
    ]
    for y in sorted(years, reverse=True):
        lines.append(f"| [{y}](browse/year/{y}.md) | {years[y]} |")
    lines += ["", "## 按层级", "", "| 层级 | 报告数 |", "| --- | ---: |"]
    for k in ["central", "province", "prefecture", "county", "township", "unknown"]:
        if k in levels:
            lines.append(f"| {LEVEL_ZH.get(k, '未知')} | {levels[k]} |")
    lines += ["", "## 按省份", "", "| 省级行政区 | 报告数 |", "| --- | ---: |"]
    for p, n in sorted(provinces.items(), key=lambda x: (-x[1], x[0])):
        lines.append(f"| [{escape(p)}](browse/region/{_slug(p)}.md) | {n} |")
    lines += ["", "## 最新收录", ""]
    latest = sorted(reports, key=lambda r: (r.metadata.published_date or "", r.report_id), reverse=True)[:10]
    for r in latest:
        lines.append(f"- [{_e(r.metadata.title)}](reports/{r.report_id}.md) · {_e(r.metadata.published_date or '')}")
    return "\n".join(lines) + "\n"


def datasets_page(out_dir: Path, dl: str) -> str:
    """Downloads with sizes and checksums, and the data dictionary from the Table Schemas."""
    head, schemas = package.schemas()
    lines = [
        "---",
        "title: 数据下载与数据字典",
        "---",
        "",
        "# 数据下载与数据字典 (Datasets)",
        "",
        f"{escape(head['description'])}",
        "",
        "## 下载",
        "",
        "| 文件 | 大小（字节） | SHA-256 |",
        "| --- | ---: | --- |",
    ]
    files = ["datapackage.json"] + [f"{n}.{ext}" for n in package.RESOURCES for ext in ("csv", "parquet")]
    files.append("corpus.zip")
    for name in files:
        p = out_dir / name
        if p.exists():
            lines.append(f"| [{name}]({dl}/{name}) | {p.stat().st_size:,} | `{package.sha256_file(p)}` |")
    lines += [
        "",
        "`corpus.zip` holds every original file and every cleaned text. 许可：ODC-BY-1.0（署名）。",
        "",
        "## Data dictionary · 数据字典",
        "",
    ]
    for name, s in schemas.items():
        lines += [f"### {name} · {escape(s.title_zh)}", "", escape(s.description), ""]
        lines += ["| 字段 field | 类型 type | 中文 | English |", "| --- | --- | --- | --- |"]
        for f in s.fields:
            lines.append(
                f"| `{f.name}` | {f.type} | **{escape(f.title_zh)}**：{escape(f.description_zh)} "
                f"| **{escape(f.title)}**: {escape(f.description)} |"
            )
        lines.append("")
    lines += ["### Indicators · 指标", "", "| indicator | 单位 | 中文 | English |", "| --- | --- | --- | --- |"]
    for code, (en, zh, unit) in indicator_titles().items():
        lines.append(f"| `{code}` | {unit} | {escape(zh)} | {escape(en)} |")
    lines += [
        "",
        "## 使用示例",
        "",
        "```python",
        "import pandas as pd",
        "stats = pd.read_parquet('statistics.parquet')",
        "stats[stats.indicator == 'applications_received'].groupby('year').value.sum()",
        "```",
        "",
        "```sql",
        "-- DuckDB",
        "SELECT r.year, r.admin_level, sum(s.value) AS applications",
        "FROM 'statistics.parquet' s JOIN 'reports.parquet' r USING (report_id)",
        "WHERE s.indicator = 'applications_received' AND s.scope IS NULL",
        "GROUP BY ALL ORDER BY ALL;",
        "```",
        "",
    ]
    return "\n".join(lines) + "\n"


def build_report_page(problems: Sequence[Any]) -> str:
    lines = ["# 构建报告 (Build report)", "", f"本次构建共有 {len(problems)} 条提示。", ""]
    if problems:
        lines += ["| 文件 | 阶段 | 级别 | 说明 |", "| --- | --- | --- | --- |"]
        for p in problems:
            lines.append(f"| {_e(p.source_file)} | {_e(p.stage)} | {_e(p.severity)} | {_e(p.message)} |")
    return "\n".join(lines) + "\n"


SEARCH_PAGE = """---
title: 搜索
---

# 搜索

<div id="search" data-pagefind-ignore></div>
<noscript>搜索需要 JavaScript。也可以按[年度](browse/years.md)或[地区](browse/regions.md)浏览。</noscript>
"""


def write_pages(docs_dir: Path, reports: Sequence[Report], problems: Sequence[Any], datasets_dir: Path) -> int:
    """Write every generated page and download into ``docs_dir``; returns the number of pages."""
    dl = "../downloads"
    pages: dict[str, str] = {}
    by_issuer: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        by_issuer[r.metadata.issuer or r.report_id].append(r)
    for r in reports:
        pages[f"reports/{r.report_id}.md"] = report_page(r, by_issuer[r.metadata.issuer or r.report_id], dl)
    pages.update(browse_pages(reports))
    pages["index.md"] = home_page(reports, len(problems))
    pages["datasets.md"] = datasets_page(datasets_dir, "downloads")
    pages["search.md"] = SEARCH_PAGE
    pages["build-report.md"] = build_report_page(problems)
    pages["reports/index.md"] = _index(
        "全部报告", "按年度分组。", sorted(_group_by_year(reports).items(), reverse=True), ""
    ) if len(reports) <= 2000 else "# 全部报告\n\n请[按年度](../browse/years.md)浏览。\n"
    for rel, text in pages.items():
        p = docs_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    per_report = docs_dir / "downloads" / "reports"
    per_report.mkdir(parents=True, exist_ok=True)
    for r in reports:
        (per_report / f"{r.report_id}.csv").write_text(report_csv(r), encoding="utf-8")
    return len(pages)


def _group_by_year(reports: Sequence[Report]) -> dict[str, list[Report]]:
    out: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        out[str(r.metadata.year or "未知")].append(r)
    return out
