"""The seed site in Debian's chromium (Playwright), served from a subfolder of a local server:
search (Simplified ↔ Traditional), figure links, downloads, no third-party requests, phone layout.

Missing chromium is a failure, not a skip: CI installs it (`invoke setup`)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from urllib.parse import quote, urljoin

import pytest

from tests.browser_util import (
    CHROMIUM,
    PHONE,
    SUBFOLDER,
    TRADITIONAL_SEED,
    Transfer,
    serve,
    site_address,
    stage_in_subfolder,
    wait_for_results,
)
from tests.conftest import GOLD

pytestmark = pytest.mark.browser

ENTRIES = json.loads(GOLD.read_text(encoding="utf-8"))
IDS = [e["source_file"].split("_")[0] for e in ENTRIES]


def test_chromium_is_installed():
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (`invoke setup`) to run the browser tests"
    )


@pytest.fixture(scope="module")
def base(seed_build, tmp_path_factory) -> str:
    """The seed site's address, served below /sub/ to prove it works from a subfolder."""
    with site_address(seed_build["site"], tmp_path_factory.mktemp("www")) as url:
        yield url


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def _search(page, base: str, query: str) -> list[str]:
    page.goto(f"{base}search/?q={quote(query)}", wait_until="networkidle")
    return wait_for_results(page, query)


def _search_text(page, base: str, query: str) -> list[str]:
    """Search the reports' text for ``query``: when the page first answers with the pages of
    the issuers of that name, ask it for the text search (its button)."""
    links = _search(page, base, query)
    notice = page.locator("#search-scope")
    if "机关的名称" not in notice.inner_text():
        return links
    page.locator("#search-widen").click()
    page.wait_for_function(
        "() => !document.querySelector('#search-scope').textContent && ![...document"
        ".querySelectorAll('.pagefind-ui__result-link')].some(a => a.href.includes('/issuers/'))"
    )
    return wait_for_results(page, query)


def _report_url(base: str, report_id: str) -> str:
    return urljoin(base, f"reports/{report_id}/")


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_search_finds_each_seed_by_a_phrase_of_its_body(page, base, seed_build, entry):
    report = seed_build["by_file"][entry["source_file"]]
    phrase = entry["must_keep"][1]
    links = _search(page, base, phrase)
    assert _report_url(base, report.report_id) in links, (phrase, links)


def test_simplified_query_finds_traditional_report(page, base):
    links = _search(page, base, "主动公开政府信息605620")
    assert _report_url(base, TRADITIONAL_SEED) in links, links


def test_traditional_query_finds_simplified_report(page, base, seed_build):
    target = seed_build["by_file"]["002_1febd801f82f46fd.txt"].report_id
    links = _search(page, base, "岳塘區")
    assert _report_url(base, target) in links, links


def test_query_is_segmented_and_converted(page, base):
    page.goto(f"{base}search/", wait_until="networkidle")
    page.wait_for_function("() => typeof window.govSearchPrepare === 'function'")
    page.wait_for_function("() => window.govSearchPrepare('區') === '区'")
    assert (
        page.evaluate("() => window.govSearchPrepare('主動公開政府信息６０５６２０')")
        == "主动 公开 政府 信息 605620"
    )


def test_url_follows_typing_and_results_link_to_reports(page, base, seed_build):
    target = seed_build["by_file"]["002_1febd801f82f46fd.txt"].report_id
    page.goto(f"{base}search/", wait_until="networkidle")
    page.locator("#search-q").press_sequentially("岳塘区", delay=30)
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === '岳塘区'")
    links = wait_for_results(page, "岳塘区")
    assert _report_url(base, target) in links
    page.locator(".pagefind-ui__result-link").first.click()
    page.wait_for_load_state()
    assert page.url.split("#")[0].startswith(urljoin(base, "reports/"))


