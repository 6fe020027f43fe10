"""Reports held light: what a national build keeps in memory of each report.

The hub pages (home, browse, datasets, feed) need every report's metadata and figures, never
its text; the data package and the report pages need one report's text at a time. So the build
keeps a light copy of each report (no texts, no table cells, figures without their sentences)
and reads the whole report back from the per-report cache when it needs it, one at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from pipeline.records import Report, Source

if TYPE_CHECKING:
    from pipeline.cache import Cache


def lighten(r: Report) -> Report:
    """``r`` without what only its own page and the data package need, its own checks among
    them (a third of a light copy: its page and its rows read them from the whole report,
    and its cache key stands for them in the keys of what is made from it). A light copy's
    ``checks`` are those the build adds (``crossreport.with_checks``), which ``with_added``
    puts after the whole report's own."""
    return replace(
        r,
        archived=replace(r.archived, text="", html_meta={}),
        cleaned=replace(r.cleaned, text="", removed=(), toc=()),
        statistics=tuple(replace(s, evidence="") for s in r.statistics),
        cells=(),
        checks=(),
        markdown="",
        text_hans=None if r.text_hans is None else "",
    )


def with_added(whole: Report, light: Report) -> Report:
    """The whole report read back for the light copy ``light``, with what the build added to
    the light copy: its duplicates and, after its own checks, the checks across years."""
    return replace(whole, duplicates=light.duplicates, checks=whole.checks + light.checks)


class Reports(Sequence[Report]):
    """The build's reports in order: ``light`` in memory, each whole one read back by ``load``
    when it is asked for (by index or by iterating), so iterating holds one at a time."""

    def __init__(
        self,
        light: Sequence[Report],
        load: Callable[[Report], Report],
        key: Callable[[Report], str | None] | None = None,
        cache: tuple[str, str] | None = None,
        sources: dict[str, tuple[str, dict[str, str]]] | None = None,
    ) -> None:
        self.light = list(light)
        self._load = load
        self._key = key
        self.cache = cache
        """The per-report cache's folder and code fingerprint (``pipeline.cache.Cache``), so
        that a task elsewhere can read a whole report back itself (``Kept``)."""
        self.sources = sources or {}
        """Each source file's path and sidecar, by name (to make a report again whose cache
        entry is gone)."""

    def __len__(self) -> int:
        return len(self.light)

    @overload
    def __getitem__(self, i: int) -> Report: ...

    @overload
    def __getitem__(self, i: slice) -> list[Report]: ...

    def __getitem__(self, i: int | slice) -> Report | list[Report]:
        if isinstance(i, slice):
            return [self._load(r) for r in self.light[i]]
        return self._load(self.light[i])

    def __iter__(self) -> Iterator[Report]:
        for r in self.light:
            yield self._load(r)

    def load(self, r: Report) -> Report:
        """The whole report of the light ``r``."""
        return self._load(r)

    def key(self, r: Report) -> str | None:
        """The per-report cache key the whole report of ``r`` is kept under (None: unknown)."""
        return self._key(r) if self._key else None


def light_reports(reports: Sequence[Report]) -> Sequence[Report]:
    """What hub pages may read: the light copies when the build keeps them, else the reports."""
    return reports.light if isinstance(reports, Reports) else reports


@lru_cache(maxsize=4)
def _cache(cache_dir: str, fingerprint: str) -> Any:
    """One ``Cache`` a process (making one reads the installed libraries' versions)."""
    from pipeline.cache import Cache

    return Cache(Path(cache_dir), fingerprint)


@dataclass(frozen=True)
class Kept:
    """A whole report as a task reads it back from the per-report cache itself (rather than
    being sent it): the cache, its key, its source (to make it again if the entry is gone), and
    what the build added to it (its duplicates and the checks across years)."""

    cache_dir: str
    fingerprint: str
    key: str
    source: str
    sidecar: dict[str, str]
    report_id: str
    duplicates: tuple[str, ...]
    checks: tuple[Any, ...]
    """The checks the build added (its light copy's, ``lighten``)."""

    def load(self) -> Report:
        cache = _cache(self.cache_dir, self.fingerprint)
        report = whole_report(cache, self.key, self.source, self.sidecar, self.report_id)
        return replace(report, duplicates=self.duplicates, checks=report.checks + self.checks)


def whole_report(
    cache: Cache, key: str, path: str, sidecar: dict[str, str], report_id: str
) -> Report:
    """The whole report kept under ``key``; made again from its source (and kept again) when
    the entry is gone or does not verify, as only its light copy was read at the start."""
    from pipeline.report import run

    hit = cache.get(key)
    if hit is not None and hit[0] is not None:
        return hit[0]
    source = Source(name=Path(path).name, data=Path(path).read_bytes(), sidecar=sidecar)
    name, report, problem = run((source, report_id))
    if report is None:
        raise RuntimeError(f"{name}: {problem.message if problem else 'not made'}")
    cache.put(key, (report, problem))
    return report


def for_task(reports: Sequence[Report], r: Report) -> Kept | Report:
    """What a task needs to have the whole report of ``r``: a ``Kept`` when ``reports`` are
    read back from the per-report cache, else the report."""
    if isinstance(reports, Reports) and reports.cache is not None:
        key = reports.key(r)
        where = reports.sources.get(r.archived.source_file)
        if key is not None and where is not None:
            cache_dir, fingerprint = reports.cache
            path, sidecar = where
            return Kept(
                cache_dir, fingerprint, key, path, sidecar, r.report_id, r.duplicates, r.checks
            )
    return whole(reports, r)


def from_task(item: Kept | Report) -> Report:
    """The whole report a task was given (``for_task``): read back, or as it came."""
    return item.load() if isinstance(item, Kept) else item


def cache_key(reports: Sequence[Report], r: Report) -> str | None:
    """The per-report cache key of ``r`` when ``reports`` is read back from the cache."""
    return reports.key(r) if isinstance(reports, Reports) else None


def whole(reports: Sequence[Report], r: Report) -> Report:
    """The whole report of ``r`` (read back when ``reports`` holds light copies)."""
    return reports.load(r) if isinstance(reports, Reports) else r
