"""Machine-read files beside the pages: the Atom feed of the newest reports and the sitemap
(written after MkDocs, from the built site)."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

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


SITEMAP_MAX = 50_000
"""Addresses one sitemap file may list (the sitemaps.org protocol; at most 50 MB too, some 4 MB
here). A national site lists more: ``sitemap.xml`` is then an index of ``sitemap-1.xml``,
``sitemap-2.xml``, … of at most this many each."""

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _sitemap_xml(root: str, item: str, locs: Sequence[str]) -> bytes:
    """A sitemap (``urlset`` of ``url``) or sitemap index (``sitemapindex`` of ``sitemap``)
    listing ``locs`` (already percent-encoded, so nothing in them needs escaping but ``&``),
    an element a line."""
    lines = [f"<{item}><loc>{escape(loc)}</loc></{item}>" for loc in locs]
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{_SITEMAP_NS}">\n'
    return (head + "\n".join(lines) + ("\n" if lines else "") + f"</{root}>\n").encode()


def write_sitemap(site_dir: Path, files: Iterable[str] | None = None) -> None:
    """``sitemap.xml`` listing every page by its address relative to the site's root, so that it
    stays right wherever the site is hosted (mkdocs writes an empty one without ``site_url``),
    or above ``SITEMAP_MAX`` pages the index of the sitemaps that do. ``files`` are the site's
    files (paths relative to it) when the caller knows them already (the sharded build, which
    linked them); else the folder is walked."""
    if files is None:
        files = files_under(site_dir, skip=SITEMAP_SKIP)
    locs = sorted(
        (
            "./" if rel == "index.html" else quote(rel[: -len("index.html")])
            for rel in files
            if (rel == "index.html" or rel.endswith("/index.html"))
            and rel.split("/", 1)[0] not in SITEMAP_SKIP
        ),
        key=lambda u: (u != "./", u),
    )
    if len(locs) <= SITEMAP_MAX:
        xml = _sitemap_xml("urlset", "url", locs)
    else:
        names = []
        for k, start in enumerate(range(0, len(locs), SITEMAP_MAX), 1):
            names.append(f"sitemap-{k}.xml")
            part = locs[start : start + SITEMAP_MAX]
            (site_dir / names[-1]).write_bytes(_sitemap_xml("urlset", "url", part))
        xml = _sitemap_xml("sitemapindex", "sitemap", names)
    (site_dir / "sitemap.xml").write_bytes(xml)
    (site_dir / "sitemap.xml.gz").write_bytes(gzip.compress(xml, mtime=0))


def _outputs(site: Site) -> Iterator[Output]:
    yield "feed.xml", feed_xml(site.reports)


KIND = PageKind("feed", ("feed.xml",), _outputs, copied_text=False)
