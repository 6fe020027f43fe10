"""Pages stage: the site's Markdown (home, a page per report, browse indexes, datasets, search)
and the files published beside them (Atom feed, per-report CSV)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import charts, package, readers
from pipeline.extract.figures import indicator_titles
from pipeline.fileio import write_files
from pipeline.markdown import escape
from pipeline.records import Report

SITE_NAME = "政府信息公开年报开放数据"
LEVEL_ORDER = ("central", "province", "prefecture", "county", "township", "unknown")
LEVEL_ZH = {
    "central": "中央",
    "province": "省级",
    "prefecture": "地市级",
    "county": "县级",
    "township": "乡镇级",
    "unknown": "未知",
}
FORMAT_ZH = {
    "free_text": "自由文本",
    "template_2019": "2019 年格式",
    "template_2021": "2021 年格式",
}
TYPE_ZH = {"annual_report": "年度报告", "notice": "通报", "other": "其他"}
SCRIPT_ZH = {"hans": "简体", "hant": "繁体"}
LANG = {"hans": "zh-Hans", "hant": "zh-Hant"}
ISSUER_TYPE_ZH = {"government": "政府", "department": "部门", "other": "其他"}
QUALIFIER_ZH = {"exact": "", "more_than": "多", "nearly": "近", "approximately": "约"}
TABLE_ZH = {
    "proactive": "主动公开政府信息情况",
    "applications": "收到和处理政府信息公开申请情况",
    "review_litigation": "政府信息公开行政复议、行政诉讼情况",
}
STATUS_ZH = {"pass": ("✔", "通过"), "fail": ("✘", "不一致"), "not_applicable": ("–", "不适用")}
LICENSE_NAME = "ODC-BY-1.0"
LICENSE_URL = "https://opendatacommons.org/licenses/by/1-0/"
FEED_MAX = 50
LATEST = 10
LIST_MAX = 1000
"""A browse page lists at most this many reports; a larger group is split by year."""
FEED_NS = uuid.UUID("8d3c5f0e-3a52-5b0e-9a59-6f1d1f6b7a21")

# Filters Pagefind reads from each report page (name → attribute holding the value).
SEARCH_FILTERS = (("年度", "data-year"), ("层级", "data-level"), ("省份", "data-province"))


@dataclass(frozen=True)
class SiteFiles:
    """Files the pages link to, relative to the docs folder."""

    downloads: str = "downloads"


# --------------------------------------------------------------------------- small helpers


def _e(value: Any) -> str:
    """Escape for Markdown text."""
    return escape("" if value is None else str(value))


def _h(value: Any) -> str:
    """Escape for raw HTML (text and attribute values)."""
    return html.escape("" if value is None else str(value), quote=True)


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


def _url(url: str) -> str:
    return url.replace(" ", "%20").replace(">", "%3E").replace("<", "%3C").replace('"', "%22")


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _level(r: Report) -> str:
    return r.metadata.admin_level or "unknown"


def _year(r: Report) -> str:
    return str(r.metadata.year or "未知")


def _newest_first(reports: Iterable[Report]) -> list[Report]:
    return sorted(
        reports, key=lambda r: (r.metadata.published_date or "", r.report_id), reverse=True
    )


def _by_title(reports: Iterable[Report]) -> list[Report]:
    return sorted(
        reports, key=lambda r: (-(r.metadata.year or 0), r.metadata.title_hans, r.report_id)
    )


def _table_html(
    caption: str,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int] = (),
    row_headers: bool = True,
    caption_visible: bool = False,
    nested: bool = False,
) -> str:
    """An accessible HTML table (cells are already-escaped HTML) in a horizontally scrolling box;
    ``nested`` when it sits inside a ``markdown="1"`` block (it must then stay raw HTML)."""
    cap_cls = "" if caption_visible else ' class="visually-hidden"'
    wrap = '<div class="table-wrap" markdown="0">' if nested else '<div class="table-wrap">'
    out = [wrap, "<table>", f"<caption{cap_cls}>{_h(caption)}</caption>"]
    out.append(
        "<thead><tr>"
        + "".join(
            f'<th scope="col"{" class=num" if i in numeric else ""}>{h}</th>'
            for i, h in enumerate(head)
        )
        + "</tr></thead>"
    )
    out.append("<tbody>")
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            if i == 0 and row_headers:
                cells.append(f'<th scope="row"{cls}>{c}</th>')
            else:
                cells.append(f"<td{cls}>{c}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    return "\n".join(out).replace(" class=num", ' class="num"')


# --------------------------------------------------------------------------- report page


def search_filters(r: Report) -> dict[str, str]:
    """The values a report page gives Pagefind's filters, by attribute."""
    m = r.metadata
    return {
        "data-year": str(m.year or "未知"),
        "data-level": LEVEL_ZH.get(_level(r), "未知"),
        "data-province": m.region.province or "未知",
    }


