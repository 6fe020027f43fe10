"""Search page: the search box and Pagefind's results (driven by assets/search.js)."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.pages.common import Output, PageKind, Site
from pipeline.pages.render import render


def search_page() -> str:
    return render("search.md.j2")


def _outputs(site: Site) -> Iterator[Output]:
    yield "search.md", search_page()


KIND = PageKind("search", ("search.md",), _outputs, copied_text=False)
