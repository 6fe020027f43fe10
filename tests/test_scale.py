"""Scale properties: output identical whatever the number of workers or shards; a per-report
cache; a site rebuilt only where it changed; pages bounded whatever the corpus."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from pipeline import fileio
from pipeline.pages.browse import PAGE_ITEMS
from pipeline.site import search_index
from pipeline.site.search_index import js_order
from tests.conftest import build_into, copy_docs_assets
from tests.tools.synth import generate, generate_one


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("synth") / "src"
    generate(48, src, seed=7)
    return src


def _build(src: Path, out: Path, workers: int, cache: Path | None = None):
    return build_into(src, out, workers=workers, cache=cache)


def test_serial_and_parallel_builds_are_byte_identical(corpus, tmp_path):
    serial = _build(corpus, tmp_path / "serial", workers=1)
    parallel = _build(corpus, tmp_path / "parallel", workers=2)
    assert len(serial.reports) == len(parallel.reports) == 48
    a, b = _tree(tmp_path / "serial" / "datasets"), _tree(tmp_path / "parallel" / "datasets")
    assert a == b
    assert len(a) > 48 * 2


def test_cache_reuses_unchanged_reports_and_recomputes_a_changed_one(corpus, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for p in sorted(corpus.iterdir())[:12]:
        (src / p.name).write_bytes(p.read_bytes())
    cache = tmp_path / "cache"
    first = _build(src, tmp_path / "out", workers=1, cache=cache)
    assert first.cache_hits == 0
    before = _tree(tmp_path / "out" / "datasets")
    again = _build(src, tmp_path / "out", workers=1, cache=cache)
    assert (
        "total" in again.timings and "package" not in again.timings
    )  # nothing changed: nothing rewritten
    assert _tree(tmp_path / "out" / "datasets") == before
    _, data = generate_one(999, 3)
    changed = sorted(src.iterdir())[0]
    changed.write_bytes(data)
    third = _build(src, tmp_path / "out", workers=1, cache=cache)
    assert third.cache_hits == 11
    assert _tree(tmp_path / "out" / "datasets") != before
    # A cached build and an uncached one agree byte for byte.
    fresh = _build(src, tmp_path / "fresh", workers=2, cache=None)
    assert len(fresh.reports) == len(third.reports)
    assert _tree(tmp_path / "out" / "datasets") == _tree(tmp_path / "fresh" / "datasets")


def test_one_changed_report_remakes_only_the_package_segments_it_touches(
    corpus, tmp_path, monkeypatch
):
    """The data package is put together from segments of reports kept between builds: a
    change remakes exactly the segments holding a report whose files changed (the report, and
    those whose issuer or copied-text rows it moved), and the package equals one built from
    nothing."""
    import pipeline.package
    import pipeline.segments
    from pipeline.build import PACKAGE_KEPT, PARQUET_BLOCKS
    from pipeline.segments import BASE_PREFIX

    monkeypatch.setattr(pipeline.segments, "SEGMENT", 4)
    monkeypatch.setattr(pipeline.segments, "MAX_SEGMENT", 8)
    monkeypatch.setattr(pipeline.package, "BLOCK", 2)
    monkeypatch.setattr(pipeline.package, "MAX_BLOCK", 3)
    src = tmp_path / "src"
    shutil.copytree(corpus, src)
    cache = tmp_path / "cache"
    kept = cache.with_name("cache-package")
    build_into(src, tmp_path / "out", workers=2, cache=cache)

    def reports_in(segment: str) -> set[str]:
        return {p.name.removesuffix(".json") for p in (kept / segment / "json").iterdir()}

    def segments_of(bases: bool = False) -> set[str]:
        names = {p.name for p in kept.iterdir()} - set(PACKAGE_KEPT)
        return {n for n in names if n.startswith(BASE_PREFIX) == bases}

    def blocks_of(segments: set[str]) -> list[list[str]]:
        """The package's blocks of segments (folder names), in order."""
        by_first = sorted((min(reports_in(s)), max(reports_in(s)), s) for s in segments)
        out: list[list[str]] = [[]]
        for _, last, s in by_first:
            out[-1].append(s)
            if pipeline.package.ends_block(last) or len(out[-1]) >= pipeline.package.MAX_BLOCK:
                out.append([])
        return [b for b in out if b]

    def kept_parquet(joined: bool) -> set[str]:
        """The blocks' folders, or the joined files kept beside them."""
        names = os.listdir(kept / PARQUET_BLOCKS)
        return {n for n in names if n.startswith("joined-") == joined}

    first = segments_of()
    first_blocks = kept_parquet(joined=False)
    first_joined = kept_parquet(joined=True)
    assert len(blocks_of(first)) == len(first_blocks) > 3
    first_bases = segments_of(bases=True)
    before = _tree(tmp_path / "out" / "datasets")
    ids = sorted(
        k.removeprefix("json/").removesuffix(".json") for k in before if k.startswith("json/")
    )
    assert len(ids) == 48 and len(first) == len(pipeline.segments.bounds(ids)) > 8
    # One report's text changes, and another is given (by a sidecar) the issuer of a body with
    # other reports: both issuers' rows change, and with them every document of their reports.
    _, data = generate_one(999, 3)
    sources = sorted(src.iterdir())
    sources[5].write_bytes(data)
    with (tmp_path / "out" / "datasets" / "reports.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    counts = Counter(r["issuer_id"] for r in rows)
    moved = next(r for r in rows if r["source_file"] == sources[30].name)
    to = next(
        r for r in rows if counts[r["issuer_id"]] > 1 and r["issuer_id"] != moved["issuer_id"]
    )
    checks_before = _checks_of(tmp_path / "out")
    sidecar = sources[30].with_name(sources[30].name + ".meta.yml")
    sidecar.write_text(f"issuer: {to['issuer']}\n", encoding="utf-8")
    joins = []
    join = pipeline.package.parquetjoin.join
    monkeypatch.setattr(
        pipeline.package.parquetjoin, "join", lambda *a, **k: joins.append(a[1]) or join(*a, **k)
    )
    build_into(src, tmp_path / "out", workers=2, cache=cache)
    after = _tree(tmp_path / "out" / "datasets")
    now = segments_of()
    assert len(now) == len(first)  # the cache keeps what the last build used
    made = now - first

    changed = {
        Path(k).name.split(".")[0]
        for k in before.keys() | after.keys()
        if k.startswith(("json/", "texts/", "markdown/")) and before.get(k) != after.get(k)
    }
    assert len(changed) > 3 and 2 <= len(made) < len(now)
    assert changed <= set().union(*(reports_in(s) for s in made))
    assert all(reports_in(s) & changed for s in made)
    # The Parquet of the per-report resources is kept a block of segments at a time: the
    # blocks holding a remade segment are made again, the others are kept (and only what the
    # last build used is).
    blocks = blocks_of(now)
    now_blocks = kept_parquet(joined=False)
    touched = [b for b in blocks if set(b) & made]
    assert len(blocks) == len(now_blocks) == len(first_blocks)
    assert len(now_blocks - first_blocks) == len(touched) < len(blocks)
    # Each Parquet file of those resources (whole, and each year's) is the join of its blocks'
    # files, kept by their names: only the files with a block made again are joined again.
    now_joined = kept_parquet(joined=True)
    published = [
        k
        for k in after
        if k.endswith(".parquet")
        and k.removeprefix("parquet/").split("/")[0].split(".")[0] in pipeline.package.PER_REPORT
    ]
    assert len(now_joined) == len(first_joined) == len(published) > 6
    assert 1 <= len(joins) == len(now_joined - first_joined) < len(published)
    # The base of a segment (what its reports alone give) is made again only where a report's
    # own outputs changed (or a report came or went), not where reports only had their issuer
    # or copied-text fields moved.
    bases = segments_of(bases=True)
    assert len(bases) == len(first_bases) == len(first)
    made_bases = bases - first_bases
    assert 1 <= len(made_bases) < len(made)
    own = {
        Path(k).name.split(".")[0]
        for k in before.keys() | after.keys()
        if k.startswith(("texts/", "markdown/")) and before.get(k) != after.get(k)
    } | {moved["report_id"]}  # its text is the same, its metadata not
    # … and the reports whose checks across years changed (those of the issuer it joined).
    checks_after = _checks_of(tmp_path / "out")
    own |= {
        rid
        for rid in checks_before.keys() | checks_after
        if checks_before.get(rid) != checks_after.get(rid)
    }
    assert all(
        {p.name.split(".")[0] for p in (kept / b / "texts").iterdir()} & own for b in made_bases
    )
    # The tables and the database, put together from kept and remade segments, are those of a
    # build from nothing.
    build_into(src, tmp_path / "fresh", workers=1)
    assert _tree(tmp_path / "fresh" / "datasets") == after
    assert before["reports.db"] != after["reports.db"]


def test_the_archive_is_kept_between_builds_and_a_damaged_kept_file_is_written_again(
    corpus, tmp_path
):
    """Archived sources are kept by their hash and linked into each build's archive; a source
    not changed since it was hashed is not read again, unless its kept file is not whole."""
    from pipeline.build import ARCHIVE_DIR

    src = tmp_path / "src"
    src.mkdir()
    for p in sorted(corpus.iterdir())[:6]:
        (src / p.name).write_bytes(p.read_bytes())
    cache = tmp_path / "cache"
    build_into(src, tmp_path / "out", workers=1, cache=cache)
    store = cache.with_name("cache-package") / ARCHIVE_DIR
    archive = tmp_path / "out" / "datasets" / "archive"
    published = sorted(p for p in archive.rglob("*") if p.is_file())
    assert len(published) == 6
    assert all(p.samefile(store / p.parent.name / p.name) for p in published)
    # A kept file cut short, in place (the published file is the same file), and another
    # source changed so that the build runs.
    victim = published[0]
    whole = victim.read_bytes()
    victim.write_bytes(whole[:10])
    changed = next(p for p in sorted(src.iterdir()) if _sha(p) != victim.name)
    old_sha = _sha(changed)
    _, data = generate_one(999, 3)
    changed.write_bytes(data)
    build_into(src, tmp_path / "out", workers=1, cache=cache)
    assert (archive / victim.parent.name / victim.name).read_bytes() == whole
    kept = {p.name for p in store.rglob("*") if p.is_file()}
    assert kept == {p.name for p in archive.rglob("*") if p.is_file()}
    assert _sha(changed) in kept and old_sha not in kept
    build_into(src, tmp_path / "fresh", workers=1)
    assert _tree(tmp_path / "fresh" / "datasets") == _tree(tmp_path / "out" / "datasets")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checks_of(out: Path) -> dict[str, list[list[str]]]:
    """Each report's rows of ``checks``."""
    by_id: dict[str, list[list[str]]] = {}
    with (out / "datasets" / "checks.csv").open(encoding="utf-8") as f:
        for row in csv.reader(f):
            by_id.setdefault(row[0], []).append(row)
    return by_id


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of a few pages and index parts of a few shards, so a small corpus has many."""
    import pipeline.site.search_index
    import pipeline.site.shards

    monkeypatch.setattr(pipeline.site.shards, "SHARD_PAGES", 4)
    monkeypatch.setattr(pipeline.site.search_index, "INDEX_PAGES", 12)


def _site_pages(site: Path) -> dict[str, str]:
    """What MkDocs made: not the search index, nor the JSON documents linked in from datasets/."""
    return {
        k: v
        for k, v in _tree(site).items()
        if not k.startswith("pagefind/")
        and k[0] != "."
        and not (k.startswith("reports/") and k.endswith(".json"))
    }


def test_sharded_site_build_is_byte_identical_to_one_process(corpus, tmp_path, small_shards):
    from pipeline.site import single_build

    docs = tmp_path / "docs"
    copy_docs_assets(docs)
    result = build_into(corpus, tmp_path, with_site=True, workers=2)
    assert result.site is not None and result.site.shards > 8 and result.site.indexes == 4
    single_build(docs, tmp_path / "one")
    one, sharded = _tree(tmp_path / "one"), _site_pages(tmp_path / "site")
    assert len([k for k in one if k.startswith("reports/")]) > 48
    assert one == sharded
    # Every index part is listed for the search page, and each has its own entry and metadata;
    # the bundle the search page loads is a stub index of one page, in no part.
    root = tmp_path / "site" / "pagefind"
    listing = json.loads((root / "parts.json").read_text())
    assert listing["parts"] == ["part-0/", "part-1/", "part-2/", "part-3/"]
    for part in ["", *listing["parts"]]:
        assert (root / part / "pagefind-entry.json").is_file()
        assert list((root / part).glob("*.pf_meta"))
    entry = json.loads((root / "pagefind-entry.json").read_text())
    assert [v["page_count"] for v in entry["languages"].values()] == [1]
    # The filters shown are the site's: each value's pages over all parts.
    years = Counter(str(r.metadata.year) for r in result.reports if r.metadata.year)
    assert listing["filters"]["年度"] == dict(sorted(years.items()))
    assert "part" not in listing["filters"]
    # Each part's pages, as its own index counts them.
    per_part = [
        sum(
            v["page_count"]
            for v in json.loads((root / part / "pagefind-entry.json").read_text())[
                "languages"
            ].values()
        )
        for part in listing["parts"]
    ]
    assert listing["pages"] == per_part and sum(per_part) == len(result.reports)
    assert listing["sample"] == {
        "over": search_index.SAMPLE_OVER,
        "until": search_index.SAMPLE_UNTIL,
    }
    # The word directory says which parts hold each word and on how many of their pages, as
    # the parts' own indexes do.
    masks, counts = {}, {}
    for first, last, name in listing["words"]:
        lines = gzip.decompress((root / "words" / name).read_bytes()).decode().splitlines()
        got = {w: (m, c) for w, m, c in (line.split("\t") for line in lines)}
        assert min(got, key=js_order) == first and max(got, key=js_order) == last
        masks.update({w: int(m, 16) for w, (m, _) in got.items()})
        counts.update({w: [int(n) for n in c.split(",")] for w, (_, c) in got.items()})
    for g, part in enumerate(listing["parts"]):
        held = search_index.part_summary(root / part)["words"]
        assert held and {w for w, m in masks.items() if m >> g & 1} == set(held)
        for w, n in held.items():
            below = bin(masks[w] & ((1 << g) - 1)).count("1")
            assert counts[w][below] == n, (w, g)
        # Every report page names its issuer under the same label: a word on each page.
        assert max(held.values()) == per_part[g]
    assert any(m & (m - 1) == 0 for m in masks.values())  # words held by one part only
    assert all(len(counts[w]) == bin(m).count("1") for w, m in masks.items())


def test_the_word_directory_put_together_part_by_part_is_the_one_made_at_once():
    """``PartWords``: parts added a few at a time, their lines made in between (as the site does
    while Pagefind writes the last parts), one part replaced by another index of it, and a part
    bringing a single new word, give the directory ``word_directory`` makes of them at once."""
    import random

    from pipeline.site.search_index import PartWords, word_directory

    rng = random.Random(7)
    vocab = [chr(0x4E00 + i) + chr(0x4E00 + j) for i in range(40) for j in range(40)]
    vocab += ["abc", "Zeta", "\U0002000b字", "\uff21"]  # JavaScript's order is UTF-16's

    def summary() -> dict:
        return {"words": {w: rng.randint(1, 9) for w in rng.sample(vocab, 300)}, "filters": {}}

    parts = [summary() for _ in range(7)]
    words = PartWords()
    for g in (0, 2, 3, 6):
        words.add(g, parts[g], f"idx-{g}")
    words.prepare()
    words.add(4, summary(), "idx-4-old")  # a part written again since
    words.prepare()
    for g in (1, 5, 4):
        words.add(g, parts[g], f"idx-{g}")
    listing, files = words.directory()
    assert (listing, files) == word_directory(parts) and len(files) > 1
    parts.append({"words": {"新词": 2, vocab[5]: 1}, "filters": {}})
    words.add(7, parts[7], "idx-7")
    assert words.directory() == word_directory(parts)


def test_the_search_index_is_put_together_while_the_hub_waits_for_reports_db(
    corpus, tmp_path, small_shards, monkeypatch
):
    """The index of the report pages does not wait for ``reports.db`` (which the datasets page,
    the hub's last page, describes): while that page waits, the index is put together."""
    import time

    import pipeline.pages

    copy_docs_assets(tmp_path / "docs")
    seen = []
    write = pipeline.pages.write_datasets_page
    listing = tmp_path / "site.new" / "pagefind" / "parts.json"

    def datasets_page(*args, **kwargs):
        # A database slow to finish: the page waits (for the index here, at most 30 s).
        until = time.monotonic() + 30
        while not listing.is_file() and time.monotonic() < until:
            time.sleep(0.05)
        seen.append(listing.is_file())
        return write(*args, **kwargs)

    monkeypatch.setattr(pipeline.pages, "write_datasets_page", datasets_page)
    result = build_into(corpus, tmp_path, with_site=True, workers=2)
    assert result.site is not None and result.site.indexes == 4
    assert seen == [True]
    assert (tmp_path / "site" / "pagefind" / "parts.json").is_file()


def _first_cached_build(corpus: Path, tmp_path: Path):
    """A copy of the corpus built with its site and a cache: (sources, cache, result)."""
    src = tmp_path / "src"
    shutil.copytree(corpus, src)
    copy_docs_assets(tmp_path / "docs")
    cache = tmp_path / "cache"
    return src, cache, build_into(src, tmp_path, with_site=True, workers=2, cache=cache)


def test_one_changed_report_rebuilds_its_shard_and_the_hub_only(
    corpus, tmp_path, small_shards, monkeypatch
):
    from pipeline.site import carry, shards
    from pipeline.site.mkdocs_run import page_html
    from pipeline.site.shards import shard_count, shard_of

    src, cache, first = _first_cached_build(corpus, tmp_path)
    assert first.site.shards_built == first.site.shards
    before = _site_pages(tmp_path / "site")
    issuer_docs = {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (tmp_path / "docs" / "issuers").glob("*.md")
    }
    kept_html = cache.with_name("cache-site") / "page-html"
    kept_before = {p.name for p in kept_html.iterdir()}
    browse = tmp_path / "docs" / "browse"
    browse_docs = {p: p.stat().st_mtime_ns for p in browse.rglob("*.md")}
    # A change to one report: its shard, the hub pages (counts, lists) and one index part.
    _, data = generate_one(999, 3)
    sorted(src.iterdir())[5].write_bytes(data)
    checked: list[str] = []  # the site's folders whose every file the swap compares

    def sync_links(pairs, folders):
        checked.extend(Path(f).name for f in folders)
        return fileio.sync_links(pairs, folders)

    monkeypatch.setattr(carry, "sync_links", sync_links)
    trusted: list[bool] = []  # per page planned: taken as recorded (the page keys vouch)

    def facts(docs_dir, rel, known, seen, trust=False):
        trusted.append(trust)
        return real_facts(docs_dir, rel, known, seen, trust)

    real_facts = shards._facts
    monkeypatch.setattr(shards, "_facts", facts)
    second = build_into(src, tmp_path, with_site=True, workers=2, cache=cache)
    # The staged downloads and the report CSVs changed in known files since the last site was
    # made from them: it follows those alone, no folder compared file by file.
    assert checked == []
    # Planning took the pages the writer kept as it last read them: only those written again
    # (the report's, its neighbours', the hub's) were looked at, and the shards none of whose
    # pages was written again were taken as the last plan found them, without a page looked at.
    sharded = [
        p for d in ("reports", "issuers", "browse") for p in (tmp_path / "docs" / d).rglob("*.md")
    ]
    assert 0 < trusted.count(False) < len(trusted) < len(sharded) / 2, (len(trusted), len(sharded))
    # Issuer pages are written again only when what they show changed (the others are kept as
    # the last build wrote them, by key, as report pages are).
    rewritten = {
        p.name
        for p in (tmp_path / "docs" / "issuers").glob("*.md")
        if p.name != "index.md" and p.stat().st_mtime_ns != issuer_docs.get(p.name, (b"", 0))[1]
    }
    same = {
        p.name
        for p in (tmp_path / "docs" / "issuers").glob("*.md")
        if p.name != "index.md" and p.read_bytes() == issuer_docs.get(p.name, (b"", 0))[0]
    }
    assert rewritten and same and not (same & rewritten)
    # So are the browse pages' lists: those not listing the report (nor counting it) are kept.
    browse_kept = [p for p in browse.rglob("*.md") if browse_docs.get(p) == p.stat().st_mtime_ns]
    assert len(browse_docs) / 2 < len(browse_kept) < len(browse_docs)
    after = _site_pages(tmp_path / "site")
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    # Pages that name the report changed with it (its issuer's, its neighbours', those whose
    # most similar report it is, the browse pages listing or counting it): exactly their shards
    # are rebuilt, and the hub.
    docs = tmp_path / "docs"
    sharded = {
        page_html(rel): rel[: -len(".md")]
        for rel in (p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
        if rel.split("/", 1)[0] in ("reports", "issuers", "browse")
        and rel.split("/", 1)[1] != "index.md"
    }
    gone = {  # pages of the last build only (a browse list one page shorter)
        k: k.removesuffix("/index.html")
        for k in changed - after.keys()
        if k.startswith(("reports/", "issuers/", "browse/"))
    }
    pages = {{**gone, **sharded}[k] for k in changed if k in sharded or k in gone}
    assert any(k.startswith("reports/") for k in pages)
    assert any(k.startswith("browse/") for k in pages)
    n = shard_count(len(sharded))
    shards = {shard_of(k, n) for k in pages}
    assert second.site.shards_built == len(shards) + 1 < first.site.shards / 2
    # Of those builds, MkDocs made only the pages that changed: the others' HTML is kept, hub
    # pages' too (every page has its HTML kept, and a page made anew is a page that changed).
    md_pages = [p for p in docs.rglob("*.md") if p.relative_to(docs).parts[0] != "downloads"]
    kept_after = {p.name for p in kept_html.iterdir()}
    assert len(kept_after) == len(md_pages) and len(kept_before) > len(md_pages) - 3
    made = [k for k in changed if k in after and k.endswith("index.html")]
    assert len(kept_after - kept_before) == len(made) < len(md_pages) / 3
    assert len(made) > len(pages) and "index.html" in made  # the home page's counts changed
    # The changed pages of all those shards were made by one MkDocs run; the shards' own
    # builds only linked them (and the hub's were made by the hub's build).
    shard_made = [k for k in made if k in sharded]
    assert second.site.batched == len(shard_made) > 1
    # Of the search index, only the part holding the changed report is made again: the other
    # pages that changed show it in links and copied-text notes, which Pagefind does not read.
    assert len([k for k in pages if k.startswith("reports/")]) > 1
    assert second.site.indexes == 4 and second.site.indexes_built == 1
    # The report, issuer and index-part folders, and the downloads of a file per report, were
    # carried over from the last site: only the files of the changed shards, parts and
    # documents were linked again (here most of the texts and JSON documents: the 48 reports
    # are one segment of the package).
    placed = second.site.links.placed
    carried_files = [
        k
        for k in _tree(tmp_path / "site")
        if k.startswith(("reports/", "issuers/", "browse/", "downloads/"))
    ]
    assert placed["carried"] == 3 + 4 + 4 and 0 < placed["linked"] < len(carried_files) * 0.6
    # So were the data package's folders of a file per report: of the archive, only the folder
    # (by the first two characters of the hash) of the changed source was linked again.
    data_placed = second.datasets_links.placed
    per_report = [k for k in _tree(tmp_path / "datasets") if "/" in k]
    archive = [k for k in per_report if k.startswith("archive/")]
    assert data_placed["carried"] == 4 and len(archive) > 40
    assert 0 < data_placed["linked"] <= len(per_report) - len(archive) + 3
    # The carried site and datasets/ are those linked whole from the same cache, byte for byte.
    carried, carried_data = _tree(tmp_path / "site"), _tree(tmp_path / "datasets")
    for out in ("site", "datasets"):  # not what the records describe
        (tmp_path / out / ".fingerprint").unlink()
    whole = build_into(src, tmp_path, with_site=True, workers=2, cache=cache)
    assert whole.site.shards_built == 0 and whole.datasets_links.placed["carried"] == 0
    assert whole.site.links.placed["linked"] > len(carried_files) / 2
    assert _tree(tmp_path / "site") == carried and _tree(tmp_path / "datasets") == carried_data
    # The incremental site equals a site built from nothing, search index included (Pagefind
    # names its fragments and word chunks by their content).
    fresh = tmp_path / "fresh"
    copy_docs_assets(fresh / "docs")
    build_into(src, fresh, with_site=True, workers=1)
    assert _site_pages(fresh / "site") == after
    assert _index_chunks(fresh / "site") == _index_chunks(tmp_path / "site")
    assert len(_index_chunks(fresh / "site")) > 48
    # The cache keeps only what the last build used (and the datasets page, made alone after
    # the hub once reports.db is whole).
    kept_builds = len(list((cache.with_name("cache-site") / "pages").iterdir()))
    assert kept_builds == second.site.shards + 1


def test_a_removed_report_leaves_the_carried_site(corpus, tmp_path, small_shards):
    src, cache, first = _first_cached_build(corpus, tmp_path)
    site = tmp_path / "site"
    gone = sorted(first.reports, key=lambda r: r.report_id)[7]
    assert (site / "reports" / gone.report_id / "report.json").is_file()
    (src / gone.archived.source_file).unlink()
    second = build_into(src, tmp_path, with_site=True, workers=2, cache=cache)
    assert len(second.reports) == len(first.reports) - 1
    assert second.site.links.placed["carried"] > 2
    # Its page, its JSON document and its folder are gone, and its files of datasets/; nothing
    # else of it is left.
    carried, carried_data = _tree(site), _tree(tmp_path / "datasets")
    assert not (site / "reports" / gone.report_id).exists()
    assert not [k for k in carried if gone.report_id in k and not k.startswith("pagefind/")]
    assert not [k for k in carried_data if gone.report_id in k or gone.archived.sha256 in k]
    # The same as the site and datasets/ linked whole from the same cache.
    (site / ".fingerprint").unlink()
    (tmp_path / "datasets" / ".fingerprint").unlink()
    build_into(src, tmp_path, with_site=True, workers=2, cache=cache)
    assert _tree(site) == carried and _tree(tmp_path / "datasets") == carried_data


def _index_chunks(site: Path) -> list[str]:
    """The search index's fragments and word chunks, by name (a hash of their content)."""
    return sorted(
        p.relative_to(site / "pagefind").as_posix()
        for p in (site / "pagefind").rglob("*")
        if p.parent.name in ("fragment", "index")
    )


def _report_docs(tmp_path: Path, n: int, home: str) -> Path:
    """A docs folder with the site's assets, ``n`` short report pages and the home page
    ``home``."""
    docs = tmp_path / "docs"
    copy_docs_assets(docs)
    (docs / "reports").mkdir()
    for i in range(n):
        (docs / "reports" / f"r{i:02d}.md").write_text(f"# 报告 {i:02d}\n\n正文。\n", "utf-8")
    (docs / "index.md").write_text(home, encoding="utf-8")
    return docs


def test_planning_reads_again_only_the_pages_written_since(tmp_path):
    """Planning keeps each page's hash and links beside the cache, and reads again a page whose
    size, modification time or inode changed: an edit of the same length still changes its
    shard's key. A page linked into a build's docs folder (which changes its change time) is
    not read again."""
    from pipeline.site.shards import FACTS_FILE, plan

    docs = _report_docs(tmp_path, 40, "# 首页\n")
    cache = tmp_path / "cache" / "pages"
    first = {j.pages: j.key for j in plan(docs, cache)[0]}
    facts = cache.with_name(FACTS_FILE)
    assert facts.is_file()
    recorded = facts.stat().st_ino
    for page in (docs / "reports").glob("*.md"):
        os.link(page, tmp_path / page.name)
    assert {j.pages: j.key for j in plan(docs, cache)[0]} == first
    assert facts.stat().st_ino == recorded  # nothing read again, so nothing recorded anew
    page = docs / "reports" / "r07.md"
    page.write_text(page.read_text(encoding="utf-8").replace("正文", "全文"), encoding="utf-8")
    again = {j.pages: j.key for j in plan(docs, cache)[0]}
    changed = [pages for pages, key in again.items() if first.get(pages) != key]
    assert changed == [next(p for p in again if "reports/r07.md" in p)]


def test_planning_takes_the_facts_of_pages_the_page_keys_vouch_for_as_recorded(tmp_path):
    """Pages the page writer kept under their keys are taken as the files planning last read,
    without a look at them, but only when the facts were recorded under the very keys' file
    that vouches for them (``Vouched``), and were written whole."""
    from pipeline.site.shards import VOUCHER, Vouched, plan

    docs = _report_docs(tmp_path, 40, "# 首页\n")
    cache = tmp_path / "cache" / "pages"
    pages = frozenset(f"reports/r{i:02d}.md" for i in range(40))

    def keys(vouched: Vouched | None = None, **kw) -> dict:
        return {j.pages: j.key for j in plan(docs, cache, vouched=vouched, **kw)[0]}

    first = keys(Vouched(None, [1, 1, 1], frozenset()))
    assert json.loads(cache.with_name(VOUCHER).read_text())["keys"] == [1, 1, 1]
    # A page changed behind the writer's back (it says it kept it): taken as recorded.
    page = docs / "reports" / "r07.md"
    page.write_text(page.read_text(encoding="utf-8").replace("正文", "全文"), encoding="utf-8")
    assert keys(Vouched([1, 1, 1], [2, 2, 2], pages)) == first
    # Vouched for by another keys' file than the one the facts were recorded under (a build
    # stopped after its pages were written, before they were planned): every page looked at.
    assert keys(Vouched([1, 1, 1], [3, 3, 3], pages)) != first
    changed = keys(Vouched([3, 3, 3], [4, 4, 4], pages))
    # Facts left to the late plan of a build (pages to come) that never ran it: no voucher.
    other = docs / "reports" / "r08.md"
    other.write_text(other.read_text(encoding="utf-8") + "\n补充。\n", encoding="utf-8")
    keys(Vouched([4, 4, 4], [5, 5, 5], pages - {"reports/r08.md"}), coming=("x.md",), memo={})
    assert not cache.with_name(VOUCHER).exists()
    page.write_text(page.read_text(encoding="utf-8").replace("全文", "原文"), encoding="utf-8")
    assert keys(Vouched([5, 5, 5], [6, 6, 6], pages)) not in (first, changed)


def test_a_shard_whose_pages_are_all_vouched_for_is_planned_as_the_last_plan_found_it(
    tmp_path, monkeypatch, small_shards
):
    """A shard whose pages are the same and all vouched for is taken from the last plan's record
    (``SHARD_PLANS``) without a look at its pages; a page written since has its shard planned
    page by page, as has a page added and a shard one of whose links now resolves. The jobs are
    those a plan without the record makes."""
    from pipeline.site import shards
    from pipeline.site.shards import SHARD_PLANS, Vouched

    docs = _report_docs(tmp_path, 40, "# 首页\n")
    (docs / "reports" / "r01.md").write_text("# 报告 01\n\n[下篇](r02.md) [缺](r99.md)\n", "utf-8")
    cache = tmp_path / "cache" / "pages"
    pages = frozenset(f"reports/r{i:02d}.md" for i in range(40))
    looked: list[str] = []
    facts = shards._facts
    monkeypatch.setattr(
        shards, "_facts", lambda d, rel, *a, **k: looked.append(rel) or facts(d, rel, *a, **k)
    )

    def jobs(vouched: Vouched, where=cache) -> list[tuple]:
        looked.clear()
        planned = shards.plan(docs, where, vouched=vouched)[0]
        return [(j.key, j.pages, j.stubs, j.page_keys, j.searched) for j in planned]

    def afresh() -> list[tuple]:
        fresh = tmp_path / f"fresh{len(list(tmp_path.glob('fresh*')))}" / "pages"
        return jobs(Vouched(None, [0, 0, 0], frozenset()), fresh)

    first = jobs(Vouched(None, [1, 1, 1], frozenset()))
    assert cache.with_name(SHARD_PLANS).is_file()
    # (``searched``: the first plan knew nothing before, so every shard was.)
    assert [j[:4] for j in jobs(Vouched([1, 1, 1], [2, 2, 2], pages))] == [j[:4] for j in first]
    assert not [rel for rel in looked if rel.startswith("reports/")]

    page = docs / "reports" / "r07.md"
    page.write_text("# 报告 07\n\n全文。\n", "utf-8")
    again = jobs(Vouched([2, 2, 2], [3, 3, 3], pages - {"reports/r07.md"}))
    (shard,) = [j for j in again if "reports/r07.md" in j[1]]
    assert sorted(rel for rel in looked if rel.startswith("reports/")) == sorted(shard[1])
    assert [j[:4] for j in again] == [j[:4] for j in afresh()] != [j[:4] for j in first]

    (docs / "reports" / "r99.md").write_text("# 报告 99\n", "utf-8")
    added = jobs(Vouched([3, 3, 3], [4, 4, 4], pages))
    # Two shards: r01's (its link to r99 now resolves) and r99's.
    (linking,) = [j for j in added if "reports/r01.md" in j[1]]
    (new_page,) = [j for j in added if "reports/r99.md" in j[1]]
    assert linking != new_page
    changed = set(linking[1]) | set(new_page[1])
    assert {rel for rel in looked if rel.startswith("reports/")} == changed
    assert [j[:4] for j in added] == [j[:4] for j in afresh()]


def test_the_recorded_plans_name_paths_once_and_drop_those_no_shard_names(tmp_path):
    """``_write_plans``: the stubs and missing links by their place in one list of paths, which
    grows from build to build until it holds more than twice the paths named, and is then made
    again of those alone; the paths not there are listed."""
    from pipeline.site.shards import _write_plans

    paths = [f"old/{i}.md" for i in range(3000)] + ["reports/a.md", "reports/b.md", "x.md"]
    records = {"shard-0": ["k", "h", [3000, 3001], ["p"], [3002]]}
    there = {"reports/a.md", "reports/b.md"}
    out = tmp_path / "plans.json"
    _write_plans(out, "theme", records, paths, there.__contains__)
    data = json.loads(out.read_text())
    stubs, missing = data["shards"]["shard-0"][2], data["shards"]["shard-0"][4]
    assert [data["paths"][i] for i in stubs] == ["reports/a.md", "reports/b.md"]
    assert [data["paths"][i] for i in missing] == ["x.md"] and data["absent"] == missing
    assert len(data["paths"]) == 3
    records = {"shard-0": ["k", "h", [0, 1], ["p"], [2]]}
    _write_plans(out, "theme", records, paths[:1000] + paths[3000:], there.__contains__)
    assert len(json.loads(out.read_text())["paths"]) == 1003  # kept: within twice the named


def test_the_late_plan_takes_what_the_full_plan_found_and_plans_the_same_job(tmp_path, monkeypatch):
    """The datasets page is planned after the rest (``coming``, then ``late``): given the full
    plan's ``memo``, the late plan neither walks the docs folder nor reads the pages' facts
    again, finds the downloads written in between, writes the facts the full plan left to it,
    and plans the job it plans without."""
    from pipeline.site import shards

    docs = _report_docs(tmp_path, 12, "# 首页\n\n[数据](datasets.md)\n")
    cache = tmp_path / "cache" / "pages"
    memo: dict = {}
    shards.plan(docs, cache, coming=("datasets.md",), memo=memo)
    (docs / "downloads").mkdir()
    (docs / "downloads" / "reports.db").write_bytes(b"db")
    (docs / "datasets.md").write_text(
        "# 数据\n\n[reports.db](downloads/reports.db)\n[首页](index.md)\n", encoding="utf-8"
    )
    facts = cache.with_name(shards.FACTS_FILE)
    assert not facts.exists()  # written once a build: by the late plan

    def no_walk(*args, **kwargs):
        raise AssertionError("the docs folder walked again")

    with monkeypatch.context() as m:
        m.setattr(shards, "files_under", no_walk)
        facts.parent.mkdir(parents=True, exist_ok=True)
        facts.write_text("{}", encoding="utf-8")  # what the late plan would read: not read
        (late,), _ = shards.plan(docs, cache, coming=("datasets.md",), late=True, memo=memo)
    # Written from what the full plan found, and the datasets page's facts added.
    assert set(json.loads(facts.read_text(encoding="utf-8"))) >= {
        "index.md",
        "datasets.md",
        *(f"reports/r{i:02d}.md" for i in range(12)),
    }
    facts.unlink()
    (alone,), _ = shards.plan(docs, cache, coming=("datasets.md",), late=True)
    assert late.pages == ("datasets.md",) and "downloads/reports.db" in late.stubs
    assert (late.key, late.stubs, late.page_keys) == (alone.key, alone.stubs, alone.page_keys)


def test_planning_tells_which_shards_changed_in_what_search_reads(tmp_path):
    """A shard is marked ``searched`` when one of its report pages changed inside the part of
    the page Pagefind indexes, not when only what it leaves out (data-pagefind-ignore) or what
    lies outside the indexed element changed: the site builds the shards of such parts first."""
    from pipeline.site.shards import plan

    docs = tmp_path / "docs"
    copy_docs_assets(docs)
    (docs / "reports").mkdir()

    def page(i: int, text: str, note: str, tail: str) -> str:
        return (
            f'<div class="report" data-pagefind-body markdown="1">\n\n# 报告 {i:02d}\n\n'
            f'<div class="reuse-summary" data-pagefind-ignore="all" markdown="1">\n\n{note}\n\n'
            f"</div>\n\n{text}\n\n</div>\n\n## 下载\n\n{tail}\n"
        )

    for i in range(300):
        (docs / "reports" / f"r{i:03d}.md").write_text(page(i, "正文。", "无", "链接"), "utf-8")
    cache = tmp_path / "cache" / "pages"
    first = plan(docs, cache)[0]
    assert all(j.searched for j in first[1:]) and len(first) > 3  # nothing was known before
    assert not any(j.searched for j in plan(docs, cache)[0])
    (docs / "reports" / "r007.md").write_text(page(7, "正文。", "有重复", "另一链接"), "utf-8")
    (docs / "reports" / "r123.md").write_text(page(123, "全文。", "无", "链接"), "utf-8")
    jobs = plan(docs, cache)[0]
    (shard_7,) = [j for j in jobs if "reports/r007.md" in j.pages]
    assert "reports/r123.md" not in shard_7.pages and shard_7.key != first[jobs.index(shard_7)].key
    assert [j.pages for j in jobs if j.searched] == [
        j.pages for j in jobs if "reports/r123.md" in j.pages
    ]
    assert not any(j.searched for j in plan(docs, cache)[0])


def test_a_small_change_of_several_shards_is_one_batch_of_their_unkept_pages(tmp_path):
    from pipeline.site.shards import (
        BATCH_MOST,
        BATCH_PAGES,
        BATCH_SPREAD,
        Job,
        batch_job,
        needs_mkdocs,
    )

    kept = tmp_path / "page-html"
    kept.mkdir()
    (kept / "k1").write_text("kept")

    def shard(name, pages, keys, stubs=()):
        return Job(name, "docs", pages, stubs, str(tmp_path / name), True, False, keys, str(kept))

    a = shard("a", ("reports/a1.md", "reports/a2.md"), ("k1", "k2"), ("index.md",))
    b = shard("b", ("issuers/b1.md",), ("k3",), ("reports/a1.md", "browse/index.md"))
    assert needs_mkdocs(a) and needs_mkdocs(b)
    batch = batch_job([a, b], str(tmp_path / "batch"))
    assert batch is not None
    # Only the pages whose HTML is not kept, each with its own key; every other page of those
    # shards and every page they link to is a stub.
    assert batch.pages == ("issuers/b1.md", "reports/a2.md") and batch.page_keys == ("k3", "k2")
    assert batch.stubs == ("browse/index.md", "index.md", "reports/a1.md")
    assert batch.pages_only and batch.kept == str(kept)
    # Once those are kept, the shards only link: no MkDocs run, no batch.
    (kept / "k2").write_text("kept")
    (kept / "k3").write_text("kept")
    assert not needs_mkdocs(a) and not needs_mkdocs(b)
    assert batch_job([a, b], str(tmp_path / "batch")) is None
    # One shard is its own build; a change of more pages than a batch takes is built by shards
    # when each shard has many of them (its own MkDocs run is then worth its start).
    (kept / "k2").unlink()
    assert batch_job([a], str(tmp_path / "batch")) is None

    def dense(n):
        each = BATCH_SPREAD + 1
        return [
            shard(f"d{i}", tuple(f"browse/d{i}-{k}.md" for k in range(each)), (f"n{i}",) * each)
            for i in range(n)
        ]

    over = -(-(BATCH_PAGES + 1) // (BATCH_SPREAD + 1))
    assert batch_job(dense(over), str(tmp_path / "batch")) is None
    assert len(batch_job(dense(2), str(tmp_path / "batch")).pages) == 2 * (BATCH_SPREAD + 1)

    # Spread thin (a page or a few a shard: a report added changes browse pages of many
    # shards), more pages are one batch, up to BATCH_MOST.
    def thin(n):
        return [shard(f"s{i}", (f"browse/s{i}.md",), (f"new{i}",)) for i in range(n)]

    assert len(batch_job(thin(BATCH_PAGES + 1), str(tmp_path / "batch")).pages) == BATCH_PAGES + 1
    assert len(batch_job(thin(BATCH_MOST), str(tmp_path / "batch")).pages) == BATCH_MOST
    assert batch_job(thin(BATCH_MOST + 1), str(tmp_path / "batch")) is None


def test_a_shard_built_again_takes_its_kept_report_pages_search_digests_from_the_record(
    tmp_path,
):
    """A shard whose key changed but whose report pages are kept (a browse page of it changed)
    only links them, and takes their ``search_digest`` from the record by page key instead of
    reading them; the record holds what the shards built wrote, for the pages in use only."""
    import json

    from pipeline.site.digest import DIGESTS, search_digest
    from pipeline.site.shards import SEARCH_DIGESTS, Job, build_job, record_digests

    kept = tmp_path / "page-html"
    kept.mkdir()
    html = '<html lang="zh"><div data-pagefind-body>公开</div></html>'
    (kept / "k1").write_text(html, encoding="utf-8")
    cache = tmp_path / "pages"

    def shard(name, digests=()):
        pages = ("reports/r1.md",)
        return Job(
            name, "docs", pages, (), str(cache / name), True, False, ("k1",), str(kept), digests
        )

    def written(job):
        build_job(job)
        return json.loads((Path(job.out) / DIGESTS).read_text())

    # Not known: read from the page. Known: taken as recorded (here a made-up one, to tell).
    assert written(shard("a")) == {"reports/r1": search_digest(html)}
    assert written(shard("b", ("d" * 64,))) == {"reports/r1": "d" * 64}
    record = cache.with_name(SEARCH_DIGESTS)
    record_digests(cache, [shard("a")], [shard("a")])
    assert json.loads(record.read_text()) == {"k1": search_digest(html)}
    # A page no longer in use leaves the record.
    other = Job("c", "docs", ("reports/r2.md",), (), str(cache / "c"), True, False, ("k2",))
    record_digests(cache, [], [other])
    assert json.loads(record.read_text()) == {}


def test_a_build_is_given_only_the_stubs_its_pages_made_anew_link_to(tmp_path):
    from pipeline.site.mkdocs_run import nav_pages
    from pipeline.site.shards import needed_stubs

    docs = tmp_path / "docs"
    (docs / "browse" / "year").mkdir(parents=True)
    (docs / "browse" / "year" / "2020.md").write_text(
        '# 2020\n\n- [甲](../../reports/a.md)\n- <a href="../../issuers/i1.md">乙</a>\n',
        encoding="utf-8",
    )
    available = {f"reports/{x}.md" for x in "abcdef"} | {"issuers/i1.md", "issuers/i2.md"}
    available |= set(nav_pages())
    # A hub whose one browse page changed is given what that page links to and the navigation,
    # not the other reports every other browse page lists.
    got = needed_stubs(docs, ["browse/year/2020.md", "assets/logo.svg"], available)
    assert got == sorted({"reports/a.md", "issuers/i1.md", *nav_pages()})
    assert needed_stubs(docs, [], available) == sorted(nav_pages())


def test_shards_are_even_whatever_the_ids():
    from pipeline.site.shards import shard_count, shard_of

    # Ids that differ only in their last characters, as a numbered corpus has.
    ids = [f"gov_report_{i:06d}" for i in range(6400)]
    n = shard_count(len(ids))
    assert n == 128
    sizes = [0] * n
    for rid in ids:
        sizes[shard_of(rid, n)] += 1
    assert max(sizes) < 2 * len(ids) / n and min(sizes) > len(ids) / n / 2
    assert shard_count(64) == 1 and shard_count(65) == 2


@pytest.mark.slow
def test_pages_stay_small_when_a_thousand_reports_share_an_issuer(tmp_path):
    """No page grows with the corpus: a report links to at most its issuer's neighbouring
    years, and browse pages continue on numbered pages."""
    src = tmp_path / "src"
    generate(1100, src, seed=5, same_issuer=1000)
    copy_docs_assets(tmp_path / "docs")
    result = build_into(src, tmp_path, with_site=True, workers=2)
    issuers = Counter(r.metadata.issuer for r in result.reports)
    issuer, n = issuers.most_common(1)[0]
    assert n >= 600  # the issuer as read: a few reports name it otherwise (aliases)
    site = tmp_path / "site"
    sizes = {
        p.relative_to(site).as_posix(): p.stat().st_size
        for p in site.rglob("*.html")
        if "pagefind" not in p.parts
    }
    largest = max(sizes, key=sizes.get)
    assert sizes[largest] <= 200_000, (largest, sizes[largest])
    # Markdown too: nothing the build writes for a page is near the old 231 KB.
    assert max(p.stat().st_size for p in (tmp_path / "docs").rglob("*.md")) <= 200_000
    # A shared issuer's report page names its issuer's page and two neighbouring years at most.
    shared = [r for r in result.reports if r.metadata.issuer == issuer]
    assert any(
        'id="issuer"' in (site / "reports" / r.report_id / "index.html").read_text("utf-8")
        for r in shared[:50]
    )
    for r in shared[:50]:
        html = (site / "reports" / r.report_id / "index.html").read_text(encoding="utf-8")
        same = html.split('id="issuer"', 1)[1].split("<h2", 1)[0] if 'id="issuer"' in html else ""
        assert same.count('href="../') <= 3
    # The region pages of the shared issuer hold 1,000 reports: they continue on numbered
    # pages with a pager, and no listing shows more than PAGE_ITEMS reports.
    continued = sorted(site.glob("browse/**/*-p2/index.html"))
    assert continued
    assert 'class="pager"' in continued[0].read_text(encoding="utf-8")
    for page in site.glob("browse/**/index.html"):
        html = page.read_text(encoding="utf-8")
        assert len(re.findall(r'href="(?:\.\./)+reports/[^"/]+/"', html)) <= PAGE_ITEMS, page


def test_an_empty_corpus_builds_a_site_with_a_search_bundle(tmp_path):
    (tmp_path / "src").mkdir()
    copy_docs_assets(tmp_path / "docs")
    result = build_into(tmp_path / "src", tmp_path, with_site=True)
    # The hub and one shard: the browse pages of no report (by level, by type).
    assert result.site.shards == 2
    assert (tmp_path / "site" / "browse" / "levels" / "index.html").is_file()
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "pagefind" / "pagefind-ui.js").is_file()
    assert json.loads((tmp_path / "site" / "pagefind" / "parts.json").read_text()) == {
        "parts": [],
        "names": [],
    }


def test_recorded_source_hashes_give_the_same_fingerprint_and_see_a_change(corpus, tmp_path):
    from pipeline.build import input_fingerprint

    src = tmp_path / "src"
    shutil.copytree(corpus, src)
    docs = tmp_path / "docs"
    copy_docs_assets(docs)
    hashes = tmp_path / "hashes.json"
    plain = input_fingerprint(src, docs, True)
    assert input_fingerprint(src, docs, True, hashes) == plain  # recorded now
    assert input_fingerprint(src, docs, True, hashes) == plain  # read from the record
    first = sorted(src.iterdir())[0]
    first.write_bytes(first.read_bytes() + b"\n")
    assert input_fingerprint(src, docs, True, hashes) == input_fingerprint(src, docs, True) != plain


def test_the_record_of_source_hashes_is_read_once_while_it_is_the_same_file(
    corpus, tmp_path, monkeypatch
):
    """The build's steps that look at the recorded hashes (the fingerprint, the stages, the
    archive) read the record once; a record written again (by another build) is read again."""
    import pipeline.build
    from pipeline.build import input_fingerprint, recorded_hashes

    src = tmp_path / "src"
    shutil.copytree(corpus, src)
    docs = tmp_path / "docs"
    copy_docs_assets(docs)
    hashes = tmp_path / "hashes.json"
    input_fingerprint(src, docs, False, hashes)
    reads = []
    loads = json.loads
    monkeypatch.setattr(pipeline.build.json, "loads", lambda s: reads.append(1) or loads(s))
    recorded = recorded_hashes(hashes)
    assert recorded == loads(hashes.read_text(encoding="utf-8")) and len(recorded) > 40
    assert recorded_hashes(hashes) is recorded and not reads  # as the fingerprint wrote it
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"a.html": [1, 2, 3, "00"]}), encoding="utf-8")
    other.replace(hashes)
    assert recorded_hashes(hashes) == {"a.html": [1, 2, 3, "00"]} and len(reads) == 1
    assert recorded_hashes(hashes) == {"a.html": [1, 2, 3, "00"]} and len(reads) == 1
    assert recorded_hashes(tmp_path / "none.json") == {}


