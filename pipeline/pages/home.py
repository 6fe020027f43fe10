"""Home page: what the site is, search, counts, three charts, coverage tables, latest reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from markupsafe import Markup

from pipeline import charts
from pipeline.crossreport import SeriesRow
from pipeline.extract.figures import indicator_titles
from pipeline.pages.common import (
    LEVEL_ORDER,
    LEVEL_ZH,
    Output,
    PageKind,
    Site,
    level,
    newest_first,
    slug,
    title_lang,
    year,
    years_desc,
)
from pipeline.pages.render import render
from pipeline.pages.series import level_chart
from pipeline.records import Report

LATEST = 10


def home_charts(reports: Sequence[Report], series: Sequence[SeriesRow] = ()) -> list[str]:
    """The three charts of the home page (inline SVG with a data table each); the applications
    chart is drawn from the ``series`` rows, as the series page's is."""
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
    applications = level_chart(
        series,
        "applications_received",
        "chart-applications",
        "各年度收到的政府信息公开申请（按机关层级）",
        "只计本站收录的报告，不代表全国总数；各年度的依据报告数见汇总序列。",
    )
    if applications:
        out.append(applications)
    titles = indicator_titles()
    n = len(reports)
    if n:
        has: Counter[str] = Counter()
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


def home_page(
    reports: Sequence[Report],
    problems: int,
    series: Sequence[SeriesRow] = (),
    issuers: int | None = None,
) -> str:
    """The home page; ``issuers`` is the number of bodies the cross-report stage matched (each
    report without one counted apart), else the number of distinct issuer names."""
    years = Counter(year(r) for r in reports)
    levels = Counter(level(r) for r in reports)
    provinces = Counter(r.metadata.region.province or "未知" for r in reports)
    known = sorted(int(y) for y in years if y != "未知")
    return render(
        "home.md.j2",
        reports=len(reports),
        issuers=(
            issuers
            if issuers is not None
            else len({r.metadata.issuer or r.report_id for r in reports})
        ),
        span=f"{known[0]}–{known[-1]}" if known else "–",
        statistics=sum(len(r.statistics) for r in reports),
        hant=sum(r.metadata.script == "hant" for r in reports),
        with_url=sum(1 for r in reports if r.metadata.url),
        problems=problems,
        # Charts are made by pipeline.charts, which escapes every label it prints (and the
        # labels are years, level names and indicator names, not source text).
        charts=[Markup(c) for c in home_charts(reports, series)],
        by_year=[(y, f"browse/year/{slug(y)}.md", years[y]) for y in years_desc(years)],
        by_level=[
            (LEVEL_ZH[k], f"browse/level/{k}/index.md", levels[k])
            for k in LEVEL_ORDER
            if k in levels
        ],
        by_province=[
            (p, f"browse/region/{slug(p)}/index.md", n)
            for p, n in sorted(provinces.items(), key=lambda x: (-x[1], x[0]))
        ],
        latest=[
            {
                "date": r.metadata.published_date or "日期未知",
                "title": r.metadata.display_title,
                "lang": title_lang(r),
                "href": f"reports/{r.report_id}.md",
                "issuer": r.metadata.issuer,
            }
            for r in newest_first(reports)[:LATEST]
        ],
    )


def _outputs(site: Site) -> Iterator[Output]:
    cross = site.cross
    assert cross is not None
    alone = sum(1 for r in site.reports if r.report_id not in cross.issuer_of)
    yield (
        "index.md",
        home_page(site.reports, len(site.problems), cross.series, len(cross.issuers) + alone),
    )


KIND = PageKind("home", ("index.md",), _outputs, copied_text=False)