def report_page(r: Report, same_issuer: Sequence[Report], dl: str) -> str:
    m = r.metadata
    rid = r.report_id
    values = search_filters(r)
    filter_attrs = " ".join(f'{a}="{_attr(values[a])}"' for _, a in SEARCH_FILTERS)
    filter_spec = ", ".join(f"{name}[{a}]" for name, a in SEARCH_FILTERS)
    description = (
        f"{m.issuer or '未知机关'}{m.year or ''}年度政府信息公开工作报告全文、主要数字与原始文件。"
    )
    lines = [
        "---",
        f"title: {json.dumps(m.title_hans, ensure_ascii=False)}",
        f"description: {json.dumps(description, ensure_ascii=False)}",
        "---",
        "",
        f'<div class="report" data-pagefind-body {filter_attrs} data-pagefind-filter="{filter_spec}" markdown="1">',
        "",
        f"# {_e(m.title)}",
        "",
        _card(r),
        "",
    ]
    sections = []
    if r.statistics:
        sections.append(("key-figures", "主要数字"))
    if r.cells:
        sections.append(("tables", "法定表格"))
    sections.append(("full-text", "全文"))
    if r.text_hans is not None:
        sections.append(("simplified", "简体版"))
    sections.append(("downloads", "下载"))
    lines += [
        '<nav class="report-jump" aria-label="本页内容" data-pagefind-ignore markdown="0">'
        + " ".join(f'<a href="#{a}">{_h(t)}</a>' for a, t in sections)
        + "</nav>",
        "",
    ]

    if r.statistics:
        lines += [
            '<div class="key-figures" data-pagefind-ignore markdown="1">',
            "",
            "## 主要数字 {#key-figures}",
            "",
        ]
        lines.append(
            '<p class="hint">点击数值可跳到报告中给出该数字的句子；标“表”的取自法定表格。'
            "“范围”为“全部”指整个报告机关，否则为其中的一部分。</p>"
        )
        lines += ["", _key_figures(r, f"../{dl}"), "", "</div>", ""]

    if r.cells:
        lines += [
            '<div class="mandated" data-pagefind-ignore markdown="1">',
            "",
            "## 法定表格 {#tables}",
            "",
        ]
        by_table: dict[str, list] = defaultdict(list)
        for c in r.cells:
            by_table[c.table].append(c)
        for table, cells in by_table.items():
            lines += _grid(table, cells)
        if r.checks:
            lines += ["### 一致性检查 {#checks}", "", _checks(r), ""]
        lines += ["</div>", ""]
    elif r.checks:
        lines += [
            '<div class="mandated" data-pagefind-ignore markdown="1">',
            "",
            "## 一致性检查 {#checks}",
            "",
        ]
        lines += [_checks(r), "", "</div>", ""]

    # The report's own headings keep their levels (一、 → h2), so the text is not put under a heading.
    lines += ['<p class="section-label" id="full-text">全文</p>', ""]
    lines.append(f'<div class="report-text" lang="{LANG.get(m.script, "zh")}" markdown="1">')
    lines.append("")
    body = r.markdown.split("\n", 1)[1] if r.markdown.startswith("# ") else r.markdown
    lines.append(body)
    lines += ["", "</div>", ""]
    if r.text_hans is not None:
        lines += [
            "## 简体版 {#simplified}",
            "",
            '<details class="simplified" lang="zh-Hans" markdown="1">',
            "<summary>显示简体中文文本（由繁体自动转换）</summary>",
            "",
            "\n\n".join(_e(p) for p in r.text_hans.split("\n") if p.strip()),
            "",
            "</details>",
            "",
        ]
    lines += ["</div>", "", "## 下载 {#downloads}", ""]
    ext = readers.original_suffix(r.archived.media_type)
    lines += [
        f"- [原始文件]({dl}/originals/{r.archived.sha256}.{ext})（{r.archived.size:,} 字节，{_e(readers.original_note(r.archived))}，"
        f'SHA-256 <code class="hash">{r.archived.sha256}</code>）',
        f"- [清理后文本]({dl}/texts/{rid}.txt)",
        # A raw link: mkdocs would otherwise treat the .md download as a page of the site.
        f'- <a href="../{dl}/markdown/{rid}.md" type="text/markdown">Markdown</a>',
        f"- [本报告的统计数字（CSV）]({dl}/reports/{rid}.csv)",
    ]
    if r.text_hans is not None:
        lines.append(f"- [简体版文本]({dl}/texts/{rid}.hans.txt)")
    if r.duplicates:
        lines.append(f"- 相同内容的其他源文件：{_e('、'.join(r.duplicates))}")
    others = [o for o in same_issuer if o.report_id != rid]
    if others:
        lines += ["", "## 同一机关的其他年度 {#same-issuer}", ""]
        for o in sorted(others, key=lambda o: (o.metadata.year or 0, o.report_id)):
            lines.append(
                f"- [{_e(o.metadata.year or '未知')} · {_e(o.metadata.title)}]({o.report_id}.md)"
            )
    return "\n".join(lines) + "\n"


def _card(r: Report) -> str:
    m = r.metadata
    rows: list[tuple[str, str]] = [
        (
            "发布机关",
            f"{_h(m.issuer or '未知')}（{_h(ISSUER_TYPE_ZH.get(m.issuer_type, '其他'))}）",
        ),
        (
            "地区",
            _h(_region(r))
            + (
                f' <span class="muted">{_h(m.region.division_code)}</span>'
                if m.region.division_code
                else ""
            ),
        ),
        ("层级", _h(LEVEL_ZH.get(_level(r), "未知"))),
        ("报告年度", _h(m.year or "未知")),
        ("发布日期", _h(m.published_date or "未知")),
    ]
    if m.doc_number:
        rows.append(("文号", _h(m.doc_number)))
    rows.append(
        (
            "类型",
            f"{_h(TYPE_ZH.get(m.document_type, m.document_type))} · {_h(FORMAT_ZH.get(m.report_format, m.report_format))}"
            f" · {_h(SCRIPT_ZH.get(m.script, m.script))}",
        )
    )
    if m.url:
        u = _h(_url(m.url))
        rows.append(
            (
                "原文链接",
                f'<a class="source-url" href="{u}" rel="nofollow noopener noreferrer">{u}</a>',
            )
        )
    items = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in rows)
    return f'<dl class="report-card" markdown="0">{items}</dl>'


def _key_figures(r: Report, downloads: str = "../../downloads") -> str:
    titles = indicator_titles()
    rows = []
    for s in r.statistics:
        name = titles.get(s.indicator, (s.indicator, s.indicator, ""))[1]
        value = _h(f"{QUALIFIER_ZH.get(s.qualifier, '')}{_fmt(s.value)} {s.unit}")
        if s.anchor:
            value = f'<a class="figure-link" href="#{_attr(s.anchor)}" title="跳到原句">{value}</a>'
        elif s.method == "table" and r.cells:
            value = f'<a class="figure-link" href="#tables" title="见法定表格">{value}</a>'
        if s.method == "table":
            value += ' <span class="tag" title="取自法定表格">表</span>'
        value += readers.page_link(r.archived, s, downloads)
        rows.append([_h(name), value, _h(s.scope or "全部")])
    return _table_html("主要数字", ["指标", "数值", "范围"], rows, numeric=(1,), nested=True)


