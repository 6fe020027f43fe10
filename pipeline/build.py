"""Orchestration: read source_reports/, run the per-report stages (cached, in parallel), write
the data package, the site pages and the site. The only module that touches the disk."""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from pipeline import (
    codehash,
    crossreport,
    package,
    pages,
    paths,
    readers,
    safety,
    segments,
    zipped,
)
from pipeline.archive import HTML_SUFFIXES, MAX_BYTES
from pipeline.cache import LIBRARIES, SITE_LIBRARIES, Cache, environment_fingerprint
from pipeline.database import FULLTEXT, ROWS, DatabaseWriter, Standby
from pipeline.executor import Beside, Early, Executor, LocalExecutor, executor_for
from pipeline.fileio import link_files, stamp, write_files
from pipeline.lock import BuildLock
from pipeline.records import Problem, Report, Source
from pipeline.report import report_id_for, run
from pipeline.reportjson import JSON_DIR, JsonWriter, issuer_part
from pipeline.reportjson import publish as publish_json
from pipeline.site import (
    STAGED,
    SiteBuild,
    build_site,
    clear_generated_docs,
    issuer_names,
    stage_downloads,
    stage_late_downloads,
)
from pipeline.site.carry import Changes, Links
from pipeline.site.shards import Vouched, prune
from pipeline.store import Reports, cache_key, for_task, light_reports, lighten, whole_report

SIDECAR_SUFFIX = ".meta.yml"
SIDECAR_KEYS = {"url", "retrieved", "issuer", "title", "license"}
MAX_NAME_BYTES = 200


@dataclass
class BuildResult:
    reports: list[Report] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    cross: crossreport.CrossReport | None = None
    """What the cross-report stage found (issuers, copied text, series); see ``cross_stage``."""
    site: SiteBuild | None = None
    json_documents: list[tuple[str | None, tuple[str, ...]]] = field(default_factory=list)
    """The JSON documents by segment: a name for what the segment's documents are (its kept
    folder; None when it is not kept by a key), and its reports' ids."""
    datasets_links: Links | None = None
    """The files of the data package's folders of a file per report, placed at its swap."""


Progress = Callable[[str], None]


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def read_sidecar(path: Path) -> dict[str, str]:
    """Validate a ``<file>.meta.yml``: a mapping of known keys to short strings or dates."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"the sidecar is not valid YAML: {exc}".splitlines()[0]) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("the sidecar must be a mapping of keys to values")
    unknown = sorted(set(map(str, data)) - SIDECAR_KEYS)
    if unknown:
        raise ValueError(
            f"unknown sidecar keys: {', '.join(unknown)} (allowed: {', '.join(sorted(SIDECAR_KEYS))})"
        )
    out: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        value = str(value).strip()
        if len(value) > 2000:
            raise ValueError(f"sidecar value of '{key}' is too long")
        if key == "url" and safety.safe_url(value) is None:
            raise ValueError("sidecar 'url' must be an http(s) URL")
        out[key] = value
    return out


@dataclass(frozen=True)
class Listing:
    """A source folder as one look at it found it: its usable files and the sidecars beside
    them (name → ``os.stat_result``, sorted by name), and the problems with entries that cannot
    be used. A build looks once (``list_sources``) and every step that needs the sources' names
    or stamps reads this: at 100,000 sources, three listings and four ``stat`` calls a file
    took some 3 s of a one-report change."""

    folder: Path
    files: dict[str, os.stat_result]
    sidecars: dict[str, os.stat_result]
    problems: list[Problem]


def list_sources(source_dir: Path) -> Listing:
    """The source folder's files and sidecars, each with one ``stat``."""
    files: dict[str, os.stat_result] = {}
    sidecars: dict[str, os.stat_result] = {}
    problems: list[Problem] = []
    if not source_dir.is_dir():
        problem = Problem(str(source_dir), "discover", "the source folder does not exist")
        return Listing(source_dir, files, sidecars, [problem])
    # The folder's listing tells links and folders apart without a call per file.
    for p in sorted(os.scandir(source_dir), key=lambda p: p.name):
        name = p.name
        if name.startswith("."):
            continue
        if name.endswith(SIDECAR_SUFFIX):
            with contextlib.suppress(OSError):  # a link to nothing: no sidecar
                sidecars[name] = p.stat()
            continue
        if name.lower() == "readme.md":
            continue
        if p.is_symlink():
            problems.append(Problem(name, "discover", "symbolic links are not followed"))
            continue
        if p.is_dir():
            problems.append(
                Problem(
                    name,
                    "discover",
                    "sub-folders are not read; put files directly in source_reports/",
                )
            )
            continue
        if len(name.encode("utf-8")) > MAX_NAME_BYTES or "\x00" in name or "/" in name:
            problems.append(
                Problem(
                    name[:80],
                    "discover",
                    "the file name is too long or contains forbidden characters",
                )
            )
            continue
        try:
            files[name] = p.stat()
        except OSError as exc:  # removed since the folder was read
            problems.append(Problem(name, "discover", f"the file cannot be read: {exc.strerror}"))
    return Listing(source_dir, files, sidecars, problems)


def _load(name: str, listing: Listing) -> tuple[dict[str, str] | None, list[Problem]]:
    """The sidecar of the source ``name`` (None when the file cannot be used), read before its
    bytes."""
    problems: list[Problem] = []
    size = listing.files[name].st_size
    if size > MAX_BYTES:
        return None, [
            Problem(name, "archive", f"the file is {size:,} bytes, larger than a report can be")
        ]
    sidecar: dict[str, str] = {}
    if name + SIDECAR_SUFFIX in listing.sidecars:
        side = listing.folder / (name + SIDECAR_SUFFIX)
        try:
            sidecar = read_sidecar(side)
        except ValueError as exc:
            problems.append(
                Problem(side.name, "sidecar", f"{exc}; the sidecar was ignored", "warning")
            )
    return sidecar, problems


def _assign_ids(names: list[str]) -> dict[str, str]:
    ids: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        rid = report_id_for(name)
        if rid in used:
            rid = f"{rid[:60]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        used.add(rid)
        ids[name] = rid
    return ids


LIGHT = ".light"
"""Suffix of the cache key under which a report's light copy is kept (``store.lighten``), with
its problem and the hash of its cleaned text."""

LIGHT_PACK = "light-pack"
"""The light copies of the last build's reports, kept together (``Cache.write_pack``)."""

STAGE_TASK = 16
"""Sources run by one task of the per-report stages."""

STAGE_AHEAD = 4
"""Tasks of the per-report stages sent and not yet finished, per worker, at most: the build
reads the next sources and keeps the results that came back (the cache's entries) while the
workers run, and a national build never holds every source's bytes, nor every whole report."""


