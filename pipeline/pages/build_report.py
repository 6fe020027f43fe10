"""Build report page: every problem of the build (file, stage, severity, message), continued on
numbered pages (``build-report/2.md``, …) when there are more than ``PAGE_ROWS``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pipeline.pages.common import Output, PageKind, Site
from pipeline.pages.render import render

PAGE_ROWS = 400
"""Problems listed on one page (about 100 KB of HTML)."""


def build_report_pages(problems: Sequence[Any], per_page: int = PAGE_ROWS) -> Iterator[Output]:
    # File names and messages come from sources (a message may quote a dropped URL).
    rows = [(p.source_file, p.stage, p.severity, p.message) for p in problems]
    n = max(1, -(-len(rows) // per_page))
    for k in range(1, n + 1):
        path = "build-report.md" if k == 1 else f"build-report/{k}.md"
        up = "" if k == 1 else "../"
        links = [f"{up}build-report.md"] + [
            f"{'build-report/' if k == 1 else ''}{j}.md" for j in range(2, n + 1)
        ]
        yield (
            path,
            render(
                "build_report.md.j2",
                problems=rows[(k - 1) * per_page : k * per_page],
                total=len(rows),
                k=k,
                pages=links,
            ),
        )


def build_report_page(problems: Sequence[Any]) -> str:
    """The first (for a small build, the only) page of the build report."""
    return next(build_report_pages(problems))[1]


def _outputs(site: Site) -> Iterator[Output]:
    yield from build_report_pages(site.problems)


KIND = PageKind("build report", ("build-report.md", "build-report"), _outputs, copied_text=False)
