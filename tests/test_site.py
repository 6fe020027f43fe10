"""The built website of the seed corpus, read as files (no browser): content, links, privacy,
structured data, feed, charts, the datasets page's code, and byte-identical rebuilds."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from pipeline import pages, paths
from tests.conftest import GOLD, build_into, copy_docs_assets

ENTRIES = json.loads(GOLD.read_text(encoding="utf-8"))
IDS = [e["source_file"].split("_")[0] for e in ENTRIES]
ATOM = "{http://www.w3.org/2005/Atom}"


class Refs(HTMLParser):
    """Every URL an HTML page refers to, with its tag and attributes, and every element id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str, dict[str, str]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        for name in ("href", "src", "srcset", "poster", "data", "action"):
            if name in a:
                self.refs.append((tag, name, a[name], a))


def _parse(path: Path) -> Refs:
    p = Refs()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _html_pages(site: Path) -> list[Path]:
    """The built pages. 404.html is left out: a server shows it at any address, so mkdocs gives it
    root-relative links (it is the one page that cannot work from a subfolder)."""
    return sorted(
        p
        for p in site.rglob("*.html")
        if "pagefind" not in p.relative_to(site).parts and p.name != "404.html"
    )


def _page_url(site: Path, page: Path) -> str:
    """The address of a built page below the site's root, as a path starting with '/'."""
    rel = page.relative_to(site).as_posix()
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _target(site: Path, base_url: str, href: str) -> Path:
    path = unquote(urlsplit(urljoin(base_url, href)).path)
    f = site / path.lstrip("/")
    return f / "index.html" if path.endswith("/") else f