def run_stages(
    source_dir: Path,
    workers: int = 0,
    cache_dir: Path | None = None,
    progress: Progress = _say,
    executor: Executor | None = None,
    listing: Listing | None = None,
) -> BuildResult:
    """Every per-report stage over a folder of sources (as ``listing`` found it, when given);
    duplicates folded, problems collected. The reports not in the cache run on ``executor``
    (default: a local pool of ``workers``), ``STAGE_TASK`` to a task. With a cache,
    ``result.reports`` keeps light copies in memory and reads each whole report back from the
    cache when asked (``pipeline.store``)."""
    result = BuildResult()
    t0 = time.perf_counter()
    listing = listing or list_sources(source_dir)
    result.problems.extend(listing.problems)
    # The sources by name, their paths as strings made once (a ``Path`` a source, its name and
    # its string, took some 2 s at 100,000 sources).
    usable: list[tuple[str, str, dict[str, str]]] = []
    for name in listing.files:
        sidecar, probs = _load(name, listing)
        result.problems.extend(probs)
        if sidecar is not None:
            usable.append((name, f"{source_dir}/{name}", sidecar))
    result.timings["read"] = time.perf_counter() - t0
    progress(f"[read]     {len(usable)} source files ({len(result.problems)} problems)")

    t0 = time.perf_counter()
    ids = _assign_ids([name for name, _, _ in usable])
    cache = Cache(cache_dir, codehash.fingerprint(codehash.STAGES)) if cache_dir else None
    # Per source: its report (light when there is a cache to read the whole one back from),
    # its problem, and the hash of its cleaned text (to find duplicates).
    outcomes: dict[str, tuple[Report | None, Problem | None, str]] = {}
    keys: dict[str, str] = {}

    def record(name: str, report: Report | None, problem: Problem | None) -> None:
        text_key = hashlib.sha256(report.cleaned.text.encode()).hexdigest() if report else ""
        if report is not None and cache is not None:
            report = lighten(report)
            # Kept light as well: a build that finds it reads no whole report to start with.
            cache.put(keys[name] + LIGHT, (report, problem, text_key))
        outcomes[name] = (report, problem, text_key)

    ex = executor or executor_for(workers)
    # A source whose size, times and inode are those recorded is found in the cache by its
    # recorded hash, and its light copy in the pack of the last build's: nothing is read per
    # report when every report is kept.
    recorded = recorded_hashes(sources_record(cache_dir)) if cache else {}
    pack = cache.read_pack(LIGHT_PACK) if cache else {}
    # The light reports just read are kept to the build's end: out of the collector's full
    # passes from now (at 100,000 reports the first pass after them took 2-4 s).
    _settled()

    def tasks() -> Iterator[tuple[Source, str]]:
        """The sources not in the cache, read as the executor has room for them (the reports
        found in the cache are recorded on the way)."""
        for name, path, sidecar in usable:
            rid = ids[name]
            data = None
            if cache:
                old = recorded.get(name)
                if old and old[:3] == stamp(listing.files[name]):
                    digest = old[3]
                else:
                    data = Path(path).read_bytes()
                    digest = hashlib.sha256(data).hexdigest()
                keys[name] = key = cache.key_of(digest, name, rid, sidecar)
                light = pack.get(key + LIGHT) or cache.get(key + LIGHT)
                if light is not None:
                    outcomes[name] = light
                    result.cache_hits += 1
                    continue
                hit = cache.get(key)
                if hit is not None:
                    record(name, *hit)
                    result.cache_hits += 1
                    continue
            data = Path(path).read_bytes() if data is None else data
            yield Source(name=name, data=data, sidecar=sidecar), rid

    try:
        # A single small task (a one-report change) runs here, not in a pool started for it.
        results = ex.imap(run, tasks(), ahead=STAGE_AHEAD * ex.workers, chunksize=STAGE_TASK)
        for name, report, problem in results:
            if cache:
                cache.put(keys[name], (report, problem))
            record(name, report, problem)
        if cache:
            kept = {keys[name] + LIGHT: outcome for name, outcome in outcomes.items()}
            cache.write_pack(LIGHT_PACK, kept, pack)
    finally:
        workers = ex.workers
        if executor is None:
            ex.close()
    result.timings["stages"] = time.perf_counter() - t0
    progress(
        f"[stages]   {len(usable)} reports through archive → clean → metadata → figures → markdown "
        f"({result.cache_hits} from cache, {workers} workers) in {result.timings['stages']:.1f}s"
    )

    # Fold duplicates: the same bytes, or the same cleaned text under another name.
    by_bytes: dict[str, Report] = {}
    by_text: dict[str, Report] = {}
    extra: dict[str, list[str]] = {}
    kept: list[Report] = []
    for name, _, _ in usable:
        report, problem, text_key = outcomes[name]
        if problem is not None:
            result.problems.append(problem)
            continue
        assert report is not None
        for w in report.archived.warnings:
            result.problems.append(Problem(name, "archive", w, "warning"))
        for w in report.warnings:
            result.problems.append(Problem(name, "metadata", w, "warning"))
        first = by_bytes.get(report.archived.sha256) or by_text.get(text_key)
        if first is not None:
            extra.setdefault(first.report_id, []).append(name)
            how = (
                "the same bytes"
                if first.archived.sha256 == report.archived.sha256
                else "the same text"
            )
            result.problems.append(
                Problem(
                    name,
                    "dedupe",
                    f"{how} as {first.archived.source_file}; published once",
                    "warning",
                )
            )
            continue
        by_bytes[report.archived.sha256] = report
        by_text[text_key] = report
        kept.append(report)
    kept = [
        replace(r, duplicates=tuple(extra.get(r.report_id, ()))) if r.report_id in extra else r
        for r in kept
    ]
    kept.sort(key=lambda r: r.report_id)
    if cache is None:
        result.reports = kept
    else:
        where = {name: (path, sidecar) for name, path, sidecar in usable}

        def load(light: Report) -> Report:
            name = light.archived.source_file
            path, sidecar = where[name]
            return replace(
                whole_report(cache, keys[name], path, sidecar, light.report_id),
                duplicates=light.duplicates,
            )

        result.reports = Reports(
            kept,
            load,
            key=lambda light: keys[light.archived.source_file],
            cache=(str(cache_dir), codehash.fingerprint(codehash.STAGES)),
            sources=where,
        )
    return result


# --------------------------------------------------------------------------- cross-report stage


def cross_stage(result: BuildResult, progress: Progress = _say) -> None:
    """Issuers across years, copied text and series over the whole corpus (after the per-report
    stages, from the light reports: metadata, figures and sentence fingerprints); year-over-year
    checks join the reports' own."""
    cross_end(result, cross_begin(result), progress)


CopiedText = Callable[[], tuple[dict[str, Any], list[Any], float]] | Beside | None
"""The copied text still to measure (``cross_begin``): here, beside, or not at all."""


def cross_begin(result: BuildResult, early: Early | None = None) -> CopiedText:
    """The cross-report stage but the copied text (``crossreport.begin``), whose measure is
    returned to ``cross_end``: with ``early`` (a process started before the reports were
    loaded) it is measured there, from the reports' sentences sent to it, while the build
    writes the pages that do not show it (``PageKind.copied_text``), begun as soon as the stage
    has found what it reads (``crossreport.begin``'s ``found``). At 100,000 reports it is 6-8 s
    of one core that the other had free."""
    t0 = time.perf_counter()
    light = light_reports(result.reports)
    job: CopiedText = None

    def found(cross: crossreport.CrossReport) -> None:
        """The measure made ready (and begun beside, as the stage goes on) once its issuers and
        previous years are found."""
        nonlocal job
        job = functools.partial(
            _measured, crossreport.Sentences.of(light), cross.issuer_of, cross.previous
        )
        if early is not None:
            job = Beside(job, "copied text", early)

    try:
        cross = crossreport.begin(light, found)
    except Exception as exc:  # noqa: BLE001 - the reports themselves can still be published
        if isinstance(job, Beside):
            job.cancel()  # begun on issuers the stage does not give
        job = None
        cross = crossreport.CrossReport(timings={"issuers": 0, "series": 0})
        result.problems.append(
            Problem("(all reports)", "crossreport", f"{type(exc).__name__}: {exc}", "warning")
        )
    result.cross = cross
    result.reports = crossreport.with_checks(result.reports, cross)
    result.timings["crossreport"] = time.perf_counter() - t0
    return job


