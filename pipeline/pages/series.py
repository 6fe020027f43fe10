"""Series page: national totals of each figure by year and level, with how many reports each
total rests on next to it, provincial totals of the latest year, and the largest figures
behind them linked to their reports (from the ``series`` rows of the cross-report stage)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from markupsafe import Markup

from pipeline import charts
from pipeline.crossreport import SeriesRow
from pipeline.crossreport.issuers import whole_body
from pipeline.crossreport.series import ALL, NO_PROVINCE
from pipeline.extract.figures import indicator_titles
from pipeline.pages.common import LEVEL_ORDER, LEVEL_ZH, Output, PageKind, Site, fmt
from pipeline.pages.render import render
from pipeline.records import Report

CHARTED = ("applications_received", "proactive_items", "applications_granted", "fees_collected")
"""Figures drawn as charts; every figure has its table."""
LARGEST = 5
"""The largest figures behind the latest year's total, listed with their reports."""


def section_id(indicator: str) -> str:
    return "s-" + indicator.replace("_", "-")


def level_chart(
    rows: Sequence[SeriesRow], indicator: str, cid: str, title: str, note: str = ""
) -> str | None:
    """Stacked columns of one figure's totals by year and level (the home page uses it too)."""
    levels = {
        (r.year, r.level_key): r.total or 0.0
        for r in rows
        if r.indicator == indicator and r.province_key == ALL and r.level_key != ALL
    }
    national = {
        r.year: r
        for r in rows
        if r.indicator == indicator and r.level_key == ALL and r.province_key == ALL
    }
    if not levels or not any(r.total for r in national.values()):
        return None
    ys = sorted(national)
    span = [str(y) for y in range(ys[0], ys[-1] + 1)]
    present = [k for k in LEVEL_ORDER if any(lv == k for _, lv in levels)]
    series = [(LEVEL_ZH[k], [levels.get((int(y), k), 0.0) for y in span]) for k in present]
    used = sum(r.reports for r in national.values())
    group = sum(r.group_reports for r in national.values())
    total = sum(r.total or 0.0 for r in national.values())
    unit = next(iter(national.values())).unit
    return charts.stacked_column_chart(
        cid,
        title,
        span,
        series,
        unit,
        f"{group:,} 份报告中 {used:,} 份写明了可计入的数字，合计 {charts.integer(total)} {unit}。"
        + note,
    )


def _coverage(r: SeriesRow) -> str:
    return f"{r.reports:,}/{r.group_reports:,}"


def series_view(rows: Sequence[SeriesRow], reports: Sequence[Report]) -> dict[str, Any]:
    titles = indicator_titles()
    by_indicator: dict[str, list[SeriesRow]] = defaultdict(list)
    for r in rows:
        by_indicator[r.indicator].append(r)
    latest_reports: dict[int, list[Report]] = defaultdict(list)
    for rep in reports:
        if rep.metadata.year is not None:
            latest_reports[rep.metadata.year].append(rep)
    sections = []
    for code in titles:
        mine = by_indicator.get(code)
        if not mine:
            continue
        en, zh, unit = titles[code]
        national = sorted(
            (r for r in mine if r.level_key == ALL and r.province_key == ALL),
            key=lambda r: r.year,
        )
        chart = None
        if code in CHARTED:
            made = level_chart(mine, code, f"chart-{section_id(code)}", f"{zh}（按机关层级）")
            chart = Markup(made) if made else None
        latest = national[-1].year if national else None
        provinces = sorted(
            (r for r in mine if r.year == latest and r.level_key == ALL and r.province_key != ALL),
            key=lambda r: (-(r.total or 0), r.province_key),
        )
        largest = []
        if latest is not None:
            found = []
            for rep in latest_reports[latest]:
                s = whole_body(rep).get(code)
                if s is not None and not s.check_failed and s.qualifier == "exact":
                    found.append((s.value, rep, s))
            found.sort(key=lambda t: (-t[0], t[1].report_id))
            largest = [
                {
                    "value": fmt(v),
                    "title": rep.metadata.display_title,
                    "issuer": rep.metadata.issuer or "未知",
                    "href": f"reports/{rep.report_id}.md",
                    "anchor": s.anchor,
                }
                for v, rep, s in found[:LARGEST]
            ]
        sections.append(
            {
                "id": section_id(code),
                "code": code,
                "name": zh,
                "en": en,
                "unit": unit,
                "chart": chart,
                "national": [
                    {
                        "year": r.year,
                        "total": fmt(r.total) if r.total is not None else "–",
                        "coverage": _coverage(r),
                        "excluded": r.reports_excluded,
                        "missing": r.reports_missing,
                    }
                    for r in national
                ],
                "latest": latest,
                "provinces": [
                    {
                        "province": "无（中央机关或未知）"
                        if r.province_key == NO_PROVINCE
                        else r.province_key,
                        "total": fmt(r.total) if r.total is not None else "–",
                        "coverage": _coverage(r),
                    }
                    for r in provinces
                ],
                "largest": largest,
            }
        )
    return {"sections": sections}


def series_page(rows: Sequence[SeriesRow], reports: Sequence[Report]) -> str:
    return render("series.md.j2", v=series_view(rows, reports))


def _outputs(site: Site) -> Iterator[Output]:
    assert site.cross is not None
    yield "series.md", series_page(site.cross.series, site.reports)


KIND = PageKind("series", ("series.md",), _outputs, copied_text=False)
