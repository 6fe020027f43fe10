"""Site build: MkDocs in many small cached shards (``shards.py``: one MkDocs build per shard,
``mkdocs_run.py``), the downloads and the files MkDocs does not make (``extras.py``), and the
search index in parts (``search_index.py``).

A build plans its jobs from the pages in the docs folder, runs those whose output is not cached
(on the local process pool or a Dask cluster: ``pipeline.executor``), and links the outputs
into the new site. With no cache folder every job runs, in a temporary folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import pages
from pipeline.executor import Executor, LocalExecutor
from pipeline.fileio import files_under, link_files
from pipeline.site.carry import MANIFEST, SYNCED, Changes, Links
from pipeline.site.extras import (
    GENERATED_DOCS,
    STAGED,
    clear_generated_docs,
    stage_downloads,
    stage_late_downloads,
    t2s_map,
    write_t2s_map,
)
from pipeline.site.mkdocs_run import mkdocs_build, page_html
from pipeline.site.search_index import (
    IndexJob,
    assemble_indexes,
    index_job,
    part_count,
    part_job,
    part_words,
    plan_indexes,
)
from pipeline.site.shards import (
    KEPT_PAGES,
    Job,
    Vouched,
    assemble,
    batch_job,
    build_job,
    needs_mkdocs,
    plan,
    prune,
    record_digests,
)

__all__ = [
    "GENERATED_DOCS",
    "STAGED",
    "SiteBuild",
    "build_site",
    "clear_generated_docs",
    "single_build",
    "stage_downloads",
    "stage_late_downloads",
    "t2s_map",
    "write_t2s_map",
]


def _finish(
    docs_dir: Path,
    site_dir: Path,
    pages_linked: list[str],
    links: Links,
    changes: Mapping[str, Changes] | None = None,
) -> None:
    """Downloads and sitemap: what every site build adds to MkDocs' pages, with the character
    map written before (``pages_linked``: the files ``assemble`` linked, which the sitemap lists
    the pages of).
    The downloads of one file per report are given to ``links``, a folder at a time, with what
    changed in it since the last staging when that is known (``changes``, by folder)."""
    dl = docs_dir / "downloads"
    synced = [sub for sub in SYNCED if (dl / sub).is_dir()]
    pairs = [
        (f"{dl}/{rel}", f"{site_dir}/downloads/{rel}")
        for rel in files_under(dl, skip=tuple(synced))
    ]
    link_files(pairs)
    for sub in synced:
        unit = f"downloads/{sub}"

        def listed(sub: str = sub) -> list[tuple[str, str]]:
            return [(f"{dl}/{sub}/{r}", f"downloads/{sub}/{r}") for r in files_under(dl / sub)]

        links.sync(unit, listed, (changes or {}).get(unit))
    pages.write_sitemap(site_dir, pages_linked)


def single_build(docs_dir: Path, site_dir: Path, strict: bool = True) -> None:
    """The whole docs folder in one MkDocs process, without search: the floor the sharded build
    is measured against, and what it must equal byte for byte."""
    mkdocs_build(docs_dir, site_dir, strict)
    # mkdocs.yml keeps the Markdown downloads out of the pages; the rest MkDocs copied.
    for p in sorted((docs_dir / "downloads").rglob("*.md")):
        dest = site_dir / p.relative_to(docs_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dest)
    pages.write_sitemap(site_dir)
    write_t2s_map(site_dir / "assets" / "t2s.json")


@dataclass
class SiteBuild:
    """What a site build did: seconds per step, and how many jobs it ran of how many."""

    timings: dict[str, float] = field(default_factory=dict)
    shards: int = 0
    shards_built: int = 0
    """MkDocs builds run (shards and hub) rather than taken from the cache."""
    indexes: int = 0
    indexes_built: int = 0
    batched: int = 0
    """Pages of several shards made by one MkDocs run before the shards (``batch_job``)."""
    links: Links | None = None
    """The files of the site's carried folders, placed at the swap (``Links.place``)."""


