"""The cross-report stage itself (``pipeline.crossreport`` gives its names): the issuers, the
neighbouring years, the year-over-year checks and the series found at once (``begin``), the copied
text measured apart (``measure``, which may run in another process), and the rows of the data
package's cross-report resources."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from pipeline.crossreport.issuers import Issuer, by_year, match_issuers, year_over_year
from pipeline.crossreport.reuse import Pair, Reuse, measure
from pipeline.crossreport.series import SeriesRow, build_series
from pipeline.records import Check, Report


@dataclass
class CrossReport:
    issuers: list[Issuer] = field(default_factory=list)
    issuer_of: dict[str, str] = field(default_factory=dict)
    """Report id → issuer id (reports that stay alone are absent)."""
    previous: dict[str, str] = field(default_factory=dict)
    """Report id → the same body's report of the latest earlier year."""
    following: dict[str, str] = field(default_factory=dict)
    """Report id → the same body's report of the earliest later year."""
    reuse: dict[str, Reuse] = field(default_factory=dict)
    pairs: list[Pair] = field(default_factory=list)
    series: list[SeriesRow] = field(default_factory=list)
    checks: dict[str, list[Check]] = field(default_factory=dict)
    """Year-over-year checks, by the report they are about (the later year's)."""
    timings: dict[str, float] = field(default_factory=dict)

    def issuer(self, report_id: str) -> Issuer | None:
        iid = self.issuer_of.get(report_id)
        return self.by_id.get(iid) if iid else None

    @cached_property
    def by_id(self) -> dict[str, Issuer]:
        return {i.issuer_id: i for i in self.issuers}


def _neighbours(
    issuers: Sequence[Issuer], reports: dict[str, Report]
) -> tuple[dict[str, str], dict[str, str]]:
    previous: dict[str, str] = {}
    following: dict[str, str] = {}
    for issuer in issuers:
        primary = by_year(reports[rid] for rid in issuer.report_ids)
        years = list(primary)
        for rid in issuer.report_ids:
            y = reports[rid].metadata.year
            if y is None:
                continue
            before = [x for x in years if x < y]
            after = [x for x in years if x > y]
            if before:
                previous[rid] = primary[before[-1]].report_id
            if after:
                following[rid] = primary[after[0]].report_id
    return previous, following


def cross_report(reports: Sequence[Report]) -> CrossReport:
    """Issuers, copied text and series of a corpus (reports sorted by id, as the build has them)."""
    out = begin(reports)
    t0 = time.perf_counter()
    out.reuse, out.pairs = measure(reports, out.issuer_of, out.previous)
    out.timings["reuse"] = time.perf_counter() - t0
    return out


def begin(
    reports: Sequence[Report], found: Callable[[CrossReport], None] | None = None
) -> CrossReport:
    """All of ``cross_report`` but the copied text: ``reuse`` and ``pairs`` are ``NOT_YET``
    until ``measure(Sentences.of(reports), out.issuer_of, out.previous)`` (which may run in
    another process meanwhile) gives them. ``found`` is called with the stage's findings as
    soon as what the measure reads (the issuers, each report's previous year) is in them, before
    the year-over-year checks and the series: the measure may begin then."""
    out = CrossReport(reuse=NOT_YET, pairs=NOT_YET)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    by_rid = {r.report_id: r for r in reports}
    out.issuers, out.issuer_of = match_issuers(reports)
    out.previous, out.following = _neighbours(out.issuers, by_rid)
    if found is not None:
        found(out)
    checks: dict[str, list[Check]] = defaultdict(list)
    for issuer in out.issuers:
        for rid, own in year_over_year(by_year(by_rid[x] for x in issuer.report_ids)).items():
            checks[rid].extend(own)
    out.checks = dict(checks)
    out.timings["issuers"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out.series = build_series(reports)
    out.timings["series"] = time.perf_counter() - t0
    return out


class _NotYet(Mapping[str, Any], Sequence[Any]):  # type: ignore[misc]
    """The copied text of a ``begin`` not yet measured: any use of it is an error, never an
    empty result (a page made from it would say that no report copies another)."""

    def _fail(self, *args: object) -> Any:
        raise RuntimeError("copied text read before it was measured (crossreport.begin)")

    __getitem__ = __iter__ = __len__ = __contains__ = get = _fail  # type: ignore[assignment]


NOT_YET: Any = _NotYet()


def with_checks(reports: Sequence[Report], cross: CrossReport) -> Sequence[Report]:
    """The reports with their year-over-year checks added to their own (to light copies,
    which hold none of their own: a whole report read back later gets its own and then those of
    its light copy, ``store.with_added``)."""
    from pipeline.store import Reports, with_added

    def add(r: Report) -> Report:
        found = cross.checks.get(r.report_id)
        return replace(r, checks=r.checks + tuple(found)) if found else r

    if isinstance(reports, Reports):
        base = reports
        return Reports(
            [add(r) for r in base.light],
            lambda light: with_added(base.load(light), light),
            base.key,
            base.cache,
            base.sources,
        )
    return [add(r) for r in reports]


def report_fields(cross: CrossReport, report_id: str) -> dict[str, Any]:
    """The fields of a ``reports`` row the cross-report stage fills."""
    reuse = cross.reuse.get(report_id)
    return {
        "issuer_id": cross.issuer_of.get(report_id),
        "reuse_sentences": reuse.sentences if reuse else 0,
        "reuse_previous_report_id": reuse.previous_id if reuse else None,
        "reuse_previous_share": reuse.previous_share if reuse else None,
        "reuse_other_report_id": reuse.other_id if reuse else None,
        "reuse_other_share": reuse.other_share if reuse else None,
    }


def rows(cross: CrossReport) -> dict[str, list[dict[str, Any]]]:
    """The rows of the ``issuers``, ``reuse`` and ``series`` resources."""
    issuers = [
        {
            "issuer_id": i.issuer_id,
            "name": i.name,
            "variants": "|".join(i.variants),
            "issuer_type": i.issuer_type,
            "admin_level": i.admin_level,
            "province": i.province,
            "prefecture": i.prefecture,
            "county": i.county,
            "division_code": i.division_code,
            "report_count": len(i.report_ids),
            "years": "|".join(str(y) for y in i.years) or None,
            "first_year": i.years[0] if i.years else None,
            "last_year": i.years[-1] if i.years else None,
            "page": f"issuers/{i.issuer_id}/",
        }
        for i in cross.issuers
    ]
    reuse = [
        {
            "report_id": p.report_id,
            "kind": p.kind,
            "anchor": p.anchor,
            "other_report_id": p.other_report_id,
            "other_anchor": p.other_anchor,
        }
        for p in cross.pairs
    ]
    series = [
        {
            "year": s.year,
            "admin_level": s.level_key,
            "province": s.province_key,
            "indicator": s.indicator,
            "unit": s.unit,
            # Whole numbers as integers, as the statistics table writes its values.
            "total": int(s.total) if s.total is not None and s.total.is_integer() else s.total,
            "reports": s.reports,
            "reports_excluded": s.reports_excluded,
            "reports_missing": s.reports_missing,
            "group_reports": s.group_reports,
        }
        for s in cross.series
    ]
    return {"issuers": issuers, "reuse": reuse, "series": series}
