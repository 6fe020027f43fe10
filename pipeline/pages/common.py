"""What every page kind shares: labels, formatting, grouping and ordering of reports, and the
registry types (``Site``, ``PageKind``) a page kind is declared with."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

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
STATUS_ZH = {
    "pass": ("✔", "通过"),
    "fail": ("✘", "不一致"),
    "not_applicable": ("–", "不适用"),
    "unverified": ("?", "无法验证"),
}
LICENSE_NAME = "ODC-BY-1.0"
LICENSE_URL = "https://opendatacommons.org/licenses/by/1-0/"
DOWNLOADS = "../downloads"
"""Where a page one folder below the site's root finds the downloads."""

KEPT = b""
"""Content of an output whose file from the last build is still right (same key): not
rewritten. Only report pages are kept so; every other kind is small and always written."""

Output = tuple[str, str | bytes]
"""A file a page kind writes: its path relative to the docs folder and its content (or
``KEPT``)."""


@dataclass
class Site:
    """What page kinds are made from: the published reports, the build's problems and the
    data package; indexes over the reports are computed once, on first use. ``reports`` may
    be light copies (no texts): a kind that prints a report's text asks ``load`` for it."""

    reports: Sequence[Report]
    problems: Sequence[Any]
    datasets_dir: Path
    downloads: str = DOWNLOADS
    load: Callable[[Report], Report] = lambda r: r
    """The whole report of one of ``reports`` (which may be light copies: ``pipeline.store``)."""
    salt: str = ""
    """What every page also depends on (the pipeline's code and library versions)."""
    previous: dict[str, str] = field(default_factory=dict)
    """Key of each output file of the last build that is still in the docs folder."""
    keys: dict[str, str] = field(default_factory=dict)
    """Key of each output file of this build, for the next one."""

    def kept(self, paths: Sequence[str], key: str) -> bool:
        """Record ``key`` for ``paths``; True when the last build wrote them with that key."""
        same = all(self.previous.get(p) == key for p in paths)
        for p in paths:
            self.keys[p] = key
        return same

    @cached_property
    def by_issuer(self) -> dict[str, list[Report]]:
        return group(self.reports, issuer_key)

    @cached_property
    def issuer_years(self) -> dict[str, dict[int, list[Report]]]:
        """Each issuer's reports of a known year, by year, each year's in the order of their ids."""
        out: dict[str, dict[int, list[Report]]] = defaultdict(dict)
        for r in sorted(self.reports, key=_year_order):
            if r.metadata.year is not None:
                out[issuer_key(r)].setdefault(r.metadata.year, []).append(r)
        return out

    @cached_property
    def _rank(self) -> dict[str, int]:
        """A report's place among its issuer's reports of its year."""
        return {
            r.report_id: k
            for years in self.issuer_years.values()
            for g in years.values()
            for k, r in enumerate(g)
        }

    def same_issuer(self, r: Report) -> list[Report]:
        """The issuer's neighbouring years, oldest first: one report of the nearest earlier year
        and one of the nearest later year (at most two, so that no report page grows with the
        corpus). When an issuer has several reports a year, the k-th of a year links to the
        k-th of the next (or its last), so one report's change touches few other pages."""
        year = r.metadata.year
        years = self.issuer_years.get(issuer_key(r), {})
        if year is None or year not in years:
            return []
        known = sorted(years)
        at = known.index(year)
        k = self._rank[r.report_id]
        out = []
        for near in (at - 1, at + 1):
            if 0 <= near < len(known):
                g = years[known[near]]
                out.append(g[min(k, len(g) - 1)])
        return out


def _year_order(r: Report) -> tuple[int, str]:
    return (r.metadata.year or 0, r.report_id)


@dataclass(frozen=True)
class PageKind:
    """One kind of generated page, as listed in ``pipeline.pages.PAGE_KINDS``."""

    name: str
    docs: tuple[str, ...]
    """Paths in the docs folder this kind writes (a folder or a file), which a new
    build clears and which MkDocs shards other than the first leave out."""
    outputs: Callable[[Site], Iterator[Output]]
    """The files of this kind, yielded one at a time so that large kinds need not be held."""


# --------------------------------------------------------------------------- small helpers


def fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def region(r: Report) -> str:
    g = r.metadata.region
    return " · ".join(x for x in (g.province, g.prefecture, g.county) if x) or "未知"


def slug(value: str | None) -> str:
    """File-safe name for an index page: region names keep their Han characters."""
    if not value:
        return "unknown"
    return "".join(ch for ch in value if ch.isalnum() or ch in "-_") or "unknown"


def anchor(text: str) -> str:
    """An ASCII element id for a name (``c-`` and the hex code points of its letters)."""
    return (
        "c-"
        + "".join(f"{ord(ch):x}" if not ch.isascii() else ch for ch in text if ch.isalnum())[:60]
    )


def level(r: Report) -> str:
    return r.metadata.admin_level or "unknown"


def year(r: Report) -> str:
    return str(r.metadata.year or "未知")


def issuer_key(r: Report) -> str:
    return r.metadata.issuer or r.report_id


def newest_first(reports: Iterable[Report]) -> list[Report]:
    return sorted(
        reports, key=lambda r: (r.metadata.published_date or "", r.report_id), reverse=True
    )


def by_title(reports: Iterable[Report]) -> list[Report]:
    return sorted(
        reports,
        key=lambda r: (-(r.metadata.year or 0), r.metadata.title_hans or "", r.report_id),
    )


def group(reports: Iterable[Report], key: Callable[[Report], str]) -> dict[str, list[Report]]:
    out: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        out[key(r)].append(r)
    return out


def years_desc(keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=lambda y: (y != "未知", y), reverse=True)


def tier(r: Report) -> str:
    """``province`` | ``prefecture`` | ``county``: where a report sits under its province."""
    g = r.metadata.region
    if g.county or level(r) in ("county", "township"):
        return "county"
    if g.prefecture or level(r) == "prefecture":
        return "prefecture"
    return "province"
