"""Shared fixtures: the seed corpus built once per session (data package and site)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.build import BuildResult, build_all

GOLD = Path(__file__).parent / "gold" / "seeds.json"


@pytest.fixture(scope="session")
def gold() -> list[dict]:
    return json.loads(GOLD.read_text(encoding="utf-8"))


def copy_docs_assets(docs: Path) -> None:
    shutil.copytree(paths.SITE_DOCS_DIR / "assets", docs / "assets")


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the five seeds (data + site) into a temporary folder, once."""
    root = tmp_path_factory.mktemp("seedbuild")
    docs = root / "docs"
    copy_docs_assets(docs)
    result: BuildResult = build_all(
        source_dir=paths.SOURCE_DIR,
        datasets_dir=root / "datasets",
        docs_dir=docs,
        site_dir=root / "site",
        workers=1,
        cache_dir=None,
        progress=lambda msg: None,
    )
    return {
        "root": root,
        "result": result,
        "datasets": root / "datasets",
        "site": root / "site",
        "docs": docs,
        "by_file": {r.archived.source_file: r for r in result.reports},
    }
