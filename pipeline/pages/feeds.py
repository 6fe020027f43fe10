"""Machine-read files beside the pages: the Atom feed of the newest reports and the sitemap
(written after MkDocs, from the built site)."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from pipeline.fileio import files_under
from pipeline.pages.common import (
    LEVEL_ZH,
    LICENSE_NAME,
    SITE_NAME,
    Output,
    PageKind,
    Site,
    level,
    newest_first,
    region,
    title_lang,
)
from pipeline.pages.render import render
from pipeline.records import Report

FEED_MAX = 50
FEED_NS = uuid.UUID("8d3c5f0e-3a52-5b0e-9a59-6f1d1f6b7a21")
_EPOCH = "2008-01-01T00:00:00Z"


def _feed_time(r: Report) -> str:
    m = r.metadata
    if m.published_date:
        return f"{m.published_date}T00:00:00Z"
    if m.year:
        return f"{m.year + 1}-01-01T00:00:00Z"
    return _EPOCH


def feed_xml(reports: Sequence[Report]) -> str:
    """Atom feed of the newest reports (by publication date), with no build timestamps."""
    entries = newest_first(reports)[:FEED_MAX]
    return render(
        "feed.xml.j2",
        site_name=SITE_NAME,
        license=LICENSE_NAME,
        feed_id=f"urn:uuid:{uuid.uuid5(FEED_NS, 'feed')}",
        updated=max((_feed_time(r) for r in entries), default=_EPOCH),
        entries=[
            {
                "title": r.metadata.display_title,
                "lang": title_lang(r),
                "id": f"urn:uuid:{uuid.uuid5(FEED_NS, r.report_id)}",
                "href": f"reports/{r.report_id}/",
                "time": _feed_time(r),
                "author": r.metadata.issuer or "未知机关",
                "year": r.metadata.year or "未知",
                "level": LEVEL_ZH.get(level(r), "未知"),
                "summary": f"{r.metadata.issuer or '未知机关'} · {region(r)} · "
                f"{r.metadata.year or '年度未知'} 年度 · {len(r.statistics)} 个统计数字",
            }
            for r in entries
        ],
    )


SITEMAP_SKIP = ("pagefind", "downloads", "assets")
"""Top-level folders of the site that hold no pages."""


def write_sitemap(site_dir: Path, files: Iterable[str] | None = None) -> None:
    """``sitemap.xml`` listing every page by its address relative to the site's root, so that it
    stays right wherever the site is hosted (mkdocs writes an empty one without ``site_url``).
    ``files`` are the site's files (paths relative to it) when the caller knows them already
    (the sharded build, which linked them); else the folder is walked."""
    if files is None:
        files = files_under(site_dir, skip=SITEMAP_SKIP)
    locs = [
        "./" if rel == "index.html" else quote(rel[: -len("index.html")])
        for rel in files
        if (rel == "index.html" or rel.endswith("/index.html"))
        and rel.split("/", 1)[0] not in SITEMAP_SKIP
    ]
    xml = render("sitemap.xml.j2", locs=sorted(locs, key=lambda u: (u != "./", u))).encode()
    (site_dir / "sitemap.xml").write_bytes(xml)
    (site_dir / "sitemap.xml.gz").write_bytes(gzip.compress(xml, mtime=0))


def _outputs(site: Site) -> Iterator[Output]:
    yield "feed.xml", feed_xml(site.reports)


KIND = PageKind("feed", ("feed.xml",), _outputs)
