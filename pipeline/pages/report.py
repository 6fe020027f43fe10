"""Report pages: one per report (card, key figures, mandated tables, checks, full text,
downloads, the issuer's other years), and the per-report CSV offered beside it."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Sequence
from typing import Any

from markupsafe import Markup

from pipeline import package, readers, safety
from pipeline.extract.figures import indicator_titles
from pipeline.markdown import escape
from pipeline.pages.common import (
    DOWNLOADS,
    FORMAT_ZH,
    ISSUER_TYPE_ZH,
    KEPT,
    LANG,
    LEVEL_ZH,
    QUALIFIER_ZH,
    SCRIPT_ZH,
    STATUS_ZH,
    TABLE_ZH,
    TYPE_ZH,
    Output,
    PageKind,
    Site,
    fmt,
    level,
    region,
)
from pipeline.pages.render import render
from pipeline.records import Report

# Filters Pagefind reads from each report page: (name, attribute holding the value).
SEARCH_FILTERS = (("年度", "data-year"), ("层级", "data-level"), ("省份", "data-province"))


def search_filters(r: Report) -> dict[str, str]:
    """The values a report page gives Pagefind's filters, by attribute."""
    m = r.metadata
    return {
        "data-year": str(m.year or "未知"),
        "data-level": LEVEL_ZH.get(level(r), "未知"),
        "data-province": m.region.province or "未知",
    }


def _figures(r: Report, dl: str) -> list[dict[str, Any]]:
    titles = indicator_titles()
    # Raw links are resolved from the page's own URL (reports/<id>/), one folder deeper than
    # its Markdown file.
    return [
        {
            "name": titles.get(s.indicator, (s.indicator, s.indicator, ""))[1],
            "text": f"{QUALIFIER_ZH.get(s.qualifier, '')}{fmt(s.value)} {s.unit}",
            "anchor": s.anchor,
            "see_tables": s.method == "table" and bool(r.cells),
            "from_table": s.method == "table",
            "scope": s.scope or "全部",
            "check_failed": s.check_failed,
            "page": s.page,
            "page_href": readers.page_href(r.archived, s, f"../{dl}"),
        }
        for s in r.statistics
    ]


def _tables(r: Report) -> list[dict[str, Any]]:
    by_table: dict[str, list] = {}
    for c in r.cells:
        by_table.setdefault(c.table, []).append(c)
    out = []
    for table, cells in by_table.items():
        rows: dict[str, str] = {}
        cols: dict[str, str] = {}
        values: dict[tuple[str, str], float | None] = {}
        for c in cells:
            rows.setdefault(c.row_key, c.row_label)
            cols.setdefault(c.column_key, c.column_label)
            values[(c.row_key, c.column_key)] = c.value
        out.append(
            {
                "title": TABLE_ZH.get(table, table),
                "id": f"table-{table.replace('_', '-')}",
                "columns": list(cols.values()),
                "rows": [
                    [label or rk, *(fmt(values.get((rk, ck))) for ck in cols)]
                    for rk, label in rows.items()
                ],
                "numeric": tuple(range(1, len(cols) + 1)),
            }
        )
    return out