def _measured(
    sentences: crossreport.Sentences, issuer_of: dict[str, str], previous: dict[str, str]
) -> tuple[dict[str, Any], list[Any], float]:
    """``crossreport.measure`` and the seconds it took (where it ran)."""
    t = time.perf_counter()
    reuse, pairs = crossreport.measure(sentences, issuer_of, previous)
    return reuse, pairs, time.perf_counter() - t


def cross_end(result: BuildResult, job: CopiedText, progress: Progress = _say) -> None:
    """The copied text ``cross_begin`` left to measure put into ``result.cross`` (measured
    now, or waited for), and the stage said."""
    t0 = time.perf_counter()
    cross = result.cross
    assert cross is not None
    waited = 0.0
    cross.reuse, cross.pairs, cross.timings["reuse"] = {}, [], 0.0
    try:
        if isinstance(job, Beside):
            cross.reuse, cross.pairs, cross.timings["reuse"] = job.result()
            waited = time.perf_counter() - t0
        elif job is not None:
            cross.reuse, cross.pairs, cross.timings["reuse"] = job()
    except Exception as exc:  # noqa: BLE001 - as in cross_begin
        result.problems.append(
            Problem("(all reports)", "crossreport", f"{type(exc).__name__}: {exc}", "warning")
        )
    result.timings["crossreport"] += time.perf_counter() - t0
    t = cross.timings
    beside = f"beside the first pages, {waited:.1f}s waited" if isinstance(job, Beside) else ""
    progress(
        f"[cross]    {len(cross.issuers)} issuers ({t['issuers']:.1f}s), copied text "
        f"({t['reuse']:.1f}s{', ' + beside if beside else ''}), series ({t['series']:.1f}s)"
    )


def package_cache_for(cache_dir: Path | None) -> Path | None:
    """Where the data package's segments are kept, beside the per-report cache."""
    return cache_dir.with_name(cache_dir.name + "-package") if cache_dir else None


ZIP_MEMBERS = "zip-members"
"""The folder of the package cache keeping the zips' compressed members (``pipeline.zipped``)."""

SEGMENT_AHEAD = 4
"""Segment tasks sent and not yet finished, per worker, at most (each reads its reports back
from the cache itself: a national build never holds every whole report)."""


@dataclass
class Pending:
    """What ``write_datasets`` leaves running when it defers the database: ``reports.db``,
    finishing in its own process, and the zips, written in another (``Beside``)."""

    db: DatabaseWriter
    zips: Beside | None = None

    def close(self) -> None:
        """Wait for both; raise what went wrong in either."""
        if self.zips is not None:
            try:
                for path, digest in self.zips.result():
                    package.remember_sha256(Path(path), digest)
            except BaseException:
                self.db.abort()
                raise
            finally:
                self.zips = None
        self.db.close()

    def abort(self) -> None:
        """A failed build: both stopped; no ``reports.db`` is left (the zips are in the new
        data folder, which the next build removes)."""
        self.db.abort()
        if self.zips is not None:
            self.zips.cancel()
            self.zips = None