def _grid(table: str, cells: list) -> list[str]:
    rows: dict[str, str] = {}
    cols: dict[str, str] = {}
    values: dict[tuple[str, str], float | None] = {}
    for c in cells:
        rows.setdefault(c.row_key, c.row_label)
        cols.setdefault(c.column_key, c.column_label)
        values[(c.row_key, c.column_key)] = c.value
    title = TABLE_ZH.get(table, table)
    out = [f"### {_e(title)} {{#table-{table.replace('_', '-')}}}", ""]
    body = []
    for rk, label in rows.items():
        row = [_h(label or rk)]
        row += [_fmt(values.get((rk, ck))) for ck in cols]
        body.append(row)
    head = ["项目", *[_h(v) for v in cols.values()]]
    out += [_table_html(title, head, body, numeric=tuple(range(1, len(cols) + 1)), nested=True), ""]
    return out


def _checks(r: Report) -> str:
    rows = []
    for c in r.checks:
        mark, word = STATUS_ZH.get(c.status, ("", c.status))
        rows.append(
            [
                f"<code>{_h(c.check)}</code>",
                f'<span class="status-{_attr(c.status)}">{mark} {_h(word)}</span>',
                _h(c.detail),
            ]
        )
    return _table_html("一致性检查", ["检查", "结果", "说明"], rows, nested=True)


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


# --------------------------------------------------------------------------- browse pages


def _item(r: Report, prefix: str) -> str:
    m = r.metadata
    extra = [x for x in (m.issuer, m.published_date) if x]
    tag = ' <span class="tag" title="繁体">繁</span>' if m.script == "hant" else ""
    tail = f' <span class="muted">· {_e(" · ".join(extra))}</span>' if extra else ""
    return f"- [{_e(m.title)}]({prefix}{r.report_id}.md){tag}{tail}"


def _listing(groups: Iterable[tuple[str, list[Report]]], prefix: str, level: int = 2) -> list[str]:
    lines: list[str] = []
    for label, reps in groups:
        lines += [f"{'#' * level} {_e(label)}（{len(reps)}）", ""]
        lines += [_item(r, prefix) for r in _by_title(reps)]
        lines.append("")
    return lines


def _count_table(head: str, rows: Iterable[tuple[str, str | None, int]]) -> list[str]:
    """A Markdown table of (label, link or None, count)."""
    lines = [f"| {head} | 报告数 |", "| --- | ---: |"]
    for label, link, n in rows:
        lines.append(f"| [{_e(label)}]({link}) | {n:,} |" if link else f"| {_e(label)} | {n:,} |")
    return [*lines, ""]


def _group(reports: Iterable[Report], key: Callable[[Report], str]) -> dict[str, list[Report]]:
    out: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        out[key(r)].append(r)
    return out


def _years_desc(keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=lambda y: (y != "未知", y), reverse=True)


def _by_province_groups(reports: list[Report]) -> list[tuple[str, list[Report]]]:
    g = _group(reports, lambda r: r.metadata.region.province or "未知")
    return sorted(g.items(), key=lambda kv: (kv[0] == "未知", kv[0]))


def _split_page(
    pages: dict[str, str], base: str, title: str, intro: str, reports: list[Report], depth: int
) -> None:
    """A browse page for ``reports`` at ``base`` (``…/index.md``): grouped by year, or, when
    there are too many, a table of years linking to one page per year grouped by province."""
    up = "../" * depth
    lines = [f"# {_e(title)}", "", intro, ""] if intro else [f"# {_e(title)}", ""]
    by_year = _group(reports, _year)
    years = _years_desc(by_year)
    if len(reports) <= LIST_MAX:
        lines += _listing(((f"{y} 年度", by_year[y]) for y in years), f"{up}reports/")
    else:
        lines += _count_table("年度", ((y, f"{_slug(y)}.md", len(by_year[y])) for y in years))
        for y in years:
            sub = [f"# {_e(title)} · {_e(y)} 年度", "", f"[← {_e(title)}](index.md)", ""]
            sub += _listing(_by_province_groups(by_year[y]), f"{up}reports/")
            pages[f"{base}/{_slug(y)}.md"] = "\n".join(sub) + "\n"
    pages[f"{base}/index.md"] = "\n".join(lines) + "\n"