def _text(path: Path) -> str:
    """A page's visible text (tags removed, entities decoded)."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def _is_external(url: str) -> bool:
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, flags=re.I))


def _report(seed_build, entry):
    r = seed_build["by_file"].get(entry["source_file"])
    assert r is not None, f"{entry['source_file']} was not published"
    return r


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_report_page_has_title_and_body(seed_build, entry):
    r = _report(seed_build, entry)
    page = seed_build["site"] / "reports" / r.report_id / "index.html"
    text = _text(page)
    assert entry["title"] in text
    for phrase in entry["must_keep"]:
        assert phrase in text, phrase


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_report_page_search_markup(seed_build, entry):
    """Pagefind reads the body container and three filters from attributes of that element."""
    r = _report(seed_build, entry)
    raw = (seed_build["site"] / "reports" / r.report_id / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<div class="report" ([^>]*)>', raw)
    assert m, "the report body container is missing"
    attrs = m.group(1)
    assert "data-pagefind-body" in attrs
    assert 'data-pagefind-filter="年度[data-year], 层级[data-level], 省份[data-province]"' in attrs
    assert f'data-year="{r.metadata.year}"' in attrs
    assert f'data-level="{pages.LEVEL_ZH[r.metadata.admin_level]}"' in attrs
    assert f'data-province="{r.metadata.region.province}"' in attrs
    assert len(re.findall(r"<[^>]*\sdata-pagefind-body[\s=>]", raw)) == 1


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_key_figures_link_to_their_sentences(seed_build, entry):
    r = _report(seed_build, entry)
    page = seed_build["site"] / "reports" / r.report_id / "index.html"
    raw = page.read_text(encoding="utf-8")
    refs = _parse(page)
    links = re.findall(r'<a class="figure-link" href="#([^"]+)"', raw)
    assert len(links) == sum(1 for s in r.statistics if s.anchor)
    for anchor in links:
        assert anchor in refs.ids
        assert re.search(rf'<span class="evidence" id="{re.escape(anchor)}">', raw)
    if r.statistics:
        assert '<th scope="col">指标</th>' in raw and '<th scope="row">' in raw


def test_traditional_report_has_simplified_copy(seed_build):
    r = seed_build["by_file"]["000_908af32b971cb386.txt"]
    raw = (seed_build["site"] / "reports" / r.report_id / "index.html").read_text(encoding="utf-8")
    assert 'lang="zh-Hant"' in raw and 'lang="zh-Hans"' in raw
    body = raw[raw.index('<div class="report"') : raw.index('id="downloads"')]
    assert "全区2009年主动公开政府信息605620条" in html.unescape(body)


def test_nav_is_short_and_lists_no_report(seed_build):
    site = seed_build["site"]
    for page in [site / "index.html", *sorted((site / "reports").glob("*/index.html"))[:2]]:
        raw = page.read_text(encoding="utf-8")
        nav = raw[raw.index('<nav class="md-nav md-nav--primary"') :]
        nav = nav[: nav.index("</nav>")]
        hrefs = re.findall(r'href="([^"]*)"', nav)
        assert len(hrefs) <= 8, hrefs
        assert not [h for h in hrefs if "reports/" in h], hrefs


def test_browse_pages_exist(seed_build):
    site = seed_build["site"]
    for rel in [
        "browse",
        "browse/years",
        "browse/regions",
        "browse/levels",
        "browse/types",
        "reports",
    ]:
        assert (site / rel / "index.html").exists(), rel
    for r in seed_build["result"].reports:
        m = r.metadata
        assert (site / "browse" / "year" / str(m.year) / "index.html").exists()
        prov = site / "browse" / "region" / m.region.province
        assert (prov / "index.html").exists()
        if m.region.prefecture:
            text = _text(prov / m.region.prefecture / "index.html")
            assert m.title in text
            if m.region.county:
                assert m.region.county in text
        assert (site / "browse" / "level" / m.admin_level / "index.html").exists()


def test_large_groups_are_split_by_year(seed_build):
    """Every Markdown link of the browse pages resolves, also when groups are split by year."""
    reports = seed_build["result"].reports
    out = pages.browse_pages(reports, list_max=1)
    assert any(k.startswith("browse/level/") and not k.endswith("index.md") for k in out)
    known = set(out) | {f"reports/{r.report_id}.md" for r in reports} | {"search.md"}
    for rel, text in out.items():
        for target in re.findall(r"\]\(([^)#]+\.md)(?:#[^)]*)?\)", text):
            resolved = Path(rel).parent.joinpath(target).as_posix()
            parts: list[str] = []
            for part in resolved.split("/"):
                if part == "..":
                    parts.pop()
                elif part != ".":
                    parts.append(part)
            assert "/".join(parts) in known, (rel, target)


def test_a_browse_list_is_kept_only_while_what_it_shows_of_its_reports_is_the_same(seed_build):
    """A list page is kept by a hash of what it shows; a change of anything a report's line
    shows (title, issuer, date, script) changes exactly the lists holding that report."""
    from dataclasses import replace

    reports = sorted(seed_build["result"].reports, key=lambda r: r.report_id)

    def inputs(reps):
        seen = {}

        def keep(path, what):
            seen[path] = repr(what)
            return False

        return pages.browse_pages(reps, keep=keep), seen

    made, before = inputs(reports)
    r = reports[0]
    m = r.metadata
    listing = {path for path in before if f"reports/{r.report_id}.md" in made[path]}
    assert listing and listing != set(before)
    for change in (
        {"title": f"{m.display_title}（修订）"},
        {"issuer": "另一个机关"},
        {"published_date": "2001-02-03"},
        {"script": "hant" if m.script != "hant" else "hans"},
    ):
        _, after = inputs([replace(r, metadata=replace(m, **change)), *reports[1:]])
        assert {p for p in before if before[p] != after[p]} == listing, change
    _, again = inputs(list(reports))
    assert again == before


# --------------------------------------------------------------------------- links and privacy


def test_every_relative_link_resolves(seed_build):
    site = seed_build["site"]
    broken = []
    for page in _html_pages(site):
        refs = _parse(page)
        base = _page_url(site, page)
        for _tag, attr, url, _ in refs.refs:
            if (
                attr == "srcset"
                or not url
                or _is_external(url)
                or url.startswith(("mailto:", "data:", "javascript:"))
            ):
                continue
            assert not url.startswith("/"), (
                f"{page}: root-relative {url} breaks hosting in a subfolder"
            )
            if url.startswith("#"):
                if url != "#" and unquote(url[1:]) not in refs.ids:
                    broken.append((page.relative_to(site).as_posix(), url))
                continue
            if not _target(site, base, url).exists():
                broken.append((page.relative_to(site).as_posix(), url))
    assert not broken, broken[:20]


def test_no_page_loads_anything_from_another_origin(seed_build):
    site = seed_build["site"]
    loaded = {
        "script": "src",
        "img": "src",
        "iframe": "src",
        "source": "src",
        "audio": "src",
        "video": "src",
        "embed": "src",
        "object": "data",
        "track": "src",
        "input": "src",
    }
    bad = []
    for page in _html_pages(site):
        raw = page.read_text(encoding="utf-8")
        for tag, attr, url, attrs in _parse(page).refs:
            if not _is_external(url):
                continue
            rel = attrs.get("rel", "")
            stylesheet_or_icon = tag == "link" and not {"canonical", "alternate"} & set(rel.split())
            if stylesheet_or_icon or loaded.get(tag) == attr:
                bad.append((page.name, tag, url))
        for m in re.finditer(r"(?:url\(|@import\s)\s*['\"]?((?:https?:)?//[^'\")\s]+)", raw):
            bad.append((page.name, "css", m.group(1)))
    for css in sorted((site / "assets").rglob("*.css")):
        for m in re.finditer(
            r"(?:url\(|@import\s)\s*['\"]?((?:https?:)?//[^'\")\s]+)",
            css.read_text(encoding="utf-8"),
        ):
            bad.append((css.name, "css", m.group(1)))
    assert not bad, bad[:20]
    assert "fonts.googleapis" not in (site / "index.html").read_text(encoding="utf-8")
    own_js = (site / "assets" / "search.js").read_text(encoding="utf-8")
    assert "http://" not in own_js and "https://" not in own_js


def test_material_search_is_off_and_fonts_are_local(seed_build):
    raw = (seed_build["site"] / "index.html").read_text(encoding="utf-8")
    assert (
        "search/search_index.json" not in raw
        and not (seed_build["site"] / "search" / "search_index.json").exists()
    )
    assert "fonts.gstatic" not in raw and "fonts.googleapis" not in raw


# --------------------------------------------------------------------------- datasets, feed, sitemap


def _jsonld(seed_build) -> dict:
    raw = (seed_build["site"] / "datasets" / "index.html").read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', raw, flags=re.S)
    assert len(blocks) == 1
    assert "</" not in blocks[0]
    return json.loads(blocks[0])


def test_datasets_jsonld(seed_build):
    data = _jsonld(seed_build)
    site = seed_build["site"]
    assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
    assert data["license"].startswith("https://")
    names = set()
    for d in data["distribution"]:
        f = _target(site, "/datasets/", d["contentUrl"])
        assert f.exists(), d["contentUrl"]
        assert hashlib.sha256(f.read_bytes()).hexdigest() == d["sha256"]
        names.add(d["name"])
    assert {"datapackage.json", "reports.csv", "statistics.parquet", "corpus.zip"} <= names


def test_jsonld_escapes_script_breaking_text():
    text = pages.json_for_script({"name": "</script><script>alert(1)</script> & <!--"})
    assert "</" not in text and "<!--" not in text and "&" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script> & <!--"


def test_datasets_page_lists_files_with_checksums(seed_build):
    raw = (seed_build["site"] / "datasets" / "index.html").read_text(encoding="utf-8")
    ds = seed_build["datasets"]
    for name in [
        "datapackage.json",
        "reports.csv",
        "reports.parquet",
        "statistics.csv",
        "corpus.zip",
    ]:
        assert f'href="../downloads/{name}"' in raw
        assert hashlib.sha256((ds / name).read_bytes()).hexdigest() in raw
    for field in ("report_id", "indicator", "evidence"):
        assert f"<code>{field}</code>" in raw
    assert pages.LICENSE_NAME in raw


def _snippets(seed_build, kind: str) -> list[str]:
    """The code of the datasets page's examples (``id="snippet-<kind>…"``), as published."""
    raw = (seed_build["site"] / "datasets" / "index.html").read_text(encoding="utf-8")
    blocks = re.findall(
        rf'<div id="snippet-{kind}[^"]*" class="[^"]*"><pre>.*?<code>(.*?)</code>', raw, flags=re.S
    )
    return [html.unescape(re.sub(r"<[^>]+>", "", b)) for b in blocks]


