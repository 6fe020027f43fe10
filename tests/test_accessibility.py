"""WCAG 2.1 AA in Debian's chromium: axe-core on every page of a small site in both palettes,
keyboard-only use (search, filters, results, jump links, figure links, wide tables) with a
visible focus, reflow at 320 CSS px and with a doubled default font, reduced motion, and the
language tags of report text, titles and search results.

The site is the seed corpus with reports added so that every kind and shape of page is there:
a Simplified and a Traditional report in the mandated table format (key figures, tables,
checks), a report whose check fails (待核), and a file that cannot be read (the build report's
table). The pages audited are those of its sitemap.xml, so a new kind of page is audited as
soon as it is built; a test checks that every kind in ``PAGE_KINDS`` has a page among them.

Missing chromium or axe-core is a failure, not a skip: CI installs both (`invoke setup`)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urljoin

import pytest

from pipeline import paths
from pipeline.pages import PAGE_KINDS
from tests.browser_util import (
    AXE,
    TRADITIONAL_SEED,
    axe_violations,
    require_axe,
    site_address,
    wait_for_results,
)
from tests.conftest import build_into, copy_docs_assets
from tests.tools import synth

FAILING = ("serious", "critical")
SCHEMES = {"light": "default", "dark": "slate"}
DESKTOP = {"width": 1280, "height": 900}
QUERY = "政府信息公开"
DOUBTFUL = (
    "湘潭市岳塘区2013年政府信息公开工作年度报告\n"
    "发布机构：湘潭市岳塘区人民政府办公室\n\n"
    "一、概述\n全年主动公开政府信息120条。\n"
    "二、依申请公开情况\n"
    "本年度共收到政府信息公开申请10件，已办结10件，其中予以公开8件，部分公开3件，不予公开2件。\n"
    "三、收费情况\n未收取任何费用。\n"
)


def _first_synthetic(script: str) -> int:
    """The first synthetic report (seed 0) in a mandated table format and the given script."""
    for i in range(1, 500):
        t = synth.truth(i, 0)
        if t["format"] != "free_text" and t["script"] == script:
            return i
    raise AssertionError(f"no synthetic {script} report in a table format")


@pytest.fixture(scope="module")
def a11y_build(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("a11y")
    src = root / "src"
    src.mkdir()
    for p in sorted(paths.SOURCE_DIR.iterdir()):
        if p.is_file():
            shutil.copy(p, src / p.name)
    table_reports = {}
    for script in ("hans", "hant"):
        name, data = synth.generate_one(_first_synthetic(script), 0)
        (src / name).write_bytes(data)
        table_reports[script] = name
    (src / "doubtful.txt").write_text(DOUBTFUL, encoding="utf-8")
    (src / "unreadable.wps").write_bytes(b"\xd0\xcf\x11\xe0 not a document")
    copy_docs_assets(root / "docs")
    result = build_into(src, root, with_site=True)
    by_file = {r.archived.source_file: r for r in result.reports}
    site = root / "site"
    locs = re.findall(r"<loc>([^<]*)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    return {
        "site": site,
        "result": result,
        "by_file": by_file,
        "table_reports": {s: by_file[n].report_id for s, n in table_reports.items()},
        "doubtful": by_file["doubtful.txt"].report_id,
        "pages": [unquote(u).removeprefix("./") for u in locs],
    }


@pytest.fixture(scope="module")
def base(a11y_build, tmp_path_factory) -> str:
    with site_address(a11y_build["site"], tmp_path_factory.mktemp("a11y-www")) as url:
        yield url


@pytest.fixture(scope="module")
def axe_source() -> str:
    return require_axe()


def _url(base: str, rel: str) -> str:
    return urljoin(base, quote(rel, safe="/?=&"))


def _open_search(page, base: str, query: str = QUERY) -> None:
    """The search page with results and its three filters drawn (Pagefind, rarely, draws the
    filters late: one fresh load is allowed)."""
    filters = "() => document.querySelectorAll('.pagefind-ui__filter-name').length >= 3"
    for attempt in range(2):
        page.goto(_url(base, f"search/?q={query}"), wait_until="networkidle")
        wait_for_results(page, query)
        try:
            page.wait_for_function(filters, timeout=15_000)
            return
        except Exception:
            if attempt == 1:
                raise


# --------------------------------------------------------------------------- what is audited


def test_the_site_has_every_shape_of_page(a11y_build):
    site = a11y_build["site"]
    for script, rid in a11y_build["table_reports"].items():
        raw = (site / "reports" / rid / "index.html").read_text(encoding="utf-8")
        assert 'id="key-figures"' in raw and 'id="tables"' in raw and 'id="checks"' in raw, script
    doubtful = (site / "reports" / a11y_build["doubtful"] / "index.html").read_text("utf-8")
    assert "tag-doubt" in doubtful and "status-fail" in doubtful
    assert "<table>" in (site / "build-report" / "index.html").read_text(encoding="utf-8")
    assert (site / "reports" / TRADITIONAL_SEED / "index.html").exists()


def _md_url(docs_entry: str) -> str:
    """The address of the page a Markdown file becomes: ``x.md`` and ``x/index.md`` → ``x/``."""
    path = PurePosixPath(docs_entry).with_suffix("")
    if path.name == "index":
        return "" if str(path.parent) == "." else f"{path.parent}/"
    return f"{path}/"


def _page_urls(docs_entry: str, claimed: set[str], pages: list[str]) -> list[str]:
    """The built pages that come from one entry of a page kind's ``docs``: a Markdown file is
    one page; a folder, every page below it that another kind does not claim by name; any
    other file (the feed) is no page."""
    path = PurePosixPath(docs_entry)
    if path.suffix == ".md":
        return [u for u in pages if u == _md_url(docs_entry)]
    if path.suffix:
        return []
    return [u for u in pages if u.startswith(f"{path}/") and u not in claimed]


def test_every_page_kind_is_among_the_audited_pages(a11y_build):
    """The pages audited are the sitemap's; each kind that writes pages has one there."""
    pages = a11y_build["pages"]
    assert "" in pages and "search/" in pages and "datasets/" in pages, pages
    claimed = {_md_url(d) for kind in PAGE_KINDS for d in kind.docs if d.endswith(".md")}
    for kind in PAGE_KINDS:
        entries = [d for d in kind.docs if not PurePosixPath(d).suffix or d.endswith(".md")]
        if not entries:
            continue  # a kind that writes no page (the Atom feed)
        found = [u for d in entries for u in _page_urls(d, claimed, pages)]
        assert found, f"page kind {kind.name!r} ({kind.docs}) has no page in the audited site"


