"""Search: one Pagefind index per group of shards, each rebuilt only when one of its shards
changed, merged in the browser with Pagefind's ``mergeIndex``, a part only when a query needs it.

Pagefind cannot update an index in place (a new page touches most of its chunks), and it
holds a whole index in memory while writing it, so a national site is indexed in parts: group
``g`` holds the report pages of the shards ``s`` with ``s % groups == g``; parts are indexed
one at a time on this machine, so memory holds one part at most, each as soon as its shards
are built (``pipeline.site.build_site`` builds the shards part by part).

A site of one part has its index at ``pagefind/``. A site of several has there a stub index of
one page no search shows (the bundle the search page loads its scripts from, the primary index
Pagefind merges others into), the parts at ``pagefind/part-<g>/``, and ``pagefind/parts.json``:
the parts, the site's filter values with their page counts, and a word directory (which parts
hold each word Pagefind indexed and on how many pages, read from the parts' own index files, in
small gzip files under ``pagefind/words/``). The search page looks the words of a query up there
and searches only the parts that hold every one: a rare word costs one part's index, not all of
them. A query that may match more than ``SAMPLE_OVER`` reports is searched first in the parts
where it may match most, part by part, until ``SAMPLE_UNTIL`` results are found; the page says
so and searches every part when asked (a word found in every report would otherwise load the
positions of every report: about 1 MB at 10,000 reports)."""

from __future__ import annotations

import bisect
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.fileio import files_under, link_files, write_files
from pipeline.gcpause import paused_gc
from pipeline.site.carry import Links
from pipeline.site.digest import DIGESTS, search_digest
from pipeline.site.mkdocs_run import page_html

INDEX_PAGES = 1000
"""Report pages per index part, at most. Each part a query searches costs it about seven
requests (entry, metadata, filters, word chunks), so fewer, larger parts search cheaper; but
Pagefind holds a part in memory while writing it (about 0.5 GB per 1,000 pages), and a changed
report has its whole part indexed again, which is the longest step of a one-report rebuild
(2,000 pages: 14-20 s beside the shards; 1,000: 6-8 s at 100,000 reports; 500: 3.4-3.9 s, but
the change as a whole was no faster beyond the machine's noise, and a place or a middling word
found in every part fetches half as much again). Chosen from the measurements in the README
(*Search in parts*)."""

UNUSED = ("pagefind-component-ui.js", "pagefind-component-ui.css")
"""The playground and the component UI are not used by the site."""


SUMMARY = "part-summary.json"
"""Kept with a part's index in the cache (not linked into the site): its words and filter
counts, read from its index files (``part_summary``)."""

WORDS_LEVEL = 6
"""gzip's compression level for the word directory's files (``word_directory``)."""

DIRECTORY_WORDS = 1024
"""Words per file of the word directory. A query loads the file of each of its words: about
4 KB compressed each at this size; ``parts.json`` lists every file's first and last word."""

SAMPLE_OVER = 500
"""A query whose words may be on more pages than this (by the directory's counts: for each part,
the fewest pages holding one of its words) is searched part by part at first (see ``SAMPLE_UNTIL``).
Below it, a query is searched in every part holding its words, as one index would."""

SAMPLE_UNTIL = 50
"""Results a first, part-by-part search goes on to: ten of the UI's pages of five."""


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
    """Where they are read from (see ``sources``)."""
    out: str
    part: int | None = None
    """The part's number (``None``: not a part), which the search page gives each of its pages
    as the filter ``part`` when it merges the part (``PART_FILTER``)."""
    stub: bool = False
    """The stub primary index of a site in parts (``pages`` is empty)."""
    sources: tuple[str, ...] = ()
    """Where each page is read from, when not from ``site_dir`` (an index part's pages are
    read from their shards' outputs: the site's report folders are placed at the swap)."""


PART_FILTER = "part"
"""The filter that names a page's index part. The search page merges part ``g`` with this filter
set to ``g`` on every page (Pagefind's ``mergeFilter``), uses it to run a query only in the parts
that read each of its words as one index would (``site_docs/assets/search-parts/``), and does not
show it. The pages are indexed as they are: the filter is not written into them, so a part's
pages are only linked for Pagefind, not read and rewritten by the build."""


STUB_PAGE = (
    '<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>搜索</title></head>'
    f'<body><div data-pagefind-body><span data-pagefind-filter="{PART_FILTER}:stub"></span>'
    "搜索</div></body></html>"
)
"""The stub index's one page: in the site's language (Pagefind reads a query by the primary
index's language), its own value of ``part``, which no query of a site in parts lets through."""