def test_pandas_snippet_runs(seed_build):
    (code,) = _snippets(seed_build, "pandas")
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=seed_build["datasets"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1291" in proc.stdout.replace(
        ",", ""
    )  # the Traditional seed's applications (2009, province)


def test_duckdb_snippets_run(seed_build, monkeypatch):
    duckdb = pytest.importorskip("duckdb")
    blocks = _snippets(seed_build, "duckdb")
    assert len(blocks) >= 2
    monkeypatch.chdir(seed_build["datasets"])
    con = duckdb.connect()
    first = con.execute(blocks[0]).fetchall()
    assert (2009, "province", 1, 1291.0) in [tuple(row) for row in first]
    for sql in blocks[1:]:
        con.execute(sql).fetchall()


def test_feed_is_atom_with_one_entry_per_report(seed_build):
    site = seed_build["site"]
    root = ET.fromstring((site / "feed.xml").read_bytes())
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    reports = seed_build["result"].reports
    assert len(entries) == min(len(reports), pages.FEED_MAX)
    dates = [e.findtext(f"{ATOM}updated") for e in entries]
    assert dates == sorted(dates, reverse=True)
    ids = {e.findtext(f"{ATOM}id") for e in entries}
    assert len(ids) == len(entries) and all(i.startswith("urn:uuid:") for i in ids)
    for e in entries:
        href = e.find(f"{ATOM}link").get("href")
        assert _target(site, "/feed.xml", href).exists(), href
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", e.findtext(f"{ATOM}updated"))
    assert root.findtext(f"{ATOM}updated") == dates[0]
    for page in (site / "index.html", site / "reports" / reports[0].report_id / "index.html"):
        m = re.search(
            r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"',
            page.read_text("utf-8"),
        )
        assert m and _target(site, _page_url(site, page), m.group(1)) == site / "feed.xml"