# --------------------------------------------------------------------------- axe-core


def _describe(violations: list[dict], impacts=FAILING) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}: {v['help']}) at {'; '.join(v['targets'][:8])}"
        + (f" and {len(v['targets']) - 8} more" if len(v["targets"]) > 8 else "")
        for v in violations
        if v["impact"] in impacts
    ]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_finds_no_serious_violation_on_any_page(
    browser, base, a11y_build, axe_source, scheme, record_property
):
    """axe-core's WCAG 2.0/2.1 A and AA rules on every page of the site, and on the search page
    with results and every filter open: no serious or critical violation."""
    ctx = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    page = ctx.new_page()
    failures: list[str] = []
    minor: dict[str, int] = {}
    audited = 0
    try:
        for rel in [*a11y_build["pages"], f"search/?q={QUERY}"]:
            if rel.startswith("search/?"):
                _open_search(page, base)
                page.evaluate(
                    "() => document.querySelectorAll('#search details').forEach(d => d.open = true)"
                )
                page.wait_for_selector(".pagefind-ui__filter-checkbox", state="visible")
            else:
                page.goto(_url(base, rel), wait_until="load")
            shown = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
            assert shown == SCHEMES[scheme], (rel, shown)
            violations = axe_violations(page, axe_source)
            audited += 1
            failures += [f"{scheme} · /{rel}: {d}" for d in _describe(violations)]
            for v in violations:
                if v["impact"] not in FAILING:
                    minor[v["id"]] = minor.get(v["id"], 0) + len(v["targets"])
    finally:
        ctx.close()
    record_property(f"axe_minor_{scheme}", minor)
    assert audited >= len(a11y_build["pages"]) > 20
    assert not failures, "axe-core (WCAG 2.1 A/AA) found:\n" + "\n".join(failures)