def browse_pages(reports: Sequence[Report]) -> dict[str, str]:
    """Index pages: by year, by province → prefecture → county, by level, by document type."""
    pages: dict[str, str] = {}
    reps = list(reports)
    by_year = _group(reps, _year)
    by_prov = _group(reps, lambda r: r.metadata.region.province or "未知")
    by_level = _group(reps, _level)
    by_type = _group(reps, lambda r: r.metadata.document_type)
    years = _years_desc(by_year)
    provinces = sorted(by_prov, key=lambda p: (p == "未知", p))
    levels = [k for k in LEVEL_ORDER if k in by_level]
    types = sorted(by_type)

    # Years: a table, then one page per year grouped by province.
    lines = ["# 按年度浏览", "", "报告年度指报告所总结的工作年度（通常在次年发布）。", ""]
    lines += _count_table("报告年度", ((y, f"year/{_slug(y)}.md", len(by_year[y])) for y in years))
    pages["browse/years.md"] = "\n".join(lines) + "\n"
    for y in years:
        sub = [
            f"# {_e(y)} 年度的报告",
            "",
            f"共 {len(by_year[y]):,} 份，按省级行政区分组。[← 按年度浏览](../years.md)",
            "",
        ]
        sub += _listing(_by_province_groups(by_year[y]), "../../reports/")
        pages[f"browse/year/{_slug(y)}.md"] = "\n".join(sub) + "\n"

    # Regions: province → prefecture → county.
    lines = ["# 按地区浏览", "", "省级行政区 → 地市 → 区县。", ""]
    lines += [
        "| 省级行政区 | 报告数 | 省级机关 | 地市级 | 县级及以下 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for prov in provinces:
        lv = Counter(_tier(r) for r in by_prov[prov])
        lines.append(
            f"| [{_e(prov)}](region/{_slug(prov)}/index.md) | {len(by_prov[prov]):,} | {lv['province']:,} "
            f"| {lv['prefecture']:,} | {lv['county']:,} |"
        )
        pages.update(_province_pages(prov, by_prov[prov]))
    pages["browse/regions.md"] = "\n".join(lines) + "\n"

    # Levels and document types: grouped by year (split by year when large).
    lines = ["# 按层级浏览", "", "行政层级取自发布机关：中央、省级、地市级、县级、乡镇级。", ""]
    lines += _count_table(
        "层级", ((LEVEL_ZH[k], f"level/{k}/index.md", len(by_level[k])) for k in levels)
    )
    pages["browse/levels.md"] = "\n".join(lines) + "\n"
    for k in levels:
        _split_page(
            pages,
            f"browse/level/{k}",
            f"{LEVEL_ZH[k]}机关的报告",
            "[← 按层级浏览](../../levels.md)",
            by_level[k],
            3,
        )
    lines = ["# 按文件类型浏览", "", "年度报告之外，也收录上级机关对下级报告情况的通报等文件。", ""]
    lines += _count_table(
        "类型", ((TYPE_ZH.get(k, k), f"type/{k}/index.md", len(by_type[k])) for k in types)
    )
    pages["browse/types.md"] = "\n".join(lines) + "\n"
    for k in types:
        _split_page(
            pages,
            f"browse/type/{k}",
            TYPE_ZH.get(k, k),
            "[← 按文件类型浏览](../../types.md)",
            by_type[k],
            3,
        )

    index = [
        "# 浏览",
        "",
        f"本站收录 {len(reps):,} 份报告。可按以下方式浏览，或使用[全文搜索](../search.md)。",
        "",
        '<div class="browse-grid" markdown="1">',
        "",
        '<section markdown="1">',
        "",
        "## [按年度](years.md)",
        "",
        " · ".join(f"[{_e(y)}](year/{_slug(y)}.md)（{len(by_year[y]):,}）" for y in years),
        "",
        "</section>",
        "",
        '<section markdown="1">',
        "",
        "## [按地区](regions.md)",
        "",
        " · ".join(
            f"[{_e(p)}](region/{_slug(p)}/index.md)（{len(by_prov[p]):,}）" for p in provinces
        ),
        "",
        "</section>",
        "",
        '<section markdown="1">',
        "",
        "## [按层级](levels.md)",
        "",
        " · ".join(f"[{LEVEL_ZH[k]}](level/{k}/index.md)（{len(by_level[k]):,}）" for k in levels),
        "",
        "</section>",
        "",
        '<section markdown="1">',
        "",
        "## [按文件类型](types.md)",
        "",
        " · ".join(
            f"[{TYPE_ZH.get(k, k)}](type/{k}/index.md)（{len(by_type[k]):,}）" for k in types
        ),
        "",
        "</section>",
        "",
        "</div>",
    ]
    pages["browse/index.md"] = "\n".join(index) + "\n"
    return pages


def _tier(r: Report) -> str:
    """``province`` | ``prefecture`` | ``county``: where a report sits under its province."""
    g = r.metadata.region
    if g.county or _level(r) in ("county", "township"):
        return "county"
    if g.prefecture or _level(r) == "prefecture":
        return "prefecture"
    return "province"


def _province_pages(prov: str, reports: list[Report]) -> dict[str, str]:
    pages: dict[str, str] = {}
    base = f"browse/region/{_slug(prov)}"
    own = [r for r in reports if _tier(r) == "province"]
    by_pref = _group(
        [r for r in reports if _tier(r) != "province"], lambda r: r.metadata.region.prefecture or ""
    )
    lines = [
        f"# {_e(prov)}",
        "",
        f"共 {len(reports):,} 份报告。[← 按地区浏览](../../regions.md)",
        "",
    ]
    if by_pref:
        lines += [
            "## 地市",
            "",
            "| 地市 | 报告数 | 地市级机关 | 区县 |",
            "| --- | ---: | ---: | ---: |",
        ]
        for pref in sorted(by_pref, key=lambda p: (p == "", p)):
            label = pref or "直辖区县"
            n_county = sum(_tier(r) == "county" for r in by_pref[pref])
            lines.append(
                f"| [{_e(label)}]({_slug(label)}.md) | {len(by_pref[pref]):,} | {len(by_pref[pref]) - n_county:,} | {n_county:,} |"
            )
            pages[f"{base}/{_slug(label)}.md"] = _prefecture_page(prov, label, by_pref[pref])
        lines.append("")
    if own:
        lines += _listing(
            [(f"{prov}省级机关" if prov != "未知" else "地区未知", own)], "../../../reports/"
        )
    pages[f"{base}/index.md"] = "\n".join(lines) + "\n"
    return pages


def _prefecture_page(prov: str, pref: str, reports: list[Report]) -> str:
    own = [r for r in reports if _tier(r) != "county"]
    by_county = _group(
        [r for r in reports if _tier(r) == "county"],
        lambda r: r.metadata.region.county or "区县未知",
    )
    lines = [
        f"# {_e(pref)}",
        "",
        f"{_e(prov)} · 共 {len(reports):,} 份报告。[← {_e(prov)}](index.md)",
        "",
    ]
    if by_county:
        lines.append(
            "区县："
            + " · ".join(
                f"[{_e(c)}](#{_anchor(c)})（{len(v)}）" for c, v in sorted(by_county.items())
            )
        )
        lines.append("")
    if own:
        lines += _listing([(f"{pref}本级", own)], "../../../reports/")
    for county, reps in sorted(by_county.items()):
        lines += [f"## {_e(county)}（{len(reps)}） {{#{_anchor(county)}}}", ""]
        lines += [_item(r, "../../../reports/") for r in _by_title(reps)]
        lines.append("")
    return "\n".join(lines) + "\n"


def _anchor(text: str) -> str:
    return (
        "c-"
        + "".join(f"{ord(ch):x}" if not ch.isascii() else ch for ch in text if ch.isalnum())[:60]
    )


# --------------------------------------------------------------------------- home page


def _whole_body(r: Report, indicator: str) -> float | None:
    for s in r.statistics:
        if s.indicator == indicator and s.scope is None:
            return s.value
    return None


def home_charts(reports: Sequence[Report]) -> list[str]:
    """The three charts of the home page (inline SVG with a data table each)."""
    out: list[str] = []
    years = sorted({r.metadata.year for r in reports if r.metadata.year})
    span = [str(y) for y in range(years[0], years[-1] + 1)] if years else []
    per_year = Counter(str(r.metadata.year) for r in reports if r.metadata.year)
    if span:
        peak = max(span, key=lambda y: (per_year[y], y))
        out.append(
            charts.column_chart(
                "chart-reports-per-year",
                "各年度收录的报告数",
                [(y, float(per_year[y])) for y in span],
                "份",
                f"{span[0]}–{span[-1]} 年度共 {sum(per_year.values()):,} 份报告，最多的是 {peak} 年度（{per_year[peak]:,} 份）。",
            )
        )
    received: dict[tuple[str, str], float] = defaultdict(float)
    stating = 0
    for r in reports:
        v = _whole_body(r, "applications_received")
        if v is not None and r.metadata.year:
            received[(str(r.metadata.year), _level(r))] += v
            stating += 1
    if received:
        ys = sorted({y for y, _ in received})
        ys = [str(y) for y in range(int(ys[0]), int(ys[-1]) + 1)]
        levels = [k for k in LEVEL_ORDER if any(lv == k for _, lv in received)]
        series = [(LEVEL_ZH[k], [received.get((y, k), 0.0) for y in ys]) for k in levels]
        total = sum(received.values())
        out.append(
            charts.stacked_column_chart(
                "chart-applications",
                "各年度收到的政府信息公开申请（按机关层级）",
                ys,
                series,
                "件",
                f"{stating:,} 份报告写明了全机关收到的申请数，合计 {charts.integer(total)} 件。"
                "只计本站收录的报告，不代表全国总数。",
            )
        )
    titles = indicator_titles()
    n = len(reports)
    if n:
        has = Counter()
        for r in reports:
            for code in {s.indicator for s in r.statistics if s.scope is None}:
                has[code] += 1
        data = sorted(
            ((titles[c][1], 100.0 * has[c] / n, c) for c in titles), key=lambda t: (-t[1], t[2])
        )
        out.append(
            charts.bar_chart(
                "chart-indicators",
                "写明各项数字的报告占比",
                [(name, share) for name, share, _ in data],
                f"{n:,} 份报告中，写明“{data[0][0]}”的最多（{data[0][1]:.0f}%）。",
            )
        )
    return out


def home_page(reports: Sequence[Report], problems: int) -> str:
    years = Counter(_year(r) for r in reports)
    levels = Counter(_level(r) for r in reports)
    provinces = Counter(r.metadata.region.province or "未知" for r in reports)
    stats = sum(len(r.statistics) for r in reports)
    issuers = len({r.metadata.issuer or r.report_id for r in reports})
    hant = sum(r.metadata.script == "hant" for r in reports)
    with_url = sum(1 for r in reports if r.metadata.url)
    known = sorted(int(y) for y in years if y != "未知")
    span = f"{known[0]}–{known[-1]}" if known else "–"
    lines = [
        "---",
        f"title: {SITE_NAME}",
        "description: 中国各级政府信息公开工作年度报告的原文、清理文本、统计数字与开放数据",
        "hide:",
        "  - toc",
        "---",
        "",
        "# 政府信息公开工作年度报告 · 开放数据",
        "",
        "依照《中华人民共和国政府信息公开条例》，各级行政机关每年须发布上一年度的"
        "《政府信息公开工作年度报告》，说明主动公开、依申请公开、收费、行政复议和诉讼等情况。"
        "这些报告散落在数以千计的政府网站上，格式不一，简体繁体并存。",
        "",
        "本站把收集到的报告文件（从政府网站取得的网页或文本）逐一存档，去除网页导航等杂项，"
        "还原标题层级，提取报告中的统计数字——每个数字都附有它所在的原句——并以开放数据发布。"
        "2019 年起的报告按国务院规定的表格格式填写，这些表格也逐格提取。",
        "",
        '<form class="home-search" role="search" action="search/" method="get">'
        '<label class="visually-hidden" for="home-q">搜索报告全文</label>'
        '<input id="home-q" name="q" type="search" placeholder="例如：岳塘区 依申请公开" autocomplete="off">'
        '<button type="submit">搜索</button></form>',
        "",
        '<ul class="stat-tiles">'
        f"<li><strong>{len(reports):,}</strong><span>份报告</span></li>"
        f"<li><strong>{issuers:,}</strong><span>个发布机关</span></li>"
        f"<li><strong>{span}</strong><span>报告年度</span></li>"
        f"<li><strong>{stats:,}</strong><span>个统计数字</span></li>"
        "</ul>",
        "",
        f"其中 {hant:,} 份为繁体报告（另附简体版）；{with_url:,} 份记录了原文网址。"
        f"[浏览](browse/index.md) · [搜索](search.md) · [数据下载](datasets.md) · "
        f"[构建报告](build-report.md)（{problems:,} 条提示） · [订阅更新（Atom）](feed.xml)",
        "",
        "## 数据概览",
        "",
    ]
    lines += [c + "\n" for c in home_charts(reports)]
    lines += [
        "## 收录情况",
        "",
        '<div class="count-grid" markdown="1">',
        "",
        '<section markdown="1">',
        "",
        "### 按年度",
        "",
    ]
    lines += _count_table(
        "报告年度", ((y, f"browse/year/{_slug(y)}.md", years[y]) for y in _years_desc(years))
    )
    lines += ["</section>", "", '<section markdown="1">', "", "### 按层级", ""]
    lines += _count_table(
        "层级",
        (
            (LEVEL_ZH[k], f"browse/level/{k}/index.md", levels[k])
            for k in LEVEL_ORDER
            if k in levels
        ),
    )
    lines += ["</section>", "", '<section markdown="1">', "", "### 按省级行政区", ""]
    prov_rows = sorted(provinces.items(), key=lambda x: (-x[1], x[0]))
    lines += _count_table(
        "省级行政区", ((p, f"browse/region/{_slug(p)}/index.md", n) for p, n in prov_rows)
    )
    lines += ["</section>", "", "</div>", "", "## 最新收录", "", "按发布日期排列。", ""]
    for r in _newest_first(reports)[:LATEST]:
        m = r.metadata
        lines.append(
            f"- {_e(m.published_date or '日期未知')} · [{_e(m.title)}](reports/{r.report_id}.md)"
            + (f' <span class="muted">· {_e(m.issuer)}</span>' if m.issuer else "")
        )
    lines.append("")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- datasets page

PANDAS_SNIPPET = """\
import pandas as pd

reports = pd.read_parquet("reports.parquet")
stats = pd.read_parquet("statistics.parquet")

# 各年度、各层级收到的政府信息公开申请（全机关口径：scope 为空）
received = stats[(stats.indicator == "applications_received") & stats.scope.isna()]
received = received.merge(reports[["report_id", "admin_level"]], on="report_id")
print(received.pivot_table(index="year", columns="admin_level", values="value", aggfunc="sum"))

# 每个数字都带着原句，可以核对
print(stats.loc[stats.indicator == "fees_collected", ["report_id", "value", "evidence"]].head())
"""

DUCKDB_SNIPPET = """\
-- DuckDB：直接查询 Parquet 文件
SELECT r.year, r.admin_level, count(*) AS reports, sum(s.value) AS applications_received
FROM 'reports.parquet' AS r
JOIN 'statistics.parquet' AS s USING (report_id)
WHERE s.indicator = 'applications_received' AND s.scope IS NULL
GROUP BY ALL
ORDER BY ALL;
"""

DUCKDB_PARTITIONED_SNIPPET = """\
SELECT year, indicator, count(*) AS figures
FROM read_parquet('parquet/statistics/*/*.parquet', hive_partitioning = true)
GROUP BY ALL
ORDER BY ALL;
"""

DUCKDB_CSV_SNIPPET = """\
-- 也可以读 CSV：未通过的一致性检查及其说明
SELECT c.report_id, r.title_hans, c."check", c.detail
FROM read_csv('checks.csv') AS c
JOIN read_csv('reports.csv') AS r USING (report_id)
WHERE c.status = 'fail'
ORDER BY c.report_id;
"""

FILE_NOTES = {
    "datapackage.json": "数据包描述（Frictionless Data Package）：各表的字段、类型、主键与外键",
    "corpus.zip": "全部原始文件与清理后文本（含 archive.csv 与 datapackage.json）",
    "build_report.json": "本次构建的提示与跳过的文件",
}


def _download_files(out_dir: Path) -> list[tuple[str, str]]:
    _, schemas = package.schemas()
    files = [("datapackage.json", FILE_NOTES["datapackage.json"])]
    for name in package.RESOURCES:
        s = schemas[name]
        for ext in ("csv", "parquet"):
            files.append((f"{name}.{ext}", f"{s.title_zh}（{ext.upper()}）：{s.description}"))
    files += [
        ("corpus.zip", FILE_NOTES["corpus.zip"]),
        ("build_report.json", FILE_NOTES["build_report.json"]),
    ]
    return [(n, note) for n, note in files if (out_dir / n).exists()]


def dataset_jsonld(out_dir: Path, reports: Sequence[Report], dl: str) -> str:
    """schema.org ``Dataset`` description of the package, as the body of a JSON-LD script."""
    head, _ = package.schemas()
    years = sorted({r.metadata.year for r in reports if r.metadata.year})
    dates = sorted(r.metadata.published_date for r in reports if r.metadata.published_date)
    formats = {
        "csv": "text/csv",
        "parquet": "application/vnd.apache.parquet",
        "json": "application/json",
        "zip": "application/zip",
    }
    dist = []
    for name, note in _download_files(out_dir):
        p = out_dir / name
        dist.append(
            {
                "@type": "DataDownload",
                "name": name,
                "description": note,
                "contentUrl": f"{dl}/{name}",
                "encodingFormat": formats.get(name.rsplit(".", 1)[-1], "application/octet-stream"),
                "contentSize": f"{p.stat().st_size} B",
                "sha256": package.sha256_file(p),
            }
        )
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": head["title"],
        "alternateName": SITE_NAME,
        "identifier": head["name"],
        "description": head["description"],
        "inLanguage": ["zh-Hans", "zh-Hant"],
        "isAccessibleForFree": True,
        "license": next(
            (lic.get("path") for lic in head.get("licenses", []) if lic.get("path")), LICENSE_URL
        ),
        "keywords": [
            "政府信息公开",
            "政府信息公开工作年度报告",
            "open government",
            "China",
            "open data",
        ],
        "spatialCoverage": {"@type": "Place", "name": "中华人民共和国"},
        "creator": {"@type": "Organization", "name": SITE_NAME},
        "variableMeasured": [
            {
                "@type": "PropertyValue",
                "propertyID": code,
                "name": zh,
                "alternateName": en,
                "unitText": unit,
            }
            for code, (en, zh, unit) in indicator_titles().items()
        ],
        "distribution": dist,
        "size": f"{len(reports)} reports",
    }
    if years:
        data["temporalCoverage"] = f"{years[0]}/{years[-1]}"
    if dates:
        data["dateModified"] = dates[-1]
    return json_for_script(data)