def test_filters_by_year_level_and_province(page, base):
    # Pagefind's UI loads the filter lists after the results and, rarely, draws them late: one
    # fresh load is allowed before the panel must show all three filters.
    script = "() => document.querySelectorAll('.pagefind-ui__filter-name').length >= 3"
    for attempt in range(2):
        _search(page, base, "政府信息公开")
        try:
            page.wait_for_function(script, timeout=15_000)
            break
        except Exception:
            if attempt == 1:
                raise
    names = page.eval_on_selector_all(
        ".pagefind-ui__filter-name", "els => els.map(e => e.textContent.trim())"
    )
    assert {"年度", "层级", "省份"} <= set(names), names


def test_figure_link_scrolls_to_and_highlights_its_sentence(page, base, seed_build):
    report = seed_build["by_file"]["000_908af32b971cb386.txt"]
    anchor = next(
        s.anchor
        for s in report.statistics
        if s.indicator == "applications_received" and s.scope is None
    )
    page.goto(_report_url(base, report.report_id), wait_until="networkidle")
    page.locator(f'a.figure-link[href="#{anchor}"]').first.click()
    page.wait_for_function(f"() => location.hash === '#{anchor}'")
    page.wait_for_timeout(300)
    state = page.evaluate(
        """() => {
            const t = document.querySelector(':target');
            const r = t.getBoundingClientRect();
            const bg = getComputedStyle(t).backgroundColor;
            return {id: t.id, cls: t.className, top: r.top, bottom: r.bottom, h: innerHeight, bg};
        }"""
    )
    assert state["id"] == anchor and "evidence" in state["cls"]
    assert 0 <= state["top"] < state["h"] and state["bottom"] > 0, state
    assert state["bg"] not in ("rgba(0, 0, 0, 0)", "transparent"), state
    header = page.evaluate(
        "() => document.querySelector('.md-header').getBoundingClientRect().bottom"
    )
    assert state["top"] >= header - 1, "the sentence is hidden under the sticky header"


def test_every_download_on_the_datasets_page_answers(page, base):
    page.goto(urljoin(base, "datasets/"), wait_until="networkidle")
    hrefs = page.eval_on_selector_all("a[href*='downloads/']", "els => els.map(e => e.href)")
    assert len(hrefs) >= 10
    for href in sorted(set(hrefs)):
        assert href.startswith(base)
        response = page.request.get(href)
        assert response.status == 200, href


@pytest.mark.parametrize(
    "rel", ["", f"reports/{TRADITIONAL_SEED}/", "datasets/", "search/?q=岳塘区", "browse/"]
)
def test_no_request_leaves_the_origin(page, base, rel):
    origin = base.split(f"/{SUBFOLDER}/")[0]
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(urljoin(base, rel), wait_until="networkidle")
    if rel.startswith("search"):
        wait_for_results(page)
        page.wait_for_load_state("networkidle")
    assert requests
    outside = [
        u for u in requests if not (u.startswith(origin + "/") or u.startswith(("data:", "blob:")))
    ]
    assert not outside, outside


@pytest.mark.parametrize(
    "rel", [f"reports/{TRADITIONAL_SEED}/", "", "datasets/", "search/?q=岳塘区"]
)
def test_phone_layout_has_no_horizontal_overflow(browser, base, rel):
    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    try:
        page.goto(urljoin(base, rel), wait_until="networkidle")
        if rel.startswith("search"):
            wait_for_results(page)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
    finally:
        ctx.close()


def test_dark_scheme_follows_the_system(browser, base):
    ctx = browser.new_context(color_scheme="dark")
    page = ctx.new_page()
    try:
        page.goto(_report_url(base, TRADITIONAL_SEED), wait_until="networkidle")
        assert page.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == "slate"
    finally:
        ctx.close()


