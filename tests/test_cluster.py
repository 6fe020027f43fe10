"""The build on a Dask cluster (a LocalCluster of two worker processes here) makes the same
bytes as the local process pool."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import build_into, copy_docs_assets
from tests.tools.synth import generate

distributed = pytest.importorskip("distributed")


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.mark.slow
def test_a_build_on_a_dask_cluster_equals_a_local_build(tmp_path, monkeypatch):
    import pipeline.site.search_index
    import pipeline.site.shards

    monkeypatch.setattr(pipeline.site.shards, "SHARD_PAGES", 4)
    monkeypatch.setattr(pipeline.site.search_index, "INDEX_PAGES", 12)
    src = tmp_path / "src"
    generate(24, src, seed=13)
    local = tmp_path / "local"
    copy_docs_assets(local / "docs")
    build_into(src, local, with_site=True, workers=2)

    cluster = tmp_path / "cluster"
    copy_docs_assets(cluster / "docs")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as lc,
        distributed.Client(lc) as client,
    ):
        # The workers run this checkout's pipeline, as a cluster sharing the checkout does.
        here = str(Path(__file__).resolve().parents[1] / "pipeline")
        where = client.run(lambda: __import__("pipeline").__path__[0])
        assert set(where.values()) == {here}
        result = build_into(src, cluster, with_site=True, scheduler=client)
    assert len(result.reports) == 24 and result.site.shards > 2
    assert _tree(cluster / "datasets") == _tree(local / "datasets")
    # Pages byte for byte; Pagefind's chunk names are not reproducible, so the index is
    # compared by its parts.
    site_local, site_cluster = _tree(local / "site"), _tree(cluster / "site")
    assert len(site_local) > 100
    assert _pages(site_cluster) == _pages(site_local)
    parts = "pagefind/parts.json"
    assert site_cluster[parts] == site_local[parts]


def _pages(tree: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in tree.items() if not k.startswith("pagefind/")}