def json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``</``, ``<!--`` or ``&`` can close or confuse it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def datasets_page(out_dir: Path, dl: str, reports: Sequence[Report] = ()) -> str:
    """Downloads with sizes and checksums, the data dictionary, usage, license and citation."""
    head, schemas = package.schemas()
    years = sorted({r.metadata.year for r in reports if r.metadata.year})
    dates = sorted(r.metadata.published_date for r in reports if r.metadata.published_date)
    version = dates[-1] if dates else "未注明"
    lines = [
        "---",
        "title: 数据下载与数据字典",
        "description: 政府信息公开工作年度报告数据包（CSV、Parquet）的下载、校验值、数据字典、使用示例与引用方式",
        "---",
        "",
        f'<script type="application/ld+json">{dataset_jsonld(out_dir, reports, dl)}</script>',
        "",
        "# 数据下载与数据字典",
        "",
        f"{escape(head['description'])}",
        "",
        "数据以 [Frictionless Data Package](https://specs.frictionlessdata.io/data-package/) 发布：每张表同时提供 "
        "CSV（UTF-8）和 Parquet 两种格式，`datapackage.json` 描述全部字段。"
        f"目前收录 {len(reports):,} 份报告"
        + (f"，报告年度 {years[0]}–{years[-1]}。" if years else "。"),
        "",
        "## 下载 {#downloads}",
        "",
    ]
    rows = []
    for name, note in _download_files(out_dir):
        p = out_dir / name
        rows.append(
            [
                f'<a href="{dl}/{_attr(name)}">{_h(name)}</a>',
                _h(note),
                f"{p.stat().st_size:,}",
                f'<code class="hash">{package.sha256_file(p)}</code>',
            ]
        )
    lines += [
        _table_html("数据文件", ["文件", "内容", "大小（字节）", "SHA-256"], rows, numeric=(2,)),
        "",
    ]
    lines += [
        "每份报告的页面另有单独下载：原始文件、清理后文本、Markdown 和该报告的统计数字（CSV）。"
        "校验：`sha256sum reports.csv` 的结果应与上表一致。",
        "",
        "## 许可与引用 {#license}",
        "",
        f"数据按 [{LICENSE_NAME}]({LICENSE_URL})（Open Data Commons 署名许可）发布：可自由使用、修改和再发布，"
        "须注明来源。报告原文的著作权归各发布机关，本站仅作存档与研究之用。",
        "",
        "引用格式：",
        "",
        "```{.text #citation}",
        f"{SITE_NAME}：{head['title']}，数据版本 {version}，"
        f"收录 {len(reports):,} 份报告。许可：{LICENSE_NAME}。",
        "```",
        "",
        "## 使用示例 {#usage}",
        "",
        "把文件下载到同一目录后运行。[pandas](https://pandas.pydata.org/)（需要 pyarrow）：",
        "",
        "```{.python #snippet-pandas}",
        PANDAS_SNIPPET.rstrip("\n"),
        "```",
        "",
        "[DuckDB](https://duckdb.org/)（命令行 `duckdb` 或 Python 的 `duckdb.sql(...)`）：",
        "",
        "```{.sql #snippet-duckdb}",
        DUCKDB_SNIPPET.rstrip("\n"),
        "```",
        "",
        "```{.sql #snippet-duckdb-csv}",
        DUCKDB_CSV_SNIPPET.rstrip("\n"),
        "```",
        "",
        "`invoke build` 还把 statistics 与 template_cells 按年度分区写成 Parquet"
        "（`datasets/parquet/<表>/year=<年度>/`，hive 分区），DuckDB、Spark、BigQuery 可就地读取：",
        "",
        "```{.sql #snippet-duckdb-partitioned}",
        DUCKDB_PARTITIONED_SNIPPET.rstrip("\n"),
        "```",
        "",
        "## 数据字典 {#dictionary}",
        "",
        "以下内容由各表的 Table Schema 生成，与 `datapackage.json` 一致。",
        "",
    ]
    for name, s in schemas.items():
        lines += [
            f"### {name} · {escape(s.title_zh)} {{#table-{name.replace('_', '-')}}}",
            "",
            escape(s.description),
            "",
        ]
        keys = [f"主键：`{'`, `'.join(s.primary_key)}`"] if s.primary_key else []
        keys += [f"外键：`{a}` → `{t}.{b}`" for a, t, b in s.foreign_keys]
        if keys:
            lines += ["；".join(keys), ""]
        rows = []
        for f in s.fields:
            cons = (
                ", ".join(f"{k}: {v}" for k, v in sorted(f.constraints.items()))
                if f.constraints
                else ""
            )
            rows.append(
                [
                    f"<code>{_h(f.name)}</code>",
                    _h(f.type),
                    f"<strong>{_h(f.title_zh)}</strong>：{_h(f.description_zh)}"
                    + (f'<br><span class="muted">{_h(cons)}</span>' if cons else ""),
                    f"<strong>{_h(f.title)}</strong>: {_h(f.description)}",
                ]
            )
        lines += [_table_html(f"{name} 的字段", ["字段", "类型", "说明", "English"], rows), ""]
    lines += ["### 指标 · indicators {#indicators}", "", "`statistics.indicator` 的取值：", ""]
    rows = [
        [f"<code>{_h(code)}</code>", _h(unit), _h(zh), _h(en)]
        for code, (en, zh, unit) in indicator_titles().items()
    ]
    lines += [_table_html("指标", ["indicator", "单位", "中文", "English"], rows), ""]
    return "\n".join(lines) + "\n"


