"""Benchmark of the PDF reader: pages per second, a 30-page report's time, and the quality of
table finders on the test PDFs (rows of the mandated tables read exactly)."""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from itertools import groupby
from pathlib import Path
from typing import Any

from pipeline import paths, readers
from pipeline.records import Source
from pipeline.report import process
from tests import docmaker
from tests.tools.truetype import truetype_subset

REPEATS = 3


def _thirty_pages() -> tuple[docmaker.Spec, bytes]:
    """A long report: the 2021-format report followed by the seed reports' text until the PDF
    has at least 30 pages."""
    base = docmaker.fixture("report_2021.yml")
    body = list(base.body)
    seeds = [
        docmaker.from_text(p.read_text(encoding="utf-8"))
        for p in sorted(paths.SOURCE_DIR.glob("*.txt"))
    ]
    spec = docmaker.Spec(body, base.tables)
    while True:
        pdf = docmaker.to_pdf(spec)
        if _pages(pdf) >= 30:
            return spec, pdf
        for seed in seeds:
            body += [("h" if kind == "title" else kind, text) for kind, text, *_ in seed.body]


def _pages(pdf: bytes) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def _best(seconds: list[float]) -> float:
    return round(statistics.median(seconds), 3)


def _timed(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return _best(times)


def _signature(row) -> tuple[str, ...]:
    """A row's cell texts with merged (repeated) cells once and spacing ignored."""
    cells = ["".join((c or "").split()) for c in row]
    return tuple(k for k, _ in groupby(c for c in cells if c))


def _fill_merged(table: list[list[str | None]]) -> list[list[str]]:
    """pdfplumber leaves the cells a merged cell covers None: repeat the merged cell's text
    there, as the reader's grids do, for a fair score. A None cell takes the text from above
    at the start of a row or where its left neighbour did, else from the left."""
    rows: list[list[str]] = []
    for r, row in enumerate(table):
        filled: list[str] = []
        from_above = True
        for c, cell in enumerate(row):
            if cell is not None:
                filled.append(cell)
                from_above = False
                continue
            above = rows[r - 1][c] if r and c < len(rows[r - 1]) else ""
            if c == 0 or from_above:
                filled.append(above)
                from_above = True
            else:
                filled.append(filled[c - 1])
        rows.append(filled)
    return rows


def table_quality(pdf: bytes, spec: docmaker.Spec) -> dict[str, Any]:
    """Share of the mandated tables' rows each finder reads exactly, on the test PDF."""
    import pdfplumber

    expected = [
        _signature(row) for name in spec.tables for row in docmaker.expand(spec.tables[name])
    ]
    expected = [row for row in expected if row]

    def score(rows: list[tuple[str, ...]]) -> float:
        found = set(rows)
        return round(sum(row in found for row in expected) / len(expected), 3)

    out: dict[str, Any] = {"rows": len(expected)}
    result = readers.read(Source("q.pdf", pdf))
    assert result is not None
    out["pdfplumber_lines_geometry_with_pdfium_text (used)"] = score(
        [_signature(row) for grid in result[1].grids for row in grid]
    )
    for name, settings in (
        ("pdfplumber_lines_with_pdfminer_text", {}),
        ("pdfplumber_text_strategy", {"vertical_strategy": "text", "horizontal_strategy": "text"}),
    ):
        rows = []
        with pdfplumber.open(io.BytesIO(pdf)) as plumber:
            for page in plumber.pages:
                for table in page.extract_tables(settings):
                    rows += [_signature(row) for row in _fill_merged(table)]
        out[name] = score(rows)
    with pdfplumber.open(io.BytesIO(pdf)) as plumber:
        out["pdfminer_chars_on_first_page"] = len(plumber.pages[0].chars)
    return out


def run_pdf() -> dict[str, Any]:
    """Reading time and throughput of the PDF reader, and the table finders compared."""
    out: dict[str, Any] = {}
    spec, long_pdf = _thirty_pages()
    pages = _pages(long_pdf)
    source = Source("long.pdf", long_pdf)
    read_s = _timed(lambda: readers.read(source))
    whole_s = _timed(lambda: process(source, "long"))
    out["report_30_pages"] = {
        "pages": pages,
        "bytes": len(long_pdf),
        "read_s": read_s,
        "all_stages_s": whole_s,
        "pages_per_s": round(pages / read_s, 1),
    }
    fixture = docmaker.fixture("report_2021.yml")
    table_pdf = docmaker.to_pdf(fixture)
    two_columns = docmaker.to_pdf(
        docmaker.from_text(sorted(paths.SOURCE_DIR.glob("*.txt"))[0].read_text(encoding="utf-8")),
        columns=2,
    )
    for name, pdf in (("report_2021_with_tables", table_pdf), ("seed_two_columns", two_columns)):
        n = _pages(pdf)
        seconds = _timed(lambda pdf=pdf: readers.read(Source("x.pdf", pdf)))
        out[name] = {"pages": n, "read_s": seconds, "pages_per_s": round(n / seconds, 1)}
    out["table_finders (Noto CJK, CFF)"] = table_quality(table_pdf, fixture)
    # The same documents in a TrueType font, which pdfminer (pdfplumber's text) can decode.
    with tempfile.TemporaryDirectory() as tmp:
        text = "".join(docmaker.to_text(s) for s in (fixture, spec)) + "— 0123456789"
        font = truetype_subset(docmaker.NOTO, docmaker.NOTO_SC, text, Path(tmp) / "noto.ttf")
        truetype_tables = docmaker.to_pdf(fixture, font=font)
        truetype_long = docmaker.to_pdf(spec, font=font)
    out["table_finders (TrueType)"] = table_quality(truetype_tables, fixture)
    n = _pages(truetype_long)
    ours = _timed(lambda: readers.read(Source("t.pdf", truetype_long)))
    plumber = _timed(lambda: _plumber_read(truetype_long), repeats=1)
    out["report_30_pages_truetype"] = {
        "pages": n,
        "read_s": ours,
        "pages_per_s": round(n / ours, 1),
        "pdfplumber_only_s": plumber,
        "pdfplumber_only_pages_per_s": round(n / plumber, 1),
    }
    return out


def _plumber_read(pdf: bytes) -> None:
    """What pdfplumber alone takes: every page's text and tables."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as plumber:
        for page in plumber.pages:
            page.extract_text()
            page.find_tables()
