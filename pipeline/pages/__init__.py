"""Pages stage: the site's Markdown (a page per report, browse indexes, home, datasets, search,
build report) and the files published beside them (Atom feed, per-report CSV).

Each kind of page is a module here with a template in ``templates/`` and a ``KIND`` listed in
``PAGE_KINDS``; ``render.py`` holds the one escaping rule every template applies. To add a kind
of page: write ``pipeline/pages/<kind>.py`` with a function from a ``Site`` to the files it
writes and a ``templates/<kind>.md.j2``, and add its ``KIND`` to ``PAGE_KINDS`` below.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline.crossreport import CrossReport
from pipeline.executor import Beside, Executor, can_fork
from pipeline.fileio import write_files
from pipeline.pages import (
    browse,
    build_report,
    datasets,
    feeds,
    home,
    issuers,
    report,
    reuse,
    search,
    series,
)
from pipeline.pages.browse import LIST_MAX, browse_pages
from pipeline.pages.build_report import build_report_page
from pipeline.pages.common import (
    DOWNLOADS,
    KEPT,
    LEVEL_ZH,
    LICENSE_NAME,
    LICENSE_URL,
    SITE_NAME,
    WRITTEN,
    PageKind,
    Site,
    newest_first,
)
from pipeline.pages.datasets import Corpus, dataset_jsonld, datasets_page, json_for_script
from pipeline.pages.feeds import FEED_MAX, feed_xml, write_sitemap
from pipeline.pages.home import home_charts, home_page
from pipeline.pages.report import SEARCH_FILTERS, report_csv, report_page, search_filters
from pipeline.pages.search import search_page
from pipeline.records import Report
from pipeline.store import cache_key, for_task, light_reports, whole

PAGE_KINDS: tuple[PageKind, ...] = (
    report.KIND,
    issuers.KIND,
    browse.KIND,
    series.KIND,
    reuse.KIND,
    home.KIND,
    datasets.KIND,
    search.KIND,
    build_report.KIND,
    feeds.KIND,
)
"""Every kind of generated page, in the order they are written."""

WRITE_BATCH = 500
"""Files are written in batches as they are made, not all held: report pages are most of a
national site."""

__all__ = [
    "FEED_MAX",
    "LEVEL_ZH",
    "LICENSE_NAME",
    "LICENSE_URL",
    "LIST_MAX",
    "PAGE_KINDS",
    "SEARCH_FILTERS",
    "SITE_NAME",
    "PageKind",
    "PageWriter",
    "Site",
    "browse_pages",
    "build_report_page",
    "dataset_jsonld",
    "datasets_page",
    "feed_xml",
    "generated_docs",
    "home_charts",
    "home_page",
    "json_for_script",
    "newest_first",
    "report_csv",
    "report_page",
    "search_filters",
    "search_page",
    "write_datasets_page",
    "write_pages",
    "write_sitemap",
]


def generated_docs() -> tuple[str, ...]:
    """Every top-level entry of the docs folder that some page kind writes."""
    return tuple(dict.fromkeys(path for kind in PAGE_KINDS for path in kind.docs))


KEYS_FILE = ".page-keys.json"
"""In the docs folder: the key of each report page written by the last build."""

KEPT_FOLDERS = ("reports", "issuers", "browse", "downloads/reports")
"""Where outputs that can be kept from one build to the next live (report, issuer and browse
pages, report CSVs)."""


def write_pages(
    docs_dir: Path,
    reports: Sequence[Report],
    problems: Sequence[Any],
    datasets_dir: Path,
    salt: str = "",
    cross: CrossReport | None = None,
    executor: Executor | None = None,
    defer_datasets: bool = False,
    timings: dict[str, float] | None = None,
) -> int:
    """Write every generated page and download into ``docs_dir``; returns the number of pages.
    ``cross`` is what the cross-report stage found (computed here when not given); report
    pages are rendered on ``executor`` when one is given. With ``defer_datasets`` the datasets
    page, which reads the data package's files (their sizes and checksums), is left out and
    counted: the build writes it with ``write_datasets_page`` once ``reports.db`` is whole.
    ``timings``, when given, gets the seconds spent on the last build's keys
    (``pages_previous``), on each kind of page (``pages_<kind>``, written files included) and
    on removing pages no longer made (``pages_prune``), for the benchmark.

    With a ``salt`` (the pipeline's fingerprint), a report page whose report, neighbours and
    salt are those of the last build is left as that build wrote it, and report pages of
    reports gone since are removed; without, every page is written."""
    writer = PageWriter(docs_dir, reports, problems, datasets_dir, salt, cross, executor, timings)
    writer.write(PAGE_KINDS, defer_datasets=defer_datasets)
    return writer.finish()


class PageWriter:
    """``write_pages`` in parts: the kinds given to each ``write``, then ``finish``. The build
    writes the kinds that do not read the copied text (``PageKind.copied_text``) while it is
    measured beside them, and the rest after the data package; ``site.cross`` may change in
    between (the measured copied text put in)."""

    def __init__(
        self,
        docs_dir: Path,
        reports: Sequence[Report],
        problems: Sequence[Any],
        datasets_dir: Path,
        salt: str = "",
        cross: CrossReport | None = None,
        executor: Executor | None = None,
        timings: dict[str, float] | None = None,
    ) -> None:
        self.timings = {} if timings is None else timings
        t = time.perf_counter()
        self.docs_dir = docs_dir
        keys_file = docs_dir / KEYS_FILE
        previous: dict[str, str] = {}
        if salt and keys_file.exists():
            with contextlib.suppress(ValueError, OSError):
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                there = files_among(docs_dir, keys)
                previous = {rel: key for rel, key in keys.items() if rel in there}
        # Until this build has written every page, no key may vouch for a file.
        keys_file.unlink(missing_ok=True)
        self.site = Site(
            reports=light_reports(reports),
            problems=problems,
            datasets_dir=datasets_dir,
            cross=cross,
            load=functools.partial(whole, reports),
            for_task=functools.partial(for_task, reports),
            executor=executor,
            salt=salt,
            previous=previous,
            docs_dir=docs_dir,
            key_of=functools.partial(cache_key, reports),
        )
        self.pages = 0
        self.made: set[str] = set()
        self.corpus: Corpus | None = None
        """What the datasets page says of the reports, once found (``write_beside``)."""
        self.timings["pages_previous"] = time.perf_counter() - t

    def write(self, kinds: Iterable[PageKind], defer_datasets: bool = False) -> None:
        """Write the files of ``kinds`` (the datasets page only counted with
        ``defer_datasets``)."""
        batch: list[tuple[Path, bytes]] = []
        for kind in kinds:
            if kind is datasets.KIND and defer_datasets:
                self.pages += 1
                continue
            t = time.perf_counter()
            for rel, content in kind.outputs(self.site):
                self.pages += rel.endswith(".md")
                self.made.add(rel)
                if content is KEPT or content is WRITTEN:
                    continue
                data = content if isinstance(content, bytes) else content.encode("utf-8")
                batch.append((self.docs_dir / rel, data))
                if len(batch) >= WRITE_BATCH:
                    write_files(batch)
                    batch = []
            write_files(batch)
            batch = []
            self.timings[f"pages_{kind.name.replace(' ', '_')}"] = time.perf_counter() - t

    def write_beside(self, kinds: Iterable[PageKind]) -> WrittenBeside:
        """``write(kinds)`` begun in a forked process (``executor.Beside``) while this one goes
        on with other work; ``WrittenBeside.join`` waits for it and takes what it did into this
        writer (the pages counted and made, their keys, its timings). Where this process may
        not fork, the kinds are written here and now. The kinds must not use ``site.executor``
        nor read what this process changes meanwhile, and nothing else is written before the
        join. At 100,000 reports the browse, home and series pages are some 10 s of Python
        over every report, which the data package, written meanwhile, leaves a core for. The
        process also finds what the datasets page says of the reports (``corpus``: 2.3 s at
        100,000 reports, which that page, written last, spent on the build's main thread)."""
        kinds = tuple(kinds)
        if not can_fork():
            self.write(kinds)
            return WrittenBeside(self, None)

        def run() -> tuple[int, set[str], dict[str, str], dict[str, float], Corpus]:
            # In the fork: counted from nothing, with its own timings, all sent back.
            t = time.perf_counter()
            self.pages, self.made, self.site.keys, self.timings = 0, set(), {}, {}
            self.write(kinds)
            corpus = Corpus.of(self.site.reports)  # for the datasets page, written last
            self.timings["pages_beside"] = time.perf_counter() - t
            return self.pages, self.made, self.site.keys, self.timings, corpus

        return WrittenBeside(self, Beside(run, "pages"))

    def finish(self) -> int:
        """Remove the files of the kept folders no kind made, keep this build's keys for the
        next; returns the number of pages written."""
        t = time.perf_counter()
        docs_dir, made = self.docs_dir, self.made
        for folder in KEPT_FOLDERS:  # what no page of this build is (browse/ has subfolders)
            for where, subs, files in os.walk(docs_dir / folder):
                subs.sort()
                rel = Path(where).relative_to(docs_dir).as_posix()
                for name in files:
                    if f"{rel}/{name}" not in made:
                        os.unlink(os.path.join(where, name))
        if self.site.salt:
            (docs_dir / KEYS_FILE).write_text(
                json.dumps(self.site.keys, sort_keys=True), encoding="utf-8"
            )
        self.timings["pages_prune"] = time.perf_counter() - t
        return self.pages


class WrittenBeside:
    """Page kinds being written in another process (``PageWriter.write_beside``)."""

    def __init__(self, writer: PageWriter, job: Beside | None) -> None:
        self.writer = writer
        self.job = job

    @property
    def proc(self) -> Any:
        """The process writing the kinds (None: written in this one, or already joined)."""
        return getattr(self.job, "proc", None)

    def join(self) -> None:
        """Wait for the kinds to be written, and take what was done into the writer; raises
        what writing them raised."""
        job, self.job = self.job, None
        if job is None:
            return
        pages, made, keys, timings, corpus = job.result()
        w = self.writer
        w.corpus = corpus
        w.pages += pages
        w.made |= made
        w.site.keys.update(keys)
        w.timings.update(timings)

    def cancel(self) -> None:
        """Stop the writing (a build stopped before the join); nothing once joined."""
        job, self.job = self.job, None
        if job is not None:
            job.cancel()


def files_among(folder: Path, rels: Iterable[str]) -> set[str]:
    """Those of ``rels`` (paths relative to ``folder``) that are files: each of their folders
    read once, rather than each path looked up. At 100,000 reports a stat of every page is as
    many reads of the disk once the build's other files have pushed their inodes out of the
    cache; a folder's listing gives the names and kinds of all its files at once."""
    by_folder: dict[str, set[str]] = {}
    for rel in rels:
        head, _, name = rel.rpartition("/")
        by_folder.setdefault(head, set()).add(name)
    found: set[str] = set()
    for head, names in by_folder.items():
        try:
            with os.scandir(f"{folder}/{head}" if head else folder) as entries:
                files = {e.name for e in entries if e.name in names and e.is_file()}
        except (FileNotFoundError, NotADirectoryError):
            continue
        found.update(f"{head}/{n}" if head else n for n in files)
    return found


def write_datasets_page(
    docs_dir: Path,
    reports: Sequence[Report],
    datasets_dir: Path,
    corpus: Corpus | None = None,
) -> None:
    """The datasets page that ``write_pages(defer_datasets=True)`` left out (``corpus``: what
    it says of ``reports``, when already found)."""
    page = datasets_page(datasets_dir, DOWNLOADS, light_reports(reports), corpus)
    write_files([(docs_dir / "datasets.md", page.encode("utf-8"))])