def test_sitemap_lists_pages_with_relative_addresses(seed_build):
    site = seed_build["site"]
    root = ET.fromstring((site / "sitemap.xml").read_bytes())
    locs = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "./" in locs
    for r in seed_build["result"].reports:
        assert f"reports/{r.report_id}/" in locs
    for loc in locs:
        assert not _is_external(loc) and not loc.startswith("/")
        assert _target(site, "/sitemap.xml", loc).exists(), loc


def test_a_sitemap_above_the_protocols_limit_becomes_an_index_of_sitemaps(tmp_path, monkeypatch):
    """The sitemaps.org protocol allows 50,000 addresses a file; a national site has more:
    ``sitemap.xml`` is then an index of numbered sitemaps, each within the limit, listing every
    page once, in order (the limit set to 3 here)."""
    from pipeline.pages import feeds

    monkeypatch.setattr(feeds, "SITEMAP_MAX", 3)
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    files = ["index.html", "a&b/index.html", "assets/x.js", "downloads/y/index.html"]
    files += [f"reports/r{k}/index.html" for k in range(6)]
    feeds.write_sitemap(tmp_path, files)
    index = ET.fromstring((tmp_path / "sitemap.xml").read_bytes())
    assert index.tag == f"{ns}sitemapindex"
    parts = [e.text for e in index.iter(f"{ns}loc")]
    assert parts == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"]
    listed = []
    for name in parts:
        urlset = ET.fromstring((tmp_path / name).read_bytes())
        assert urlset.tag == f"{ns}urlset"
        locs = [e.text for e in urlset.iter(f"{ns}loc")]
        assert 1 <= len(locs) <= 3
        listed += locs
    assert listed == ["./", "a%26b/"] + [f"reports/r{k}/" for k in range(6)]
    assert (
        gzip.decompress((tmp_path / "sitemap.xml.gz").read_bytes())
        == (tmp_path / "sitemap.xml").read_bytes()
    )
    # Within the limit: one sitemap, no parts.
    monkeypatch.setattr(feeds, "SITEMAP_MAX", 8)
    (tmp_path / "sitemap-1.xml").unlink()
    feeds.write_sitemap(tmp_path, files)
    urlset = ET.fromstring((tmp_path / "sitemap.xml").read_bytes())
    assert [e.text for e in urlset.iter(f"{ns}loc")] == listed
    assert not (tmp_path / "sitemap-1.xml").exists()