def write_datasets(
    result: BuildResult,
    sources: Mapping[str, bytes] | Path,
    out_dir: Path,
    executor: Executor | None = None,
    cache_dir: Path | None = None,
    hashes: Path | None = None,
    defer_database: bool = False,
    database: Standby | None = None,
    early_zips: Early | None = None,
    listing: Listing | None = None,
    ready: Callable[[], None] = lambda: None,
) -> Pending | None:
    """The data package, cleaned texts, archive, SQLite database, JSON documents and build
    report into ``out_dir``. The per-report part is made a segment of reports at a time on
    ``executor`` and kept in ``cache_dir`` (``pipeline.segments``; without it, in a folder
    removed at the end); the build puts the segments together in order, so no table is held
    whole. ``sources`` is the source folder (each file read when archived) or its files' bytes;
    ``hashes`` the record of the sources' hashes ``input_fingerprint`` keeps (``write_archive``).

    With ``defer_database`` (and a ``cache_dir``, whose segments the database reads), the
    database process is left to finish its full-text indexes and returned: the caller goes on
    with the pages meanwhile and closes it (``DatabaseWriter.close``) before anything reads
    ``reports.db``, or aborts it. Without, ``reports.db`` is whole on return. ``database`` is
    a database process started earlier (``database.Standby``) to write it, ``early_zips`` one
    to write the zips in (``executor.Early``); ``listing`` the source folder as the build found
    it (``list_sources``); ``ready`` what the package waits for before it reads what the
    cross-report stage found (``cross_end``, the copied text measured beside): the archive,
    made from the reports alone, is written first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for sub in segments.FILE_FOLDERS:
        (out_dir / sub).mkdir(exist_ok=True)
    executor = executor or LocalExecutor(1)
    root = cache_dir or Path(tempfile.mkdtemp(prefix=".segments-", dir=out_dir.parent))
    root.mkdir(parents=True, exist_ok=True)
    # The folders of a file per report are carried over from the last datasets/ at the swap
    # (pipeline.site.carry), with only the segments' and archive's groups that changed linked.
    links = Links(out_dir, root / DATASET_LINKS if cache_dir is not None else None, dataset_unit)
    result.datasets_links = links
    light = light_reports(result.reports)
    t = time.perf_counter()
    archived = _Later()  # given to links after the segments', as they always were
    archive_rows = write_archive(
        light, sources, out_dir, root / ARCHIVE_DIR, hashes, archived, listing=listing
    )
    archive_seconds = time.perf_counter() - t
    ready()
    if result.cross is None:
        cross_stage(result, progress=lambda _: None)
    cross = result.cross
    assert cross is not None
    cross_rows = crossreport.rows(cross)
    issuer_rows = {row["issuer_id"]: row for row in cross_rows["issuers"]}
    reuse_rows: dict[str, list[dict[str, Any]]] = {}
    for row in cross_rows["reuse"]:
        reuse_rows.setdefault(row["report_id"], []).append(row)
    # The package's cache makes a file whole and renames it into place, under a name of what it
    # is made of: a zip's member read from there is taken as the kept zip recorded it.
    zip_cache = zipped.MemberCache(
        root / ZIP_MEMBERS if cache_dir is not None else None, made=root if cache_dir else None
    )

    def inputs(r: Report) -> segments.Inputs:
        fields = crossreport.report_fields(cross, r.report_id)
        issuer = issuer_part(issuer_rows.get(fields["issuer_id"]))
        return segments.Inputs(fields, issuer, tuple(reuse_rows.get(r.report_id, ())))

    salt = environment_fingerprint(codehash.fingerprint(codehash.PACKAGE), (*LIBRARIES, "pyarrow"))
    plan = segments.plan(light, root, salt, lambda r: cache_key(result.reports, r), inputs)
    if cache_dir is not None:
        # The segments of another code or corpus go before this build makes its own: kept until
        # the end, both generations of a national corpus's segments (some 20 GB each at
        # 100,000 reports) filled the disk in a build that changed their code.
        kept = [Path(f).name for seg in plan for f in (seg.folder, seg.base)]
        prune(root, [*kept, *PACKAGE_KEPT])
    result.json_documents = [
        (f"{seg.folder}/{JSON_DIR}" if cache_dir and segments.keyed(seg) else None, seg.ids)
        for seg in plan
    ]
    writer = package.PackageWriter(out_dir, root / PARQUET_BLOCKS)
    # Where analysts already work: SQLite (datasette) and a JSON document per report.
    # Its texts and full-text indexes are kept beside the segments from one build to the next.
    fulltext = root / FULLTEXT if cache_dir is not None else None
    db = DatabaseWriter(out_dir / "reports.db", database, fulltext)
    pending = Pending(db)
    # The package step's parts, for the benchmark: waiting for segments to be made, putting them
    # together, the archive, the whole files closed.
    parts = dict.fromkeys(("package_make", "package_join", "package_archive", "package_close"), 0.0)
    try:
        json_docs = JsonWriter(out_dir)
        made = [segments.is_made(seg) for seg in plan]

        def tasks() -> Iterator[segments.Task]:
            """A task per segment still to make (kept segments cost nothing to pass over: a
            one-report change makes its few), taken as the executor has room: the build puts
            the earlier segments together meanwhile."""
            for seg, done in zip(plan, made, strict=True):
                if not done:
                    reports = light[seg.start : seg.end]
                    # Read back from the per-report cache by the task itself when there is one
                    # (and only when the segment's base is not kept).
                    yield segments.Task(
                        seg.folder,
                        tuple(for_task(result.reports, r) for r in reports),
                        tuple(inputs(r) for r in reports),
                        seg.base,
                    )

        results = executor.imap(segments.make, tasks(), ahead=SEGMENT_AHEAD * executor.workers)
        try:
            # Every segment made and its texts given to reports.db first: the database process
            # then copies the texts and their indexes (at 100,000 reports some 20 s of a
            # one-report change, which waited for the package to be put together) while the
            # segments are put together here, and takes their rows after.
            t = time.perf_counter()
            for seg, done in zip(plan, made, strict=True):
                if not done:
                    next(results)
                db.add_texts(Path(seg.folder) / segments.DATABASE)
            db.copy_texts()
            parts["package_make"] = time.perf_counter() - t
        finally:
            results.close()
        for seg in plan:
            t = time.perf_counter()
            writer.add_segment(
                seg.ids[0],
                seg.ids[-1],
                lambda name, seg=seg: segments.csv_path(seg, name),
                lambda name, seg=seg: segments.read_arrow(seg, name),
                segments.RESOURCES,
                lambda seg=seg: segments.counts(seg),
                Path(seg.folder).name if segments.keyed(seg) else None,
            )
            db.add_segment(Path(seg.folder) / segments.DATABASE)
            files = [
                (src, dest[len(f"{out_dir}/") :]) for src, dest in segments.files_of(seg, out_dir)
            ]
            found = {rel: src for src, rel in files}
            for rid in seg.ids:
                json_docs.add_written(rid, found.get(f"{JSON_DIR}/{rid}.json"))
            key = seg.folder if cache_dir is not None and segments.keyed(seg) else None
            links.add(key, files)
            parts["package_join"] += time.perf_counter() - t
        db.segments_done()
        t = time.perf_counter()
        archived.give(links)
        db.add("archive", writer.add_archive(archive_rows))
        parts["package_archive"] = time.perf_counter() - t + archive_seconds
        t = time.perf_counter()
        for name in ("issuers", "reuse", "series"):
            db.add(name, writer.add_rows(name, cross_rows[name]))
        writer.close()
        placed = links.files()
        parts["package_close"] = time.perf_counter() - t
        parts["package_csv"] = writer.csv_seconds  # in its thread, beside the rest
        result.timings.update(parts)

        json_docs.write_schema()  # here: the pages' downloads link it before the zips are done
        zips = functools.partial(write_zips, out_dir, json_docs, zip_cache, placed, cache_dir)
        deferred = defer_database and cache_dir is not None
        if deferred:
            # The zips (reading and writing files, mostly) are written beside the pages, as
            # the database process finishes its indexes.
            pending.zips = Beside(zips, "zips", early_zips)
        else:
            zips()
        report = {
            "reports_published": len(result.reports),
            "problems": [
                asdict(p)
                for p in sorted(result.problems, key=lambda p: (p.source_file, p.stage, p.message))
            ],
        }
        (out_dir / "build_report.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        (out_dir / "README.md").write_text(DATASETS_README, encoding="utf-8")
        if deferred:
            db.finish()
        else:
            db.close()
            _database_timings(result, db)
    except BaseException:
        pending.abort()
        raise
    finally:
        if cache_dir is None:
            shutil.rmtree(root, ignore_errors=True)
    return None if db.done else pending


class _Later:
    """Groups of files for ``Links.add``, kept to be given later, in the order they came."""

    def __init__(self) -> None:
        self.groups: list[tuple[str | None, Any]] = []

    def add(self, key: str | None, pairs: Any) -> None:
        self.groups.append((key, pairs))

    def give(self, links: Links) -> None:
        for key, pairs in self.groups:
            links.add(key, pairs)


def _database_timings(result: BuildResult, db: DatabaseWriter) -> str:
    """The database's own timings into ``result.timings`` (``database_texts``, ``_merge``,
    ``_copy``, ``_rows``, ``_rows_copy``, ``_hash``), and what it did with its stores (full
    text, rows), said in words."""
    summary = db.summary or {}
    result.timings.update(summary.get("timings", {}))
    t = result.timings
    store = (
        f"full-text store kept, {summary.get('changed', 0)} texts changed"
        if summary.get("kept")
        else "full-text store made from nothing"
    )
    rows = summary.get("rows") or {}
    return (
        f"{store}: texts {t.get('database_texts', 0):.1f}s, merged "
        f"{t.get('database_merge', 0):.1f}s, copied {t.get('database_copy', 0):.1f}s; "
        f"row store {'kept' if rows.get('kept') else 'made from nothing'}, "
        f"{rows.get('added', 0)} segments added in {t.get('database_rows', 0):.1f}s, "
        f"rows copied {t.get('database_rows_copy', 0):.1f}s"
    )


def write_zips(
    out_dir: Path,
    json_docs: JsonWriter,
    zip_cache: zipped.MemberCache,
    placed: dict[str, str],
    cache_dir: Path | None,
) -> list[tuple[str, str]]:
    """``report-json.zip`` and ``corpus.zip`` (``placed``: the files still to be linked into
    ``out_dir``, read from where they are kept), then the compressed members no zip used and
    what stopped tasks left pruned from the package's cache (its segment folders were pruned
    to the build's plan before any was made); returns each zip's path and SHA-256 (hashed here
    for the datasets page, as ``reports.db`` is in its process). Run beside the pages (``Beside``), in a process
    forked before the build loaded its reports (``executor.Early``)."""
    json_docs.close(zip_cache)
    write_corpus_zip(out_dir, out_dir / "corpus.zip", zip_cache, placed)
    if cache_dir is not None:
        zip_cache.prune()
        for tmp in cache_dir.glob(".*.tmp"):  # left by a task stopped part-way
            shutil.rmtree(tmp, ignore_errors=True)
    names = ("report-json.zip", "corpus.zip")
    return [(str(out_dir / n), package.sha256_file(out_dir / n)) for n in names]


DATASET_FOLDERS = ("archive", *segments.FILE_FOLDERS)
"""The folders of ``datasets/`` with a file per report or source: carried over from the last
``datasets/`` at the swap (``pipeline.site.carry``), as the site's big folders are."""

DATASET_LINKS = "datasets-links.json"
"""In the package's cache: the groups of files the last ``datasets/`` holds in those folders."""


def dataset_unit(rel: str) -> str | None:
    """The carried folder of ``datasets/`` holding the path ``rel`` (None: not carried)."""
    top, _, rest = rel.partition("/")
    return top if top in DATASET_FOLDERS and rest else None


