"""Each cache is keyed by the code that makes its outputs (``pipeline.codehash``): a change to
the site's code keeps the per-report stages' results, a change to extraction invalidates them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import build_into

from pipeline import codehash, paths
from pipeline.site.shards import SHARD_CODE

PARTS = {
    "stages": codehash.STAGES,
    "package": codehash.PACKAGE,
    "pages": codehash.PAGES,
    "shards": SHARD_CODE,
}


def _prints(root: Path) -> dict[str, str]:
    """Each part's fingerprint and the whole package's, computed afresh (not from the cache)."""
    out = {name: codehash.fingerprint.__wrapped__(roots, root) for name, roots in PARTS.items()}
    out["whole"] = codehash.whole.__wrapped__(root)
    return out


def test_the_stages_run_extraction_and_none_of_the_site_or_the_package():
    modules, _ = codehash.modules_of(codehash.STAGES)
    for needed in (
        "pipeline.clean",
        "pipeline.extract.figures",
        "pipeline.extract.template",
        "pipeline.metadata",
        "pipeline.readers.pdf",
        "pipeline.htmlsource",
        "pipeline.markdown",
    ):
        assert needed in modules
    outside = ("pipeline.pages", "pipeline.site", "pipeline.segments", "pipeline.package")
    assert not [m for m in modules if m.startswith(outside) or m == "pipeline.build"]
    assert "pipeline.database" not in modules
    pages, _ = codehash.modules_of(codehash.PAGES)
    assert "pipeline.pages.report" in pages and "pipeline.crossreport.series" in pages
    package, _ = codehash.modules_of(codehash.PACKAGE)
    assert "pipeline.database" in package and "pipeline.reportjson" in package


@pytest.mark.parametrize(
    ("edited", "changed"),
    [
        ("pages/home.py", {"pages", "whole"}),
        ("pages/templates/report.md.j2", {"pages", "whole"}),
        ("segments.py", {"package", "whole"}),
        ("extract/figures.py", {"stages", "package", "pages", "whole"}),
        ("data/boilerplate.yml", {"stages", "package", "pages", "shards", "whole"}),
        ("extract/__init__.py", {"stages", "package", "pages", "whole"}),
        # The cross-report stage reads the stages' reports; the stages do not run it (they
        # import crossreport.fingerprint, which runs the package's thin __init__ alone).
        ("crossreport/stage.py", {"pages", "whole"}),
        ("crossreport/series.py", {"pages", "whole"}),
        ("theme/main.html", {"shards", "whole"}),
        ("site/shards.py", {"shards", "whole"}),
        ("site/digest.py", {"shards", "whole"}),
        # How the index is assembled and searched: no shard is built again for it.
        ("site/search_index.py", {"whole"}),
        # Imported by the package's code for a type checker only (``reportjson.py``).
        ("site/carry.py", {"shards", "whole"}),
        ("site/__init__.py", {"shards", "whole"}),
    ],
)
def test_a_fingerprint_changes_with_the_code_it_runs_only(tmp_path, edited, changed):
    root = tmp_path / "pipeline"
    shutil.copytree(paths.PACKAGE_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = _prints(root)
    with (root / edited).open("a", encoding="utf-8") as f:
        f.write("\n# edited\n" if edited.endswith(".py") else "\n")
    after = _prints(root)
    assert {name for name in before if before[name] != after[name]} == changed


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    """A package ``pipeline`` of ``files`` (path: source) under ``tmp_path``; its folder."""
    root = tmp_path / "pipeline"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_imports_are_followed_at_any_depth_and_inside_functions(tmp_path):
    files = {
        "__init__.py": "from pipeline import unused\n",
        "unused.py": "",
        "a.py": "def f():\n    from pipeline import b\n    return b\n",
        "b.py": "from .sub import c\n",
        "sub/__init__.py": "import pipeline.unused\n",
        "sub/c.py": "from pipeline.sub.d import x\nimport json\n",
        "sub/d.py": "x = 1\n",
        "e.py": "",
    }
    root = _package(tmp_path, files)
    modules, parents = codehash.modules_of(("pipeline.a",), root)
    assert modules == ["pipeline.a", "pipeline.b", "pipeline.sub.c", "pipeline.sub.d"]
    # Packages run on the way: their source counts, their imports are not followed.
    assert parents == ["pipeline", "pipeline.sub"]
    with pytest.raises(ValueError, match=r"pipeline\.nothing: no such module"):
        codehash.modules_of(("pipeline.nothing",), root)


def test_imports_for_a_type_checker_only_are_not_followed(tmp_path):
    """What a module imports under ``if TYPE_CHECKING:`` is never run: it does not make the
    module's outputs, so its code is not in the module's fingerprint (an edit there would
    otherwise make every segment again); an import after the block still counts."""
    files = {
        "__init__.py": "",
        "a.py": (
            "from typing import TYPE_CHECKING\n"
            "\n"
            "if TYPE_CHECKING:\n"
            "    from pipeline import typed\n"
            "\n"
            "    import pipeline.typed_too\n"
            "from pipeline import run\n"
            "\n"
            "\n"
            "def f() -> None:\n"
            "    if TYPE_CHECKING:\n"
            "        import pipeline.typed_in_function\n"
            "    import pipeline.run_in_function\n"
        ),
        "typed.py": "",
        "typed_too.py": "",
        "typed_in_function.py": "",
        "run.py": "",
        "run_in_function.py": "",
    }
    modules, _ = codehash.modules_of(("pipeline.a",), _package(tmp_path, files))
    assert modules == ["pipeline.a", "pipeline.run", "pipeline.run_in_function"]


def test_a_change_outside_the_stages_code_keeps_their_results(tmp_path, monkeypatch):
    """The build asks for each part's fingerprint: with only the package's and the pages' code
    changed, every report comes from the cache and the segments are made again; with the
    stages' code changed, every report goes through the stages again."""
    src = tmp_path / "src"
    shutil.copytree(paths.SOURCE_DIR, src)
    cache = tmp_path / "cache"
    real = codehash.fingerprint
    edits = {"stages": "", "other": ""}

    def fingerprint(roots, root=paths.PACKAGE_DIR):
        part = "stages" if roots == codehash.STAGES else "other"
        return real(roots, root) + edits[part]

    monkeypatch.setattr(codehash, "fingerprint", fingerprint)
    first = build_into(src, tmp_path / "one", cache=cache)
    n = len(first.reports)
    assert n == 5 and first.cache_hits == 0
    segments_dir = cache.with_name("cache-package")
    made = {p.name for p in segments_dir.iterdir()}

    edits["other"] = "-edited"
    second = build_into(src, tmp_path / "two", cache=cache)
    assert second.cache_hits == n
    assert {p.name for p in segments_dir.iterdir()} != made  # the package's made again
    assert (tmp_path / "two" / "datasets" / "reports.csv").read_bytes() == (
        tmp_path / "one" / "datasets" / "reports.csv"
    ).read_bytes()

    edits["stages"] = "-edited"
    third = build_into(src, tmp_path / "three", cache=cache)
    assert third.cache_hits == 0 and len(third.reports) == n