# --------------------------------------------------------------------------- home page and search assets


def test_home_charts_have_text_alternatives(seed_build):
    raw = (seed_build["site"] / "index.html").read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="chart" id="([^"]+)">(.*?)</figure>', raw, flags=re.S)
    assert [f[0] for f in figures] == [
        "chart-reports-per-year",
        "chart-applications",
        "chart-indicators",
    ]
    for _, body in figures:
        svg = re.search(r"<svg [^>]*>", body).group(0)
        assert 'role="img"' in svg and 'aria-label="' in svg
        assert re.search(r"<title>[^<]+</title>", body) and "<desc>" in body
        assert (
            '<details class="chart-data">' in body
            and "<table>" in body
            and '<th scope="col">' in body
        )
    per_year = figures[0][1]
    counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', per_year)]
    assert sum(counts) == len(seed_build["result"].reports)
    assert "1,291" in figures[1][1]


def test_home_has_counts_and_latest(seed_build):
    text = _text(seed_build["site"] / "index.html")
    for word in ("按年度", "按层级", "按省级行政区", "最新收录", "内蒙古自治区"):
        assert word in text
    newest = pages.newest_first(seed_build["result"].reports)[0]
    assert newest.metadata.title in text


def test_search_page_and_character_map(seed_build):
    site = seed_build["site"]
    raw = (site / "search" / "index.html").read_text(encoding="utf-8")
    assert 'id="search"' in raw and 'name="q"' in raw and "../assets/search.js" in raw
    data = json.loads((site / "assets" / "t2s.json").read_text(encoding="utf-8"))
    t2s = dict(zip(data["t"], data["s"], strict=True))
    assert t2s["區"] == "区" and t2s["開"] == "开" and t2s["後"] == "后"
    assert "区" not in t2s and "a" not in t2s
    assert (site / "pagefind" / "pagefind-ui.js").exists()
    assert list((site / "pagefind").glob("*.pf_meta"))


def test_charts_are_deterministic_and_escaped():
    from pipeline import charts

    a = charts.column_chart("c", "标题 <x>", [("2019", 3.0), ("2020", 0.0)], "份")
    b = charts.column_chart("c", "标题 <x>", [("2019", 3.0), ("2020", 0.0)], "份")
    assert a == b and "<x>" not in a and "&lt;x&gt;" in a
    assert "\n\n" not in a  # one raw HTML block for Markdown


# --------------------------------------------------------------------------- reproducible builds


def _tree(root: Path, pattern: str) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob(pattern))
        if p.is_file()
    }