def stub_job(cache_dir: Path) -> IndexJob:
    from pipeline.cache import library_versions

    h = hashlib.sha256(f"{library_versions(('pagefind',))}\0{STUB_PAGE}".encode())
    key = "idx-stub-" + h.hexdigest()[:24]
    return IndexJob(key, (), "", str(cache_dir / key), stub=True)


def _pagefind_file(path: Path) -> Any:
    """A Pagefind index file: gzip of a signature and CBOR."""
    import cbor2

    data = gzip.decompress(path.read_bytes())
    if not data.startswith(b"pagefind_dcd"):
        raise ValueError(f"{path}: not a Pagefind index file")
    return cbor2.loads(data[len(b"pagefind_dcd") :])


def part_summary(index_dir: Path) -> dict[str, Any]:
    """The words a Pagefind index holds with the number of pages holding each, and its filters'
    page counts per value, read from its word and filter files (each word an entry ``[word,
    pages, …]``; each filter file ``[name, [[value, pages], …]]``). Decoding makes millions of
    small objects (every position): with the garbage collector paused it takes 1 s for 2,000
    pages instead of 3–4 s in a build process holding 10,000 light reports."""
    words: dict[str, int] = {}
    with paused_gc():
        for p in sorted((index_dir / "index").glob("*.pf_index")):
            for entry in _pagefind_file(p)[0]:
                words[entry[0]] = words.get(entry[0], 0) + len(entry[1])
    filters: dict[str, dict[str, int]] = {}
    for p in sorted((index_dir / "filter").glob("*.pf_filter")):
        name, values = _pagefind_file(p)[:2]
        filters[name] = {v[0]: len(v[1]) for v in sorted(values)}
    return {"words": dict(sorted(words.items())), "filters": dict(sorted(filters.items()))}


