"""Copied-text ranking: the reports that repeat most of their body's previous report, those
closest to another body's report of the same year, and how shares are spread."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from markupsafe import Markup

from pipeline import charts
from pipeline.crossreport import CrossReport
from pipeline.crossreport.reuse import MIN_SENTENCES
from pipeline.pages.common import Output, PageKind, Site
from pipeline.pages.render import render
from pipeline.records import Report

RANKED = 100
"""Reports listed in each ranking."""
BANDS = ((0.0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _report(r: Report) -> dict[str, Any]:
    return {
        "title": r.metadata.display_title,
        "href": f"reports/{r.report_id}.md",
        "year": r.metadata.year or "未知",
        "issuer": r.metadata.issuer or "未知",
    }


def reuse_view(cross: CrossReport, reports: Sequence[Report]) -> dict[str, Any]:
    by_id = {r.report_id: r for r in reports}
    compared = [(rid, u) for rid, u in sorted(cross.reuse.items()) if u.sentences >= MIN_SENTENCES]
    with_previous = [(rid, u) for rid, u in compared if u.previous_share is not None]
    with_previous.sort(key=lambda t: (-(t[1].previous_share or 0), t[0]))
    with_other = [(rid, u) for rid, u in compared if u.other_share is not None]
    with_other.sort(key=lambda t: (-(t[1].other_share or 0), t[0]))
    same = []
    for rid, u in with_previous[:RANKED]:
        iid = cross.issuer_of.get(rid)
        same.append(
            {
                **_report(by_id[rid]),
                "share": _percent(u.previous_share),
                "counts": f"{len(u.repeated):,}/{u.sentences:,}",
                "previous": _report(by_id[u.previous_id]) if u.previous_id else None,
                "issuer_href": f"issuers/{iid}.md" if iid else None,
            }
        )
    other = [
        {
            **_report(by_id[rid]),
            "share": _percent(u.other_share),
            "other": _report(by_id[u.other_id]) if u.other_id else None,
        }
        for rid, u in with_other[:RANKED]
    ]
    chart = None
    if with_previous:
        counts = [
            sum(1 for _, u in with_previous if lo <= (u.previous_share or 0) < hi)
            for lo, hi in BANDS
        ]
        labels = ["<10%", "10–30%", "30–50%", "50–70%", "70–90%", "≥90%"]
        chart = Markup(
            charts.column_chart(
                "chart-reuse-shares",
                "与上一年度报告重复的句子比例",
                list(zip(labels, [float(c) for c in counts], strict=True)),
                "份",
                f"{len(with_previous):,} 份有上一年度报告可比的报告中，"
                f"{counts[-1]:,} 份有九成以上的句子与上一年度相同。",
            )
        )
    return {
        "compared": len(compared),
        "with_previous": len(with_previous),
        "min_sentences": MIN_SENTENCES,
        "same": same,
        "other": other,
        "chart": chart,
        "ranked": RANKED,
    }


def reuse_page(cross: CrossReport, reports: Sequence[Report]) -> str:
    return render("reuse.md.j2", v=reuse_view(cross, reports))


def _outputs(site: Site) -> Iterator[Output]:
    assert site.cross is not None
    yield "reuse.md", reuse_page(site.cross, site.reports)


KIND = PageKind("reuse", ("reuse.md",), _outputs)
