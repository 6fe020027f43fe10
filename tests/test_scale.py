"""Scale properties: output identical whatever the number of workers; a per-report cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import build_into
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


def test_sharded_site_build_is_byte_identical_to_one_process(corpus, tmp_path, monkeypatch):
    import shutil

    import pipeline.site
    from pipeline import paths
    from pipeline.site import build_site

    docs = tmp_path / "docs"
    shutil.copytree(paths.SITE_DOCS_DIR / "assets", docs / "assets")
    build_into(corpus, tmp_path, with_site=True)
    monkeypatch.setattr(pipeline.site, "SHARD_MIN_REPORTS", 1)
    build_site(docs, tmp_path / "one", shards=1)
    build_site(docs, tmp_path / "two", shards=2)
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert len([k for k in one if k.startswith("reports/")]) > 48
    assert one == two