PARQUET_BLOCKS = "parquet-blocks"
"""In the package's cache: the per-report resources' Parquet a block of segments at a time
(``package.PackageWriter``), joined into each build's files."""

ARCHIVE_DIR = "archive"
"""In the package's cache: every archived source, by its SHA-256, linked into each build's
``datasets/archive/``."""

PACKAGE_KEPT = (ZIP_MEMBERS, ARCHIVE_DIR, DATASET_LINKS, FULLTEXT, ROWS, PARQUET_BLOCKS)
"""What the package's cache keeps besides the segment folders of the build's plan."""


def write_archive(
    light: Sequence[Report],
    sources: Mapping[str, bytes] | Path,
    out_dir: Path,
    store: Path,
    hashes: Path | None = None,
    links: Links | _Later | None = None,
    listing: Listing | None = None,
) -> list[dict[str, Any]]:
    """Archive every source's bytes, published or not (nothing brought is ever lost), into
    ``out_dir/archive/``; returns the ``archive`` rows.

    Each file is kept in ``store`` under its SHA-256 and linked from there. A source whose size,
    modification time and inode are those ``hashes`` recorded when this build began
    (``input_fingerprint``) is not read again: its recorded hash names its kept file, which is
    linked when it has the source's size. Any other source is read, hashed, and written to the
    store (a kept file of the wrong size is replaced, never written into: it may be linked
    from a published archive).
    Files of the store this build did not archive are removed. With ``links``, the archive's
    files are given to it, a group per folder (``archive/<first two characters>/``) named by
    the files it holds (named by their content) and their inodes, to be placed at the swap."""
    published = {r.archived.sha256 for r in light}
    meta_by_sha = {r.archived.sha256: (r.archived.encoding, r.archived.media_type) for r in light}
    duplicate_names = {d for r in light for d in r.duplicates}
    known: dict[str, tuple[str, int]] = {}
    if isinstance(sources, Path):
        folder = sources
        names = []
        recorded = recorded_hashes(hashes)
        listing = listing if listing is not None else list_sources(folder)
        for name, st in listing.files.items():
            if st.st_size > MAX_BYTES:
                continue
            names.append(name)
            old = recorded.get(name)
            if old and old[:3] == stamp(st):
                known[name] = (old[3], st.st_size)
        names.sort()
        read = lambda name: (folder / name).read_bytes()  # noqa: E731
    else:
        names = sorted(sources)
        read = sources.__getitem__
    names_by_sha: dict[str, list[str]] = {}
    first: dict[str, tuple[int, str | None]] = {}
    files: list[tuple[Path, bytes]] = []
    pairs: list[tuple[str, str]] = []

    def flush() -> None:
        write_files(files)
        files.clear()

    # The kept files' sizes and inodes, each looked up once (at 100,000 sources every call
    # counts): a kept file whose size is right is linked, and its inode names its folder's group.
    inode_of: dict[str, int] = {}

    def have(path: str) -> int:
        """The size of the kept file at ``path`` (-1: none), its inode remembered."""
        try:
            st = os.stat(path)
        except OSError:
            return -1
        inode_of[path] = st.st_ino
        return st.st_size

    for name in names:
        data: bytes | None = None
        sha, size = known.get(name, ("", -1))
        kept = f"{store}/{sha[:2]}/{sha}"
        if not sha or have(kept) != size:
            data = read(name)
            sha, size = hashlib.sha256(data).hexdigest(), len(data)
            kept = f"{store}/{sha[:2]}/{sha}"
        names_by_sha.setdefault(sha, []).append(name)
        if sha in first:
            continue
        found = have(kept) if data is not None else size
        if found != size:
            inode_of.pop(kept, None)  # a new file
            if found >= 0:  # not whole: replaced, never written into (it may be linked)
                tmp = Path(f"{store}/{sha[:2]}/.{sha}.{os.getpid()}.tmp")
                tmp.write_bytes(data)  # type: ignore[arg-type]
                tmp.replace(kept)
            else:  # absent (one cut short by a stopped build has the wrong size: above)
                files.append((Path(kept), data))  # type: ignore[arg-type]
            if len(files) >= 200:
                flush()
        pairs.append((kept, f"{out_dir}/archive/{sha[:2]}/{sha}"))
        media = None
        if sha not in meta_by_sha:
            media = readers.media_type_of(name, read(name) if data is None else data)
        first[sha] = (size, media)
    flush()
    if links is None:
        link_files(pairs)
    else:
        buckets: dict[str, list[tuple[str, str]]] = {}
        for src, dest in pairs:
            rel = dest[len(f"{out_dir}/") :]
            buckets.setdefault(rel.split("/")[1], []).append((src, rel))
        for bucket, group in sorted(buckets.items()):
            # Named by their content, and by the kept files' inodes: a kept file found damaged
            # is replaced by a new file, which the published archive must link again.
            h = hashlib.sha256()
            for src, rel in sorted(group, key=lambda pair: pair[1]):
                ino = inode_of.get(src) or os.stat(src).st_ino
                h.update(f"{rel}\0{ino}\n".encode())
            links.add(f"archive/{bucket}:{h.hexdigest()[:32]}", group)
    if store.is_dir():  # what no build archives any more
        for sub in os.scandir(store):
            if sub.is_dir():
                for entry in os.scandir(sub.path):
                    if entry.name not in first:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(entry.path)
    rows = []
    for sha, same in sorted(names_by_sha.items()):
        size, guessed = first[sha]
        encoding, media = meta_by_sha.get(
            sha,
            (
                None,
                guessed
                or ("text/html" if same[0].lower().endswith(HTML_SUFFIXES) else "text/plain"),
            ),
        )
        if sha in published:
            status = "published"
        elif any(n in duplicate_names for n in same):
            status = "duplicate"
        else:
            status = "skipped"
        rows.append(
            {
                "sha256": sha,
                "path": f"archive/{sha[:2]}/{sha}",
                "bytes": size,
                "encoding": encoding or None,
                "media_type": media,
                "original_names": "|".join(same),
                "status": status,
            }
        )
    return rows


DATASETS_README = """# datasets/

Generated by `invoke build` from `source_reports/`; do not edit by hand. `datapackage.json`
describes every table (Frictionless Data Package v1). The site's datasets page documents each
field in Chinese and English.
"""


def swap_in(new: Path, final: Path, fill: Callable[[Path, Path | None], Any] | None = None) -> None:
    """Replace ``final`` by ``new`` with two renames, so a failed build never leaves half a
    folder. The replaced folder is renamed aside and removed in the background
    (``remove_later``): a national site is some 100,000 files, 10-15 s to unlink. ``fill``,
    called between the renames with ``new`` and the replaced folder (None if there was none),
    may move what it keeps of the replaced folder into the new one (``carry.Links.place``)."""
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    trash = None
    if final.exists():
        trash = final.with_name(f"{TRASH_PREFIX}{final.name}.{os.getpid()}.{time.time_ns()}")
        final.rename(trash)
    if fill is not None:
        fill(new, trash)
    new.rename(final)
    if trash is not None:
        remove_later(trash)


TRASH_PREFIX = ".replaced-"
"""Folders a build replaced, waiting to be removed (``remove_later``)."""