def test_axe_is_pinned_and_installed():
    lock = json.loads((Path(__file__).parent / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/axe-core"]["version"]
    manifest = json.loads((Path(__file__).parent / "package.json").read_text(encoding="utf-8"))
    assert manifest["dependencies"]["axe-core"] == pinned  # an exact version, not a range
    assert AXE.exists(), "axe-core is missing: run `invoke setup`"
    installed = json.loads((AXE.parent / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == pinned


@pytest.mark.browser
def test_axe_reports_what_it_is_given(browser, axe_source):
    """The audit can fail: a page with low contrast and an unlabelled field is reported."""
    page = browser.new_page()
    try:
        page.set_content(
            '<html lang="zh"><head><title>t</title></head><body><main>'
            '<p style="color:#bbb;background:#fff">浅色文字</p><input type="text"></main></body></html>'
        )
        found = {v["id"] for v in axe_violations(page, axe_source) if v["impact"] in FAILING}
    finally:
        page.close()
    assert {"color-contrast", "label"} <= found


# --------------------------------------------------------------------------- keyboard

FOCUS = """(selector) => {
    const e = document.activeElement;
    if (!e || e === document.body) return {what: 'body', matches: false, visible: false};
    const box = e.getBoundingClientRect();
    // A hidden control (Material's palette switch) shows its focus on the label after it.
    const next = e.nextElementSibling;
    const shown = box.width === 0 || box.height === 0
        ? (next && next.tagName === 'LABEL' ? next : (e.labels && e.labels[0]) || e) : e;
    const cs = getComputedStyle(shown);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow && cs.boxShadow !== 'none';
    const what = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
        (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '') +
        ' ' + (e.textContent || e.value || '').trim().slice(0, 20);
    return {what, matches: e.matches(selector), visible: Boolean(outline || shadow)};
}"""


def _tab_to(page, selector: str, limit: int = 80) -> list[str]:
    """Press Tab until the focus is on ``selector``; every element focused on the way shows a
    visible focus. Returns what was focused."""
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS, selector)
        seen.append(state["what"])
        assert state["visible"], f"no visible focus on {state['what']} (after {seen[:-1]})"
        if state["matches"]:
            return seen
    raise AssertionError(f"{selector} not reached by {limit} presses of Tab: {seen}")


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport=DESKTOP)
    pg = ctx.new_page()
    yield pg
    ctx.close()


@pytest.mark.browser
def test_keyboard_only_from_home_to_a_search_result(page, base):
    """Tab to the home page's search box, type, Enter; Tab to the first result, Enter."""
    page.goto(base, wait_until="networkidle")
    _tab_to(page, "#home-q", limit=20)
    page.keyboard.type("岳塘区")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    wait_for_results(page, "岳塘区")
    _tab_to(page, ".pagefind-ui__result-link", limit=40)
    target = page.evaluate("() => document.activeElement.href")
    page.keyboard.press("Enter")
    page.wait_for_url(target)
    assert "/reports/" in page.url
    assert page.locator("article h1").count() == 1


@pytest.mark.browser
def test_filters_work_by_keyboard(page, base):
    """From the search box: Tab to a filter, Enter opens it, Tab to a value, Space ticks it,
    and the results are filtered."""
    _open_search(page, base)
    before = page.locator(".pagefind-ui__message").inner_text()
    page.focus("#search-q")
    _tab_to(page, "summary.pagefind-ui__filter-name", limit=5)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.parentElement.open === true")
    _tab_to(page, ".pagefind-ui__filter-checkbox", limit=3)
    value = page.evaluate("() => document.activeElement.value")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked") is True
    page.wait_for_function(
        "(before) => { const m = document.querySelector('.pagefind-ui__message');"
        " return m && m.textContent.trim() !== before.trim() && !m.textContent.includes('正在'); }",
        arg=before,
    )
    after = page.locator(".pagefind-ui__message").inner_text()
    assert _count(after) < _count(before), (value, before, after)


def _count(message: str) -> int:
    """The number of results Pagefind's message states (none stated: 0)."""
    m = re.search(r"\d+", message)
    return int(m.group()) if m else 0


@pytest.mark.browser
def test_jump_links_and_figure_links_by_keyboard(page, base):
    """On a report page: Tab to the jump link to the key figures, Enter; Tab to the first figure,
    Enter: the sentence it was read from is the page's target."""
    page.goto(_url(base, f"reports/{TRADITIONAL_SEED}/"), wait_until="networkidle")
    _tab_to(page, ".report-jump a[href='#key-figures']", limit=120)
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash === '#key-figures'")
    _tab_to(page, "a.figure-link", limit=10)
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_function("(h) => location.hash === h", arg=href)
    assert page.evaluate("() => document.querySelector(':target').classList.contains('evidence')")


@pytest.mark.browser
def test_a_wide_table_scrolls_by_keyboard(browser, base, a11y_build):
    """A mandated table wider than its column takes the focus and scrolls with the arrow keys."""
    ctx = browser.new_context(viewport={"width": 600, "height": 900})
    page = ctx.new_page()
    try:
        rid = a11y_build["table_reports"]["hant"]
        page.goto(_url(base, f"reports/{rid}/"), wait_until="networkidle")
        wide = page.evaluate(
            """() => { const e = [...document.querySelectorAll('.mandated .table-wrap')]
                .find(w => w.scrollWidth > w.clientWidth);
              if (e) e.dataset.wide = 'yes';
              return e ? [e.getAttribute('tabindex'), e.getAttribute('aria-label')] : null; }"""
        )
        assert wide, "no mandated table is wider than the page here"
        assert wide[0] == "0" and wide[1]
        _tab_to(page, "[data-wide]", limit=250)
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('[data-wide]').scrollLeft > 0")
    finally:
        ctx.close()


# --------------------------------------------------------------------------- text that grows


def test_our_stylesheet_sets_no_font_size_in_px():
    css = (paths.SITE_DOCS_DIR / "assets" / "extra.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    sizes = re.findall(r"font(?:-size)?\s*:\s*([^;}]*)", css)
    assert sizes, "no font sizes found: the pattern is wrong"
    fixed = [s for s in sizes if re.search(r"\d(?:\.\d+)?px\b", s)]
    assert not fixed, fixed


def _overflow(page) -> list:
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


@pytest.mark.browser
@pytest.mark.slow
def test_pages_reflow_at_320_css_px(browser, base, a11y_build):
    """400 % zoom of a 1280 px window: every page fits 320 CSS px without scrolling sideways
    (wide tables scroll inside their own box)."""
    ctx = browser.new_context(viewport={"width": 320, "height": 640})
    page = ctx.new_page()
    wide = []
    try:
        for rel in [*a11y_build["pages"], f"search/?q={QUERY}"]:
            page.goto(_url(base, rel), wait_until="load")
            if rel.startswith("search/?"):
                wait_for_results(page, QUERY)
            scroll, client = _overflow(page)
            if scroll > client:
                wide.append((rel, scroll, client))
    finally:
        ctx.close()
    assert not wide, wide


def _big_font_context(browser, viewport: dict):
    """A context whose default font size is doubled (32 px instead of 16), as a reader sets it
    in the browser's settings."""
    ctx = browser.new_context(viewport=viewport)
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    return ctx, page


GROWS = [
    ".md-typeset p",
    ".md-typeset h1",
    ".muted",
    ".tag",
    ".report-card dt",
    ".report-jump a",
    ".hint",
    ".md-typeset table td",
    ".stat-tiles span",
    ".chart-title",
    ".search-hint",
    "#search-q",
    ".pagefind-ui__result-title",
    ".pagefind-ui__result-excerpt",
    ".pagefind-ui__filter-name",
    ".pagefind-ui__message",
    ".md-nav__link",
]
SIZES = """(selectors) => Object.fromEntries(selectors
    .map(s => [s, document.querySelector(s)])
    .filter(([, e]) => e)
    .map(([s, e]) => [s, parseFloat(getComputedStyle(e).fontSize)]))"""


@pytest.mark.browser
@pytest.mark.slow
def test_a_larger_default_font_grows_the_text_and_the_layout_holds(browser, base, a11y_build):
    """200 % zoom of a 1280 px window with the default font doubled: no page scrolls sideways,
    and text (ours, Material's, Pagefind's) is twice the size it is at the default font."""
    rels = [
        "",
        f"reports/{a11y_build['table_reports']['hant']}/",
        f"reports/{a11y_build['doubtful']}/",
        "datasets/",
        "browse/",
        f"search/?q={QUERY}",
    ]
    normal_ctx = browser.new_context(viewport={"width": 640, "height": 900})
    normal = normal_ctx.new_page()
    big_ctx, big = _big_font_context(browser, {"width": 640, "height": 900})
    problems = []
    checked = set()
    try:
        for rel in rels:
            sizes = []
            for pg in (normal, big):
                pg.goto(_url(base, rel), wait_until="networkidle")
                if rel.startswith("search/?"):
                    wait_for_results(pg, QUERY)
                    pg.wait_for_selector(".pagefind-ui__filter-name")
                sizes.append(pg.evaluate(SIZES, GROWS))
            scroll, client = _overflow(big)
            if scroll > client:
                problems.append(f"/{rel} scrolls sideways: {scroll} > {client}")
            for sel, px in sizes[0].items():
                checked.add(sel)
                if sizes[1].get(sel, 0) < 1.9 * px:
                    problems.append(f"/{rel} {sel}: {px} px → {sizes[1].get(sel)} px")
        for rel in [p for p in a11y_build["pages"] if p not in rels]:
            big.goto(_url(base, rel), wait_until="load")
            scroll, client = _overflow(big)
            if scroll > client:
                problems.append(f"/{rel} scrolls sideways: {scroll} > {client}")
    finally:
        normal_ctx.close()
        big_ctx.close()
    assert checked == set(GROWS), set(GROWS) - checked
    assert not problems, problems


# --------------------------------------------------------------------------- motion


MOTION = """() => {
    const moving = [];
    for (const e of document.querySelectorAll('*')) {
        const cs = getComputedStyle(e);
        const times = (cs.animationName !== 'none' ? cs.animationDuration : '0s') + ',' +
            cs.transitionDuration;
        if (times.split(',').some(t => parseFloat(t) > 0)) moving.push(
            e.tagName.toLowerCase() + '.' + String(e.className).split(' ')[0]);
    }
    return {moving, scroll: getComputedStyle(document.documentElement).scrollBehavior};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_reduced_motion_is_respected(browser, base, motion):
    """With prefers-reduced-motion, nothing animates or transitions (the highlighted sentence of
    a figure link included); without it, the highlight flashes."""
    ctx = browser.new_context(viewport=DESKTOP, reduced_motion=motion)
    page = ctx.new_page()
    try:
        page.goto(_url(base, f"reports/{TRADITIONAL_SEED}/"), wait_until="networkidle")
        page.locator("a.figure-link").first.click()
        page.wait_for_function("() => document.querySelector(':target.evidence')")
        state = page.evaluate(MOTION)
    finally:
        ctx.close()
    if motion == "reduce":
        assert state["moving"] == [] and state["scroll"] == "auto", state
    else:
        assert any(m.startswith("span.evidence") for m in state["moving"]), state


# --------------------------------------------------------------------------- language tags


class _Tags(HTMLParser):
    """Start tags with their attributes and the text inside each (up to its end tag)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[dict] = []
        self.elements: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
            return
        el = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(el)
        self.open.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i]["tag"] == tag:
                del self.open[i:]
                break

    def handle_data(self, data):
        for el in self.open:
            el["text"] += data


def _elements(path: Path) -> list[dict]:
    p = _Tags()
    p.feed(path.read_text(encoding="utf-8"))
    return p.elements


def _expected_title_lang(r) -> str:
    own = {"hans": "zh-Hans", "hant": "zh-Hant"}[r.metadata.script]
    return own if r.metadata.title else "zh-Hans"


def test_report_titles_text_and_table_of_contents_carry_their_language(a11y_build):
    site = a11y_build["site"]
    hant = 0
    for r in a11y_build["result"].reports:
        els = _elements(site / "reports" / r.report_id / "index.html")
        text_lang = {"hans": "zh-Hans", "hant": "zh-Hant"}[r.metadata.script]
        (h1,) = [e for e in els if e["tag"] == "h1"]
        assert h1["attrs"].get("lang") == _expected_title_lang(r), r.report_id
        (body,) = [e for e in els if "report-text" in e["attrs"].get("class", "")]
        assert body["attrs"].get("lang") == text_lang
        toc = [
            e
            for e in els
            if e["tag"] == "a"
            and "md-nav__link" in e["attrs"].get("class", "")
            and e["attrs"].get("href", "").startswith("#")
        ]
        own = [e for e in toc if re.fullmatch(r"#[a-z-]+", e["attrs"]["href"])]
        from_text = [e for e in toc if e not in own]
        assert own and from_text, r.report_id
        assert all("lang" not in e["attrs"] for e in own), r.report_id
        assert all(e["attrs"].get("lang") == text_lang for e in from_text), r.report_id
        hant += r.metadata.script == "hant"
    assert hant >= 2


def test_report_links_in_lists_carry_the_language_of_their_title(a11y_build):
    site = a11y_build["site"]
    by_id = {r.report_id: r for r in a11y_build["result"].reports}
    seen = {"zh-Hans": 0, "zh-Hant": 0}
    pages = [site / "index.html", *sorted((site / "browse").rglob("index.html"))]
    pages.append(site / "reports" / "index.html")
    for path in pages:
        for e in _elements(path):
            m = re.search(r"reports/([\w-]+)/$", e["attrs"].get("href", ""))
            if e["tag"] != "a" or not m or m.group(1) not in by_id or "md-nav" in str(e["attrs"]):
                continue
            want = _expected_title_lang(by_id[m.group(1)])
            assert e["attrs"].get("lang") == want, (path, e)
            seen[want] += 1
    assert seen["zh-Hans"] and seen["zh-Hant"], seen


def test_feed_titles_carry_their_language(a11y_build):
    atom = "{http://www.w3.org/2005/Atom}"
    lang_attr = "{http://www.w3.org/XML/1998/namespace}lang"
    by_id = {r.report_id: r for r in a11y_build["result"].reports}
    feed = ET.parse(a11y_build["site"] / "feed.xml").getroot()
    langs = []
    for entry in feed.iter(f"{atom}entry"):
        rid = re.search(r"reports/([\w-]+)/", entry.find(f"{atom}link").get("href")).group(1)
        langs.append(entry.find(f"{atom}title").get(lang_attr))
        assert langs[-1] == _expected_title_lang(by_id[rid]), rid
    assert {"zh-Hans", "zh-Hant"} <= set(langs)


@pytest.mark.browser
def test_search_results_carry_the_language_of_their_text(page, base, a11y_build):
    """A result's title is tagged with its report's script; an excerpt or heading of a
    Traditional report with Traditional-only characters is zh-Hant, and nothing of a Simplified
    report is."""
    t2s = json.loads((a11y_build["site"] / "assets" / "t2s.json").read_text(encoding="utf-8"))
    traditional = {t for t, s in zip(t2s["t"], t2s["s"], strict=False) if t != s}
    by_id = {r.report_id: r for r in a11y_build["result"].reports}
    _open_search(page, base)
    more = page.locator(".pagefind-ui__button")
    while more.count() and more.first.is_visible():
        more.first.click()
        page.wait_for_timeout(200)
    wait_for_results(page, QUERY)
    results = page.eval_on_selector_all(
        ".pagefind-ui__result",
        """els => els.map(li => ({
            href: li.querySelector('.pagefind-ui__result-link').getAttribute('href'),
            title: li.querySelector('.pagefind-ui__result-title').getAttribute('lang'),
            parts: [...li.querySelectorAll(
                '.pagefind-ui__result-nested .pagefind-ui__result-title, .pagefind-ui__result-excerpt'
            )].map(p => [p.getAttribute('lang'), p.textContent]),
        }))""",
    )
    scripts = set()
    for res in results:
        rid = re.search(r"reports/([\w-]+)/", res["href"]).group(1)
        r = by_id[rid]
        assert res["title"] == _expected_title_lang(r), res
        for lang, text in res["parts"]:
            if r.metadata.script == "hans":
                assert lang == "zh-Hans", (rid, text)
            elif traditional & set(text):
                assert lang == "zh-Hant", (rid, text)
            else:
                assert lang in ("zh-Hans", "zh-Hant"), (rid, text)
        scripts.add(r.metadata.script)
    assert scripts == {"hans", "hant"}, results
