"""Search: one Pagefind index per group of shards, each rebuilt only when one of its shards
changed, merged in the browser with Pagefind's ``mergeIndex``.

Pagefind cannot update an index in place (a new page touches most of its chunks), and it
holds a whole index in memory while writing it, so a national site is indexed in parts: group
``g`` holds the report pages of the shards ``s`` with ``s % groups == g``; parts are indexed
one at a time on this machine, so memory holds one part at most. The first part is the
bundle at ``pagefind/`` (the search page loads its scripts from there), the others are at
``pagefind/part-<g>/``, and ``pagefind/parts.json`` lists them for the search page."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.fileio import link_files, write_files

INDEX_PAGES = 2000
"""Report pages per index part, at most. Each part a query searches costs it about seven
requests (entry, metadata, filters, word chunks), so fewer, larger parts search cheaper; but
Pagefind holds a part in memory while writing it (about 0.5 GB per 1,000 pages). Chosen from the
measurements in the README (*Search in parts*)."""

UNUSED = ("pagefind-component-ui.js", "pagefind-component-ui.css")
"""The playground and the component UI are not used by the site."""


DIGESTS = "search-digests.json"
"""Written beside a shard's pages: each report page's ``search_digest``."""

_BODY = re.compile(r"<div [^>]*\bdata-pagefind-body\b")
_IGNORED = re.compile(r"<(\w+)\b[^>]*\bdata-pagefind-ignore\b[^>]*>")
_PAGEFIND_ATTR = re.compile(r'\bdata-pagefind-(?:filter|meta|sort)="[^"]*"')
_HTML_TAG = re.compile(r"<html\b[^>]*>")
# Attributes Pagefind does not read (it indexes text, ids, and its own data- attributes).
_UNREAD = re.compile(r' (?:class|title|href|rel|aria-label|tabindex|role)="[^"]*"')


def _element_end(html: str, start: int, tag: str) -> int:
    """Where the element whose start tag is at ``start`` ends (generated HTML: well nested)."""
    depth = 0
    for m in _tag_pattern(tag).finditer(html, start):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return m.end()
    return len(html)


@cache
def _tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<(/?){tag}\b")


def search_digest(html: str) -> str:
    """What Pagefind reads of a report page, as a digest: the ``<html>`` tag (its language) and
    the ``data-pagefind-body`` element without what Pagefind leaves out of the index (elements
    marked ``data-pagefind-ignore``, of which only Pagefind's own attributes are kept) and
    without the attributes it does not read. The parts of a page that show other reports (its
    neighbours, copied-text notes and marks, checks across years) are of that kind, so a
    one-report change re-indexes the part of that report alone, not every part holding a page
    that names it. (Checked: Pagefind writes the same index for pages that differ there.)"""
    m = _BODY.search(html)
    if m is None:
        return hashlib.sha256(html.encode()).hexdigest()
    body = html[m.start() : _element_end(html, m.start(), "div")]
    kept, pos = [], 0
    while (ig := _IGNORED.search(body, pos)) is not None:
        end = _element_end(body, ig.start(), ig.group(1))
        kept += [body[pos : ig.start()], " ".join(_PAGEFIND_ATTR.findall(body[ig.start() : end]))]
        pos = end
    kept.append(body[pos:])
    tag = _HTML_TAG.search(html)
    h = hashlib.sha256((tag.group() if tag else "").encode())
    h.update(_UNREAD.sub("", "".join(kept)).encode())
    return h.hexdigest()


def write_digests(site_dir: Path) -> None:
    """Record the ``search_digest`` of every report page of a built shard."""
    digests = {
        p.parent.relative_to(site_dir).as_posix(): search_digest(p.read_text(encoding="utf-8"))
        for p in sorted((site_dir / "reports").glob("*/index.html"))
    }
    (site_dir / DIGESTS).write_text(json.dumps(digests, sort_keys=True) + "\n")


def group_count(n_pages: int, shards: int) -> int:
    """Index parts for ``n_pages`` report pages in ``shards`` shards: at most ``INDEX_PAGES``
    pages each (about: a part is a fixed set of whole shards), at most one per shard."""
    return max(1, min(shards, -(-n_pages // INDEX_PAGES)))


@dataclass(frozen=True)
class IndexJob:
    key: str
    pages: tuple[str, ...]
    """HTML files (paths relative to the site) to index."""
    site_dir: str
    out: str
    part: int | None = None
    """The part's number, given to each of its pages as the filter ``part`` (``None``: none)."""


PART_FILTER = "part"
"""The filter that names a page's index part. The search page uses it to run a query only in the
parts that read each of its words as one index would (``site_docs/assets/search-parts/``), and
does not show it."""


def with_part_filter(html: bytes, part: int) -> bytes:
    """The page with its part as a Pagefind filter: an empty element just inside the indexed
    body (it adds no text; the body's own filter attribute already names year, level, province)."""
    text = html.decode("utf-8")
    m = _BODY.search(text)
    if m is None:
        return html
    end = text.index(">", m.end()) + 1
    mark = f'<span data-pagefind-filter="{PART_FILTER}:{part}"></span>'
    return (text[:end] + mark + text[end:]).encode("utf-8")


def index_job(job: IndexJob) -> str:
    """Run Pagefind over ``job.pages`` into ``job.out`` (beside, then renamed)."""
    out = Path(job.out)
    if out.exists():
        return job.key
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        site = Path(job.site_dir)
        if job.part is None:
            link_files([(site / rel, work / "site" / rel) for rel in job.pages])
        else:
            for i in range(0, len(job.pages), 200):
                write_files(
                    [
                        (work / "site" / rel, with_part_filter((site / rel).read_bytes(), job.part))
                        for rel in job.pages[i : i + 200]
                    ]
                )
        cmd = [
            sys.executable,
            "-m",
            "pagefind",
            "--site",
            str(work / "site"),
            "--output-path",
            str(work / "index"),
            "--quiet",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"pagefind failed: {proc.stderr.strip() or proc.stdout.strip()}")
        for name in UNUSED:
            (work / "index" / name).unlink(missing_ok=True)
        try:
            (work / "index").rename(out)
        except OSError:
            if not out.exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return job.key


def _digests(shard_out: Path, pages: list[str], site_dir: Path) -> dict[str, str]:
    try:
        return json.loads((shard_out / DIGESTS).read_text())
    except (OSError, ValueError):  # a shard cached before digests were written
        return {
            rel: search_digest((site_dir / rel / "index.html").read_text(encoding="utf-8"))
            for rel in (p[: -len(".md")] for p in pages if p.startswith("reports/"))
        }


def plan_indexes(
    shard_pages: list[list[str]], shard_outs: list[str], site_dir: Path, cache_dir: Path
) -> list[IndexJob]:
    """One job per index part, keyed by what Pagefind reads of its pages (``search_digest``)
    and Pagefind's version."""
    from pipeline.cache import library_versions

    version = str(library_versions(("pagefind",)))
    total = sum(1 for p in shard_pages for rel in p if rel.startswith("reports/"))
    groups = group_count(total, len(shard_pages)) if shard_pages else 1
    if not total:
        # No report pages (an empty corpus): Pagefind indexes the hub pages, as it would a
        # site with no page marked for search, so that the search page still has its bundle.
        pages = tuple(
            p.relative_to(site_dir).as_posix()
            for p in sorted(site_dir.rglob("*.html"))
            if p.relative_to(site_dir).parts[0] not in ("downloads", "pagefind")
        )
        h = hashlib.sha256(version.encode())
        for rel in pages:
            h.update(rel.encode() + hashlib.sha256((site_dir / rel).read_bytes()).digest())
        key = "idx-" + h.hexdigest()[:28]
        return [IndexJob(key, pages, str(site_dir), str(cache_dir / key))]
    jobs = []
    for g in range(groups):
        members = [i for i in range(len(shard_pages)) if i % groups == g]
        h = hashlib.sha256(f"{version}\0{Path(__file__).read_bytes()!r}\0{g}".encode())
        digests: dict[str, str] = {}
        for i in members:
            digests.update(_digests(Path(shard_outs[i]), shard_pages[i], site_dir))
        pages = tuple(
            f"{rel[: -len('.md')]}/index.html"
            for i in members
            for rel in shard_pages[i]
            if rel.startswith("reports/")
        )
        for page in pages:
            h.update(f"{page}\0{digests[page[: -len('/index.html')]]}\0".encode())
        key = "idx-" + h.hexdigest()[:28]
        jobs.append(IndexJob(key, pages, str(site_dir), str(cache_dir / key), part=g))
    return jobs


def part_path(g: int) -> str:
    return "pagefind" if g == 0 else f"pagefind/part-{g}"


def assemble_indexes(jobs: list[IndexJob], site_dir: Path) -> None:
    """Link each part into the site and write ``pagefind/parts.json``."""
    pairs = []
    for g, job in enumerate(jobs):
        out = Path(job.out)
        pairs += [
            (p, site_dir / part_path(g) / p.relative_to(out))
            for p in sorted(out.rglob("*"))
            if p.is_file()
        ]
    link_files(pairs)
    parts = [f"part-{g}/" for g in range(1, len(jobs))]
    (site_dir / "pagefind" / "parts.json").write_text(json.dumps({"parts": parts}) + "\n")