def remove_later(path: Path) -> None:
    """Remove ``path`` in a process of its own that outlives this one (forked twice, so that it
    is nobody's child to wait for); where there is no ``fork``, now. A folder left by a
    removal that was cut short is removed by the next build (``remove_replaced``)."""
    if not hasattr(os, "fork"):
        shutil.rmtree(path, ignore_errors=True)
        return
    pid = os.fork()
    if pid == 0:  # the child: start the remover and leave at once
        try:
            if os.fork() == 0:
                os.setsid()
                shutil.rmtree(path, ignore_errors=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def remove_replaced(folder: Path) -> None:
    """Remove, in the background, what earlier builds replaced in ``folder`` and did not finish
    removing."""
    for p in sorted(folder.glob(TRASH_PREFIX + "*")) if folder.is_dir() else []:
        remove_later(p)


def write_corpus_zip(
    datasets_dir: Path,
    dest: Path,
    cache: zipped.MemberCache | None = None,
    sources: Mapping[str, str] | None = None,
) -> None:
    """Every original and cleaned text in one zip with fixed timestamps (reproducible bytes).
    ``sources``: the files not yet in ``datasets_dir`` (placed at its swap), by their paths
    there."""
    found = dict(sources or {})
    for sub in ("archive", "texts"):
        for p in (datasets_dir / sub).rglob("*"):
            if p.is_file():
                found.setdefault(p.relative_to(datasets_dir).as_posix(), str(p))
    # Paths in a file tree's order (a folder's files before a longer name's: "a/b" < "a-c"),
    # as strings: 41,500 paths at 10,000 reports, which as Path objects cost 0.8 s.
    members: list[tuple[str, Path | str]] = [
        (rel, found[rel])
        for rel in sorted(found, key=lambda rel: rel.split("/"))
        if rel.startswith(("archive/", "texts/"))
    ]
    members += [(n, datasets_dir / n) for n in ("datapackage.json", "archive.csv")]
    zipped.write_zip(dest, members, cache)


def sources_record(cache_dir: Path | None) -> Path | None:
    """Where ``input_fingerprint`` records the sources' hashes: beside the per-report cache."""
    return cache_dir.with_name(cache_dir.name + "-sources.json") if cache_dir else None


def recorded_hashes(hashes: Path | None) -> dict[str, list]:
    """The sources' hashes ``input_fingerprint`` recorded in ``hashes``: ``name: [size,
    mtime_ns, inode, sha256]`` (empty when there is no record or it cannot be read)."""
    if hashes is None:
        return {}
    try:
        key = (str(hashes), *stamp(os.stat(hashes)))
    except OSError:
        return {}
    if _RECORDED[0] != key:  # read once a build (three steps look), not once a step
        with contextlib.suppress(ValueError, OSError):
            _RECORDED[:] = [key, json.loads(hashes.read_text(encoding="utf-8"))]
            return _RECORDED[1]
        return {}
    return _RECORDED[1]


_RECORDED: list[Any] = [None, {}]
"""The last record ``recorded_hashes`` read, with the stamp of its file then (callers only read
what it returns)."""


def input_fingerprint(
    source_dir: Path,
    docs_dir: Path,
    with_site: bool,
    hashes: Path | None = None,
    listing: Listing | None = None,
) -> str:
    """Everything a build's output depends on: the sources, the code, the versions of Python and
    the libraries, and the site's setup.

    With ``hashes`` (a file beside the cache), a source whose size, modification time and inode
    are those recorded there is not read again: its recorded hash is used, so that a no-change
    build of a national corpus does not read every source."""
    libraries = LIBRARIES + SITE_LIBRARIES if with_site else LIBRARIES
    h = hashlib.sha256(environment_fingerprint(codehash.whole(), libraries).encode())
    h.update(b"site" if with_site else b"data")
    listing = listing or list_sources(source_dir)
    known = recorded_hashes(hashes)
    seen: dict[str, list] = {}
    for name, st in [*listing.files.items(), *listing.sidecars.items()]:
        now = stamp(st)
        old = known.get(name)
        if old and old[:3] == now:
            digest = old[3]
        else:
            digest = hashlib.sha256((source_dir / name).read_bytes()).hexdigest()
        seen[name] = [*now, digest]
        h.update(f"{name}\0{st.st_size}\0".encode())
        h.update(bytes.fromhex(digest))
    if hashes is not None and seen != known:
        hashes.parent.mkdir(parents=True, exist_ok=True)
        tmp = hashes.with_name(hashes.name + ".tmp")
        tmp.write_text(json.dumps(seen, sort_keys=True), encoding="utf-8")
        tmp.replace(hashes)
        _RECORDED[:] = [(str(hashes), *stamp(os.stat(hashes))), seen]
    extra = [paths.MKDOCS_YML, *sorted((docs_dir / "assets").rglob("*"))] if with_site else []
    for p in extra:
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def build_all(
    source_dir: Path = paths.SOURCE_DIR,
    datasets_dir: Path = paths.DATASETS_DIR,
    docs_dir: Path = paths.SITE_DOCS_DIR,
    site_dir: Path = paths.SITE_DIR,
    workers: int = 0,
    cache_dir: Path | None = paths.CACHE_DIR,
    with_site: bool = True,
    progress: Progress = _say,
    scheduler: str | Any | None = None,
    wait: float = 0,
) -> BuildResult:
    """The whole build. Outputs are written beside their final place and swapped in at the end,
    so a build that fails part-way leaves the previous datasets/ and site/ untouched.

    One build at a time writes an output area: a second one waits ``wait`` seconds for the lock
    (``pipeline.lock``) and then stops, naming the first. With ``scheduler`` (a Dask scheduler's
    address, or a ``distributed.Client``) the per-report stages and the site's shards run on
    that cluster; the site's shards are cached beside ``cache_dir`` (``site_cache_for``).

    The pools' workers start as ``multiprocessing``'s ``forkserver`` starts them
    (``executor.pool_context``): each imports the caller's main module, so a script that calls
    this must do so under ``if __name__ == "__main__":`` (``invoke build`` does)."""
    young, middle, full = gc.get_threshold()
    # Full passes of the collector at most every ``FULL_PASS_EVERY`` passes of the middle
    # generation (about seven million objects kept since the last): the build keeps most of
    # what it makes to its end (``_settled``), and each full pass went through all of it that
    # a step had made so far (at 100,000 reports some 9 s of a one-report change). The young
    # passes, which free the cycles a step leaves, run as usual.
    gc.set_threshold(young, middle, max(full, FULL_PASS_EVERY))
    with BuildLock(datasets_dir.parent, wait=wait), executor_for(workers, scheduler) as executor:
        try:
            return _build_locked(
                source_dir,
                datasets_dir,
                docs_dir,
                site_dir,
                cache_dir,
                with_site,
                progress,
                executor,
            )
        finally:
            gc.unfreeze()  # what ``_settled`` left out is collected again
            gc.set_threshold(young, middle, full)


FULL_PASS_EVERY = 1000
"""During a build: passes of the collector's middle generation between two full passes
(Python's default is 10)."""


def _settled() -> None:
    """Leave the objects made so far (the reports' light copies, the cross-report tables, the
    pages' keys), which the build keeps to its end, out of the garbage collector's full passes:
    each pass visits every object the process holds, and at 100,000 reports the passes took some
    25 s of a one-report change's 120 (the build measured with the collector off). Called after
    each step (and once the light reports are read); the pools' own freezes leave it as it is
    (``executor.frozen``), and the build undoes it when it ends (``build_all``). Garbage with
    cycles made before a call is freed only then."""
    gc.freeze()


ZIPS_NICENESS = 5
"""How much lower the zips' process runs than the build (``lower_priority``). The zips are
written beside the pages and the site and are wanted only by the datasets page, the hub's last;
on two cores, at the same priority they took a third of the CPU the build's own process (the
longest path of a rebuild) needed meanwhile: a one-report change at 100,000 reports took
64.1-65.6 s, and 59.4-60.7 s with them 10 lower (the build waited 2.4-3.0 s for them and
``reports.db`` at the end). Once ``reports.db`` copied the segments' rows as soon as they were
in and the zips no longer listed their members to prune them, the zips were what the datasets
page waited for (1.6-3.1 s): 5 lower, 51.9 and 53.1 s against 55.2, 54.4 and 51.4 s at 10."""


BESIDE_NICENESS = 5
"""How much lower the processes that write the first pages and ``reports.db`` run than the
build (``lower_priority``). Both work beside the build's own process, whose steps are the
longest path of a rebuild, and both are wanted long after they could be done (the pages after
the data package, ``reports.db`` by the datasets page); at the same priority, the system
shares the two cores among four busy processes (the build, the copied text, the pages,
``reports.db``) and the build gets half of one. The copied text, which the build waits for,
keeps the build's priority."""


def lower_priority(proc: Any, by: int) -> None:
    """Lower the scheduling priority of the process ``proc`` (a ``multiprocessing`` process, or
    None) by ``by`` nice levels from its own, at most to the lowest (19): the system gives a
    process that waits on nothing less of a busy machine's CPU. Where priorities cannot be set
    (no ``os.setpriority``, or the process has ended), it runs as it is."""
    if proc is None or not by or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError, ValueError, TypeError):
        pid = proc.pid
        now = os.getpriority(os.PRIO_PROCESS, pid)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, now + by))