SHARDS_AHEAD = 4
"""Shards sent to the executor and not yet built, per worker, at most."""

TAIL_PARTS = 2
"""Index parts Pagefind writes at once after the shards are built (one beside them): once the
shards' pool has ended, the parts still waiting (the shards now outpace Pagefind) share both
cores. Each holds about 0.5 GB while it writes (``search_index.INDEX_PAGES``), so the second
is taken only while the build holds less than ``TAIL_SECOND_BELOW`` (``tail_parts``)."""

TAIL_SECOND_BELOW = 3 << 29
"""Bytes of the build's own memory (1.5 GiB) above which the tail's parts are written one at
a time. At 10,000 reports the build holds about 0.7 GB and two parts at once saved 3.5 s of a
full build; at 100,000 it holds 2.9 GB, and the second part took the peak (PSS, all
processes) to 4.07 GB (run 39: the build 2.91, Pagefind 1.02)."""


def tail_parts() -> int:
    """How many index parts to write at once after the shards' pool (``TAIL_PARTS``, or one
    when this process holds ``TAIL_SECOND_BELOW`` or more)."""
    return TAIL_PARTS if resident_bytes() < TAIL_SECOND_BELOW else 1


def resident_bytes() -> int:
    """This process's resident memory: from ``/proc`` (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _prune_pages(cache_dir: Path, builds: list[str], pages: list[str]) -> None:
    """Remove the cached builds and kept pages not named."""
    prune(cache_dir / "pages", builds)
    prune(cache_dir / KEPT_PAGES, pages)


def build_site(
    docs_dir: Path,
    site_dir: Path,
    cache_dir: Path | None = None,
    executor: Executor | None = None,
    progress: Callable[[str], None] | None = None,
    hub_pages: tuple[Callable[[], None], tuple[str, ...]] | None = None,
    changes: Mapping[str, Changes] | None = None,
    vouched: Vouched | None = None,
    meanwhile: Callable[[Links], None] | None = None,
) -> SiteBuild:
    """Build ``docs_dir`` into ``site_dir`` (which must not exist): pages, downloads, sitemap,
    character map and search index. With a ``cache_dir``, the files of the carried folders
    (report and issuer pages, index parts, the downloads of a file per report:
    ``pipeline.site.carry``) are left to be placed when the site is swapped in
    (``SiteBuild.links``).

    The shards are built first, part by part; Pagefind indexes each part as its last shard is
    back, one part at a time beside the shards' pool and ``tail_parts()`` at once after it,
    beside the hub. ``hub_pages`` is a function that writes hub pages not yet in
    the docs folder, and their paths: it is called once the hub is built, and those pages are
    then built alone (the build finishes ``reports.db`` meanwhile, which the datasets page
    describes; a change of one report had the hub wait 2-4 s for it). ``changes``: what changed
    in the docs folder's downloads of a file per report since their last staging
    (``Staged.changes``), which the site's copies then follow file by file. ``vouched``: the
    pages kept as the last build wrote them, whose facts planning takes as recorded.
    ``meanwhile``: the caller's work on the new site, done while the hub is built, Pagefind
    writes the last parts and the build finishes ``reports.db`` (this thread would otherwise
    wait: at 100,000 reports a changed report's part takes 5-8 s after the shards), given the
    site's ``Links`` (to which the parts are given meanwhile, from another thread)."""
    executor = executor or LocalExecutor(1)
    out = SiteBuild()
    timings = out.timings
    tmp = None
    if cache_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix=".site-work-", dir=site_dir.parent))
        cache_dir = tmp
    try:
        t0 = time.perf_counter()
        write_hub_pages, coming = hub_pages or (None, ())
        planned: dict[str, Any] = {}  # what the late plan takes from the full one
        jobs, dealt = plan(
            docs_dir, cache_dir / "pages", coming=coming, memo=planned, vouched=vouched
        )
        timings["mkdocs_plan"] = time.perf_counter() - t0
        shards, outs = jobs[1:], [j.out for j in jobs[1:]]
        parts = part_count(dealt)
        todo: list[Job] = []
        linked: list[str] = []
        site_dir.mkdir(parents=True)
        links = out.links = Links(site_dir, None if tmp else cache_dir / MANIFEST)
        # Pagefind holds a part in memory while it writes it: on this machine one at a time.
        index_runner = LocalExecutor(1) if isinstance(executor, LocalExecutor) else executor

        late: list[Job] = []
        indexed: list[Any] = []  # the parts' jobs begun beside the shards
        idx: list[IndexJob] = []
        idx_todo: list[IndexJob] = []

        def make_indexes() -> None:
            """Once the parts begun beside the shards are written: the stub (or the hub's index)
            and the parts put together in the site."""
            t = time.perf_counter()
            idx[:] = plan_indexes(dealt, outs, site_dir, cache_dir / "search", links)
            words = part_words(idx)  # of the parts written, while the last are
            for future in indexed:
                future.result()
            idx_todo[:] = [j for j in idx if not Path(j.out).exists()]
            index_runner.map(index_job, idx_todo)
            assemble_indexes(idx, site_dir, links, words)
            timings["search_assemble"] = time.perf_counter() - t

        def make_hub() -> bool:
            """Build the hub (the caller's ``meanwhile`` done as it is), then write the pages
            still to come and build them alone, and link them in, with the downloads and the
            sitemap; whether the hub was built rather than cached. A search index of the report
            pages alone is put together meanwhile, in a thread, as its last parts are written
            and as the build finishes ``reports.db``, which the pages still to come wait for (a
            site without report pages has its hub pages indexed: after them all)."""
            t = time.perf_counter()
            built = not Path(jobs[0].out).exists()
            with ThreadPoolExecutor(2) as beside:
                assembling = beside.submit(make_indexes) if parts else None
                hub = None
                if built:
                    todo.append(jobs[0])
                    hub = beside.submit(executor.map, build_job, [jobs[0]])
                # While the hub is built, Pagefind writes the last parts and the build
                # finishes reports.db: the shards' digests recorded, the caller's work.
                write_t2s_map(site_dir / "assets" / "t2s.json")
                record_digests(cache_dir / "pages", todo, jobs, planned.get("digests"))
                if meanwhile is not None:
                    meanwhile(links)
                if hub is not None:
                    hub.result()
                pages_linked = assemble(jobs[:1], site_dir, links=links)
                pages_linked += late_pages()
                timings["hub"] = time.perf_counter() - t
                # The builds and pages no job kept removed beside the downloads and the sitemap
                # (at 100,000 reports a change's 126 shards' last outputs: 1.1 s).
                pruned = beside.submit(
                    _prune_pages,
                    cache_dir,
                    [Path(j.out).name for j in jobs + late],
                    [k for j in jobs + late for k in j.page_keys if k],
                )
                _finish(docs_dir, site_dir, linked + pages_linked, links, changes)
                pruned.result()
                if assembling is not None:
                    assembling.result()
            if not parts:
                make_indexes()
            return built

        def late_pages() -> list[str]:
            """The hub's pages still to come, written, built alone and linked in."""
            if write_hub_pages is None:
                return []
            write_hub_pages()
            jobs_late, _ = plan(
                docs_dir, cache_dir / "pages", coming=coming, late=True, memo=planned
            )
            late.append(jobs_late[0])
            if not Path(late[0].out).exists():
                executor.map(build_job, late)
            rels = [page_html(rel) for rel in late[0].pages]
            link_files([(f"{late[0].out}/{rel}", f"{site_dir}/{rel}") for rel in rels])
            return rels

        # The shards part by part (an index part is a fixed set of shards): Pagefind, which keeps
        # about one core busy, indexes each part whose pages changed while the next part's
        # shards are built, and then beside the hub, the downloads and the sitemap. Parts whose
        # report pages look changed to Pagefind come first, so that it starts early. (A site
        # without report pages has its hub pages indexed: after the hub, then.)
        groups = [
            [j for i, j in enumerate(shards) if not parts or i % parts == g]
            for g in range(max(parts, 1))
        ]
        first = sorted(range(len(groups)), key=lambda g: not any(j.searched for j in groups[g]))
        # A small change: its pages of every shard made first by one MkDocs run (kept under
        # their keys, from where the shards then only link them).
        batch = batch_job(
            [j for j in shards if not Path(j.out).exists()],
            f"{cache_dir}/.batch-{os.getpid()}-{time.time_ns()}",
        )
        if batch is not None:
            t = time.perf_counter()
            try:
                executor.map(build_job, [batch])
            finally:
                shutil.rmtree(batch.out, ignore_errors=True)
            out.batched = len(batch.pages)
            timings["mkdocs_batch"] = time.perf_counter() - t
        # One part at a time beside the shards' pool, ``TAIL_PARTS`` once it has ended.
        slots = threading.Semaphore(1)

        def index_part(part: IndexJob) -> None:
            with slots:
                index_runner.map(index_job, [part])

        # Per part: its shards still to build, and those of them that run MkDocs. Those run on
        # one pool for the whole site, part after part, in order (each new process would load
        # and compile Material's templates again); a part is assembled and its index begun as
        # soon as its last shard is back, while the pool goes on with the next part's.
        steps = []
        for g in first:
            built = [j for j in groups[g] if not Path(j.out).exists()]
            mkdocs = [needs_mkdocs(j) for j in built]
            steps.append(
                (
                    g,
                    built,
                    [j for j, m in zip(built, mkdocs, strict=True) if not m],
                    [j for j, m in zip(built, mkdocs, strict=True) if m],
                )
            )
        runs = (job for *_, pooled in steps for job in pooled)
        results = executor.imap(build_job, runs, ahead=SHARDS_AHEAD * executor.workers)
        with ThreadPoolExecutor(TAIL_PARTS) as indexing, contextlib.closing(results):
            for g, built, linking, pooled in steps:
                members = groups[g]
                # Shards that only link kept pages are done here (a pool's start costs more).
                t = time.perf_counter()
                for job in linking:
                    build_job(job)
                t1 = time.perf_counter()
                for _ in pooled:
                    next(results)
                todo += built
                t2 = time.perf_counter()
                linked += assemble(members, site_dir, hub=False, links=links)
                for key, seconds in (
                    ("mkdocs_linking", t1 - t),
                    ("mkdocs_pool", t2 - t1),
                    ("mkdocs_assemble", time.perf_counter() - t2),
                ):
                    timings[key] = timings.get(key, 0.0) + seconds
                if parts:
                    part = part_job(g, dealt, outs, site_dir, cache_dir / "search", parts)
                    if not Path(part.out).exists():
                        indexed.append(indexing.submit(index_part, part))
            results.close()  # the pool's processes end here, before the hub and the last parts
            for _ in range(tail_parts() - 1):
                slots.release()
            timings["mkdocs"] = time.perf_counter() - t0
            if progress:
                progress(
                    f"[site]     {len(shards)} shards, {len(todo)} built "
                    f"({len(shards) - len(todo)} cached"
                    + (f"; their {len(batch.pages)} changed pages in one run" if batch else "")
                    + f") in {timings['mkdocs']:.1f}s, "
                    f"{len(indexed)} index parts begun beside them"
                )
            t0 = time.perf_counter()
            hub_built = make_hub()
        timings["search"] = time.perf_counter() - t0
        out.shards, out.shards_built = len(jobs), len(todo)
        # Index parts: the stub a site in parts has at pagefind/ is not one.
        out.indexes = sum(1 for j in idx if not j.stub)
        out.indexes_built = len(indexed) + sum(1 for j in idx_todo if not j.stub)
        if progress:
            progress(
                f"[search]   {out.indexes} Pagefind index parts, {out.indexes_built} rebuilt, "
                f"and beside them the hub ({'built' if hub_built else 'cached'}, "
                f"{timings['hub']:.1f}s), downloads and sitemap in {timings['search']:.1f}s"
            )
        prune(cache_dir / "search", [Path(j.out).name for j in idx])
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return out