def test_page_weights(browser, base, record_property):
    """HTML + CSS + JS a first visit transfers (figures for the project's notes, with loose bounds)."""
    weights = {}
    for name, rel in [
        ("home", ""),
        ("report", f"reports/{TRADITIONAL_SEED}/"),
        ("search", "search/?q=岳塘区"),
    ]:
        ctx = browser.new_context()
        page = ctx.new_page()
        t = Transfer(page)
        page.goto(urljoin(base, rel), wait_until="networkidle")
        if name == "search":
            wait_for_results(page)
            page.wait_for_load_state("networkidle")
            weights["search_fetch"] = t.total(("fetch", "xhr"))
            weights["search_all"] = t.total()
        weights[name] = t.total(("document", "stylesheet", "script"))
        ctx.close()
    record_property("page_weights", weights)
    print("page weights (bytes):", weights)
    assert weights["home"] < 600_000 and weights["report"] < 600_000
    assert weights["search_fetch"] < 300_000


# --------------------------------------------------------------------------- Content-Security-Policy

CSP_HOOK = """document.addEventListener('securitypolicyviolation', e => {
  (window.__csp = window.__csp || []).push([e.violatedDirective, e.blockedURI]); });"""


@pytest.fixture
def csp_page(browser):
    """A page that records CSP violations (events and console messages) of every document."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.add_init_script(CSP_HOOK)
    pg = ctx.new_page()
    pg.csp_console = []
    pg.on(
        "console",
        lambda m: pg.csp_console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield pg
    ctx.close()


def _violations(page) -> list:
    return page.evaluate("window.__csp || []") + page.csp_console


def test_policy_is_enforced(csp_page, base):
    """The policy is in force: script put into a page afterwards does not run, and is reported."""
    csp_page.goto(base, wait_until="networkidle")
    csp_page.evaluate(
        """() => {
        document.body.insertAdjacentHTML('beforeend', '<img src="x" onerror="window.__ran=1">');
        const s = document.createElement('script');
        s.textContent = 'window.__ran = 2';
        document.body.appendChild(s);
    }"""
    )
    csp_page.wait_for_timeout(300)
    assert csp_page.evaluate("window.__ran") is None
    assert {v[0] for v in csp_page.evaluate("window.__csp")} >= {
        "script-src-attr",
        "script-src-elem",
    }


@pytest.mark.parametrize(
    "rel", ["", f"reports/{TRADITIONAL_SEED}/", "datasets/", "browse/", "browse/years/"]
)
def test_our_pages_break_no_rule_of_the_policy(csp_page, base, rel):
    csp_page.goto(urljoin(base, rel), wait_until="networkidle")
    csp_page.mouse.wheel(0, 3000)  # navigation.top and toc.follow react to scrolling
    csp_page.wait_for_timeout(300)
    assert _violations(csp_page) == []


def test_search_works_under_the_policy(csp_page, base, seed_build):
    target = seed_build["by_file"]["002_1febd801f82f46fd.txt"].report_id
    links = _search(csp_page, base, "岳塘区")
    assert _report_url(base, target) in links
    csp_page.wait_for_function(
        "() => document.querySelectorAll('.pagefind-ui__filter-name').length"
    )
    assert _violations(csp_page) == []


def test_palette_toggle_works_under_the_policy(csp_page, base):
    csp_page.goto(base, wait_until="networkidle")
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    before = csp_page.evaluate(scheme)
    csp_page.locator("form[data-md-component='palette'] label:visible").first.click()
    csp_page.wait_for_function(f"() => ({scheme})() !== {json.dumps(before)}")
    chosen = csp_page.evaluate(scheme)
    # The choice is kept (Material's storage script, served as a file) on the next page.
    csp_page.goto(urljoin(base, "datasets/"), wait_until="networkidle")
    assert csp_page.evaluate(scheme) == chosen != before
    assert _violations(csp_page) == []


@pytest.fixture(scope="module")
def hostile_base(tmp_path_factory) -> str:
    """A site built from sources whose title, issuer, headings and body are markup."""
    from tests.conftest import build_into, copy_docs_assets

    root = tmp_path_factory.mktemp("hostile")
    src = root / "src"
    src.mkdir()
    payload = '<img src=x onerror="window.__pwned=1">'
    (src / f"{payload}.txt").write_text(
        f"2012年岳塘区{payload}政府信息公开工作年度报告\n"
        f"发布机构：岳塘区{payload}\n原文链接：javascript:window.__pwned=2\n\n"
        f"一、概述{payload}\n全年主动公开政府信息120条，蝙蝠侠{payload}&lt;b&gt;。\n"
        f"二、依申请公开\n蝙蝠侠收到申请15件。{payload}\n",
        encoding="utf-8",
    )
    copy_docs_assets(root / "docs")
    build_into(src, root, with_site=True)
    www = tmp_path_factory.mktemp("hostile-www")
    stage_in_subfolder(root / "site", www)
    with serve(www) as origin:
        yield f"{origin}/{SUBFOLDER}/"


def test_search_results_of_a_hostile_report_are_text(csp_page, hostile_base):
    """Pagefind shows titles, headings and excerpts of a hostile report as text (checked in the
    DOM, so that the policy hiding a failure would not hide it from this test)."""
    links = _search(csp_page, hostile_base, "蝙蝠侠")
    assert links
    assert csp_page.eval_on_selector_all("#search img, #search [onerror]", "els => els.length") == 0
    shown = csp_page.locator("#search").inner_text()
    assert "onerror" in shown  # the markup is there, as text
    csp_page.goto(links[0], wait_until="networkidle")
    assert csp_page.eval_on_selector_all("article img, [onerror]", "els => els.length") == 0
    assert csp_page.evaluate("window.__pwned") is None
    assert csp_page.locator("a[href^='javascript']").count() == 0


@pytest.fixture(scope="module")
def parts_site(tmp_path_factory):
    """48 synthetic reports whose search index is in 4 parts (parts of 12 pages), served; with
    the Simplified text of each report, as the index holds it."""
    import pipeline.site.search_index
    import pipeline.site.shards
    from tests.conftest import build_into, copy_docs_assets
    from tests.tools.synth import generate

    root = tmp_path_factory.mktemp("parts")
    generate(48, root / "src", seed=7)
    copy_docs_assets(root / "docs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline.site.shards, "SHARD_PAGES", 4)
        mp.setattr(pipeline.site.search_index, "INDEX_PAGES", 12)
        result = build_into(root / "src", root, with_site=True, workers=2)
    assert result.site.indexes == 4
    texts = {}
    for p in sorted((root / "datasets" / "texts").glob("*.txt")):
        rid = p.name.split(".", 1)[0]
        if p.name.endswith(".hans.txt") or rid not in texts:
            texts[rid] = p.read_text(encoding="utf-8")
    # The same site indexed whole: what a query over the parts must find.
    whole = root / "whole"
    shutil.copytree(root / "site", whole, ignore=shutil.ignore_patterns("pagefind"))
    pages = tuple(
        p.relative_to(whole).as_posix() for p in sorted(whole.glob("reports/*/index.html"))
    )
    job = pipeline.site.search_index.IndexJob("whole", pages, str(whole), str(root / "idx"), 0)
    pipeline.site.search_index.index_job(job)
    pipeline.site.search_index.assemble_indexes([job], whole)
    # The same site with the thresholds of a first search part by part scaled to its size
    # (48 pages: a query that may match more than 20 is searched until 5 results are found).
    sampled = root / "sampled"
    shutil.copytree(root / "site", sampled)
    listing = json.loads((sampled / "pagefind" / "parts.json").read_text(encoding="utf-8"))
    listing["sample"] = {"over": 20, "until": 5}
    (sampled / "pagefind" / "parts.json").write_text(json.dumps(listing), encoding="utf-8")
    with (
        site_address(root / "site", tmp_path_factory.mktemp("parts-www")) as url,
        site_address(whole, tmp_path_factory.mktemp("whole-www")) as whole_url,
        site_address(sampled, tmp_path_factory.mktemp("sampled-www")) as sampled_url,
    ):
        yield url, texts, result, whole_url, sampled_url


def test_a_search_over_index_parts_finds_only_pages_with_every_word(page, parts_site):
    """An issuer's name: a place found in one report and common words found in most. Searched
    part by part, the parts that lack the place would answer with every page holding the common
    words; the search page finds only pages that hold every word, as one index does."""
    base, texts, result, *_ = parts_site
    page.goto(f"{base}search/", wait_until="networkidle")
    page.wait_for_function(
        "() => window.govSearchPrepare && window.govSearchPrepare('區') === '区'"
    )

    def holders(word: str) -> set[str]:
        return {rid for rid, text in texts.items() if word in text}

    chosen = None
    for r in sorted(result.reports, key=lambda r: r.report_id):
        words = page.evaluate("(q) => window.govSearchPrepare(q)", r.metadata.issuer or "").split()
        counts = [len(holders(w)) for w in words]
        if len(words) >= 2 and min(counts) <= 2 and max(counts) >= 12:
            chosen = r, words
            break
    assert chosen, "the corpus has an issuer whose name mixes a rare word and a common one"
    report, words = chosen
    every = set.intersection(*(holders(w) for w in words))
    some = set.union(*(holders(w) for w in words))
    assert len(some) > len(every) + 8  # pages with some of the words abound

    links = _search_text(page, base, report.metadata.issuer)
    message = page.locator(".pagefind-ui__message").inner_text()
    found = int(re.findall(r"\d+", message.replace(report.metadata.issuer, ""))[0])
    assert _report_url(base, report.report_id) in links
    assert 1 <= found <= len(every), (message, sorted(every))
    for link in links:
        rid = link.rstrip("/").rsplit("/", 1)[-1]
        assert all(w in texts[rid] for w in words), (link, words)
    # The filters shown are the site's own: the part a page is indexed in is not one of them.
    names = page.eval_on_selector_all(
        ".pagefind-ui__filter-name", "els => els.map(e => e.textContent.trim())"
    )
    assert "part" not in names


def _found(page, base: str, query: str) -> int:
    _search_text(page, base, query)
    message = page.locator(".pagefind-ui__message").inner_text()
    numbers = re.findall(r"\d[\d,]*", message.replace(query, ""))
    return int(numbers[0].replace(",", "")) if numbers else 0


def test_a_search_over_index_parts_finds_what_one_index_finds(page, parts_site):
    """Issuers' names, figures stated by one report (a part without the figure would match it
    as the beginning of longer numbers), common words: as many results over 4 parts as over the
    same pages indexed whole."""

    base, texts, result, whole, _ = parts_site
    queries = ["主动公开", "政府信息 行政复议"]
    issuers = Counter(r.metadata.issuer for r in result.reports if r.metadata.issuer)
    queries += sorted(i for i, n in issuers.items() if n == 1 and len(i) >= 6)[:3]
    numbers: Counter[str] = Counter()
    for text in texts.values():
        numbers.update(set(re.findall(r"(?<![\d.,])\d{4,}(?![\d.,])", text)))
    queries += sorted(n for n, k in numbers.items() if k == 1)[:4]
    assert len(queries) == 9
    for query in queries:
        assert _found(page, base, query) == _found(page, whole, query), query


def test_a_search_over_index_parts_loads_only_the_parts_holding_its_words(browser, parts_site):
    """A figure stated by one report: the search page reads the word directory and loads the
    index of the one part that holds it (as itself or the beginning of a longer number), not
    the others (nor their metadata), and finds what one index finds; a word found in every
    part loads every part."""
    base, texts, _, whole, _ = parts_site
    numbers: Counter[str] = Counter()
    for text in texts.values():
        numbers.update(set(re.findall(r"(?<![\d.,])\d{5,}(?![\d.,])", text)))
    rare = sorted(n for n, k in numbers.items() if k == 1 and n[0] != "0")

    def parts_fetched(url: str, query: str) -> tuple[set[str], list[str]]:
        ctx = browser.new_context()  # nothing cached from another query
        page = ctx.new_page()
        urls: list[str] = []
        page.on("request", lambda req: urls.append(req.url))
        links = _search(page, url, query)
        ctx.close()
        found = {m for u in urls for m in re.findall(r"/pagefind/(part-\d+)/", u)}
        return found, sorted(link.replace(url, "") for link in links)

    for number in rare[:3]:
        fetched, links = parts_fetched(base, number)
        _, in_whole = parts_fetched(whole, number)
        assert 1 <= len(links) < 5 and links == in_whole, number  # all shown: no ranking ties
        assert len(fetched) == 1, (number, fetched)
    fetched, links = parts_fetched(base, "主动公开")
    assert fetched == {"part-0", "part-1", "part-2", "part-3"}
    assert len(links) >= 5


def test_a_query_found_in_very_many_reports_is_searched_first_in_some_parts(browser, parts_site):
    """A common word (its directory counts bound its matches above the site's threshold) loads
    one part, where it may match most, and the page says how many reports were searched; the
    button searches every part and finds what one index finds. A rare figure is searched whole
    with no notice. The page, notice and button shown, passes axe-core in both palettes."""
    from tests.browser_util import axe_violations, require_axe

    _, texts, _, whole, base = parts_site
    numbers: Counter[str] = Counter()
    for text in texts.values():
        numbers.update(set(re.findall(r"(?<![\d.,])\d{5,}(?![\d.,])", text)))
    rare = min(n for n, k in numbers.items() if k == 1 and n[0] != "0")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url))

    def parts_fetched() -> set[str]:
        return {m for u in urls for m in re.findall(r"/pagefind/(part-\d+)/", u)}

    try:
        _search(page, base, "主动公开")
        notice = page.locator("#search-scope")
        notice.wait_for(state="visible")
        pages = page.evaluate(
            "async (u) => (await (await fetch(u)).json()).pages", f"{base}pagefind/parts.json"
        )
        said = re.search(r"先在 (\d+) 份报告（全站 48 份）中搜索", notice.inner_text())
        assert said and int(said[1]) == max(pages), (notice.inner_text(), pages)
        assert len(parts_fetched()) == 1
        message = page.locator(".pagefind-ui__message").inner_text()
        first = int(re.findall(r"\d+", message.replace("主动公开", ""))[0])
        assert 5 <= first <= max(pages) < 48
        widen = page.get_by_role("button", name="在全部报告中搜索")
        assert widen.is_visible()
        for scheme, shown in (("light", "default"), ("dark", "slate")):
            other = browser.new_context(
                viewport={"width": 1280, "height": 900}, color_scheme=scheme
            )
            try:
                audited = other.new_page()
                _search(audited, base, "主动公开")
                audited.locator("#search-widen").wait_for(state="visible")
                assert (
                    audited.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
                    == shown
                )
                serious = [
                    v
                    for v in axe_violations(audited, require_axe())
                    if v["impact"] in ("serious", "critical")
                ]
            finally:
                other.close()
            assert serious == [], (scheme, serious)
        widen.focus()
        page.keyboard.press("Enter")
        page.wait_for_function(
            "(n) => { const m = document.querySelector('.pagefind-ui__message');"
            " const d = m && m.textContent.replace('主动公开', '').match(/\\d+/);"
            " return d && Number(d[0]) !== n; }",
            arg=first,
        )
        wait_for_results(page, "主动公开")
        message = page.locator(".pagefind-ui__message").inner_text()
        assert int(re.findall(r"\d+", message.replace("主动公开", ""))[0]) == _found(
            ctx.new_page(), whole, "主动公开"
        )
        assert parts_fetched() == {"part-0", "part-1", "part-2", "part-3"}
        assert notice.inner_text() == "" and not widen.is_visible()
        # A figure stated once: its one part, no notice.
        urls.clear()
        links = _search(page, base, rare)
        assert len(links) == 1 and len(parts_fetched()) == 1
        assert notice.inner_text() == "" and not widen.is_visible()
    finally:
        ctx.close()


def test_a_word_on_every_page_of_the_parts_searched_is_left_out_of_their_query(browser, parts_site):
    """A query of a figure stated once and a word every page holds (a label of the report card):
    over parts, the word is left out (it would not narrow the results and costs a chunk of
    every position), so the search loads the figure's chunks only, and finds what one index
    finds with the word."""
    import gzip
    from urllib.request import urlopen

    base, texts, _, whole, _ = parts_site
    listing = json.loads(urlopen(f"{base}pagefind/parts.json").read())
    everywhere = []
    for _, _, name in listing["words"]:
        body = gzip.decompress(urlopen(f"{base}pagefind/words/{name}").read()).decode()
        for line in body.splitlines():
            word, mask, counts = line.split("\t")
            full = [int(n) for n in counts.split(",")] == listing["pages"]
            if int(mask, 16) == 0b1111 and full and re.fullmatch(r"[\u4e00-\u9fff]{2,}", word):
                everywhere.append(word)
    assert everywhere, "a word on every report page (the report card's labels)"
    numbers: Counter[str] = Counter()
    for text in texts.values():
        numbers.update(set(re.findall(r"(?<![\d.,])\d{5,}(?![\d.,])", text)))
    rares = sorted(n for n, k in numbers.items() if k == 1 and n[0] != "0")

    def fetched(url: str, query: str) -> tuple[set[str], list[str]]:
        ctx = browser.new_context()
        page = ctx.new_page()
        urls: list[str] = []
        page.on("request", lambda req: urls.append(req.url))
        links = _search(page, url, query)
        ctx.close()
        chunks = {u.replace(url, "") for u in urls if u.endswith(".pf_index")}
        return chunks, sorted(link.replace(url, "") for link in links)

    # A figure and a word whose chunk in the figure's part is another (parts of 12 pages have
    # one or two chunks): searched, the word would cost that chunk.
    of_word = {w: fetched(base, w)[0] for w in everywhere[-6:]}  # late in the word order
    chosen = None
    for rare in rares[:10]:
        alone, links = fetched(base, rare)
        (part,) = {c.split("/")[1] for c in alone}
        for word, chunks in of_word.items():
            if {c for c in chunks if c.split("/")[1] == part} - alone:
                chosen = rare, word, alone, links
                break
        if chosen:
            break
    assert chosen, "a figure and a word on every page held in different chunks"
    rare, word, alone, links = chosen
    both, links_both = fetched(base, f"{rare} {word}")
    assert both == alone, word
    assert links_both == links == fetched(whole, f"{rare} {word}")[1] and len(links) == 1


def test_an_issuers_name_is_answered_first_with_the_issuers_page(browser, parts_site):
    """A query that is an issuer's name (in either script) shows that issuer's page, which lists
    its reports, and loads one file of names and no index part; the page says so, and its button
    searches every report's text, finding what one index finds. The page passes axe-core."""
    from pipeline.script import converter
    from tests.browser_util import axe_violations, require_axe

    base, _, result, whole, _ = parts_site
    issuer = max(result.cross.issuers, key=lambda i: (len(i.report_ids), i.issuer_id))
    assert len(issuer.report_ids) >= 2
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url))
    own_page = urljoin(base, f"issuers/{issuer.issuer_id}/")
    try:
        for query in (issuer.name, converter("s2t").convert(issuer.name)):
            urls.clear()
            assert _search(page, base, query) == [own_page], query
            assert not [u for u in urls if re.search(r"/pagefind/part-\d+/", u)], query
            assert len([u for u in urls if "/pagefind/names/" in u]) <= 1
            notice = page.locator("#search-scope").inner_text()
            assert f"“{issuer.name}”是一个机关的名称" in notice
            assert f"{len(issuer.report_ids)} 份报告" in notice
            years = f"{issuer.years[0]}–{issuer.years[-1]} 年"
            assert years in page.locator(".pagefind-ui__result-excerpt").inner_text()
        serious = [
            v for v in axe_violations(page, require_axe()) if v["impact"] in ("serious", "critical")
        ]
        assert serious == []
        # The result leads to the issuer's page, which links each of its reports.
        page.locator(".pagefind-ui__result-link").first.click()
        page.wait_for_url(own_page)
        listed = page.eval_on_selector_all("a[href*='reports/']", "els => els.map(e => e.href)")
        for rid in issuer.report_ids:
            assert any(f"/reports/{rid}/" in href for href in listed), rid
        # Every report's text, on request.
        urls.clear()
        links = _search_text(page, base, issuer.name)
        assert own_page not in links and links
        assert [u for u in urls if re.search(r"/pagefind/part-\d+/", u)]
        assert page.locator("#search-scope").inner_text() == ""
        assert not page.locator("#search-widen").is_visible()
        assert _found(page, base, issuer.name) == _found(ctx.new_page(), whole, issuer.name)
    finally:
        ctx.close()


