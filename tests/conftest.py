"""Shared fixtures: the seed corpus built once per session (data package and site)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipeline import paths
from pipeline.build import BuildResult, build_all

GOLD = Path(__file__).parent / "gold" / "seeds.json"


@pytest.fixture(scope="session")
def gold() -> list[dict]:
    return json.loads(GOLD.read_text(encoding="utf-8"))


def copy_docs_assets(docs: Path) -> None:
    shutil.copytree(paths.SITE_DOCS_DIR / "assets", docs / "assets")


def build_into(
    src: Path,
    out: Path,
    *,
    with_site: bool = False,
    workers: int = 1,
    cache: Path | None = None,
    scheduler: Any = None,
) -> BuildResult:
    """Build ``src`` into ``out/datasets``, ``out/docs`` and ``out/site``, quietly (on a Dask
    cluster when given its ``scheduler``)."""
    return build_all(
        source_dir=src,
        datasets_dir=out / "datasets",
        docs_dir=out / "docs",
        site_dir=out / "site",
        workers=workers,
        cache_dir=cache,
        with_site=with_site,
        scheduler=scheduler,
        progress=lambda msg: None,
    )


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the five seeds (data + site) into a temporary folder, once."""
    root = tmp_path_factory.mktemp("seedbuild")
    docs = root / "docs"
    copy_docs_assets(docs)
    result = build_into(paths.SOURCE_DIR, root, with_site=True)
    return {
        "root": root,
        "result": result,
        "datasets": root / "datasets",
        "site": root / "site",
        "docs": docs,
        "by_file": {r.archived.source_file: r for r in result.reports},
    }


@pytest.fixture(scope="session")
def crossyear_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The seeds, the constructed cross-year corpus (tests/crossyear.py) and synthetic bodies
    reporting over several years, built once (data package and site)."""
    from tests.crossyear import BODIES, SYNTH_SEED, YEARS, write_corpus
    from tests.tools.synth import generate_years

    root = tmp_path_factory.mktemp("crossyear")
    src = root / "src"
    write_corpus(src)
    for p in sorted(paths.SOURCE_DIR.iterdir()):
        shutil.copyfile(p, src / p.name)
    generate_years(BODIES, YEARS, src, seed=SYNTH_SEED)
    copy_docs_assets(root / "docs")
    result = build_into(src, root, with_site=True, workers=2)
    return {
        "root": root,
        "result": result,
        "cross": result.cross,
        "datasets": root / "datasets",
        "site": root / "site",
        "by_id": {r.report_id: r for r in result.reports},
    }


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium (Playwright), one per test module."""
    from tests.browser_util import chromium

    with chromium() as b:
        yield b