def _view(r: Report, same_issuer: Sequence[Report], dl: str) -> dict[str, Any]:
    """Everything the report template prints, as plain values."""
    m = r.metadata
    rid = r.report_id
    values = search_filters(r)
    sections = []
    if r.statistics:
        sections.append(("key-figures", "主要数字"))
    if r.cells:
        sections.append(("tables", "法定表格"))
    sections.append(("full-text", "全文"))
    if r.text_hans is not None:
        sections.append(("simplified", "简体版"))
    sections.append(("downloads", "下载"))
    ext = readers.original_suffix(r.archived.media_type)
    return {
        "title": m.display_title,
        "title_hans": m.title_hans or m.display_title,
        "description": (
            f"{m.issuer or '未知机关'}{m.year or ''}年度政府信息公开工作报告全文、主要数字与原始文件。"
        ),
        "filters": [(name, attr, values[attr]) for name, attr in SEARCH_FILTERS],
        "issuer": m.issuer or "未知",
        "issuer_type": ISSUER_TYPE_ZH.get(m.issuer_type, "其他"),
        "region": region(r),
        "division_code": m.region.division_code,
        "level": LEVEL_ZH.get(level(r), "未知"),
        "year": m.year or "未知",
        "published": m.published_date or "未知",
        "doc_number": m.doc_number,
        "kind": [
            TYPE_ZH.get(m.document_type, m.document_type),
            FORMAT_ZH.get(m.report_format, m.report_format),
            SCRIPT_ZH.get(m.script, m.script),
        ],
        # Checked where metadata is assembled, and again here for a report made elsewhere.
        "url": safety.safe_url(m.url),
        "sections": sections,
        "figures": _figures(r, dl),
        "tables": _tables(r),
        "checks": [
            {
                "check": c.check,
                "status": c.status,
                "mark": STATUS_ZH.get(c.status, ("", c.status))[0],
                "word": STATUS_ZH.get(c.status, ("", c.status))[1],
                "detail": c.detail,
            }
            for c in r.checks
        ],
        "lang": LANG.get(m.script, "zh"),
        # The Simplified copy is body text like the report's own: Markdown-escaped the same way.
        "simplified": (
            [Markup(escape(p)) for p in r.text_hans.split("\n") if p.strip()]
            if r.text_hans is not None
            else None
        ),
        "original": f"{dl}/originals/{r.archived.sha256}.{ext}",
        "size": r.archived.size,
        "encoding": readers.original_note(r.archived),
        "sha256": r.archived.sha256,
        "text_file": f"{dl}/texts/{rid}.txt",
        "markdown_file": f"{dl}/markdown/{rid}.md",
        "csv_file": f"{dl}/reports/{rid}.csv",
        "hans_file": f"{dl}/texts/{rid}.hans.txt",
        "duplicates": list(r.duplicates),
        "same_issuer": [
            {
                "year": o.metadata.year or "未知",
                "title": o.metadata.display_title,
                "href": f"{o.report_id}.md",
            }
            for o in sorted(
                (o for o in same_issuer if o.report_id != rid),
                key=lambda o: (o.metadata.year or 0, o.report_id),
            )
        ],
    }


def report_page(r: Report, same_issuer: Sequence[Report], dl: str = DOWNLOADS) -> str:
    """The Markdown of one report's page."""
    body = r.markdown.split("\n", 1)[1] if r.markdown.startswith("# ") else r.markdown
    # The body is the Markdown stage's output, where every piece of source text was escaped
    # (pipeline.markdown.escape) and the only links made are http(s).
    return render("report.md.j2", r=_view(r, same_issuer, dl), body=Markup(body.strip("\n")))


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


def page_key(r: Report, same_issuer: Sequence[Report], site: Site) -> str:
    """What a report's page and CSV are made from: the report (its source's hash, id, metadata
    and duplicates determine the rest, with the code in ``site.salt``) and its neighbours."""
    a = r.archived
    h = hashlib.sha256(site.salt.encode())
    h.update(
        repr((r.report_id, a.sha256, a.source_file, a.size, a.encoding, a.media_type)).encode()
    )
    h.update(repr((r.metadata, r.duplicates, site.downloads)).encode())
    for o in same_issuer:
        h.update(repr((o.report_id, o.metadata.year, o.metadata.display_title)).encode())
    return h.hexdigest()


def _outputs(site: Site) -> Iterator[Output]:
    for r in site.reports:
        same = site.same_issuer(r)
        paths = (f"reports/{r.report_id}.md", f"downloads/reports/{r.report_id}.csv")
        if site.salt and site.kept(paths, page_key(r, same, site)):
            yield paths[0], KEPT
            yield paths[1], KEPT
            continue
        whole = site.load(r)
        yield paths[0], report_page(whole, same, site.downloads)
        yield paths[1], report_csv(whole)


KIND = PageKind("report", ("reports",), _outputs)