@pytest.mark.slow
def test_two_builds_are_byte_identical(seed_build, tmp_path):
    docs = tmp_path / "docs"
    copy_docs_assets(docs)
    build_into(paths.SOURCE_DIR, tmp_path, with_site=True)
    for pattern in ("*.html", "*.xml", "*.json", "*.css", "*.js"):
        first = {
            k: v
            for k, v in _tree(seed_build["site"], pattern).items()
            if not k.startswith("pagefind/")
        }
        second = {
            k: v
            for k, v in _tree(tmp_path / "site", pattern).items()
            if not k.startswith("pagefind/")
        }
        assert first.keys() == second.keys(), pattern
        assert [k for k in first if first[k] != second[k]] == [], pattern
    first, second = _tree(seed_build["datasets"], "*"), _tree(tmp_path / "datasets", "*")
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_links_in_finished_html_blocks_become_addresses_as_markdown_links_do(tmp_path, caplog):
    """Lists carried past Markdown as finished HTML (``raw_html``) link to the pages' Markdown
    files; the site build gives them the addresses MkDocs gives the same links in Markdown, and
    a link to a page that is not there fails the build as a strict build does."""
    from mkdocs.exceptions import Abort

    from pipeline.pages.render import raw_html
    from pipeline.site.mkdocs_run import mkdocs_build
    from tests.conftest import copy_docs_assets

    docs = tmp_path / "docs"
    copy_docs_assets(docs)
    (docs / "browse" / "year").mkdir(parents=True)
    (docs / "reports").mkdir()
    (docs / "reports" / "r1.md").write_text("# 报告一\n", encoding="utf-8")
    (docs / "index.md").write_text("# 首页\n", encoding="utf-8")
    # A link above the docs folder is written from the page's address (a Markdown download).
    download = '<a href="../../../downloads/r1.md">下载</a>'
    html = raw_html(f'<ul><li><a href="../../reports/r1.md#a">一</a></li><li>{download}</li></ul>')
    page = f"# 2019\n\n[Markdown](../../reports/r1.md#a)\n\n{html}\n"
    (docs / "browse" / "year" / "2019.md").write_text(page, encoding="utf-8")
    mkdocs_build(docs, tmp_path / "site", strict=False)
    out = (tmp_path / "site" / "browse" / "year" / "2019" / "index.html").read_text("utf-8")
    assert out.count('href="../../../reports/r1/#a"') == 2
    article = out.split("<article", 1)[1].split("</article>")[0]
    assert "raw-html" not in out and ".md" not in article.replace(download, "")
    assert download in article

    (docs / "browse" / "year" / "2019.md").write_text(
        page.replace('r1.md#a">', 'r2.md">'), encoding="utf-8"
    )
    with pytest.raises(Abort):
        mkdocs_build(docs, tmp_path / "site2", strict=False)
    assert "browse/year/2019.md: a link to ../../reports/r2.md goes nowhere" in caplog.text


def test_report_pages_written_by_their_tasks_are_those_the_kind_yields(seed_build):
    # The build has each render task write its pages into the docs folder (``Site.docs_dir``);
    # without a docs folder the kind yields the same pages for the pages stage to write.
    from pipeline.executor import LocalExecutor
    from pipeline.pages import report
    from pipeline.pages.common import Site

    result, docs = seed_build["result"], seed_build["docs"]
    site = Site(
        reports=result.reports,
        problems=result.problems,
        datasets_dir=seed_build["datasets"],
        cross=result.cross,
        executor=LocalExecutor(2),
    )
    yielded = dict(report.KIND.outputs(site))
    assert len(yielded) == 2 * len(result.reports)
    for rel, content in yielded.items():
        assert isinstance(content, str) and content, rel
        assert (docs / rel).read_text(encoding="utf-8") == content, rel