def test_an_issuers_name_widened_is_searched_as_any_query_is(browser, parts_site):
    """Past the issuer's page, the text search for its name is searched as any query: part by
    part first when it may match more reports than the threshold (set to 0 here, by serving the
    parts' listing with it), and every part when widened again."""
    import gzip
    from urllib.request import urlopen

    base, _, result, _, _ = parts_site
    listing = json.loads(urlopen(f"{base}pagefind/parts.json").read())
    masks: dict[str, int] = {}
    for _, _, name in listing["words"]:
        body = gzip.decompress(urlopen(f"{base}pagefind/words/{name}").read()).decode()
        for line in body.splitlines():
            word, mask, _ = line.split("\t")
            masks[word] = int(mask, 16)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()

    def low_threshold(route):
        data = json.loads(route.fetch().body())
        data["sample"] = {"over": 0, "until": 1}
        route.fulfill(json=data)

    page.route("**/pagefind/parts.json", low_threshold)
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url))
    try:
        page.goto(f"{base}search/", wait_until="networkidle")
        chosen = None
        for issuer in sorted(result.cross.issuers, key=lambda i: i.issuer_id):
            words = page.evaluate("(q) => window.govSearchPrepare(q)", issuer.name).split()
            held = [0b1111] + [
                sum(m for w, m in masks.items() if w.startswith(word)) for word in words
            ]
            common = held[0]
            for m in held[1:]:
                common &= m
            if len(words) >= 2 and bin(common).count("1") >= 2:
                chosen = issuer, bin(common).count("1")
                break
        assert chosen, "an issuer whose name's words are all held by two parts or more"
        issuer, holding = chosen
        own_page = urljoin(base, f"issuers/{issuer.issuer_id}/")
        assert _search(page, base, issuer.name) == [own_page]
        notice = page.locator("#search-scope")
        widen = page.locator("#search-widen")
        assert "机关的名称" in notice.inner_text()
        urls.clear()
        widen.click()
        page.wait_for_function(
            "() => document.querySelector('#search-scope').textContent.includes('先在')"
        )
        links = wait_for_results(page, issuer.name)
        assert own_page not in links and links
        first = {m for u in urls for m in re.findall(r"/pagefind/(part-\d+)/", u)}
        assert 1 <= len(first) < holding
        widen.click()
        page.wait_for_function("() => !document.querySelector('#search-scope').textContent")
        wait_for_results(page, issuer.name)
        every = {m for u in urls for m in re.findall(r"/pagefind/(part-\d+)/", u)}
        assert len(every) == holding
        assert not widen.is_visible()
    finally:
        ctx.close()