def build_report_page(problems: Sequence[Any]) -> str:
    lines = ["# 构建报告", "", f"本次构建共有 {len(problems)} 条提示。", ""]
    if problems:
        rows = [[_h(p.source_file), _h(p.stage), _h(p.severity), _h(p.message)] for p in problems]
        lines += [_table_html("构建提示", ["文件", "阶段", "级别", "说明"], rows), ""]
    return "\n".join(lines) + "\n"


SEARCH_PAGE = """---
title: 搜索
description: 搜索政府信息公开工作年度报告全文，简体繁体均可
hide:
  - toc
---

# 搜索

<form id="search-form" class="search-form" role="search" action="./" method="get" data-pagefind-ignore>
<label class="visually-hidden" for="search-q">搜索报告全文</label>
<input id="search-q" name="q" type="search" placeholder="例如：岳塘区 依申请公开" autocomplete="off" spellcheck="false">
<button type="submit">搜索</button>
</form>

<p class="search-hint" data-pagefind-ignore>输入简体或繁体均可，多个词用空格分开。可按年度、层级和省份筛选；地址栏中的网址即可分享本次搜索。</p>

<div id="search" data-pagefind-ignore></div>

<noscript>搜索需要 JavaScript。也可以<a href="../browse/years/">按年度</a>或<a href="../browse/regions/">按地区</a>浏览。</noscript>

<script src="../assets/search.js"></script>
"""