def test_one_markdown_converter_a_build_gives_the_html_of_one_a_page(
    crossyear_build, tmp_path, monkeypatch
):
    """A build keeps one Markdown converter, reset before each page (``mkdocs_run.
    _reuse_markdown_per_build``); every page comes out as with MkDocs' own converter per page."""
    from mkdocs.structure import pages

    from pipeline.site import mkdocs_run

    docs = crossyear_build["root"] / "docs"
    mkdocs_run.mkdocs_build(docs, tmp_path / "reused")
    assert pages.Page.render.reuses_markdown
    monkeypatch.setattr(pages.Page, "render", pages.Page.render.mkdocs_render)
    monkeypatch.setattr(mkdocs_run, "_reuse_markdown_per_build", lambda: None)
    mkdocs_run.mkdocs_build(docs, tmp_path / "fresh")
    reused, fresh = (sorted((tmp_path / d).rglob("*.html")) for d in ("reused", "fresh"))
    assert len(reused) == len(fresh) > 50
    differ = [
        p.relative_to(tmp_path / "reused").as_posix()
        for p, q in zip(reused, fresh, strict=True)
        if p.read_bytes() != q.read_bytes()
    ]
    assert differ == []


def test_a_page_sees_nothing_of_the_page_converted_before_it(tmp_path):
    # The kept converter is reset before each page: a reference defined on one page does not
    # make a link on the next (in MkDocs' order, a.md before b.md).
    from pipeline.site.mkdocs_run import mkdocs_build
    from tests.conftest import copy_docs_assets

    docs = tmp_path / "docs"
    copy_docs_assets(docs)
    (docs / "a.md").write_text("# A\n\n[甲][x]\n\n[x]: https://example.org/\n", encoding="utf-8")
    (docs / "b.md").write_text("# B\n\n[乙][x]\n", encoding="utf-8")
    (docs / "index.md").write_text("# 首页\n", encoding="utf-8")
    mkdocs_build(docs, tmp_path / "site", strict=False)
    a = (tmp_path / "site" / "a" / "index.html").read_text(encoding="utf-8")
    b = (tmp_path / "site" / "b" / "index.html").read_text(encoding="utf-8")
    assert '<a href="https://example.org/">甲</a>' in a
    assert "[乙][x]" in b and "example.org" not in b


def test_files_among_reads_each_folder_once_and_finds_only_files(tmp_path, monkeypatch):
    from pipeline.pages import files_among

    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "a.md").write_text("a")
    (tmp_path / "reports" / "b.md").mkdir()  # a folder, not a page
    (tmp_path / "home.md").write_text("h")
    rels = ["reports/a.md", "reports/b.md", "reports/gone.md", "home.md", "nowhere/x.md"]
    read: list[str] = []
    scandir = os.scandir

    def counted(path):
        read.append(str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counted)
    assert files_among(tmp_path, rels) == {"reports/a.md", "home.md"}
    assert sorted(read) == sorted([str(tmp_path), f"{tmp_path}/reports", f"{tmp_path}/nowhere"])


def test_a_kept_page_whose_file_is_gone_is_written_again(seed_build, tmp_path):
    """A page whose key is that of the last build is left as it is, unless its file is gone."""
    from pipeline.pages import write_pages

    result = seed_build["result"]

    def write() -> None:
        write_pages(
            tmp_path,
            result.reports,
            result.problems,
            seed_build["datasets"],
            salt="s",
            cross=result.cross,
            defer_datasets=True,
        )

    write()
    rel = f"reports/{result.reports[0].report_id}.md"
    other = tmp_path / f"reports/{result.reports[1].report_id}.md"
    text = (tmp_path / rel).read_text(encoding="utf-8")
    (tmp_path / rel).unlink()
    os.utime(other, ns=(10**9, 10**9))  # a file written again would be stamped now
    write()
    assert (tmp_path / rel).read_text(encoding="utf-8") == text
    assert other.stat().st_mtime_ns == 10**9  # kept, not written again