def site_cache_for(cache_dir: Path | None) -> Path | None:
    """Where the site's shards and index parts are cached, beside the per-report cache."""
    return cache_dir.with_name(cache_dir.name + "-site") if cache_dir else None


def _build_locked(
    source_dir: Path,
    datasets_dir: Path,
    docs_dir: Path,
    site_dir: Path,
    cache_dir: Path | None,
    with_site: bool,
    progress: Progress,
    executor: Executor,
) -> BuildResult:
    t_all = time.perf_counter()
    for folder in sorted({datasets_dir.parent, site_dir.parent}):
        remove_replaced(folder)
    # Nothing changed (same sources, code and site setup as the build that wrote the outputs):
    # stop before loading a single report; the problems are those of that build.
    hashes = sources_record(cache_dir)
    listing = list_sources(source_dir)  # the one look at the sources a build takes
    stamp = input_fingerprint(source_dir, docs_dir, with_site, hashes, listing)
    stamps = [datasets_dir / ".fingerprint"] + ([site_dir / ".fingerprint"] if with_site else [])
    previous = datasets_dir / "build_report.json"
    if previous.exists() and all(p.exists() and p.read_text() == stamp for p in stamps):
        problems = json.loads(previous.read_text(encoding="utf-8"))["problems"]
        result = BuildResult(problems=[Problem(**p) for p in problems])
        result.timings["total"] = time.perf_counter() - t_all
        progress(
            f"[done]     nothing changed since the last build; total {result.timings['total']:.1f}s"
        )
        return result
    # The processes beside the build are started before a report is loaded (``Standby``,
    # ``Early``): forked later, each would keep a stale copy of the build's memory.
    standby = None if multiprocessing.current_process().daemon else Standby()
    lower_priority(standby.proc if standby is not None else None, BESIDE_NICENESS)
    early_zips = Early("zips")
    early_copied = Early("copied text") if with_site else None
    lower_priority(early_zips.proc, ZIPS_NICENESS)
    new_data = datasets_dir.with_name(datasets_dir.name + ".new")
    writer: pages.PageWriter | None = None
    early_pages: pages.WrittenBeside | None = None
    copied: CopiedText = None
    try:
        result = run_stages(
            source_dir, executor.workers, cache_dir, progress, executor, listing=listing
        )
        _settled()
        copied = cross_begin(result, early_copied)
        _settled()
        if with_site:
            # The pages that do not show the copied text, while it is measured beside them.
            t0 = time.perf_counter()
            staged = tuple(f"downloads/{sub}" for sub in STAGED)
            clear_generated_docs(docs_dir, keep=(*pages.KEPT_FOLDERS, *staged))
            result.timings["pages_clear"] = time.perf_counter() - t0
            salt = environment_fingerprint(
                codehash.fingerprint(codehash.PAGES), LIBRARIES + SITE_LIBRARIES
            )
            # The keys' file the page writer reads (and removes): it vouches for the pages kept.
            keys_before = _stamp_or_none(docs_dir / pages.KEYS_FILE)
            writer = pages.PageWriter(
                docs_dir,
                result.reports,
                result.problems,
                new_data,
                salt,
                cross=result.cross,
                executor=executor,
                timings=result.timings,
            )
            # Written beside the copied text and the data package, in a process of their own.
            early_pages = writer.write_beside(k for k in pages.PAGE_KINDS if not k.copied_text)
            lower_priority(early_pages.proc, BESIDE_NICENESS)
            result.timings["pages_early"] = time.perf_counter() - t0

        def copied_in() -> None:
            """The copied text put in, once the archive is written."""
            nonlocal copied
            t = time.perf_counter()
            cross_end(result, copied, progress)
            copied = None
            _settled()
            result.timings["package_wait"] = time.perf_counter() - t

        t0 = time.perf_counter()
        if new_data.exists():
            shutil.rmtree(new_data)
        # With the site, reports.db finishes its full-text indexes in its own process, and the
        # zips are written in another, while the pages, the site's shards and the hub are made;
        # the datasets page (their sizes and checksums), written and built after the hub, waits
        # for them.
        pending = write_datasets(
            result,
            source_dir,
            new_data,
            executor,
            package_cache_for(cache_dir),
            hashes,
            defer_database=with_site,
            database=standby,
            early_zips=early_zips,
            listing=listing,
            ready=copied_in,
        )
    except BaseException:
        if early_pages is not None:
            early_pages.cancel()
        raise
    finally:
        if isinstance(copied, Beside):
            copied.cancel()  # the build stopped while it was measured
        if standby is not None:
            standby.stop()  # nothing once a writer took it
        early_zips.stop()  # nothing once the zips were given to it
        if early_copied is not None:
            early_copied.stop()
    _settled()
    result.timings["package"] = time.perf_counter() - t0 - result.timings.get("package_wait", 0)
    progress(
        f"[package]  datapackage.json + CSV + Parquet, {len(result.reports)} texts in "
        f"{result.timings['package']:.1f}s"
        + " (segments made {package_make:.1f}s, put together {package_join:.1f}s, archive "
        "{package_archive:.1f}s, the rest {package_close:.1f}s)".format_map(result.timings)
        + (" (reports.db still indexing, the zips being written)" if pending else "")
    )

    def write_datasets_page() -> None:
        """Once reports.db and the zips are whole: the datasets page (their sizes and
        checksums) and their downloads."""
        if pending is not None:
            t = time.perf_counter()
            pending.close()
            result.timings["database_wait"] = time.perf_counter() - t
            progress(
                f"[package]  reports.db and zips finished "
                f"({result.timings['database_wait']:.1f}s waited; "
                f"{_database_timings(result, pending.db)})"
            )
        pages.write_datasets_page(
            docs_dir, result.reports, new_data, writer.corpus if writer is not None else None
        )
        stage_late_downloads(new_data, docs_dir)

    new_site = site_dir.with_name(site_dir.name + ".new")
    try:
        if with_site:
            assert writer is not None and early_pages is not None
            t0 = time.perf_counter()
            early_pages.join()
            result.timings["pages_early_wait"] = time.perf_counter() - t0
            writer.write((k for k in pages.PAGE_KINDS if k.copied_text), defer_datasets=True)
            n = writer.finish()
            _settled()
            t = time.perf_counter()
            package_links = result.datasets_links
            placed, groups = (
                (package_links.files(), package_links.keys()) if package_links else ({}, {})
            )
            staging = stage_downloads(
                light_reports(result.reports),
                new_data,
                docs_dir,
                late=False,
                sources=placed,
                groups=groups,
            )
            result.timings["pages_downloads"] = time.perf_counter() - t
            early = result.timings["pages_early"]
            result.timings["pages"] = time.perf_counter() - t0 + early
            progress(
                f"[pages]    {n} pages written to {docs_dir.name}/ in {result.timings['pages']:.1f}s "
                f"(and {result.timings.get('pages_beside', 0):.1f}s beside the copied text and "
                f"the data package, {result.timings['pages_early_wait']:.1f}s waited for; "
                f"downloads staged in {result.timings['pages_downloads']:.1f}s)"
            )

            keys = writer.site.keys
            previous = writer.site.previous
            keys_after = _stamp_or_none(docs_dir / pages.KEYS_FILE)
            vouched = Vouched(
                keys_before,
                keys_after,
                frozenset(rel for rel, key in keys.items() if previous.get(rel) == key),
            )
            changes = {
                **staging.changes,
                **report_csv_changes(docs_dir, site_dir, writer.site, keys_before, keys_after),
            }
            if new_site.exists():
                shutil.rmtree(new_site)
            named: dict[str, issuer_names.Named] = {}

            def meanwhile(links: Links) -> None:
                """While the hub is built and Pagefind writes the last index parts: the
                reports' JSON linked, the issuers' names found (listed once the parts are in)."""
                publish_json(new_data, docs_dir, new_site, result.json_documents, links, placed)
                if result.cross is not None:
                    named["names"] = issuer_names.made(new_site, result.cross.issuers)

            result.site = build_site(
                docs_dir,
                new_site,
                site_cache_for(cache_dir),
                executor,
                progress,
                hub_pages=(write_datasets_page, ("datasets.md",)),
                changes=changes,
                vouched=vouched,
                meanwhile=meanwhile,
            )
            result.timings.update(result.site.timings)
            if result.cross is not None:
                issuer_names.publish(new_site, result.cross.issuers, named.get("names"))
    finally:
        if early_pages is not None:
            early_pages.cancel()  # nothing once joined
        if pending is not None:
            pending.abort()  # does nothing once closed: a build stopped before leaves no file

    if with_site:
        # The site first: the files it places at the swap may come from the new datasets/.
        (new_site / ".fingerprint").write_text(stamp)
        links = result.site.links if result.site else None
        t0 = time.perf_counter()
        swap_in(new_site, site_dir, links.place if links else None)
        result.timings["swap"] = time.perf_counter() - t0
        _say_placed(progress, "site", links, result.timings["swap"])
    (new_data / ".fingerprint").write_text(stamp)
    t0 = time.perf_counter()
    data_links = result.datasets_links
    swap_in(new_data, datasets_dir, data_links.place if data_links else None)
    seconds = time.perf_counter() - t0
    result.timings["swap"] = result.timings.get("swap", 0) + seconds
    _say_placed(progress, "datasets/", data_links, seconds)
    result.timings["total"] = time.perf_counter() - t_all
    errors = sum(p.severity == "error" for p in result.problems)
    progress(
        f"[done]     {len(result.reports)} reports published, {errors} files skipped, "
        f"{len(result.problems) - errors} warnings; total {result.timings['total']:.1f}s"
    )
    if cache_dir is not None:
        removed = prune_stage_results(cache_dir)
        if removed:
            progress(f"[cache]    per-report results of {removed} other code versions removed")
    return result


