"""Serving a built site from a subfolder on localhost and driving Debian's chromium with Playwright.

Used by the browser tests and by ``invoke screenshots``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SUBFOLDER = "sub"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
TRADITIONAL_SEED = "000_908af32b971cb386"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def stage_in_subfolder(site_dir: Path, www: Path) -> Path:
    """Copy ``site_dir`` to ``www/sub/`` so that it is served below a path, not at the root."""
    dest = www / SUBFOLDER
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(site_dir, dest)
    return dest


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) in a thread; yields the origin URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def site_address(site_dir: Path, www: Path) -> Iterator[str]:
    """The built site served below ``/<SUBFOLDER>/`` of a local server (so that every test also
    proves it works from a subfolder); yields its address."""
    stage_in_subfolder(site_dir, www)
    with serve(www) as origin:
        yield f"{origin}/{SUBFOLDER}/"


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's chromium driven by Playwright; a clear error (not a skip) when it is missing."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as p:
        b = launch(p)
        try:
            yield b
        finally:
            b.close()


def require_chromium() -> str:
    """Path of Debian's chromium; a clear error (not a skip) when it is not installed."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(run `invoke setup`, or `apt-get install chromium fonts-noto-cjk`)"
        )
    return str(CHROMIUM)


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)


def wait_for_results(page: Any, term: str | None = None, timeout: float = 15_000) -> list[str]:
    """Wait until the search page shows the outcome of its query (of ``term`` when given) with
    every result loaded; the addresses of the result pages, without fragments."""
    page.wait_for_function(
        """(term) => {
            const m = document.querySelector('.pagefind-ui__message');
            const text = m ? m.textContent.trim() : '';
            if (!text || text.includes('正在搜索') || (term && !text.includes(term))) return false;
            if (document.querySelector('#search .pagefind-ui__loading')) return false;
            return [...document.querySelectorAll('.pagefind-ui__result')]
                .every(r => r.querySelector('a.pagefind-ui__result-link[href]'));
        }""",
        arg=term,
        timeout=timeout,
    )
    hrefs = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.href)")
    return list(dict.fromkeys(h.split("#")[0] for h in hrefs))


AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core, installed by `invoke setup` (``npm ci`` in tests/, version pinned in its lock file)."""
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


def require_axe() -> str:
    """The source of axe-core; a clear error (not a skip) when it is not installed."""
    if not AXE.exists():
        raise RuntimeError(
            f"{AXE} is missing: the accessibility tests need the npm package axe-core "
            "(run `invoke setup`, or `npm ci --prefix tests`)"
        )
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any, source: str, tags: tuple[str, ...] = WCAG_21_AA) -> list[dict]:
    """axe-core's violations of the rules tagged ``tags`` on the page as it is now: for each,
    its rule id, impact, help text and the CSS selectors of the failing nodes.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    does not govern; a <script> tag (Playwright's add_script_tag) would be refused by it."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    return page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')),
            }));
        }""",
        list(tags),
    )


class Transfer:
    """Bytes received by a page, per request, counted from the responses' bodies."""

    def __init__(self, page: Any) -> None:
        self.requests: list[tuple[str, str, int]] = []
        page.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        try:
            sizes = request.sizes()
            size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        except Exception:  # noqa: BLE001 - a request without sizes counts as 0
            size = 0
        self.requests.append((request.resource_type, request.url, size))

    def total(self, kinds: tuple[str, ...] = ()) -> int:
        return sum(n for kind, _, n in self.requests if not kinds or kind in kinds)

    def reset(self) -> None:
        self.requests.clear()


def take_screenshots(site_dir: Path, out_dir: Path, query: str = "岳塘区 政府信息") -> list[Path]:
    """PNGs of home, the Traditional seed's report page and a search, at desktop and phone width."""
    import tempfile

    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    report = TRADITIONAL_SEED if (site_dir / "reports" / TRADITIONAL_SEED).is_dir() else None
    if report is None:
        found = sorted(p.parent.name for p in (site_dir / "reports").glob("*/index.html"))
        report = found[0] if found else ""
    shots = [("home", ""), ("report", f"reports/{report}/"), ("search", f"search/?q={query}")]
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        www = Path(tmp)
        stage_in_subfolder(site_dir, www)
        with serve(www) as origin, sync_playwright() as p:
            browser = launch(p)
            try:
                for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                    for scheme in ("light", "dark"):
                        ctx = browser.new_context(viewport=viewport, color_scheme=scheme)
                        page = ctx.new_page()
                        for name, rel in shots:
                            if scheme == "dark" and name != "report":
                                continue
                            page.goto(f"{origin}/{SUBFOLDER}/{rel}", wait_until="networkidle")
                            if name == "search":
                                wait_for_results(page)
                            suffix = "" if scheme == "light" else "-dark"
                            path = out_dir / f"{name}-{width_name}{suffix}.png"
                            page.screenshot(path=str(path), full_page=name != "report")
                            written.append(path)
                        ctx.close()
            finally:
                browser.close()
    return written
