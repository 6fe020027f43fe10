"""Site build: stage downloads into the docs folder, run MkDocs (one process per core for large
corpora), write what MkDocs does not (sitemap, character map) and index the site with Pagefind."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from pipeline import package, pages, paths
from pipeline.fileio import link_files
from pipeline.readers import original_suffix
from pipeline.records import Report

# What the page kinds write (pipeline.pages.PAGE_KINDS), and the downloads staged beside them.
GENERATED_DOCS = (*pages.generated_docs(), "downloads")


def stage_downloads(reports: Sequence[Report], datasets_dir: Path, docs_dir: Path) -> None:
    """Put the files the pages offer for download under ``docs_dir/downloads``."""
    dl = docs_dir / "downloads"
    names = [
        "datapackage.json",
        "build_report.json",
        "corpus.zip",
        "reports.db",
        "report.schema.json",
        "report-json.zip",
    ] + [f"{n}.{e}" for n in package.RESOURCES for e in ("csv", "parquet")]
    pairs = [(datasets_dir / name, dl / name) for name in names]
    for sub in ("texts", "markdown"):
        pairs += [(p, dl / sub / p.name) for p in sorted((datasets_dir / sub).iterdir())]
    for r in reports:
        # A saved web page is offered as .txt so that it is never served as live HTML.
        ext = original_suffix(r.archived.media_type)
        src = datasets_dir / "archive" / r.archived.sha256[:2] / r.archived.sha256
        pairs.append((src, dl / "originals" / f"{r.archived.sha256}.{ext}"))
    link_files(pairs)


T2S_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0x20000, 0x2FA1F))
"""CJK unified ideographs (and extensions); compatibility ideographs are left to NFKC in the browser."""


SHARD_MIN_REPORTS = 400
"""Below this many report pages one MkDocs process is quicker than several."""


SHARD_MAX_REPORTS = 5000
"""MkDocs holds every page of a build in memory: above this many report pages per process,
more shards are made than there are processes, and run a few at a time."""


def _mkdocs(docs_dir: Path, site_dir: Path, strict: bool = True, exclude: str | None = None) -> Any:
    import logging

    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    overrides: dict[str, Any] = {}
    if exclude is not None:
        overrides["exclude_docs"] = exclude
    cfg = load_config(
        str(paths.MKDOCS_YML),
        docs_dir=str(docs_dir),
        site_dir=str(site_dir),
        strict=strict,
        **overrides,
    )
    cfg.plugins.on_startup(command="build", dirty=False)
    try:
        mkdocs_build(cfg)
    finally:
        cfg.plugins.on_shutdown()
    return cfg


def _shard_build(args: tuple[str, str, str]) -> None:
    docs, site, exclude = args
    _mkdocs(Path(docs), Path(site), exclude=exclude)


_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz_-"
"""Every character a report id (or an issuer id) can end with."""
SHARDED = ("reports", "issuers")
"""Folders of one page per report or per issuer, dealt out between shards by id."""


def _shard_patterns(shards: int) -> list[str]:
    """``exclude_docs`` for each shard. Report and issuer pages are dealt out by the last
    character of their id; every other page is built by shard 0. Excluded pages stay known to
    MkDocs, so links to them are still resolved and checked."""
    import yaml

    base = yaml.safe_load(paths.MKDOCS_YML.read_text(encoding="utf-8").split("\ntheme:")[0]).get(
        "exclude_docs", ""
    )
    groups = [_ALPHABET[i::shards] for i in range(shards)]
    out = []
    for i in range(shards):
        others = sorted(c for j, g in enumerate(groups) if j != i for c in g)
        others = "".join(c for c in others if c != "-") + (
            "-" if "-" in others else ""
        )  # literal at the end
        lines = [base.strip(), *(f"/{d}/*[{others}].md" for d in SHARDED)]
        if i == 0:
            lines += [f"!/{d}/index.md" for d in SHARDED]
        else:
            shared = [d for d in GENERATED_DOCS if d not in SHARDED]
            lines += [f"/{d}" if "." in d else f"/{d}/" for d in shared]
        out.append("\n".join(x for x in lines if x) + "\n")
    return out


def build_site(docs_dir: Path, site_dir: Path, strict: bool = True, shards: int = 1) -> None:
    """``mkdocs build`` of ``docs_dir`` into ``site_dir`` with the project's mkdocs.yml, then the
    files mkdocs does not make: a sitemap with relative addresses (when no ``site_url`` is set)
    and the Traditional→Simplified character map the search page uses.

    With ``shards`` > 1 and enough report pages, the report pages are split between that many
    MkDocs processes (one per core) whose outputs are merged; the result is byte-identical."""
    n_reports = (
        len(list((docs_dir / "reports").glob("*.md"))) if (docs_dir / "reports").is_dir() else 0
    )
    if shards <= 1 or n_reports < SHARD_MIN_REPORTS:
        cfg = _mkdocs(docs_dir, site_dir, strict)
    else:
        work = site_dir.with_name(site_dir.name + ".shards")
        if work.exists():
            shutil.rmtree(work)
        processes = shards
        shards = min(len(_ALPHABET), max(shards, -(-n_reports // SHARD_MAX_REPORTS)))
        jobs = [
            (str(docs_dir), str(work / f"site-{i}"), pat)
            for i, pat in enumerate(_shard_patterns(shards))
        ]
        # Forked shards share this process's pages until they write to them (copy on write).
        with ProcessPoolExecutor(max_workers=processes) as pool:
            list(pool.map(_shard_build, jobs))
        (work / "site-0").rename(site_dir)
        for _, other, _ in jobs[1:]:
            for folder in SHARDED:
                if not (Path(other) / folder).is_dir():
                    continue
                for page in sorted((Path(other) / folder).iterdir()):
                    if page.is_dir():
                        page.rename(site_dir / folder / page.name)
        shutil.rmtree(work)
        from mkdocs.config import load_config

        cfg = load_config(str(paths.MKDOCS_YML), docs_dir=str(docs_dir), site_dir=str(site_dir))
    copy_excluded_downloads(docs_dir, site_dir)
    if not cfg.site_url:
        pages.write_sitemap(site_dir)
    write_t2s_map(site_dir / "assets" / "t2s.json")


def index_search(site_dir: Path) -> None:
    """Pagefind (extended build: segments Chinese) over the built site, in ``site/pagefind``.

    Only report pages are indexed (they mark their body with ``data-pagefind-body``); Pagefind
    writes the index in chunks by word, so a search fetches only the chunks of its words."""
    import subprocess

    cmd = [sys.executable, "-m", "pagefind", "--site", str(site_dir), "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"pagefind failed: {proc.stderr.strip() or proc.stdout.strip()}")
    # The playground and the component UI are not used by the site.
    for name in ("pagefind-component-ui.js", "pagefind-component-ui.css"):
        (site_dir / "pagefind" / name).unlink(missing_ok=True)


def clear_generated_docs(docs_dir: Path) -> None:
    for rel in GENERATED_DOCS:
        p = docs_dir / rel
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def t2s_map() -> dict[str, str]:
    """Every character OpenCC's ``t2s`` changes on its own, mapped to its Simplified form."""
    from pipeline.script import converter

    t2s = converter("t2s")
    out: dict[str, str] = {}
    for low, high in T2S_RANGES:
        for cp in range(low, high + 1):
            ch = chr(cp)
            simplified = t2s.convert(ch)
            if simplified != ch and len(simplified) == 1:
                out[ch] = simplified
    return out


def write_t2s_map(dest: Path) -> None:
    """The character map as ``{"t": "…", "s": "…"}``: the i-th character of ``t`` becomes the i-th of ``s``."""
    pairs = t2s_map()
    dest.parent.mkdir(parents=True, exist_ok=True)
    data = {"t": "".join(pairs), "s": "".join(pairs.values())}
    dest.write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def copy_excluded_downloads(docs_dir: Path, site_dir: Path) -> None:
    """The Markdown downloads, which mkdocs.yml keeps out of the pages, copied as plain files."""
    src = docs_dir / "downloads"
    if not src.is_dir():
        return
    for p in sorted(src.rglob("*.md")):
        dest = site_dir / p.relative_to(docs_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dest)
