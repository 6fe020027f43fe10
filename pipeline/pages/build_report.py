"""Build report page: every problem of the build (file, stage, severity, message)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pipeline.pages.common import Output, PageKind, Site
from pipeline.pages.render import render


def build_report_page(problems: Sequence[Any]) -> str:
    # File names and messages come from sources (a message may quote a dropped URL).
    return render(
        "build_report.md.j2",
        problems=[(p.source_file, p.stage, p.severity, p.message) for p in problems],
    )


def _outputs(site: Site) -> Iterator[Output]:
    yield "build-report.md", build_report_page(site.problems)


KIND = PageKind("build report", ("build-report.md",), _outputs)
