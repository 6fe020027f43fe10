"""Issuer pages: one per issuing body (``issuers/<id>/``: its reports by year, its key figures
by year linked to their sentences, small charts, implausible year-to-year changes) and an index
of the bodies that reported in several years."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

from markupsafe import Markup

from pipeline import charts
from pipeline.crossreport import CrossReport, Issuer
from pipeline.crossreport.issuers import by_year, whole_body
from pipeline.extract.figures import indicator_titles
from pipeline.pages.common import (
    ISSUER_TYPE_ZH,
    KEPT,
    LEVEL_ZH,
    QUALIFIER_ZH,
    TYPE_ZH,
    Output,
    PageKind,
    Site,
    fmt,
)
from pipeline.pages.render import render
from pipeline.records import Report

CHARTS = ("applications_received", "proactive_items", "applications_granted")
"""Figures drawn as small charts when the body states them in at least two years."""
REPORTS_MAX = 100
"""An issuer page lists at most this many of its reports (every year's primary one first), so
that no page grows with the corpus: a badly read issuer can gather thousands."""
INDEX_MAX = 800
"""The index lists at most this many bodies (those with the most years first); every body's
page is linked from its reports' pages and listed in issuers.csv."""


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _region(i: Issuer) -> str:
    return " · ".join(x for x in (i.province, i.prefecture, i.county) if x) or "未知"


def issuer_view(issuer: Issuer, reports: dict[str, Report], cross: CrossReport) -> dict[str, Any]:
    """Everything an issuer page prints, as plain values (links are paths of this site)."""
    titles = indicator_titles()
    members = [reports[rid] for rid in issuer.report_ids]
    primary = by_year(members)
    years = list(primary)
    flagged: dict[tuple[str, str], str] = {}
    for r in members:
        for c in cross.checks.get(r.report_id, ()):
            flagged[(r.report_id, c.check.split(":", 1)[1])] = c.detail
    stated = {y: whole_body(r) for y, r in primary.items()}
    codes = [c for c in titles if any(c in st for st in stated.values())]
    rows = []
    for code in codes:
        cells = []
        for y in years:
            r = primary[y]
            s = stated[y].get(code)
            if s is None:
                cells.append(None)
                continue
            cells.append(
                {
                    "text": f"{QUALIFIER_ZH.get(s.qualifier, '')}{fmt(s.value)}",
                    # Raw links resolve from the page's URL (issuers/<id>/).
                    "href": f"../../reports/{r.report_id}/" + (f"#{s.anchor}" if s.anchor else ""),
                    "doubt": s.check_failed,
                    "flag": flagged.get((r.report_id, code)),
                }
            )
        name, unit = titles[code][1], titles[code][2]
        label = name if unit in name else f"{name}（{unit}）"
        rows.append({"name": label, "unit": unit, "cells": cells})
    figures = []
    for code in CHARTS:
        data: list[tuple[str, float | None, str]] = []
        for y in years:
            s = stated[y].get(code)
            if s is None:
                data.append((str(y), None, "未写明"))
            elif s.check_failed:
                data.append((str(y), None, "待核"))
            else:
                data.append((str(y), s.value, ""))
        shown = [v for _, v, _ in data if v is not None]
        if len(shown) >= 2:
            name, unit = titles[code][1], titles[code][2]
            name = name if unit in name else f"{name}（{unit}）"
            figures.append(
                Markup(
                    charts.year_columns(
                        f"chart-{code.replace('_', '-')}",
                        name,
                        data,
                        unit,
                        f"{len(shown)} 个年度写明了{name}；待核的数字不画出。",
                    )
                )
            )
    checks = [
        {
            "year": reports[rid].metadata.year or "未知",
            "href": f"../reports/{rid}.md",
            "name": titles.get(c.check.split(":", 1)[1], ("", c.check, ""))[1],
            "detail": c.detail,
        }
        for rid in issuer.report_ids
        for c in cross.checks.get(rid, ())
    ]
    shown = members
    if len(members) > REPORTS_MAX:
        first = {r.report_id for r in primary.values()}
        extra = [r for r in members if r.report_id not in first]
        extra = extra[: max(0, REPORTS_MAX - len(first))]
        keep = first | {r.report_id for r in extra}
        shown = [r for r in members if r.report_id in keep]
    listed = []
    for r in shown:
        u = cross.reuse.get(r.report_id)
        listed.append(
            {
                "year": r.metadata.year or "未知",
                "title": r.metadata.display_title,
                "href": f"../reports/{r.report_id}.md",
                "type": TYPE_ZH.get(r.metadata.document_type, "其他"),
                "primary": r.metadata.year is not None and primary.get(r.metadata.year) is r,
                "reuse": _percent(u.previous_share if u else None),
            }
        )
    return {
        "id": issuer.issuer_id,
        "name": issuer.name,
        "variants": [v for v in issuer.variants if v != issuer.name],
        "type": ISSUER_TYPE_ZH.get(issuer.issuer_type, "其他"),
        "level": LEVEL_ZH.get(issuer.admin_level or "unknown", "未知"),
        "region": _region(issuer),
        "division_code": issuer.division_code,
        "span": f"{years[0]}–{years[-1]}" if years else "未知",
        "reports": listed,
        "report_count": len(members),
        "more": len(members) - len(shown),
        "years": years,
        "rows": rows,
        "charts": figures,
        "checks": checks,
    }


def issuer_page(issuer: Issuer, reports: dict[str, Report], cross: CrossReport) -> str:
    return render("issuer.md.j2", i=issuer_view(issuer, reports, cross))


def issuers_index(cross: CrossReport) -> str:
    ranked = sorted(cross.issuers, key=lambda i: (-len(i.years), -len(i.report_ids), i.issuer_id))
    several = [i for i in ranked if len(i.years) >= 2]
    provinces = Counter(i.province or "未知" for i in cross.issuers)
    return render(
        "issuers_index.md.j2",
        total=len(cross.issuers),
        several=len(several),
        listed=[
            {
                "name": i.name,
                "href": f"{i.issuer_id}.md",
                "region": _region(i),
                "years": f"{i.years[0]}–{i.years[-1]}",
                "count": len(i.years),
            }
            for i in several[:INDEX_MAX]
        ],
        provinces=sorted(provinces.items(), key=lambda x: (-x[1], x[0])),
    )


def issuer_key(issuer: Issuer, site: Site) -> str:
    """What an issuer page is made from: the issuer, and of each of its reports the metadata,
    figures, checks across years and copied-text share (with the code in ``site.salt``)."""
    cross = site.cross
    assert cross is not None
    h = hashlib.sha256(site.salt.encode())
    h.update(repr(issuer).encode())
    for rid in issuer.report_ids:
        r = site.by_id[rid]
        u = cross.reuse.get(rid)
        h.update(
            repr(
                (
                    rid,
                    site.made_from(r, r.statistics),
                    cross.checks.get(rid, ()),
                    u.previous_share if u else None,
                )
            ).encode()
        )
    return h.hexdigest()


def _outputs(site: Site) -> Iterator[Output]:
    cross = site.cross
    assert cross is not None
    yield "issuers/index.md", issuers_index(cross)
    for issuer in cross.issuers:
        rel = f"issuers/{issuer.issuer_id}.md"
        if site.salt and site.kept((rel,), issuer_key(issuer, site)):
            yield rel, KEPT
            continue
        yield rel, issuer_page(issuer, site.by_id, cross)


KIND = PageKind("issuers", ("issuers",), _outputs)
