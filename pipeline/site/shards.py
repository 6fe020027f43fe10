"""The site in shards: report, issuer and browse pages dealt by a hash of their path into many
small MkDocs builds, each cached by the hash of its pages, the theme and the config; the hub
pages (home, the three folders' first pages, datasets, search, build report) are one more build.
A build makes only the shards whose key is not in the cache and then links every shard's output
into the new site."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import codehash, fileio, paths
from pipeline.fileio import files_under, link_files, link_or_copy
from pipeline.gcpause import paused_gc
from pipeline.site.carry import Links, unit_of
from pipeline.site.digest import DIGESTS, search_digest, write_digests
from pipeline.site.mkdocs_run import link_targets, mkdocs_build, nav_pages, page_html

SHARD_CODE = ("pipeline.site.shards",)
"""The code a shard's output is made by (``pipeline.codehash``): this module, MkDocs' runner
and the search digests, with what they import."""

SHARD_PAGES = 64
"""Report pages per shard, about: a one-report change rebuilds one shard of this size."""

REPORTS = "reports"
SHARDED = (REPORTS, "issuers", "browse")
"""Folders of one page per report or per issuer, and the browse pages (a list of reports each,
by year, region and level: 1,413 at 100,000 reports, which the hub made again on every change,
some 5 s of a one-report change, though a change alters a few of them): dealt out between
shards, not built by the hub; each folder's ``index.md`` is the hub's."""


def shard_count(n_pages: int) -> int:
    """Shards for ``n_pages`` report pages: a power of two, so that the count (and with it every
    shard's key) changes only when the corpus doubles or halves."""
    n = 1
    while n * SHARD_PAGES < n_pages:
        n *= 2
    return n


def shard_of(page_id: str, shards: int) -> int:
    """A report page's shard: a hash of its id, so that shards are even whatever the ids."""
    return int.from_bytes(hashlib.sha256(page_id.encode()).digest()[:8], "big") % shards


def theme_fingerprint(docs_dir: Path) -> str:
    """What every page's HTML depends on besides its own Markdown: mkdocs.yml, the theme
    overrides, the committed assets, the versions of the site's libraries and the code that
    builds a shard (``SHARD_CODE``)."""
    from pipeline.cache import SITE_LIBRARIES, library_versions

    h = hashlib.sha256(repr(sorted(library_versions(SITE_LIBRARIES).items())).encode())
    h.update(codehash.fingerprint(SHARD_CODE).encode())
    files = [paths.MKDOCS_YML, *sorted((paths.PACKAGE_DIR / "theme").rglob("*"))]
    files += sorted((docs_dir / "assets").rglob("*"))
    for p in files:
        if p.is_file():
            h.update(p.as_posix().rsplit("/", 2)[-1].encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Job:
    """One MkDocs build: its pages (paths relative to the docs folder), the stubs they need and
    the folder its output is cached in."""

    key: str
    docs_dir: str
    pages: tuple[str, ...]
    stubs: tuple[str, ...]
    out: str
    pages_only: bool
    searched: bool = False
    """Whether a page of the shard may have changed in what Pagefind reads since the last plan:
    a guess from its Markdown (``_facts``), which only orders the work (the part index of such
    a shard is likely to be rebuilt, so its shards are built first)."""
    page_keys: tuple[str, ...] = ()
    """Per page: the hash of what its HTML is made from (the theme, its Markdown, the pages it
    links to; empty for a file that is not a page), under which ``build_job`` keeps the HTML in
    ``kept``: a build whose key changed makes again only its pages not kept."""
    kept: str = ""
    """The folder the pages' HTML is kept in (``KEPT_PAGES``, beside the cached builds)."""
    digests: tuple[str, ...] = ()
    """Per page (or none at all): the ``search_digest`` of a report page's HTML as recorded
    under its key (``SEARCH_DIGESTS``), or empty when not known; ``build_job`` reads only the
    pages whose digest is not given."""


def build_job(job: Job) -> str:
    """Run one MkDocs build into ``job.out`` (written beside and renamed, so a cached output is
    always whole): only its pages whose HTML is not kept under their key (the rest are linked;
    the hub's theme files are made every time). A function of the job alone, so it runs in a
    local process or on a Dask worker that sees the same folders."""
    out = Path(job.out)
    if out.exists():
        return job.key
    docs = Path(job.docs_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        site = work / "site"
        keys = {rel: key for rel, key in zip(job.pages, job.page_keys, strict=True) if key}
        reused = [rel for rel, key in keys.items() if os.path.exists(f"{job.kept}/{key}")]
        todo = sorted(set(job.pages) - set(reused))
        if todo or not job.pages_only:
            shard_docs = work / "docs"
            link_files([(docs / rel, shard_docs / rel) for rel in todo])
            shard_docs.mkdir(exist_ok=True)
            # The kept pages are stubs, as the pages of other shards are: a page's HTML is the
            # same whichever pages are built with it (checked in the tests). Only what the pages
            # made here link to is given (the hub's browse pages link to every report: 100,000
            # stubs for MkDocs to make files of when a few browse pages changed).
            stubs = needed_stubs(docs, todo, {*job.stubs, *reused})
            mkdocs_build(shard_docs, site, stubs=stubs, pages_only=job.pages_only)
        link_files([(f"{job.kept}/{keys[rel]}", f"{site}/{page_html(rel)}") for rel in reused])
        if keys:
            Path(job.kept).mkdir(parents=True, exist_ok=True)
            for rel in (rel for rel in todo if rel in keys):
                made, kept = f"{site}/{page_html(rel)}", f"{job.kept}/{keys[rel]}"
                if os.path.exists(made) and not os.path.exists(kept):
                    link_or_copy(made, kept)
        if job.pages_only:
            site.mkdir(exist_ok=True)  # a shard with no page to make or link
            known = zip(job.pages, job.digests or [""] * len(job.pages), strict=True)
            write_digests(site, {rel[: -len(".md")]: d for rel, d in known if d})
        try:
            site.rename(out)
        except OSError:
            if not out.exists():  # another build made the same shard just now
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return job.key


def needed_stubs(docs: Path, pages: Iterable[str], available: Iterable[str]) -> list[str]:
    """Of ``available`` (the pages and files a build may link to outside its own), those that
    ``pages`` link to, and the pages of the navigation (which every page links to)."""
    wanted = set(nav_pages())
    for rel in pages:
        if rel.endswith(".md"):
            wanted |= link_targets(rel, (docs / rel).read_text(encoding="utf-8"))
    return sorted(wanted.intersection(available))


def unkept(job: Job) -> list[str]:
    """The pages of ``job`` whose HTML is not kept under their key (``build_job`` makes them)."""
    return [
        rel
        for rel, key in zip(job.pages, job.page_keys, strict=True)
        if key and not os.path.exists(f"{job.kept}/{key}")
    ]


def needs_mkdocs(job: Job) -> bool:
    """Whether ``build_job`` runs MkDocs for ``job`` (not when it only links kept pages)."""
    return not Path(job.out).exists() and (not job.pages_only or bool(unkept(job)))


BATCH_PAGES = 2 * SHARD_PAGES
"""At most this many changed pages of several shards are made by one MkDocs run
(``batch_job``): a small change then starts MkDocs once, not once per shard it touches."""

BATCH_SPREAD = 4
"""More changed pages are made by one run too (up to ``BATCH_MOST``) when they are spread this
thin or thinner, a shard's MkDocs run then making this many or fewer: a report added at 100,000
reports changes some 130 browse pages (those of its year, region and level after it, each
dealt to a shard of its own), which as 130 runs took some 0.3 s each, and as one 0.3 s and
3-4 ms a page."""

BATCH_MOST = 16 * SHARD_PAGES
"""The most pages one batch makes: MkDocs holds a build's pages until it ends, some 200 MB for
1,024 of the largest (browse pages of up to 200 KB of HTML)."""


def batch_job(jobs: Sequence[Job], out: str) -> Job | None:
    """The pages of the shards ``jobs`` whose HTML is not kept, as one job whose output goes to
    ``out`` (to be removed once built: its pages' HTML is kept under their keys, from where the
    shards' own builds then only link it). None when the shards are fewer than two, or have no
    such page, or more than ``BATCH_PAGES`` that are not spread thin (``BATCH_SPREAD``), or more
    than ``BATCH_MOST``. Every other page of those shards, and every page they link to, is a
    stub: a page's HTML does not depend on which pages are built with it."""
    todo: dict[str, str] = {}
    touched = 0
    for job in jobs:
        keys = dict(zip(job.pages, job.page_keys, strict=True))
        pages = unkept(job)
        touched += bool(pages)
        todo.update((rel, keys[rel]) for rel in pages)
    thin = len(todo) <= BATCH_SPREAD * touched
    if len(jobs) < 2 or not todo or len(todo) > (BATCH_MOST if thin else BATCH_PAGES):
        return None
    pages = sorted(todo)
    stubs = {rel for job in jobs for rel in (*job.stubs, *job.pages)} - set(pages)
    return Job(
        "batch",
        jobs[0].docs_dir,
        tuple(pages),
        tuple(sorted(stubs)),
        out,
        True,
        page_keys=tuple(todo[rel] for rel in pages),
        kept=jobs[0].kept,
    )


def _walk(docs_dir: Path, rel: str) -> list[str]:
    top = docs_dir / rel
    if top.is_file():
        return [rel]
    out = []
    for root, dirs, files in os.walk(top):
        dirs.sort()
        base = Path(root).relative_to(docs_dir).as_posix()
        out += [f"{base}/{f}" for f in sorted(files)]
    return out


@dataclass(frozen=True)
class Vouched:
    """Pages the build kept as the last build wrote them, by the word of the page keys
    (``pipeline.pages``: a page kept under its key is not written again): ``since`` is the
    stamp (``fileio.stamp``) of the keys file that vouched for them, ``now`` that of the keys
    file this build wrote. Planning takes their facts as it recorded them, without a look at
    the files, when those facts were recorded under the keys file ``since`` (``VOUCHER``)."""

    since: list[int] | None
    now: list[int] | None
    pages: frozenset[str]


def plan(
    docs_dir: Path,
    cache_dir: Path,
    exists: Callable[[str], bool] | None = None,
    coming: Iterable[str] = (),
    late: bool = False,
    memo: dict[str, Any] | None = None,
    vouched: Vouched | None = None,
) -> tuple[list[Job], list[list[str]]]:
    """The hub job and one job per shard (the hub first), and the pages (paths relative to the
    docs folder) of each shard. ``coming`` are hub pages not written yet (the datasets page,
    while ``reports.db`` is finished): the hub's and the shards' links to them are resolved
    as to any page, and the hub job leaves them out. Once they are written, ``late`` plans
    their job alone (pages only: the theme's files come with the hub), the other pages left as
    the full plan recorded them (and no shards). ``memo``, given to both calls, carries from the
    full plan to the late one what it found (the theme's fingerprint, the pages there, every
    page's facts), which the late plan would otherwise read again (at 100,000 reports 108,000
    pages and 80 MB of facts, some 2 s); a full plan with pages to come leaves the facts' file
    to the late plan, which writes it once. ``vouched``: pages whose facts are taken as
    recorded (``Vouched``; at 100,000 reports a ``stat`` of 108,000 pages, 1.5 s)."""
    memo = {} if memo is None else memo
    coming = tuple(coming)
    theme = memo.get("theme") or theme_fingerprint(docs_dir)
    if exists is None:
        if "present" in memo:  # and what was written since (the late downloads), looked up
            present = memo["present"]

            def found(rel: str) -> bool:
                return rel in present or os.path.isfile(f"{docs_dir}/{rel}")

            exists = found
        else:
            memo["present"] = set(files_under(docs_dir)) | set(coming)
            exists = memo["present"].__contains__
    facts_file = cache_dir.with_name(FACTS_FILE)
    voucher = cache_dir.with_name(VOUCHER)
    plans_file = cache_dir.with_name(SHARD_PLANS)
    known: dict[str, list] = memo.get("facts", {})
    trusted: frozenset[str] = frozenset()
    if "facts" not in memo and facts_file.exists():
        known = _read_json(facts_file)
        if vouched is not None and vouched.since is not None:
            with contextlib.suppress(ValueError, OSError):
                said = json.loads(voucher.read_text(encoding="utf-8"))
                facts_now = fileio.stamp(os.stat(facts_file))
                if said == {"keys": vouched.since, "facts": facts_now}:
                    trusted = vouched.pages
    if not late:
        voucher.unlink(missing_ok=True)  # until the facts of this plan are written
        memo["vouched"] = vouched.now if vouched is not None else None
    seen: dict[str, list] = {}
    if "digests" not in memo:
        memo["digests"] = _read_json(cache_dir.with_name(SEARCH_DIGESTS))
    recorded: dict[str, str] = memo["digests"]
    sharded = [
        rel
        for folder in SHARDED
        if (docs_dir / folder).is_dir() and not late
        for rel in _walk(docs_dir, folder)
        if rel.endswith(".md") and rel != f"{folder}/index.md"
    ]
    n = shard_count(len(sharded))
    dealt: list[list[str]] = [[] for _ in range(n)]
    for rel in sharded:
        dealt[shard_of(rel[: -len(".md")], n)].append(rel)
    nav = nav_pages()
    kept = str(cache_dir.with_name(KEPT_PAGES))
    # The shards as the last full plan found them, under the same theme: a shard whose pages
    # are all vouched for, and whose links resolve as they did, is taken from there.
    reuse = not late
    last_plans: dict[str, Any] = {}
    if reuse and trusted:
        last_plans = _read_json(plans_file)
        if last_plans.get("theme") != theme:
            last_plans = {}
    last_paths: list[str] = last_plans.get("paths", [])
    last_shards: dict[str, list] = last_plans.get("shards", {})
    absent = set(last_plans.get("absent", ()))
    # The recorded paths that are there now and were not, or the reverse: a shard that links to
    # one is planned page by page.
    moved = {i for i, rel in enumerate(last_paths) if exists(rel) == (i in absent)}
    ids = {rel: i for i, rel in enumerate(last_paths)}  # new paths added at the end
    records: dict[str, list] = {}
    fresh: list[str] = []  # the shards planned page by page

    def recorded_job(name: str, pages: Sequence[str]) -> Job | None:
        """The shard ``name`` as the last plan found it, when its pages are the same and all
        vouched for (their facts as recorded then), and the pages it links to are there, or
        not, as they were."""
        last = last_shards.get(name)
        if not last or last[1] != _pages_hash(pages):
            return None
        if not all(rel in trusted and rel in known for rel in pages):
            return None
        key, _, stub_ids, page_keys, missing_ids = last
        if not (moved.isdisjoint(stub_ids) and moved.isdisjoint(missing_ids)):
            return None
        for rel in pages:
            seen[rel] = known[rel]
        digests = tuple(
            recorded.get(k, "") if rel.startswith(f"{REPORTS}/") else ""
            for rel, k in zip(pages, page_keys, strict=True)
        )
        records[name] = last
        return Job(
            key,
            str(docs_dir),
            tuple(pages),
            tuple(map(last_paths.__getitem__, stub_ids)),
            str(cache_dir / key),
            True,
            False,
            tuple(page_keys),
            kept,
            digests,
        )

    def job(name: str, pages: Sequence[str], pages_only: bool) -> Job:
        if not (reuse and pages_only):
            return _job(name, pages, pages_only)[0]
        found = recorded_job(name, pages)
        if found is None:
            found, missing = _job(name, pages, pages_only)
            fresh.append(name)
            records[name] = [
                found.key,
                _pages_hash(pages),
                [ids.setdefault(t, len(ids)) for t in found.stubs],
                found.page_keys,
                [ids.setdefault(t, len(ids)) for t in missing],
            ]
        return found

    def _job(name: str, pages: Sequence[str], pages_only: bool) -> tuple[Job, list[str]]:
        """The job of the pages, and the pages they link to that are not there."""
        h = hashlib.sha256(theme.encode() + name.encode())
        targets: set[str] = set(nav)
        searched = False
        page_keys = []
        digests = []
        for rel in pages:
            digest, linked = _facts(docs_dir, rel, known, seen, rel in trusted)
            h.update(rel.encode() + b"\0" + bytes.fromhex(digest))
            targets.update(linked)
            page = hashlib.sha256(f"{theme}\0{rel}\0{digest}".encode())
            page.update("\0".join(t for t in linked if exists(t)).encode())
            page_keys.append(page.hexdigest()[:32] if rel.endswith(".md") else "")
            digests.append(recorded.get(page_keys[-1], "") if rel.startswith(f"{REPORTS}/") else "")
            old = known.get(rel)
            searched = searched or (
                rel.startswith(f"{REPORTS}/") and (not old or old[3:] != seen[rel][3:])
            )
        own = set(pages)
        stubs = sorted(t for t in targets - own if exists(t))
        # (Not the links out of the docs folder, to the downloads: never among its files.)
        missing = sorted(t for t in targets - own if not exists(t) and not t.startswith("../"))
        h.update("\0".join(stubs).encode())
        key = h.hexdigest()[:32]
        out = str(cache_dir / key)
        made = Job(
            key,
            str(docs_dir),
            tuple(pages),
            tuple(stubs),
            out,
            pages_only,
            searched,
            tuple(page_keys),
            kept,
            tuple(digests),
        )
        return made, missing

    hub_pages = []
    for entry in sorted(os.listdir(docs_dir)):
        if entry in (*SHARDED, "downloads") or entry.startswith("."):
            continue
        hub_pages += _walk(docs_dir, entry)
    hub_pages += [f"{d}/index.md" for d in SHARDED if (docs_dir / d / "index.md").exists()]
    if late:
        wanted = set(coming)
        jobs = [job("hub-late", [rel for rel in hub_pages if rel in wanted], True)]
        seen = {**known, **seen}
    else:
        jobs = [job("hub", hub_pages, False)]
        # Every shard, an empty one too (it is built as an empty folder, and kept): index parts
        # are made of shards by their number, which must not move when another shard empties.
        jobs += [job(f"shard-{i}", rels, True) for i, rels in enumerate(dealt)]
        if reuse and (fresh or records.keys() != last_shards.keys()):
            _write_plans(plans_file, theme, records, list(ids), exists)
    # Written once a build: a full plan with pages still to come leaves it to the late plan
    # (the file is some 80 MB of JSON at 100,000 reports, 0.8-0.9 s to write).
    changed = seen != known or memo.pop("unwritten", False)
    if changed and coming and not late:
        memo["unwritten"] = True
    else:
        if changed:
            facts_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = facts_file.with_name(facts_file.name + ".tmp")
            tmp.write_text(json.dumps(seen, sort_keys=True), encoding="utf-8")
            tmp.replace(facts_file)
        now = memo.get("vouched")
        if now is not None and facts_file.exists():
            said = {"keys": now, "facts": fileio.stamp(os.stat(facts_file))}
            tmp = voucher.with_name(voucher.name + ".tmp")
            tmp.write_text(json.dumps(said), encoding="utf-8")
            tmp.replace(voucher)
    memo.update(theme=theme, facts=seen)
    return jobs, dealt


def _pages_hash(pages: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(pages).encode()).hexdigest()[:32]


def _write_plans(
    path: Path,
    theme: str,
    records: dict[str, list],
    paths: list[str],
    exists: Callable[[str], bool],
) -> None:
    """``SHARD_PLANS``: each shard's key, the hash of its pages, its stubs, page keys and the
    pages it links to that are not there, the paths by their place in ``paths`` (840,000 stubs
    at 100,000 reports name some 108,000 pages; the list only grows while it holds no more than
    twice the paths named), with those that are not there."""
    named = set().union(*(r[2] for r in records.values()), *(r[4] for r in records.values()))
    if len(paths) > 2 * len(named) + 1024:
        ids: dict[str, int] = {}
        for r in records.values():
            r[2] = [ids.setdefault(paths[i], len(ids)) for i in r[2]]
            r[4] = [ids.setdefault(paths[i], len(ids)) for i in r[4]]
        paths = list(ids)
    absent = [i for i, rel in enumerate(paths) if not exists(rel)]
    data = {"theme": theme, "paths": paths, "absent": absent, "shards": records}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


VOUCHER = "page-facts-vouched.json"
"""Beside the page facts (``FACTS_FILE``): the stamp of the page keys' file under which they
were recorded, with the facts file's own stamp (``Vouched``); removed while a plan's facts are
not yet written."""


SHARD_PLANS = "shard-plans.json"
"""Beside the cached shards: each shard's key, stubs and page keys as the last full plan found
them, with a hash of its pages, the pages it links to that were not there, and the theme's
fingerprint. A shard whose pages are the same and all vouched for (``Vouched``: their facts as
recorded), whose stubs are there and whose missing links are not, is planned from here without
a look at its pages: at 100,000 reports the per-page work of 2,048 shards was 2 s of a
one-report change's 4.4 s plan."""


KEPT_PAGES = "page-html"
"""Beside the cached builds: the HTML of every page the last build made, under its key
(``Job.page_keys``), hard links to the files in the builds' outputs."""


SEARCH_DIGESTS = "page-search-digests.json"
"""Beside the cached builds: the ``search_digest`` of each report page's HTML, by its key
(``Job.page_keys``: the same key, the same HTML). A shard built again whose report pages are
kept takes their digests from here (``Job.digests``) instead of reading them: a report added
at 100,000 reports changes some 130 browse pages, each in a shard of its own, and reading the
6,300 report pages of those shards took 4.7 s."""


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object kept in a file ({} when there is none, or none readable), read with the
    collector paused (the page facts: 80 MB at 100,000 reports)."""
    with contextlib.suppress(ValueError, OSError), paused_gc():
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return data
    return {}


def record_digests(
    cache_dir: Path,
    built: Iterable[Job],
    jobs: Iterable[Job],
    last: dict[str, str] | None = None,
) -> None:
    """Add to the record (``SEARCH_DIGESTS``, beside ``cache_dir``) the report pages' digests
    the shards ``built`` wrote, and keep only those of the pages of ``jobs``. ``last``: the
    record as ``plan`` read it (else read here)."""
    path = cache_dir.with_name(SEARCH_DIGESTS)
    last = _read_json(path) if last is None else last
    record = dict(last)
    for job in built:
        if not job.pages_only or not os.path.exists(f"{job.out}/{DIGESTS}"):
            continue
        made = _read_json(Path(job.out) / DIGESTS)
        for rel, key in zip(job.pages, job.page_keys, strict=True):
            if key and isinstance(made.get(rel[: -len(".md")]), str):
                record[key] = made[rel[: -len(".md")]]
    wanted = {
        key
        for job in jobs
        for rel, key in zip(job.pages, job.page_keys, strict=True)
        if key and rel.startswith(f"{REPORTS}/")
    }
    record = {key: record[key] for key in sorted(wanted & record.keys())}
    if record != last:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(path)


FACTS_FILE = "page-facts.json"
"""Beside the cached shards: each page's size, modification time and inode when it was last read
(``fileio.stamp``), with the
hash of its bytes and the pages it links to, so that planning reads only pages written since;
for a report page also ``search_digest`` of its Markdown (the report without what Pagefind
leaves out: a guess at whether its index entry changed)."""


def _facts(
    docs_dir: Path,
    rel: str,
    known: dict[str, list],
    seen: dict[str, list],
    trusted: bool = False,
) -> tuple[str, list[str]]:
    """The SHA-256 (hex) of the page ``rel`` and the paths it links to: from ``known`` when the
    file's size, modification time and inode are those recorded (``fileio.stamp``) or the page
    is ``trusted`` to be the file they were recorded from (``Vouched``), else read (and its
    links and search guess found again only when its bytes changed)."""
    old = known.get(rel)
    if trusted and old:
        seen[rel] = old
        return old[1], old[2]
    path = f"{docs_dir}/{rel}"
    # Not the change time: linking a page into a build's docs folder changes it, so the first
    # plan after a full build would read every page again (at 100,000 reports 20 s more).
    stamp = fileio.stamp(os.stat(path))
    if old and old[0] == stamp:
        seen[rel] = old
        return old[1], old[2]
    with open(path, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if old and old[1] == digest:  # written again with the same bytes: the same links
        seen[rel] = [stamp, *old[1:]]
        return digest, old[2]
    text = data.decode("utf-8") if rel.endswith(".md") else ""
    linked = sorted(link_targets(rel, text)) if text else []
    seen[rel] = [stamp, digest, linked]
    if text and rel.startswith(f"{REPORTS}/"):
        seen[rel].append(search_digest(text))
    return digest, linked


def assemble(
    jobs: Iterable[Job], site_dir: Path, hub: bool = True, links: Links | None = None
) -> list[str]:
    """Link the outputs of the hub (the first job, unless ``hub`` is False) and of every shard
    into ``site_dir``: the hub whole, a shard only its report and issuer pages. With ``links``,
    the files of the site's carried folders (``carry.unit_of``: every shard's) are given to it,
    a group per output, to be placed at the swap. Returns the files (paths relative to the
    site)."""
    jobs = list(jobs)
    linked: list[str] = []
    pairs: list[tuple[str, str]] = []
    for i, job in enumerate(jobs):
        if i == 0 and hub:
            rels = files_under(job.out)
            linked += rels
            carried = {rel for rel in rels if links is not None and unit_of(rel)}
            if links is not None:
                links.add(job.out, [(f"{job.out}/{rel}", rel) for rel in sorted(carried)])
            pairs += [
                (f"{job.out}/{rel}", f"{site_dir}/{rel}") for rel in rels if rel not in carried
            ]
            continue
        if links is not None:
            links.add(job.out, lambda out=job.out: _sharded_files(out))
            linked += [page_html(rel) for rel in job.pages]
            continue
        for src, rel in _sharded_files(job.out):
            pairs.append((src, f"{site_dir}/{rel}"))
            linked.append(rel)
    link_files(pairs)
    return linked


def _sharded_files(out: str) -> list[tuple[str, str]]:
    """A shard's pages (of ``SHARDED``): (file in its output, path relative to the site)."""
    return [
        (f"{out}/{d}/{rel}", f"{d}/{rel}") for d in SHARDED for rel in files_under(f"{out}/{d}")
    ]


def prune(cache_dir: Path, keep: Iterable[str]) -> None:
    """Remove cached outputs no build needs any more (they would grow the cache without end)."""
    keep = set(keep)
    if not cache_dir.is_dir():
        return
    for p in cache_dir.iterdir():
        if p.name not in keep and not p.name.startswith("."):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