def test_a_part_summary_kept_without_page_counts_is_made_again(tmp_path):
    """A part's summary kept in the cache by an earlier version (its words as a list, without
    the number of pages holding each) is read again from the part's index, not trusted."""
    site = tmp_path / "site"
    body = "<div data-pagefind-body><p>{}</p></div>"
    pages = {"a/index.html": "主动公开 年报 甲", "b/index.html": "主动公开 年报 乙"}
    for rel, text in pages.items():
        (site / rel).parent.mkdir(parents=True)
        (site / rel).write_text(
            f'<html lang="zh"><head><title>t</title></head><body>{body.format(text)}</body></html>',
            encoding="utf-8",
        )
    job = search_index.IndexJob("k", tuple(pages), str(site), str(tmp_path / "idx"), part=0)
    search_index.index_job(job)
    kept = tmp_path / "idx" / search_index.SUMMARY
    kept.write_text(json.dumps({"words": ["甲"], "filters": {}}), encoding="utf-8")
    summary = search_index._summary(job)
    assert summary["words"]["甲"] == 1 and summary["words"]["年报"] == 2
    # The part is not written into its pages: the search page gives it when merging the part.
    assert "part" not in summary["filters"]
    assert json.loads(kept.read_text(encoding="utf-8")) == summary


def test_the_database_process_is_started_before_the_reports_are_loaded(
    corpus, tmp_path, monkeypatch
):
    """Forked while the build's memory is small (``database.Standby``), then taken by the
    package's database writer."""
    from pipeline import build, database

    events: list[str] = []

    class Recorded(database.Standby):
        def __init__(self) -> None:
            super().__init__()
            events.append("started")

        def take(self):
            events.append("taken")
            return super().take()

    stages = build.run_stages

    def recorded_stages(*args, **kwargs):
        events.append("stages")
        return stages(*args, **kwargs)

    monkeypatch.setattr(build, "Standby", Recorded)
    monkeypatch.setattr(build, "run_stages", recorded_stages)
    src = tmp_path / "src"
    src.mkdir()
    for p in sorted(corpus.iterdir())[:4]:
        shutil.copyfile(p, src / p.name)
    _build(src, tmp_path / "out", workers=1)
    assert events == ["started", "stages", "taken"]
    assert (tmp_path / "out" / "datasets" / "reports.db").stat().st_size > 0