def test_the_kinds_written_before_the_copied_text_is_measured_do_not_read_it(crossyear_build):
    """The build writes the kinds whose ``copied_text`` is False while the copied text is
    measured beside them: each makes the same files without it (``crossreport.NOT_YET``
    fails on any use), and a kind that shows it would fail, not show none."""
    from dataclasses import replace

    from pipeline.crossreport import NOT_YET
    from pipeline.pages import PAGE_KINDS, reuse
    from pipeline.pages.common import Site

    result, cross = crossyear_build["result"], crossyear_build["cross"]
    assert cross.pairs  # the corpus copies text: a kind reading it would differ
    pending = replace(cross, reuse=NOT_YET, pairs=NOT_YET)

    def outputs(kind, c):
        site = Site(result.reports, result.problems, crossyear_build["datasets"], cross=c)
        return dict(kind.outputs(site))

    early = [k for k in PAGE_KINDS if not k.copied_text]
    assert {k.name for k in early} >= {"browse", "home", "series", "feed"}
    for kind in early:
        assert outputs(kind, pending) == outputs(kind, cross), kind.name
    with pytest.raises(RuntimeError, match="copied text read before it was measured"):
        outputs(reuse.KIND, pending)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("fork", [True, False])
def test_page_kinds_written_in_another_process_are_those_written_here(
    crossyear_build, tmp_path, monkeypatch, fork
):
    """``PageWriter.write_beside``: the kinds written in a forked process (or here, where this
    process may not fork) leave the same files, and the writer the same count, pages made and
    keys, as when written here; the writer may write other kinds after the join."""
    import pipeline.pages as pages_module
    from pipeline.pages import PAGE_KINDS, PageWriter

    result = crossyear_build["result"]
    if not fork:
        monkeypatch.setattr(pages_module, "can_fork", lambda: False)
    early = [k for k in PAGE_KINDS if not k.copied_text]
    late = [k for k in PAGE_KINDS if k.copied_text]
    outcome = {}
    for how in ("here", "beside"):
        docs = tmp_path / how
        writer = PageWriter(
            docs, result.reports, result.problems, crossyear_build["datasets"], "s", result.cross
        )
        if how == "here":
            writer.write(early)
        else:
            job = writer.write_beside(early)
            assert (job.job is not None) == fork
            job.join()
            job.join()  # once taken in, nothing more
        writer.write(late, defer_datasets=True)
        n = writer.finish()
        outcome[how] = (n, sorted(writer.made), dict(writer.site.keys), _files(docs))
        assert "pages_browse" in writer.timings and ("pages_beside" in writer.timings) == (
            how == "beside" and fork
        )
    assert outcome["beside"] == outcome["here"]
    assert outcome["here"][0] > 20 and any(r.startswith("browse/") for r in outcome["here"][1])


def test_a_page_kind_that_fails_in_another_process_fails_the_join(crossyear_build, tmp_path):
    """What writing the kinds beside raised is raised where the build waits for them, naming
    the process and the error; a writing cancelled is not waited for again."""
    from pipeline.pages import PageWriter
    from pipeline.pages.common import PageKind

    def broken(site):
        yield "broken.md", "x"
        raise ValueError("no such page")

    result = crossyear_build["result"]
    writer = PageWriter(
        tmp_path, result.reports, result.problems, crossyear_build["datasets"], "s", result.cross
    )
    job = writer.write_beside([PageKind("broken", ("broken.md",), broken, copied_text=False)])
    with pytest.raises(RuntimeError, match="pages: ValueError: no such page"):
        job.join()
    assert writer.pages == 0 and not writer.made
    slow = writer.write_beside(
        [PageKind("slow", ("slow.md",), lambda site: iter(time.sleep(60) or ()), False)]
    )
    t = time.perf_counter()
    slow.cancel()
    slow.join()  # nothing: cancelled
    assert time.perf_counter() - t < 30
