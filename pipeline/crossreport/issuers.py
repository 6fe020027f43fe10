"""Issuers across years: which reports one body published, its figures year by year, and the
changes from one year to the next that are implausible enough to check.

A body is known by a key made of its division (GB/T 2260 code, followed through renamings with
``regions.successors``) and its name without that division, in one canonical form:

* the general office stands for its body (岳塘区人民政府办公室 → 岳塘区人民政府, 教育部办公厅 →
  教育部, 某镇党政办公室 → 某镇人民政府), 政府 is 人民政府;
* the division chain a name opens with is dropped and replaced by its code (湖南省湘潭市岳塘区人民
  政府 and 岳塘区人民政府 are one body; so are 密云县人民政府 and 密云区人民政府, the county
  having become a district);
* names are compared in Simplified script (the metadata stage already converts them).

A name that opens with a division shared by several places (朝阳区) is resolved by the
division the metadata stage found for the report (from its title and text); when that does not
settle it, the report stays alone. A report with no issuer, or whose issuer fails the body-name
test (``metadata._is_body``: 正文, a breadcrumb, 本站原创), gets no issuer at all. Bodies
without a division in their name are matched by name within the report's division (a township
named alone), or nationally for central bodies (国家统计局).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.extract.figures import indicator_titles
from pipeline.extract.regions import leading_divisions, successors
from pipeline.metadata import _is_body
from pipeline.records import Check, Report, Statistic

# Forms of a government's general office, replaced by the government itself.
_GOVERNMENT_OFFICES = (
    "人民政府办公室",
    "人民政府办公厅",
    "人民政府政务公开办公室",
    "政府办公室",
    "政府办公厅",
    "政务公开办公室",
    "党政综合办公室",
    "党政办公室",
)
_OFFICES = ("办公室", "办公厅")
# A department's own office (教育局办公室) stands for the department; 人民防空办公室 is one.
_DEPARTMENT_ENDS = ("局", "委员会", "委", "厅", "部", "署", "院", "中心", "总局")
_BRACKETED = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_SPACE = re.compile(r"\s+")

RATIO = 10.0
"""A figure this many times the year before (or a tenth of it) is implausible…"""
RATIO_FLOOR = 100.0
"""…when the larger of the two is at least this (3 → 40 applications is a small body's year)."""
ZERO_AFTER = 2
"""A drop to 0 is implausible after this many stated years of at least ``RATIO_FLOOR``."""


@dataclass(frozen=True)
class Issuer:
    """One issuing body and its reports (one row of ``issuers``)."""

    issuer_id: str
    name: str
    variants: tuple[str, ...]
    """Every name its reports give it, sorted."""
    issuer_type: str
    admin_level: str | None
    province: str | None
    prefecture: str | None
    county: str | None
    division_code: str | None
    """Code of its division today (a former code followed to its successor)."""
    report_ids: tuple[str, ...]
    """Its reports, oldest first."""
    years: tuple[int, ...]
    """Years its reports cover, sorted, without repeats."""


def _government(head: str) -> str:
    """The government of a place: a 街道's is its 办事处, any other's its 人民政府."""
    return head + ("办事处" if head.endswith("街道") else "人民政府")


def canonical_body(rest: str) -> str:
    """The name of a body once its division is taken away, offices read as their body."""
    if not rest or rest in ("政府", *_OFFICES):
        return "人民政府"
    if rest.endswith("街道"):
        return rest + "办事处"
    for office in _GOVERNMENT_OFFICES:
        if rest.endswith(office):
            return _government(rest[: -len(office)])
    for office in _OFFICES:
        head = rest[: -len(office)]
        if rest.endswith(office) and head.endswith(_DEPARTMENT_ENDS):
            return head
    if rest.endswith("政府") and not rest.endswith("人民政府"):
        return rest[:-2] + "人民政府"
    return rest


def _successor(code: str | None) -> str | None:
    return successors().get(code, code) if code else None


def body_key(report: Report) -> str | None:
    """The key a report's issuer is matched by, or None when it must stay alone. It reads the
    report's issuer, level and division code only (``match_issuers`` finds it once for each)."""
    m = report.metadata
    if not m.issuer or not _is_body(m.issuer):
        return None
    name = _SPACE.sub("", _BRACKETED.sub("", m.issuer))
    end, codes = leading_divisions(name)
    rest = canonical_body(name[end:])
    if m.admin_level == "central" and not end:
        return f"central|{rest}"
    if end:
        if len(codes) == 1:
            code = codes[0]
        elif m.region.division_code in codes:
            code = m.region.division_code
        else:
            return None  # 朝阳区人民政府 with nothing to say which 朝阳区
        return f"{_successor(code)}|{rest}"
    if m.region.division_code:
        return f"{_successor(m.region.division_code)}|{rest}"
    return None


def issuer_id(key: str) -> str:
    """Stable URL-safe id: the division code (when there is one) and a hash of the key."""
    code = key.split("|", 1)[0]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{code}-{digest[:8]}" if code.isdigit() else f"i-{digest[:10]}"


def _ends_with_office(name: str) -> bool:
    return name.endswith(_OFFICES)


def primary_order(r: Report) -> tuple:
    """Which of a body's reports of one year speaks for that year: an annual report before a
    notice, then the one with the most figures, then by id."""
    return (r.metadata.document_type != "annual_report", -len(r.statistics), r.report_id)


def match_issuers(reports: Sequence[Report]) -> tuple[list[Issuer], dict[str, str]]:
    """Every issuer (sorted by id) and the issuer id of each report that has one."""
    groups: dict[str, list[Report]] = defaultdict(list)
    # A body's key depends on its name, level and division alone: found once for each (a
    # national corpus has some 100,000 reports of 7,000 bodies).
    ids: dict[tuple[str | None, str | None, str | None], str | None] = {}
    for r in reports:
        m = r.metadata
        what = (m.issuer, m.admin_level, m.region.division_code)
        if what not in ids:
            key = body_key(r)
            ids[what] = issuer_id(key) if key is not None else None
        iid = ids[what]
        if iid is not None:
            groups[iid].append(r)
    issuers: list[Issuer] = []
    of: dict[str, str] = {}
    for iid in sorted(groups):
        members = sorted(groups[iid], key=lambda r: (r.metadata.year or 0, r.report_id))
        names = [r.metadata.issuer or "" for r in members]
        # The latest name, preferring a body's own name to its office's (安庆市政府办公室 speaks
        # for 安庆市人民政府, and is named so when no report gives the body's own name).
        plain = [r for r in members if not _ends_with_office(r.metadata.issuer or "")]
        latest = max(plain or members, key=lambda r: (r.metadata.year or 0, r.report_id))
        m = latest.metadata
        name = m.issuer or ""
        if not plain:
            end, _ = leading_divisions(name)
            name = name[:end] + canonical_body(name[end:])
        code = _successor(m.region.division_code)
        issuers.append(
            Issuer(
                issuer_id=iid,
                name=name,
                variants=tuple(sorted(set(names))),
                issuer_type=m.issuer_type,
                admin_level=m.admin_level,
                province=m.region.province,
                prefecture=m.region.prefecture,
                county=m.region.county,
                division_code=iid.split("-", 1)[0] if iid[0].isdigit() else code,
                report_ids=tuple(r.report_id for r in members),
                years=tuple(sorted({r.metadata.year for r in members if r.metadata.year})),
            )
        )
        for r in members:
            of[r.report_id] = iid
    return issuers, of


def by_year(members: Iterable[Report]) -> dict[int, Report]:
    """The report that speaks for each year of one body (see ``primary_order``)."""
    out: dict[int, Report] = {}
    for r in sorted(members, key=primary_order):
        if r.metadata.year is not None:
            out.setdefault(r.metadata.year, r)
    return dict(sorted(out.items()))


def whole_body(r: Report) -> dict[str, Statistic]:
    """The report's figures for the whole body, by indicator."""
    out: dict[str, Statistic] = {}
    for s in r.statistics:
        if s.scope is None:
            out.setdefault(s.indicator, s)
    return out


def _fmt(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def year_over_year(primary: dict[int, Report]) -> dict[str, list[Check]]:
    """Implausible changes between one stated year and the next of one body, as ``checks``
    rows of the later report (``year_over_year:<indicator>``, status fail). Figures already
    marked 待核 are left out; the rows do not mark figures themselves, since either year may be
    the wrong one."""
    titles = indicator_titles()
    out: dict[str, list[Check]] = defaultdict(list)
    stated: dict[str, list[tuple[int, float, Report]]] = defaultdict(list)
    for year, r in primary.items():
        for code, s in whole_body(r).items():
            if not s.check_failed:
                stated[code].append((year, s.value, r))
    for code in sorted(stated):
        seq = stated[code]
        unit = titles.get(code, ("", "", ""))[2]
        for k in range(1, len(seq)):
            (y0, v0, _), (y1, v1, r1) = seq[k - 1], seq[k]
            reason = None
            if v0 > 0 and v1 > 0 and max(v0, v1) >= RATIO_FLOOR:
                if v1 >= RATIO * v0:
                    reason = f"增至 {v1 / v0:.1f} 倍"
                elif v0 >= RATIO * v1:
                    reason = f"降至 1/{v0 / v1:.1f}"
            elif (
                v1 == 0
                and k >= ZERO_AFTER
                and all(v >= RATIO_FLOOR for _, v, _ in seq[k - ZERO_AFTER : k])
            ):
                reason = f"此前 {ZERO_AFTER} 个年度均不少于 {_fmt(RATIO_FLOOR)}，本年为 0"
            if reason:
                detail = f"{y0} 年 {_fmt(v0)} {unit} → {y1} 年 {_fmt(v1)} {unit}（{reason}）"
                out[r1.report_id].append(Check(f"year_over_year:{code}", "fail", detail))
    return out