def test_the_tails_second_index_part_is_taken_only_while_the_build_is_small(monkeypatch):
    """After the shards' pool, two Pagefind parts at once (about 0.5 GB each) only while the
    build itself holds less than ``TAIL_SECOND_BELOW``."""
    import pipeline.site as site

    held = site.resident_bytes()
    with open("/proc/self/status", encoding="ascii") as f:
        vm_rss = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    assert abs(held - vm_rss) < 0.1 * vm_rss
    monkeypatch.setattr(site, "TAIL_SECOND_BELOW", held + (1 << 30))
    assert site.tail_parts() == site.TAIL_PARTS == 2
    monkeypatch.setattr(site, "TAIL_SECOND_BELOW", held // 2)
    assert site.tail_parts() == 1


def test_the_builds_long_lived_objects_are_left_out_of_collection_until_it_ends(
    corpus, tmp_path, monkeypatch
):
    """After each step the build freezes what it holds (the garbage collector's full passes
    leave it alone: at 100,000 reports they took a fifth of a one-report change), and it
    unfreezes all of it when it ends, also when it fails."""
    import gc

    import pipeline.build

    frozen: list[int] = []
    settled = pipeline.build._settled

    def spy() -> None:
        settled()
        frozen.append(gc.get_freeze_count())

    monkeypatch.setattr(pipeline.build, "_settled", spy)
    assert gc.get_freeze_count() == 0
    build_into(corpus, tmp_path / "out", workers=1)
    assert len(frozen) >= 3 and min(frozen) > 1000
    assert gc.get_freeze_count() == 0

    def fail(*args, **kwargs):
        assert gc.get_freeze_count() > 1000
        raise RuntimeError("stopped")

    monkeypatch.setattr(pipeline.build, "write_datasets", fail)
    with pytest.raises(RuntimeError, match="stopped"):
        build_into(corpus, tmp_path / "again", workers=1)
    assert gc.get_freeze_count() == 0


def test_a_build_looks_at_the_source_folder_once(corpus, tmp_path, monkeypatch):
    """The fingerprint, the stages and the archive read one listing of the source folder, each
    file stat'ed once by it (at 100,000 sources three listings and four stats a file took some
    3 s of a one-report change); a sidecar pointing nowhere is no sidecar, not a failure."""
    import pipeline.build

    src = tmp_path / "src"
    shutil.copytree(corpus, src)
    (src / "gone.html.meta.yml").symlink_to(tmp_path / "nowhere.yml")
    looks: list[Path] = []
    scans: list[str] = []
    listing = pipeline.build.list_sources
    scandir = os.scandir
    monkeypatch.setattr(
        pipeline.build, "list_sources", lambda folder: looks.append(folder) or listing(folder)
    )
    monkeypatch.setattr(
        pipeline.build.os,
        "scandir",
        lambda path=".": (
            (scans.append(str(path)) if str(path) == str(src) else None) or scandir(path)
        ),
    )
    result = _build(src, tmp_path / "out", 1, cache=tmp_path / "cache")
    assert looks == [src] and scans == [str(src)]
    assert len(result.reports) == 48 and not [p for p in result.problems if p.severity == "error"]
    found = listing(src)
    assert list(found.files) == sorted(found.files) and len(found.files) == 48
    assert "gone.html.meta.yml" not in found.sidecars


def test_segments_of_another_key_are_removed_before_new_ones_are_made(
    corpus, tmp_path, monkeypatch
):
    """The package's cache keeps one generation of segments: those no plan of this build names
    (another code's, another corpus's) are removed before it makes its own, not after (both
    generations of a national corpus did not fit on the disk)."""
    import pipeline.segments

    src = tmp_path / "src"
    shutil.copytree(corpus, src)
    cache = tmp_path / "cache"
    build_into(src, tmp_path / "out", cache=cache)
    stale = cache.with_name("cache-package") / ("0" * 32)
    stale.mkdir()
    (stale / "reports.csv").write_text("made by other code\n", encoding="utf-8")
    seen: list[bool] = []
    make = pipeline.segments.make

    def watched(task):
        seen.append(stale.exists())
        return make(task)

    monkeypatch.setattr(pipeline.segments, "make", watched)
    _, data = generate_one(998, 3)
    sorted(src.iterdir())[3].write_bytes(data)
    build_into(src, tmp_path / "out", cache=cache)
    assert seen and not any(seen)
