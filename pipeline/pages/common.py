"""What every page kind shares: labels, formatting, grouping and ordering of reports, and the
registry types (``Site``, ``PageKind``) a page kind is declared with."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.crossreport import CrossReport, Issuer, Reuse, cross_report
from pipeline.executor import Executor
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
rewritten. Report, issuer and browse pages are kept so; the other kinds are small and always
written."""


class Written:
    """The type of ``WRITTEN``."""


WRITTEN = Written()
"""Content of an output that the kind's task has written into the docs folder itself (report
pages, written where they are rendered): the pages stage only counts it."""

Output = tuple[str, str | bytes | Written]
"""A file a page kind writes: its path relative to the docs folder and its content (or
``KEPT``, or ``WRITTEN``)."""


@dataclass(frozen=True)
class ReportLinks:
    """What a report page shows of the rest of the corpus: its issuer's page, the issuer's
    reports of the neighbouring years (never the whole list: a page must not grow with the
    corpus) and its copied text."""

    issuer: Issuer | None = None
    previous: Report | None = None
    following: Report | None = None
    reuse: Reuse | None = None
    other: Report | None = None
    """The report by another body of the same year it shares most sentences with."""


@dataclass
class Site:
    """What page kinds are made from: the published reports, the build's problems, the data
    package and what the cross-report stage found; indexes over the reports are computed once,
    on first use. ``reports`` may be light copies (no texts): a kind that prints a report's
    text asks ``load`` for it."""

    reports: Sequence[Report]
    problems: Sequence[Any]
    datasets_dir: Path
    downloads: str = DOWNLOADS
    cross: CrossReport | None = None
    load: Callable[[Report], Report] = lambda r: r
    """The whole report of one of ``reports`` (which may be light copies: ``pipeline.store``)."""
    for_task: Callable[[Report], Any] = lambda r: r
    """What a task elsewhere needs to have the whole report (``pipeline.store.for_task``)."""
    executor: Executor | None = None
    """Where report pages are rendered (the build's process pool or cluster; None: here)."""
    salt: str = ""
    """What every page also depends on (the pipeline's code and library versions)."""
    previous: dict[str, str] = field(default_factory=dict)
    """Key of each output file of the last build that is still in the docs folder."""
    keys: dict[str, str] = field(default_factory=dict)
    """Key of each output file of this build, for the next one."""
    docs_dir: Path | None = None
    """The docs folder, where a kind's tasks write their files themselves (``WRITTEN``); None:
    the kind yields the content and the pages stage writes it."""
    key_of: Callable[[Report], str | None] = lambda r: None
    """The per-report cache key of a report (``pipeline.store.cache_key``; None: not kept)."""

    def __post_init__(self) -> None:
        if self.cross is None:
            self.cross = cross_report(self.reports)

    def kept(self, paths: Sequence[str], key: str) -> bool:
        """Record ``key`` for ``paths``; True when the last build wrote them with that key."""
        same = all(self.previous.get(p) == key for p in paths)
        for p in paths:
            self.keys[p] = key
        return same

    def made_from(self, r: Report, *more: Any) -> Any:
        """What the stages made ``r`` from, for a page's key: its per-report cache key (its
        source's bytes and sidecar and the stages' code, which determine its metadata, figures
        and own checks) when it has one, else those fields and ``more`` of its own. A repr of
        the fields took most of the keys' time: 8.9 s for 100,000 report pages."""
        return self._made.get(r.report_id) or (r.metadata, *more)

    @cached_property
    def _made(self) -> dict[str, str | None]:
        """Each report's ``key_of``, found once (a report page's key asks it of the report and
        of its neighbours)."""
        key_of = self.key_of
        return {r.report_id: key_of(r) for r in self.reports}

    @cached_property
    def by_id(self) -> dict[str, Report]:
        return {r.report_id: r for r in self.reports}

    def links(self, r: Report) -> ReportLinks:
        cross = self.cross
        assert cross is not None
        rid = r.report_id
        reuse = cross.reuse.get(rid)
        return ReportLinks(
            issuer=cross.issuer(rid),
            previous=self.by_id.get(cross.previous.get(rid, "")),
            following=self.by_id.get(cross.following.get(rid, "")),
            reuse=reuse,
            other=self.by_id.get(reuse.other_id or "") if reuse else None,
        )


@dataclass(frozen=True)
class PageKind:
    """One kind of generated page, as listed in ``pipeline.pages.PAGE_KINDS``."""

    name: str
    docs: tuple[str, ...]
    """Paths in the docs folder this kind writes (a folder or a file), which a new
    build clears and which MkDocs shards other than the first leave out."""
    outputs: Callable[[Site], Iterator[Output]]
    """The files of this kind, yielded one at a time so that large kinds need not be held."""
    copied_text: bool = True
    """Whether its files show the copied text (``cross.reuse``, ``cross.pairs``). A kind that
    does not is written while the build measures it (``crossreport.begin``); were it to read
    it then, it would fail (``crossreport.NOT_YET``), not show none."""


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


def text_lang(r: Report) -> str:
    """The language tag of a report's own text: ``zh-Hant`` or ``zh-Hans`` by its script."""
    return LANG.get(r.metadata.script, "zh")


def title_lang(r: Report) -> str:
    """The language tag of the title shown for a report: its own title is in its script; a
    title the site makes (no title line) is Simplified, like the rest of the site's words."""
    return text_lang(r) if r.metadata.title else LANG["hans"]


def level(r: Report) -> str:
    return r.metadata.admin_level or "unknown"


def year(r: Report) -> str:
    return str(r.metadata.year or "未知")


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
