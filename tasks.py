"""Project tasks: `invoke --list` shows them, `invoke --help TASK` explains one."""

from __future__ import annotations

import shlex

from invoke import Exit, task


def _run(c, args: list[str]) -> None:
    """Run a command given as its argument list: each argument is quoted for the shell, so no
    value (a test expression, a path) can add a command or expand ``$(…)``."""
    c.run(shlex.join(args), pty=False)


@task(
    help={
        "workers": "processes for the per-report stages (default: one per core)",
        "no_cache": "ignore the per-report cache and recompute every report",
        "strict": "exit non-zero when any source file was skipped",
        "data_only": "write datasets/ only, without the site",
        "scheduler": "address of a Dask scheduler (tcp://HOST:8786): run the per-report stages "
        "and the site's shards on that cluster instead of the local process pool",
        "wait": "seconds to wait for another build of the same outputs to finish (default: stop)",
    }
)
def build(c, workers=0, no_cache=False, strict=False, data_only=False, scheduler="", wait=0):
    """Build everything: archive, cleaned texts, data package (datasets/) and website (site/)."""
    from pipeline.build import build_all
    from pipeline.lock import BuildLocked
    from pipeline.paths import CACHE_DIR

    try:
        result = build_all(
            workers=int(workers),
            cache_dir=None if no_cache else CACHE_DIR,
            with_site=not data_only,
            scheduler=scheduler or None,
            wait=float(wait),
        )
    except BuildLocked as exc:
        raise Exit(f"build not started: {exc}", code=75) from exc
    except Exception as exc:
        raise Exit(f"build failed: {type(exc).__name__}: {exc}", code=1) from exc
    errors = [p for p in result.problems if p.severity == "error"]
    if strict and errors:
        lines = "\n".join(f"  {p.source_file}: [{p.stage}] {p.message}" for p in errors)
        raise Exit(f"--strict: {len(errors)} source files were skipped:\n{lines}", code=1)


@task
def clean(c):
    """Remove generated output: site/, datasets/ contents, generated site_docs/ pages, caches."""
    from pipeline.build import clean_outputs

    clean_outputs()


@task(help={"port": "port to serve on (default 8000)"})
def serve(c, port=8000):
    """Serve the built site/ on http://127.0.0.1:PORT (run `invoke build` first)."""
    from pipeline.paths import SITE_DIR

    if not SITE_DIR.is_dir():
        raise Exit("site/ does not exist: run `invoke build` first", code=1)
    _run(
        c,
        [
            "python",
            "-m",
            "http.server",
            str(int(port)),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(SITE_DIR),
        ],
    )


@task
def setup(c):
    """Install what the build and tests need when missing: antiword (reads .doc files), CJK fonts
    (test PDFs), Debian's chromium (browser tests), npm, and the npm package axe-core at the
    version pinned in tests/package-lock.json (the accessibility tests inject it into pages)."""
    import shutil
    from pathlib import Path

    missing = [
        package
        for package, present in (
            ("chromium", shutil.which("chromium")),
            ("antiword", shutil.which("antiword")),
            (
                "fonts-noto-cjk",
                Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists(),
            ),
            ("npm", shutil.which("npm")),
        )
        if not present
    ]
    if missing:
        sudo = [] if _is_root() else ["sudo"]
        _run(c, [*sudo, "apt-get", "update", "-q"])
        _run(c, [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing])
    if not _axe_installed():
        tests = Path(__file__).resolve().parent / "tests"
        _run(c, ["npm", "ci", "--prefix", str(tests), "--no-audit", "--no-fund"])


def _axe_installed() -> bool:
    """axe-core is in tests/node_modules at the version tests/package-lock.json pins."""
    import json
    from pathlib import Path

    tests = Path(__file__).resolve().parent / "tests"
    try:
        lock = json.loads((tests / "package-lock.json").read_text(encoding="utf-8"))
        installed = json.loads(
            (tests / "node_modules" / "axe-core" / "package.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        return False
    return installed.get("version") == lock["packages"]["node_modules/axe-core"]["version"]


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


@task(
    help={
        "k": "only tests matching this expression",
        "browser": "also run browser tests (default on)",
    }
)
def test(c, k="", browser=True):
    """Run the test suite (pytest), browser tests included."""
    args = ["python", "-m", "pytest", "-q"]
    if k:
        args += ["-k", k]
    if not browser:
        args += ["-m", "not browser"]
    _run(c, args)


@task(
    help={
        "gold": "gold expectations file (default ../shared/gold/seeds.json)",
        "sources": "folder of the gold's source files (default source_reports/)",
        "synthetic": "instead, score against N generated reports with known figures",
        "templates": "instead, decode the 2019/2021-format reports in this folder and print "
        "which template identities hold (e.g. ../shared/samples)",
    }
)
def evaluate(c, gold="", sources="", synthetic=0, templates=""):
    """Score extraction against a gold file: precision and recall per field and tier, and misses."""
    if int(synthetic):
        from tests.tools.evaluate_synthetic import main as synthetic_main

        code = synthetic_main(int(synthetic))
    else:
        from pipeline.evaluate import main

        code = main(gold or None, sources or None, templates or None)
    if code:
        raise Exit(code=code)


@task(
    help={
        "reports": "number of synthetic reports (default 1000)",
        "workers": "processes for the per-report stages (default: one per core)",
        "keep": "folder to keep the generated corpus and outputs in (default: a temporary folder)",
        "pdf_only": "only the PDF reader: pages per second, a 30-page report, table finders",
        "same_issuer": "make the first N reports share one issuer (default 1000; 0: none)",
        "bare": "also time one MkDocs process over all pages (slow, and large in memory)",
        "merge": "also index the site in each of these numbers of parts and time the same "
        "searches (e.g. 1,4,8,16)",
        "dask": "also time a build on a LocalCluster of each of these numbers of workers "
        "(e.g. 1,2,4)",
        "dask_reports": "reports in the corpus of the Dask runs (default 2000)",
    }
)
def bench(
    c,
    reports=1000,
    workers=0,
    keep="",
    pdf_only=False,
    same_issuer=1000,
    bare=False,
    merge="",
    dask="",
    dask_reports=2000,
):
    """Benchmark a full build, a no-change and a one-report rebuild on a synthetic corpus (time,
    peak memory, largest page, search bytes in Chromium), optionally search in parts and Dask,
    and the PDF reader (pages per second, a 30-page report's time, table finders compared)."""
    from tests.tools.bench import main

    main(
        int(reports),
        int(workers),
        keep or None,
        pdf_only=pdf_only,
        same_issuer=min(int(same_issuer), int(reports)),
        bare=bare,
        merge=merge,
        dask=dask,
        dask_reports=int(dask_reports),
    )


@task(help={"out": "folder for the PNGs (default screenshots/)", "query": "search query to show"})
def screenshots(c, out="screenshots", query="岳塘区 政府信息"):
    """PNGs of home, a report page and a search at desktop and phone width (serves the built site/)."""
    from pathlib import Path

    from pipeline.paths import ROOT, SITE_DIR
    from tests.browser_util import take_screenshots

    if not SITE_DIR.is_dir():
        raise Exit("site/ does not exist: run `invoke build` first", code=1)
    try:
        written = take_screenshots(SITE_DIR, ROOT / Path(out), query=query)
    except RuntimeError as exc:
        raise Exit(str(exc), code=1) from exc
    for p in written:
        print(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p)
