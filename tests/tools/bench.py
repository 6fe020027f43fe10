"""Benchmark: build a synthetic corpus of N reports and report time, memory and sizes per stage."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import paths
from pipeline.build import build_all
from pipeline.executor import Beside
from pipeline.site import single_build
from tests.tools.synth import generate, generate_one


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _peak_rss_mb() -> float:
    """Peak resident memory of this process and of its finished children (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def _summary(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``build_all(**kwargs)`` and what the bench reports of it (picklable)."""
    result = build_all(**kwargs)
    cross, site = result.cross, result.site
    return {
        "timings": dict(result.timings),
        "cross": None
        if cross is None
        else {
            "timings": dict(cross.timings),
            "issuers": len(cross.issuers),
            "reuse_pairs": len(cross.pairs),
            "series_rows": len(cross.series),
        },
        "shards": site.shards if site else 0,
        "indexes": site.indexes if site else 0,
        "shards_built": site.shards_built if site else 0,
        "indexes_built": site.indexes_built if site else 0,
        "cache_hits": result.cache_hits,
        "peak_rss_mb": _peak_rss_mb(),
    }


SETTLE_S = 5
"""Seconds of quiet before the full build, after the previous outputs are removed."""


@dataclass
class MemorySampler:
    """Samples the memory of this process and all its descendants, as the sum of their
    proportional set sizes (PSS: a page shared by n processes counts 1/n in each), so that forked
    workers sharing the parent's pages are not counted twice.

    Reading PSS makes the kernel walk every page of a process: about 47 ms a sample during a
    10,000-report build, so sampling every 50 ms took half a core of the two the build runs on
    (25 s of CPU in a 56 s rebuild). It samples every 50 ms at most, and waits ten times as long
    as the last sample took: a tenth of one core at most.

    Each sample also reads every process's CPU time (``/proc/<pid>/stat``), kept as last seen:
    ``cpu_by_process`` at the end (a process's last fraction of a second after its last sample,
    and a process that lived between two samples, are missing; ``CpuTimes`` gives the whole
    machine's)."""

    peak_mb: float = 0.0
    peak_by_process: dict[str, float] = field(default_factory=dict)
    """At the peak: PSS (MB) by process name (``executor.name_process``; several of one name
    added up)."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _cpu: dict[int, tuple[str, float]] = field(default_factory=dict)
    """Each process's name and CPU seconds (user and system), as last sampled."""
    _before: dict[int, float] = field(default_factory=dict)
    """CPU seconds this process had spent when the sampling began (not counted)."""

    @property
    def cpu_by_process(self) -> dict[str, float]:
        """CPU seconds (user and system) spent while sampling, by process name, several of one
        name added up; the sampling process itself (this thread's walks) under ``bench``."""
        out: dict[str, float] = {}
        for pid, (name, seconds) in self._cpu.items():
            key = "bench" if pid == os.getpid() else name
            out[key] = out.get(key, 0.0) + seconds - self._before.get(pid, 0.0)
        return {k: round(v, 1) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}

    def _pss_tree(self) -> dict[int, tuple[str, float]]:
        """Each process of the tree: its name and PSS (MB)."""
        todo, pids = [os.getpid()], []
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        out = {}
        tick = os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
                # Fields after the name (which may hold spaces): utime and stime are the 12th
                # and 13th (``man 5 proc``).
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                self._cpu[pid] = (name, (int(fields[11]) + int(fields[12])) / tick)
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        out[pid] = (name, int(line.split()[1]) / 1024)
            except OSError:
                continue
        return out

    def run(self) -> None:
        while True:
            t0 = time.perf_counter()
            tree = self._pss_tree()
            total = sum(mb for _, mb in tree.values())
            if total > self.peak_mb:
                self.peak_mb = total
                by_name: dict[str, float] = {}
                for name, mb in tree.values():
                    by_name[name] = by_name.get(name, 0.0) + mb
                self.peak_by_process = {k: round(v, 1) for k, v in sorted(by_name.items())}
            if self._stop.wait(max(0.05, 10 * (time.perf_counter() - t0))):
                return

    def __enter__(self) -> MemorySampler:
        times = os.times()
        self._before[os.getpid()] = times.user + times.system
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


INDEX_PARTS = (
    "pagefind-entry.json",
    ".pf_meta",
    "/index/",
    "/filter/",
    "/fragment/",
    "/words/",
    "/names/",
    "parts.json",
)
"""What a search fetches of the index itself, the word directory, the issuers' names and the list
of parts included (the rest under pagefind/ is the UI's scripts, styles and WebAssembly, the
same for every query and cached after the first)."""


def _busy_seconds() -> tuple[float, float]:
    """The CPU seconds all of this machine's cores have spent on user and on system work since
    it started (``/proc/stat``: nice counted as user; irq, softirq and steal as system)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice) / tick, (system + irq + softirq + steal) / tick


@dataclass
class CpuTimes:
    """The CPU time this machine spent while in the block: on a quiet machine, a timed build's
    (all its processes: pools, MkDocs, Pagefind, the database) and the bench's own sampling.
    Read from the machine's counters because a process's own accounting misses the pools'
    workers (children of the forkserver, which no one waits for). ``floor_s`` is the least wall
    time that work can take on this machine's cores however well it is spread: a target below
    it needs less work, not better scheduling."""

    user_s: float = 0.0
    system_s: float = 0.0

    def __enter__(self) -> CpuTimes:
        self._start = _busy_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        user, system = _busy_seconds()
        self.user_s, self.system_s = user - self._start[0], system - self._start[1]

    def summary(self) -> dict[str, float]:
        cores = os.cpu_count() or 1
        return {
            "user_s": round(self.user_s, 1),
            "system_s": round(self.system_s, 1),
            "cores": cores,
            "floor_s": round((self.user_s + self.system_s) / cores, 1),
        }


class _Server:
    """The site served on 127.0.0.1 for the length of a ``with``."""

    def __init__(self, site: Path) -> None:
        import functools
        import http.server

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
        )
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _Server:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


def search_bytes(site: Path, queries: dict[str, str] | str) -> dict[str, Any] | None:
    """What a browser fetches for the first search of each query on ``site`` (Playwright and
    Debian's chromium, a fresh browser context per query so nothing is cached): requests and
    bytes of the index, bytes of the UI's files, and the time from loading the search page
    with ``?q=`` to the first result shown."""
    if not Path("/usr/bin/chromium").exists():
        return None
    from playwright.sync_api import sync_playwright

    if isinstance(queries, str):
        queries = {"query": queries}
    out: dict[str, Any] = {}
    with _Server(site) as server, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for label, query in queries.items():
            context = browser.new_context()
            page = context.new_page()
            sizes: dict[str, int] = {}

            def on_response(resp: Any, sizes: dict[str, int] = sizes) -> None:
                if "/pagefind/" in resp.url:
                    try:
                        sizes[resp.url] = len(resp.body())
                    except Exception:  # noqa: BLE001 - a response without a body counts 0
                        sizes[resp.url] = 0

            page.on("response", on_response)
            t0 = time.perf_counter()
            page.goto(f"{server.base}/search/?q={query}", wait_until="domcontentloaded")
            # No result within 60 s is a finding, reported as 0 results.
            with contextlib.suppress(Exception):
                page.wait_for_selector(".pagefind-ui__result", timeout=60_000)
            seconds = time.perf_counter() - t0
            page.wait_for_load_state("networkidle")
            results = page.locator(".pagefind-ui__result").count()
            count = page.evaluate(
                "() => (document.querySelector('.pagefind-ui__message') || {}).textContent || ''"
            )
            index = {u: n for u, n in sizes.items() if any(k in u for k in INDEX_PARTS)}
            ui_kb = round((sum(sizes.values()) - sum(index.values())) / 1024, 1)
            all_kb = round(sum(sizes.values()) / 1024, 1)
            scope = page.evaluate(
                "() => (document.querySelector('#search-scope') || {}).textContent || ''"
            )
            widened = None
            button = page.locator("#search-widen")
            if button.count() and button.is_visible():
                # A query searched first in some parts: what searching every part adds.
                before = sum(index.values())
                button.click()
                with contextlib.suppress(Exception):
                    page.wait_for_function(
                        "() => !(document.querySelector('#search-scope') || {}).textContent",
                        timeout=120_000,
                    )
                page.wait_for_load_state("networkidle")
                every = {u: n for u, n in sizes.items() if any(k in u for k in INDEX_PARTS)}
                widened = {
                    "index_kb_added": round((sum(every.values()) - before) / 1024, 1),
                    "message": page.evaluate(
                        "() => (document.querySelector('.pagefind-ui__message') || {})"
                        ".textContent || ''"
                    ).strip(),
                }
            out[label] = {
                "query": query,
                "index_kb": round(sum(index.values()) / 1024, 1),
                "index_requests": len(index),
                "ui_files_kb": ui_kb,
                "all_kb": all_kb,
                "first_result_s": round(seconds, 2),
                "results_shown": results,
                "message": count.strip(),
                "searched_first": scope.strip(),
                "search_all": widened,
            }
            context.close()
        browser.close()
    return out


def pick_queries(datasets: Path) -> dict[str, str]:
    """A rare word (a figure stated by one report only), the name of an issuer with one report,
    a phrase found in every report, and a place named by a few hundred reports (the prefecture
    whose report count is nearest 200: a query that holds in many index parts, none sampled)."""
    import csv

    with (datasets / "reports.csv").open(encoding="utf-8") as f:
        reports = list(csv.DictReader(f))
    issuers = Counter(r["issuer"] for r in reports if r["issuer"])
    single = sorted(i for i, n in issuers.items() if n == 1 and len(i) >= 6)
    values: Counter[str] = Counter()
    with (datasets / "statistics.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            v = row["value"]
            if v.isdigit() and len(v) >= 4 and v in row["evidence"]:
                values[v] += 1
    rare = sorted(v for v, n in values.items() if n == 1)
    out = {"common": "主动公开"}
    if rare:
        out["rare"] = rare[len(rare) // 2]
    if single:
        out["issuer"] = single[len(single) // 2]
    places = Counter(r["prefecture"] for r in reports if r["prefecture"])
    if places:
        out["place"] = min(places, key=lambda p: (abs(places[p] - 200), p))
    return out


def largest_pages(site: Path) -> dict[str, Any]:
    sizes = {
        p.relative_to(site).as_posix(): p.stat().st_size
        for p in site.rglob("*.html")
        if "pagefind" not in p.relative_to(site).parts
    }
    top = max(sizes, key=sizes.get) if sizes else ""
    return {"largest_page": top, "largest_page_kb": round(sizes.get(top, 0) / 1024, 1)}


def merge_costs(root: Path, parts: list[int], queries: dict[str, str]) -> dict[str, Any]:
    """The built site's search index made in 1, 2, 4… parts, and what the same queries cost
    with each: what choosing ``INDEX_PAGES`` rests on."""
    from pipeline.executor import LocalExecutor
    from pipeline.fileio import link_files
    from pipeline.site import search_index

    site = root / "site"
    pages = sorted(p.parent.name for p in (site / "reports").glob("*/index.html"))
    out: dict[str, Any] = {}
    for n in parts:
        copy = root / f"site-parts-{n}"
        if copy.exists():
            shutil.rmtree(copy)
        link_files(
            [
                (p, copy / p.relative_to(site))
                for p in site.rglob("*")
                if p.is_file() and "pagefind" not in p.relative_to(site).parts
            ]
        )
        groups = [pages[g::n] for g in range(n)]
        jobs = [
            search_index.IndexJob(
                f"n{n}-{g}",
                tuple(f"reports/{r}/index.html" for r in grp),
                str(copy),
                str(root / f"index-parts-{n}" / str(g)),
                part=g,
            )
            for g, grp in enumerate(groups)
        ]
        if n > 1:  # a site in parts has a stub index at pagefind/
            jobs.insert(0, search_index.stub_job(root / f"index-parts-{n}"))
        t0 = time.perf_counter()
        LocalExecutor(0).map(search_index.index_job, jobs)
        seconds = time.perf_counter() - t0
        search_index.assemble_indexes(jobs, copy)
        out[str(n)] = {"index_s": round(seconds, 1), "search": search_bytes(copy, queries)}
        shutil.rmtree(copy)
        shutil.rmtree(root / f"index-parts-{n}")
    return out


def dask_speedup(n: int, workers: list[int], seed: int = 0) -> dict[str, Any]:
    """A full build (no cache) of ``n`` reports on a LocalCluster of 1, 2, 4… worker processes
    (one thread each), against the local process pool."""
    from distributed import Client, LocalCluster

    root = Path(tempfile.mkdtemp(prefix=f"bench-dask{n}-"))
    src = root / "source_reports"
    generate(n, src, seed=seed)
    out: dict[str, Any] = {"reports": n}

    def once(label: str, scheduler: Any, w: int = 0) -> None:
        dest = root / label
        shutil.copytree(paths.SITE_DOCS_DIR / "assets", dest / "docs" / "assets")
        t0 = time.perf_counter()
        build_all(
            source_dir=src,
            datasets_dir=dest / "datasets",
            docs_dir=dest / "docs",
            site_dir=dest / "site",
            cache_dir=None,
            workers=w,
            scheduler=scheduler,
            progress=lambda m: print(f"  {label} {m}", file=sys.stderr),
        )
        out[label] = round(time.perf_counter() - t0, 1)
        shutil.rmtree(dest)

    once("local_pool_s", None)
    for w in workers:
        with (
            LocalCluster(n_workers=w, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            once(f"dask_{w}_workers_s", client)
    base = out.get(f"dask_{workers[0]}_workers_s")
    for w in workers:
        out[f"speedup_{w}_workers"] = round(base / out[f"dask_{w}_workers_s"], 2)
    shutil.rmtree(root)
    return out


def machine_gauge() -> dict[str, float]:
    """How fast this machine is, so that runs on different machines can be compared: the best of
    three runs of a pure-Python loop (the build's own process is mostly such code) and SHA-256
    over 256 MiB (hashing the downloads). Machines of one kind differed by 1.4-2.2 times here (a
    100,000-report one-report change took 51-55 s on one and 89-101 s on another)."""
    loops = []
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i * i
        loops.append(time.perf_counter() - t0)
    data = bytes(256 << 20)
    t0 = time.perf_counter()
    hashlib.sha256(data).digest()
    return {
        "python_loop_5m_s": round(min(loops), 3),
        "sha256_256mib_s": round(time.perf_counter() - t0, 3),
    }


def run(
    n: int,
    workers: int = 0,
    seed: int = 0,
    keep: Path | None = None,
    same_issuer: int = 0,
    bare: bool = False,
    merge: list[int] | None = None,
) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"bench{n}-")) if keep is None else keep
    src, docs = root / "source_reports", root / "site_docs"
    out: dict[str, Any] = {"reports": n, "same_issuer": same_issuer, "machine": machine_gauge()}
    t0 = time.perf_counter()
    if src.is_dir() and sum(1 for _ in src.iterdir()) == n:
        # A kept corpus of this size is reused (generation is deterministic); only the report
        # the last run changed is written back as generated.
        name, data = generate_one(1, seed, shared_issuer=same_issuer > 0)
        (src / name).write_bytes(data)
        out["generate_s"] = "reused"
    else:
        generate(n, src, seed=seed, same_issuer=same_issuer)
        out["generate_s"] = round(time.perf_counter() - t0, 2)
    for old in ("site_docs", "datasets", "site", "cache", "cache-site", "cache-package"):
        if (root / old).exists():  # a full build starts from nothing
            shutil.rmtree(root / old)
    (root / "cache-sources.json").unlink(missing_ok=True)
    shutil.copytree(paths.SITE_DOCS_DIR / "assets", docs / "assets")
    # What the removal and the corpus left to write back is written now, with a pause after:
    # the full build is timed, not the disk finishing the bench's own setup.
    os.sync()
    time.sleep(SETTLE_S)
    kwargs = dict(
        source_dir=src,
        datasets_dir=root / "datasets",
        docs_dir=docs,
        site_dir=root / "site",
        cache_dir=root / "cache",
        workers=workers,
        progress=lambda m: print(m, file=sys.stderr),
    )

    def timed(label: str) -> dict[str, Any]:
        # Each build in a process of its own (``Beside``), as ``invoke build`` runs it: in one
        # process, the one-report change would be measured with the heap the full build left.
        with MemorySampler() as mem, CpuTimes() as cpu:
            t0 = time.perf_counter()
            build = Beside(functools.partial(_summary, kwargs), "build")
            result = build.result()
            out[f"{label}_s"] = round(time.perf_counter() - t0, 2)
            if build.proc is not None:
                build.proc.join()  # its exit (and its CPU time) inside the block
        out[f"{label}_peak_memory_mb"] = round(mem.peak_mb, 1)
        out[f"{label}_peak_by_process_mb"] = mem.peak_by_process
        # CPU seconds: all of the build's processes, and by process as sampled.
        spent = cpu.summary()
        out[f"{label}_cpu"] = {**spent, "by_process_s": mem.cpu_by_process}
        print(
            f"[bench]    {label}: {out[f'{label}_s']} s, {mem.peak_mb:.0f} MB, "
            f"CPU {cpu.user_s + cpu.system_s:.1f} s (floor {spent['floor_s']} s)",
            file=sys.stderr,
        )
        return result

    result = timed("full_build")
    out["peak_rss_single_process_mb"] = round(result["peak_rss_mb"], 1)
    out["stages"] = {
        k: {"seconds": round(v, 2), "reports_per_s": round(n / v, 1) if v else None}
        for k, v in result["timings"].items()
    }
    # The cross-report stage (issuers, copied text, series) in seconds and as a share of the
    # full build: copied text must stay a small part of it at national scale.
    if result["cross"] is not None:
        cross_timings = result["cross"].pop("timings")
        out["crossreport"] = {
            **{k: round(v, 2) for k, v in cross_timings.items()},
            "share_of_full_build": {
                k: round(v / out["full_build_s"], 4) for k, v in cross_timings.items()
            },
            **result["cross"],
        }
    out["reports_db_mb"] = round((root / "datasets" / "reports.db").stat().st_size / 2**20, 1)
    out["site_jobs"] = {"shards_and_hub": result["shards"], "index_parts": result["indexes"]}
    out.update(largest_pages(root / "site"))
    out["site_mb"] = round(_dir_size(root / "site") / 2**20, 1)
    out["datasets_mb"] = round(_dir_size(root / "datasets") / 2**20, 1)
    out["search_index_mb"] = round(_dir_size(root / "site" / "pagefind") / 2**20, 1)

    if bare:
        # The floor: one MkDocs process over the same pages (it holds them all: slow and large).
        t0 = time.perf_counter()
        single_build(docs, root / "site-bare")
        out["bare_mkdocs_s"] = round(time.perf_counter() - t0, 2)
        shutil.rmtree(root / "site-bare")

    timed("nochange_rebuild")
    _, data = generate_one(1, seed + 1)
    sorted(src.iterdir())[0].write_bytes(data)
    r2 = timed("one_changed_rebuild")
    out["one_changed_cache_hits"] = r2["cache_hits"]
    out["one_changed_site_jobs_built"] = r2["shards_built"]
    out["one_changed_index_parts_built"] = r2["indexes_built"]
    out["one_changed_stages"] = {k: round(v, 2) for k, v in r2["timings"].items()}
    # The same report changed back: a change after a change, as a site updated day by day sees
    # it (the first change after a full build finds the page cache emptied by the full build's
    # writes; at 100,000 reports it took 159-183 s where the next took 130-144 s).
    name, data = generate_one(1, seed, shared_issuer=same_issuer > 0)
    (src / name).write_bytes(data)
    r3 = timed("repeat_change_rebuild")
    out["repeat_change_stages"] = {k: round(v, 2) for k, v in r3["timings"].items()}

    queries = pick_queries(root / "datasets")
    out["search"] = search_bytes(root / "site", queries)
    if merge:
        out["merge"] = merge_costs(root, merge, queries)
    if keep is None:
        shutil.rmtree(root)
    return out


def main(
    n: int = 1000,
    workers: int = 0,
    keep: str | None = None,
    pdf_only: bool = False,
    same_issuer: int = 0,
    bare: bool = False,
    merge: str = "",
    dask: str = "",
    dask_reports: int = 2000,
) -> dict[str, Any]:
    from tests.tools.bench_pdf import run_pdf

    out: dict[str, Any] = {}
    if not pdf_only:
        out = run(
            n,
            workers=workers,
            keep=Path(keep) if keep else None,
            same_issuer=same_issuer,
            bare=bare,
            merge=[int(x) for x in merge.split(",") if x],
        )
        if dask:
            out["dask"] = dask_speedup(dask_reports, [int(x) for x in dask.split(",") if x])
    # PDF sources are timed apart from the synthetic corpus (which is all text and HTML).
    out["pdf"] = run_pdf()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
