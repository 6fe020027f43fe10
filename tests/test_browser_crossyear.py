"""Issuer pages, the copied-text ranking and the series page in Debian's chromium (Playwright),
served from a subfolder: each renders, and links to report pages and back."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from tests.browser_util import site_address

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base(crossyear_build, tmp_path_factory) -> str:
    with site_address(crossyear_build["site"], tmp_path_factory.mktemp("www-crossyear")) as url:
        yield url


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    failed: list[str] = []
    pg.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    pg.failed = failed
    yield pg
    ctx.close()


def _path(url: str) -> str:
    return url.split("#")[0]


def test_issuer_page_links_to_a_report_and_back(page, base, crossyear_build):
    issuer = crossyear_build["cross"].issuer_of["a_2020"]
    page.goto(f"{base}issuers/{issuer}/", wait_until="networkidle")
    assert page.locator("h1").inner_text() == crossyear_build["cross"].by_id[issuer].name
    assert page.locator("figure.chart svg[role=img]").count() >= 1
    # A figure of the table opens the report at its sentence.
    link = page.locator("a.figure-link", has_text="1,700").first
    link.click()
    page.wait_for_load_state()
    assert _path(page.url) == urljoin(base, "reports/a_2021/")
    anchor = page.url.split("#", 1)[1]
    assert page.locator(f"[id='{anchor}']").count() == 1
    # The report page links back to its issuer.
    page.locator("a.issuer-link").click()
    page.wait_for_load_state()
    assert _path(page.url) == urljoin(base, f"issuers/{issuer}/")
    assert not page.failed, page.failed


def test_reuse_ranking_links_to_a_report_and_back(page, base):
    page.goto(f"{base}reuse/", wait_until="networkidle")
    # The first report of the first ranking (the chart's data table above it has no links).
    page.locator("table a[href*='reports/']").first.click()
    page.wait_for_load_state()
    assert _path(page.url) == urljoin(base, "reports/a_2020/")
    assert page.locator(".reused").count() == 20
    assert page.locator("#reuse").is_visible()
    page.get_by_role("link", name="全站重复比例排行").click()
    page.wait_for_load_state()
    assert _path(page.url) == urljoin(base, "reuse/")
    assert not page.failed, page.failed


def test_series_page_links_to_a_report_and_back(page, base):
    page.goto(f"{base}series/", wait_until="networkidle")
    section = page.locator("#s-applications-received")
    assert section.count() == 1
    assert page.locator("#chart-s-applications-received svg[role=img]").count() == 1
    coverage = page.locator("td", has_text=re.compile(r"^\d+/\d+$")).first
    assert coverage.count() == 1
    link = page.locator("a[href*='reports/'][href*='#']").first
    target = link.get_attribute("href")
    link.click()
    page.wait_for_load_state()
    assert _path(page.url) == _path(urljoin(f"{base}series/", target))
    page.locator("a.series-link").click()
    page.wait_for_load_state()
    assert _path(page.url) == urljoin(base, "series/")
    assert not page.failed, page.failed