def prune_stage_results(cache_dir: Path) -> int:
    """Remove the per-report results of other versions of the code and libraries
    (``Cache``: a folder per environment fingerprint in ``cache_dir``), once a build of this
    version has published: no build reads them again unless the code goes back, and at 100,000
    reports each version's are some 4 GB. Returns how many versions' folders were removed."""
    current = Cache(cache_dir, codehash.fingerprint(codehash.STAGES)).root.name
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(cache_dir):
            name = entry.name
            if (
                name != current
                and len(name) == len(current)
                and all(c in "0123456789abcdef" for c in name)
                and entry.is_dir(follow_symlinks=False)
            ):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed += 1
    return removed


REPORT_CSVS = "downloads/reports"
"""The page writer's folder of report CSVs (one of ``carry.SYNCED``)."""


def report_csv_changes(
    docs_dir: Path,
    site_dir: Path,
    site: pages.Site,
    before: list[int] | None,
    after: list[int] | None,
) -> dict[str, Changes]:
    """What the page writer changed in the report CSVs' folder since the state the keys' file
    it read describes (``before``; the state it leaves, ``after``: the stamps of the two keys'
    files; without a keys' file before, what changed is not known): the CSVs it wrote (their key
    new or changed), and the names the live site's copy and the docs folder do not share (gone,
    or new). ``Links.place`` uses it only when the last site's copy was made from the state
    ``before`` and is untouched since; a CSV the writer kept under its key is the file the last
    build wrote, which the site links already."""
    if after is None or not site.salt:
        return {}
    folder, prefix = docs_dir / REPORT_CSVS, f"{REPORT_CSVS}/"
    names = {
        rel[len(prefix) :]
        for rel, key in site.keys.items()
        if rel.startswith(prefix) and site.previous.get(rel) != key
    }
    listed = []
    for where in (folder, site_dir / REPORT_CSVS):
        try:
            listed.append(set(os.listdir(where)))
        except FileNotFoundError:
            listed.append(set())
    names |= listed[0] ^ listed[1]
    since, now = json.dumps(before) if before else "", json.dumps(after)
    return {REPORT_CSVS: Changes(str(folder), since, now, frozenset(names))}


def _stamp_or_none(path: Path) -> list[int] | None:
    """``fileio.stamp`` of ``path``, or None when there is no such file."""
    try:
        return stamp(os.stat(path))
    except FileNotFoundError:
        return None


def _say_placed(progress: Progress, what: str, links: Links | None, seconds: float) -> None:
    """What the swap of ``what`` carried over and linked (``Links.place``)."""
    if links is not None and links.placed:
        placed = links.placed
        progress(
            f"[swap]     {placed['carried']} folders of the last {what} carried over, "
            f"{placed['unlinked']} files unlinked, {placed['linked']} linked in {seconds:.1f}s"
        )


def clean_outputs() -> None:
    """Remove everything ``build_all`` generates (the committed site assets stay)."""
    for p in (
        paths.SITE_DIR,
        paths.CACHE_DIR,
        site_cache_for(paths.CACHE_DIR),
        package_cache_for(paths.CACHE_DIR),
    ):
        if p.exists():
            shutil.rmtree(p)
    sources_record(paths.CACHE_DIR).unlink(missing_ok=True)
    for base in (paths.SITE_DIR, paths.DATASETS_DIR):
        for suffix in (".new", ".old"):
            q = base.with_name(base.name + suffix)
            if q.exists():
                shutil.rmtree(q)
        for q in base.parent.glob(f"{TRASH_PREFIX}{base.name}.*"):
            shutil.rmtree(q, ignore_errors=True)
    if paths.DATASETS_DIR.exists():
        for p in paths.DATASETS_DIR.iterdir():
            if p.name != "README.md":
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    clear_generated_docs(paths.SITE_DOCS_DIR)


# --------------------------------------------------------------------------- site helpers
