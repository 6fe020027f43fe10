"""Benchmark: build a synthetic corpus of N reports and report time, memory and sizes per stage."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import paths
from pipeline.build import build_all
from pipeline.site import build_site, clear_generated_docs
from tests.tools.synth import generate, generate_one


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _peak_rss_mb() -> float:
    """Peak resident memory of this process and of its finished children (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


@dataclass
class MemorySampler:
    """Samples the memory of this process and all its descendants every 50 ms, as the sum of
    their proportional set sizes (PSS: a page shared by n processes counts 1/n in each), so that
    forked workers sharing the parent's pages are not counted twice."""

    peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _rss_tree_mb(self) -> float:
        total = 0
        todo, pids = [os.getpid()], []
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_mb = max(self.peak_mb, self._rss_tree_mb())

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def search_bytes(site: Path, query: str) -> dict[str, Any] | None:
    """Bytes a browser fetches for one search on ``site`` (Playwright + Debian chromium)."""
    if not Path("/usr/bin/chromium").exists():
        return None
    import functools
    import http.server

    from playwright.sync_api import sync_playwright

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))

    class Quiet(handler.func):  # type: ignore[misc,name-defined]
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    sizes: dict[str, int] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            page = browser.new_page()
            page.goto(f"{base}/search/", wait_until="networkidle")

            def on_response(resp: Any) -> None:
                if "/pagefind/" in resp.url:
                    try:
                        sizes[resp.url] = len(resp.body())
                    except Exception:  # noqa: BLE001 - a response without a body counts 0
                        sizes[resp.url] = 0

            page.on("response", on_response)
            page.goto(f"{base}/search/?q={query}", wait_until="networkidle")
            # No result within 30 s is a finding, reported as 0 results.
            with contextlib.suppress(Exception):
                page.wait_for_selector(".pagefind-ui__result", timeout=30_000)
            page.wait_for_load_state("networkidle")
            results = page.locator(".pagefind-ui__result").count()
            browser.close()
    finally:
        server.shutdown()
    return {
        "query": query,
        "bytes": sum(sizes.values()),
        "requests": len(sizes),
        "results": results,
    }


def run(
    n: int, workers: int = 0, seed: int = 0, keep: Path | None = None, query: str = "主动公开"
) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"bench{n}-")) if keep is None else keep
    src, docs = root / "source_reports", root / "site_docs"
    out: dict[str, Any] = {"reports": n}
    t0 = time.perf_counter()
    generate(n, src, seed=seed)
    out["generate_s"] = round(time.perf_counter() - t0, 2)
    shutil.copytree(paths.SITE_DOCS_DIR / "assets", docs / "assets")
    kwargs = dict(
        source_dir=src,
        datasets_dir=root / "datasets",
        docs_dir=docs,
        site_dir=root / "site",
        cache_dir=root / "cache",
        workers=workers,
        progress=lambda m: print(m, file=sys.stderr),
    )
    with MemorySampler() as mem:
        t0 = time.perf_counter()
        result = build_all(**kwargs)
        out["full_build_s"] = round(time.perf_counter() - t0, 2)
    out["peak_memory_mb"] = round(mem.peak_mb, 1)
    out["peak_rss_single_process_mb"] = round(_peak_rss_mb(), 1)
    out["stages"] = {
        k: {"seconds": round(v, 2), "reports_per_s": round(n / v, 1) if v else None}
        for k, v in result.timings.items()
    }
    # The cross-report stage (issuers, copied text, series) in seconds and as a share of the
    # full build: copied text must stay a small part of it at national scale.
    if result.cross is not None:
        cross = {k: round(v, 2) for k, v in result.cross.timings.items()}
        out["crossreport"] = {
            **cross,
            "share_of_full_build": {
                k: round(v / out["full_build_s"], 4) for k, v in result.cross.timings.items()
            },
            "issuers": len(result.cross.issuers),
            "reuse_pairs": len(result.cross.pairs),
            "series_rows": len(result.cross.series),
        }
    out["reports_db_mb"] = round((root / "datasets" / "reports.db").stat().st_size / 2**20, 1)
    out["site_mb"] = round(_dir_size(root / "site") / 2**20, 1)
    out["datasets_mb"] = round(_dir_size(root / "datasets") / 2**20, 1)
    out["search_index_mb"] = round(_dir_size(root / "site" / "pagefind") / 2**20, 1)

    # The floor: a bare mkdocs build of the same generated pages with no plugins.
    bare = root / "site-bare"
    t0 = time.perf_counter()
    build_site(docs, bare)
    out["bare_mkdocs_s"] = round(time.perf_counter() - t0, 2)
    out["full_over_bare"] = round(out["full_build_s"] / out["bare_mkdocs_s"], 2)
    shutil.rmtree(bare)

    t0 = time.perf_counter()
    build_all(**kwargs)
    out["nochange_rebuild_s"] = round(time.perf_counter() - t0, 2)

    _, data = generate_one(1, seed + 1)
    first = sorted(src.iterdir())[0]
    first.write_bytes(data)
    t0 = time.perf_counter()
    r2 = build_all(**kwargs)
    out["one_changed_rebuild_s"] = round(time.perf_counter() - t0, 2)
    out["one_changed_cache_hits"] = r2.cache_hits

    out["search"] = search_bytes(root / "site", query)
    if keep is None:
        shutil.rmtree(root)
    else:
        clear_generated_docs(docs)
    return out


def main(
    n: int = 1000, workers: int = 0, keep: str | None = None, pdf_only: bool = False
) -> dict[str, Any]:
    from tests.tools.bench_pdf import run_pdf

    out = {} if pdf_only else run(n, workers=workers, keep=Path(keep) if keep else None)
    # PDF sources are timed apart from the synthetic corpus (which is all text and HTML).
    out["pdf"] = run_pdf()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
