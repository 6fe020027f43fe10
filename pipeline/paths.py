"""Every folder and data file the project uses, in one place (imports nothing from the project)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent

SOURCE_DIR = ROOT / "source_reports"
DATASETS_DIR = ROOT / "datasets"
SITE_DOCS_DIR = ROOT / "site_docs"
SITE_DIR = ROOT / "site"
CACHE_DIR = ROOT / ".cache" / "pipeline"
MKDOCS_YML = ROOT / "mkdocs.yml"

DATA_DIR = PACKAGE_DIR / "data"
EXTRACT_DIR = PACKAGE_DIR / "extract"

# The gold expectations live beside the checkout, not inside it.
SHARED_DIR = ROOT.parent / "shared"
GOLD_FILE = SHARED_DIR / "gold" / "seeds.json"
SAMPLES_DIR = SHARED_DIR / "samples"