# --------------------------------------------------------------------------- Atom feed

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(value: Any) -> str:
    return html.escape(_XML_BAD.sub("", "" if value is None else str(value)), quote=True)


def _feed_time(r: Report) -> str:
    m = r.metadata
    if m.published_date:
        return f"{m.published_date}T00:00:00Z"
    if m.year:
        return f"{m.year + 1}-01-01T00:00:00Z"
    return "2008-01-01T00:00:00Z"


def feed_xml(reports: Sequence[Report]) -> str:
    """Atom feed of the newest reports (by publication date), with no build timestamps."""
    entries = _newest_first(reports)[:FEED_MAX]
    updated = max((_feed_time(r) for r in entries), default="2008-01-01T00:00:00Z")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh">',
        f"<title>{_x(SITE_NAME)}：新收录的报告</title>",
        "<subtitle>中国各级政府信息公开工作年度报告</subtitle>",
        f"<id>urn:uuid:{uuid.uuid5(FEED_NS, 'feed')}</id>",
        f"<updated>{updated}</updated>",
        '<link rel="self" type="application/atom+xml" href="feed.xml"/>',
        '<link rel="alternate" type="text/html" href="./"/>',
        f"<author><name>{_x(SITE_NAME)}</name></author>",
        f"<rights>{_x(LICENSE_NAME)}</rights>",
    ]
    for r in entries:
        m = r.metadata
        summary = f"{m.issuer or '未知机关'} · {_region(r)} · {m.year or '年度未知'} 年度 · {len(r.statistics)} 个统计数字"
        lines += [
            "<entry>",
            f"<title>{_x(m.title)}</title>",
            f"<id>urn:uuid:{uuid.uuid5(FEED_NS, r.report_id)}</id>",
            f'<link rel="alternate" type="text/html" href="reports/{_x(r.report_id)}/"/>',
            f"<published>{_feed_time(r)}</published>",
            f"<updated>{_feed_time(r)}</updated>",
            f"<author><name>{_x(m.issuer or '未知机关')}</name></author>",
            f'<category term="{_x(m.year or "未知")}" label="报告年度"/>',
            f'<category term="{_x(LEVEL_ZH.get(_level(r), "未知"))}" label="层级"/>',
            f"<summary>{_x(summary)}</summary>",
            "</entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- writing


def write_pages(
    docs_dir: Path, reports: Sequence[Report], problems: Sequence[Any], datasets_dir: Path
) -> int:
    """Write every generated page and download into ``docs_dir``; returns the number of pages."""
    dl = "../downloads"
    pages: dict[str, str] = {}
    by_issuer: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        by_issuer[r.metadata.issuer or r.report_id].append(r)
    # Report pages are written in batches as they are made, not all held: at national scale
    # they are most of the site.
    batch: list[tuple[Path, bytes]] = []
    for r in reports:
        page = report_page(r, by_issuer[r.metadata.issuer or r.report_id], dl)
        batch.append((docs_dir / "reports" / f"{r.report_id}.md", page.encode()))
        if len(batch) >= 500:
            write_files(batch)
            batch = []
    write_files(batch)
    pages.update(browse_pages(reports))
    pages["index.md"] = home_page(reports, len(problems))
    pages["datasets.md"] = datasets_page(datasets_dir, dl, reports)
    pages["search.md"] = SEARCH_PAGE
    pages["build-report.md"] = build_report_page(problems)
    if len(reports) <= 2000:
        by_year = _group(reports, _year)
        lines = [
            "# 全部报告",
            "",
            "按报告年度分组。也可[按地区](../browse/regions.md)或[按层级](../browse/levels.md)浏览。",
            "",
        ]
        lines += _listing(((f"{y} 年度", by_year[y]) for y in _years_desc(by_year)), "")
        pages["reports/index.md"] = "\n".join(lines) + "\n"
    else:
        pages["reports/index.md"] = "# 全部报告\n\n请[按年度](../browse/years.md)浏览。\n"
    for rel, text in pages.items():
        p = docs_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    pages_written = len(pages) + len(reports)
    (docs_dir / "feed.xml").write_text(feed_xml(reports), encoding="utf-8")
    per_report = docs_dir / "downloads" / "reports"
    write_files([(per_report / f"{r.report_id}.csv", report_csv(r).encode()) for r in reports])
    return pages_written


def _group_by_year(reports: Sequence[Report]) -> dict[str, list[Report]]:
    return _group(reports, _year)