def index_job(job: IndexJob) -> str:
    """Run Pagefind over ``job.pages`` into ``job.out`` (beside, then renamed)."""
    out = Path(job.out)
    if out.exists():
        return job.key
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        site = Path(job.site_dir)
        if job.stub:
            write_files([(work / "site" / "index.html", STUB_PAGE.encode())])
        else:
            sources = job.sources or tuple(f"{site}/{rel}" for rel in job.pages)
            link_files(
                [(src, work / "site" / rel) for rel, src in zip(job.pages, sources, strict=True)]
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


def _digests(shard_out: Path, pages: list[str]) -> dict[str, str]:
    try:
        return json.loads((shard_out / DIGESTS).read_text())
    except (OSError, ValueError):  # a shard cached before digests were written
        return {
            rel: search_digest((shard_out / rel / "index.html").read_text(encoding="utf-8"))
            for rel in (p[: -len(".md")] for p in pages if p.startswith("reports/"))
        }


def part_count(shard_pages: list[list[str]]) -> int:
    """Index parts for shards holding ``shard_pages`` (0: no report pages, see ``plan_indexes``);
    part ``g`` holds the report pages of the shards ``i`` with ``i % parts == g``."""
    total = sum(1 for p in shard_pages for rel in p if rel.startswith("reports/"))
    return group_count(total, len(shard_pages)) if total else 0


def part_job(
    g: int,
    shard_pages: list[list[str]],
    shard_outs: list[str],
    site_dir: Path,
    cache_dir: Path,
    groups: int,
) -> IndexJob:
    """The job of index part ``g`` of ``groups`` (``part_count``), keyed by what Pagefind reads
    of its pages (``search_digest``, written beside each built shard) and Pagefind's version:
    its shards must be built, and nothing else (the pages are read from their outputs)."""
    from pipeline.cache import library_versions

    version = str(library_versions(("pagefind",)))
    members = [i for i in range(len(shard_pages)) if i % groups == g]
    h = hashlib.sha256(f"{version}\0{Path(__file__).read_bytes()!r}\0{g}".encode())
    digests: dict[str, str] = {}
    for i in members:
        digests.update(_digests(Path(shard_outs[i]), shard_pages[i]))
    placed = [
        (page_html(rel), shard_outs[i])
        for i in members
        for rel in shard_pages[i]
        if rel.startswith("reports/")
    ]
    pages = tuple(page for page, _ in placed)
    for page in pages:
        h.update(f"{page}\0{digests[page[: -len('/index.html')]]}\0".encode())
    key = "idx-" + h.hexdigest()[:28]
    sources = tuple(f"{out}/{page}" for page, out in placed)
    return IndexJob(key, pages, str(site_dir), str(cache_dir / key), part=g, sources=sources)


def plan_indexes(
    shard_pages: list[list[str]],
    shard_outs: list[str],
    site_dir: Path,
    cache_dir: Path,
    links: Links | None = None,
) -> list[IndexJob]:
    """One job per index part (``part_job``), and the stub index of a site in parts first.
    (``links``: the site's files still to be placed, which a site without report pages indexes
    with the rest.)"""
    from pipeline.cache import library_versions

    groups = part_count(shard_pages)
    if not groups:
        # No report pages (an empty corpus): Pagefind indexes the hub pages, as it would a
        # site with no page marked for search, so that the search page still has its bundle.
        version = str(library_versions(("pagefind",)))
        found = {p.relative_to(site_dir).as_posix(): str(p) for p in site_dir.rglob("*.html")}
        found.update(links.files() if links is not None else {})
        pages = tuple(
            str(rel)
            for rel in sorted(Path(rel) for rel in found)
            if rel.suffix == ".html" and rel.parts[0] not in ("downloads", "pagefind")
        )
        h = hashlib.sha256(version.encode())
        for rel in pages:
            h.update(rel.encode() + hashlib.sha256(Path(found[rel]).read_bytes()).digest())
        key = "idx-" + h.hexdigest()[:28]
        sources = tuple(found[rel] for rel in pages)
        return [IndexJob(key, pages, str(site_dir), str(cache_dir / key), sources=sources)]
    jobs = [
        part_job(g, shard_pages, shard_outs, site_dir, cache_dir, groups) for g in range(groups)
    ]
    if groups > 1:
        jobs.insert(0, stub_job(cache_dir))
    return jobs


def js_order(word: str) -> bytes:
    """Sort key: the order of JavaScript's string comparison (UTF-16 code units)."""
    return word.encode("utf-16-be")


def word_directory(summaries: list[dict[str, Any]]) -> tuple[list[list[str]], dict[str, bytes]]:
    """Which parts hold each word and on how many pages: files of ``DIRECTORY_WORDS`` lines
    ``word<TAB>mask<TAB>counts`` (the bit ``g`` of the hexadecimal mask set when part ``g``
    holds the word; the counts, comma-separated, of those parts in order), in JavaScript's
    string order, gzip-compressed; and the list ``[first word, last word, file name]``.

    Compressed at gzip's level 6, not 9: at 100,000 reports the files (12 MB of lines) took
    0.3 s against 1.6 s at level 9, for 1.7 % more bytes (2.09 MB against 2.06), at the end
    of every build."""
    words = PartWords()
    for g, summary in enumerate(summaries):
        words.add(g, summary)
    return words.directory()


class PartWords:
    """The index parts' summaries (``part_summary``) by the part's place among the parts, and
    which parts hold each word, put together a part at a time: the parts already written are
    added (and their lines made, ``prepare``) while Pagefind writes the last, whose words are
    added after (at 100,000 reports the whole directory took 1.5-2 s after the last part)."""

    def __init__(self) -> None:
        self.summaries: dict[int, dict[str, Any]] = {}
        self.outs: dict[int, str] = {}
        """The cached index each summary was read from (``IndexJob.out``), by its place."""
        self._held: dict[str, list[tuple[int, int]]] = {}
        self._lines: dict[str, str] = {}
        self._order: list[str] = []  # the words ``prepare`` ordered, and their sort keys
        self._keys: list[bytes] = []
        self._ordered: set[str] = set()

    def add(self, g: int, summary: dict[str, Any], out: str = "") -> None:
        """Part ``g``'s summary (read from the index at ``out``), in place of any before."""
        if g in self.summaries:
            self._remove(g)
        self.summaries[g], self.outs[g] = summary, out
        held, lines = self._held, self._lines
        for word, n in summary["words"].items():
            holders = held.get(word)
            if holders is None:
                held[word] = [(g, n)]
            elif holders[-1][0] < g:
                holders.append((g, n))
            else:
                bisect.insort(holders, (g, n))
            lines.pop(word, None)

    def _remove(self, g: int) -> None:
        held = self._held
        for word in self.summaries.pop(g)["words"]:
            holders = [h for h in held[word] if h[0] != g]
            self._lines.pop(word, None)
            if holders:
                held[word] = holders
            else:
                del held[word]
                self._order, self._keys, self._ordered = [], [], set()  # ordered again
        del self.outs[g]

    def prepare(self) -> None:
        """The directory's line of every word so far, and their order."""
        held, lines = self._held, self._lines
        for word, holders in held.items():
            if word not in lines:
                mask = sum(1 << g for g, _ in holders)
                lines[word] = f"{word}\t{mask:x}\t{','.join(str(n) for _, n in holders)}\n"
        new = [word for word in held if word not in self._ordered]
        if len(new) > len(self._order) // 8:
            self._order = sorted(held, key=js_order)
            self._keys = [js_order(word) for word in self._order]
        else:
            for word in new:
                key = js_order(word)
                at = bisect.bisect(self._keys, key)
                self._keys.insert(at, key)
                self._order.insert(at, word)
        self._ordered.update(new)

    def directory(self) -> tuple[list[list[str]], dict[str, bytes]]:
        """``word_directory`` of the parts added."""
        self.prepare()
        order, lines = self._order, self._lines
        listing, files = [], {}
        for i in range(0, len(order), DIRECTORY_WORDS):
            chunk = order[i : i + DIRECTORY_WORDS]
            body = "".join(lines[w] for w in chunk).encode("utf-8")
            name = hashlib.sha256(body).hexdigest()[:16] + ".pf_words"
            files[name] = gzip.compress(body, compresslevel=WORDS_LEVEL, mtime=0)
            listing.append([chunk[0], chunk[-1], name])
        return listing, files


def part_words(jobs: list[IndexJob]) -> PartWords:
    """The words of the parts of ``jobs`` (``plan_indexes``) already written, their lines made:
    what ``assemble_indexes`` needs of them, found while the others are written."""
    words = PartWords()
    parts = [j for j in jobs if not j.stub]
    if len(parts) < len(jobs):  # a site in parts (else no directory)
        for g, job in enumerate(parts):
            if Path(job.out).exists():
                words.add(g, _summary(job), job.out)
        words.prepare()
    return words


def _summary(job: IndexJob) -> dict[str, Any]:
    """A part's ``part_summary``, read the first time a site in parts needs it and kept with the
    part in the cache."""
    kept = Path(job.out) / SUMMARY
    try:
        summary = json.loads(kept.read_text(encoding="utf-8"))
        if isinstance(summary["words"], dict):
            return summary
        raise ValueError("words without their page counts")
    except (OSError, ValueError, KeyError, TypeError):
        summary = part_summary(Path(job.out))
        kept.write_text(json.dumps(summary, ensure_ascii=False) + "\n", encoding="utf-8")
        return summary


def _index_files(out: str, dest: str) -> list[tuple[str, str]]:
    """An index's files (not its kept summary) and their places: (file, ``dest``/its path)."""
    return [(f"{out}/{rel}", f"{dest}/{rel}") for rel in files_under(out) if rel != SUMMARY]


def assemble_indexes(
    jobs: list[IndexJob],
    site_dir: Path,
    links: Links | None = None,
    words: PartWords | None = None,
) -> None:
    """Link the index (or the stub and each part) into the site and write
    ``pagefind/parts.json`` (and, for parts, the word directory). With ``links``, each part
    (a carried folder, ``pipeline.site.carry``) is given to it to be placed at the swap.
    ``words``: the parts' words found beforehand (``part_words``; a part read from another
    index than its job's is read again)."""
    root = site_dir / "pagefind"
    parts = [j for j in jobs if not j.stub]
    stubs = [j for j in jobs if j.stub]
    pairs = _index_files(stubs[0].out if stubs else parts[0].out, str(root))
    for job in parts if stubs else []:
        if links is None:
            pairs += _index_files(job.out, f"{root}/part-{job.part}")
        else:
            links.add(
                job.out, lambda out=job.out, g=job.part: _index_files(out, f"pagefind/part-{g}")
            )
    link_files(pairs)
    listing: dict[str, Any] = {"parts": []}
    if stubs:
        found = words if words is not None else PartWords()
        for g, job in enumerate(parts):
            if found.outs.get(g) != job.out:
                found.add(g, _summary(job), job.out)
        summaries = [found.summaries[g] for g in range(len(parts))]
        words_listing, files = found.directory()
        write_files([(root / "words" / name, data) for name, data in files.items()])
        totals: dict[str, dict[str, int]] = {}
        for summary in summaries:
            for name, values in summary["filters"].items():
                into = totals.setdefault(name, {})
                for value, n in values.items():
                    into[value] = into.get(value, 0) + n
        listing = {
            "parts": [f"part-{j.part}/" for j in parts],
            "pages": [len(j.pages) for j in parts],
            "filters": {k: dict(sorted(v.items())) for k, v in sorted(totals.items())},
            "words": words_listing,
            "sample": {"over": SAMPLE_OVER, "until": SAMPLE_UNTIL},
        }
    (root / "parts.json").write_text(json.dumps(listing, ensure_ascii=False) + "\n")
