"""PDF sources: the same report as text and as PDF gives the same metadata, figures and cells;
page furniture, two columns, tables across pages, scans, encryption and damage."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from pipeline import paths, readers
from pipeline.archive import SourceError
from pipeline.build import BuildResult, write_datasets
from pipeline.pages import report_page
from pipeline.readers import Document
from pipeline.records import Report, Source
from pipeline.report import process
from pipeline.site import stage_downloads
from tests import docmaker
from tests.conftest import build_into

pytestmark = pytest.mark.skipif(
    not docmaker.NOTO.exists(), reason="fonts-noto-cjk is missing: run `invoke setup`"
)

SEEDS = sorted(paths.SOURCE_DIR.glob("*.txt"))


@pytest.fixture(scope="module")
def spec2021() -> docmaker.Spec:
    return docmaker.fixture("report_2021.yml")


@pytest.fixture(scope="module")
def pdf2021(spec2021: docmaker.Spec) -> bytes:
    return docmaker.to_pdf(spec2021)


@pytest.fixture(scope="module")
def read2021(pdf2021: bytes) -> Document:
    result = readers.read(Source("report.pdf", pdf2021))
    assert result is not None
    return result[1]


@pytest.fixture(scope="module")
def reports2021(spec2021: docmaker.Spec, pdf2021: bytes) -> dict[str, Report]:
    text = docmaker.to_text(spec2021).encode("utf-8")
    return {
        "txt": process(Source("report.txt", text), "report"),
        "pdf": process(Source("report.pdf", pdf2021), "report"),
    }


# --------------------------------------------------------------------------- the core check


def test_pdf_gives_what_the_text_version_gives(reports2021: dict[str, Report]) -> None:
    text, pdf = reports2021["txt"], reports2021["pdf"]
    assert text.metadata.report_format == "template_2021"
    assert pdf.metadata == text.metadata
    assert pdf.cells == text.cells
    assert docmaker.figures(pdf) == docmaker.figures(text)
    assert docmaker.sentences(pdf) == docmaker.sentences(text)
    identities = [c for c in pdf.checks if c.check[:2] in ("I1", "I2", "I3", "I4")]
    assert identities and all(c.status == "pass" for c in identities)
    decoded = {(c.table, c.row_key, c.column_key): c.value for c in pdf.cells}
    assert decoded[("applications", "1", "total")] == 70
    assert decoded[("applications", "3.7", "total")] == 69
    assert decoded[("review_litigation", "litigation_direct", "total")] == 12


@pytest.mark.parametrize("seed", [SEEDS[0], SEEDS[1]], ids=lambda p: p.stem)
def test_two_column_pdf_of_a_seed_gives_what_its_text_gives(seed: Path) -> None:
    raw = seed.read_bytes()
    pdf = docmaker.to_pdf(docmaker.from_text(raw.decode("utf-8")), columns=2)
    from_pdf = process(Source(seed.stem + ".pdf", pdf), "r")
    from_text = process(Source(seed.name, raw), "r")
    assert from_pdf.metadata == from_text.metadata
    assert docmaker.figures(from_pdf) == docmaker.figures(from_text)
    assert docmaker.sentences(from_pdf) == docmaker.sentences(from_text)
    assert from_pdf.statistics, "the seed states figures"


# --------------------------------------------------------------------------- layout


def test_wrapped_sentences_are_whole_again(spec2021: docmaker.Spec, read2021: Document) -> None:
    """Every paragraph, wrapped over lines, columns and pages, is one line of the text, with
    no space put between Chinese characters."""
    lines = set(read2021.text.split("\n"))
    paragraphs = [text for kind, text, *_ in spec2021.body if kind in ("p", "h", "title")]
    assert [p for p in paragraphs if p not in lines] == []


def test_running_header_and_page_numbers_are_dropped(read2021: Document) -> None:
    lines = read2021.text.split("\n")
    assert docmaker.RUNNING_HEADER not in lines
    assert not [line for line in lines if re.fullmatch(r"—\s*\d+\s*—", line)]
    # The title, which the running header repeats part of, stays.
    assert lines[0] == "青岚新区2021年度政府信息公开工作年度报告"


def test_long_title_wrapped_over_two_centred_lines_is_whole() -> None:
    title = "内蒙古自治区呼伦贝尔市鄂温克族自治旗人民政府办公室2021年度政府信息公开工作年度报告"
    spec = docmaker.Spec([("title", title), ("p", "本年度共收到政府信息公开申请12件。")])
    report = process(Source("long-title.pdf", docmaker.to_pdf(spec)), "t")
    assert report.metadata.title == title
    assert report.metadata.year == 2021


def test_table_continued_on_the_next_page_is_one_grid(
    spec2021: docmaker.Spec, read2021: Document
) -> None:
    applications = [g for g in read2021.grids if any("本年新收" in c for c in g[3])]
    assert len(applications) == 1
    grid = applications[0]
    expected = docmaker.expand(spec2021.tables["applications"])
    assert [list(row) for row in grid] == expected  # header rows once, every row in order
    first, last = grid[3][0], grid[-1][0]
    assert readers.page_of(read2021, first) < readers.page_of(read2021, last)


def _pdf_page_holding(pdf: bytes, text: str) -> int:
    """Where PDFium's own text search finds a phrase (independent of the reader's layout)."""
    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page_text = document[index].get_textpage().get_text_range()
            if text in re.sub(r"\s+", "", page_text):
                return index + 1
    finally:
        document.close()
    raise AssertionError(f"{text} is on no page")


def test_each_figure_knows_its_page(reports2021: dict[str, Report], pdf2021: bytes) -> None:
    pdf = reports2021["pdf"]
    assert all(s.page is None for s in reports2021["txt"].statistics)
    for s in pdf.statistics:
        assert s.page is not None, s
        if s.method == "text":
            phrase = re.sub(r"\s+", "", s.evidence)[:12]
            assert s.page == _pdf_page_holding(pdf2021, phrase), s
    by = {s.indicator: s.page for s in pdf.statistics}
    assert by["applications_answered"] == _pdf_page_holding(pdf2021, "（七）总计")
    assert by["applications_received"] == _pdf_page_holding(pdf2021, "一、本年新收")


def test_report_page_links_the_pdf_at_each_figures_page(reports2021: dict[str, Report]) -> None:
    report = reports2021["pdf"]
    page = report_page(report, None, "../downloads")
    sha = report.archived.sha256
    assert f'href="../../downloads/originals/{sha}.pdf"' in page
    for s in report.statistics:
        assert f"../../downloads/originals/{sha}.pdf#page={s.page}" in page
    assert "#page=" not in report_page(reports2021["txt"], None, "../downloads")


def test_reading_is_deterministic(pdf2021: bytes, read2021: Document) -> None:
    again = readers.read(Source("again.pdf", pdf2021))
    assert again is not None and again[1] == read2021


# --------------------------------------------------------------------------- properties as hints


def test_file_properties_are_only_hints() -> None:
    pdf = docmaker.to_pdf(
        docmaker.SMALL, title="Microsoft Word - 年报.docx", author="某某县人民政府办公室"
    )
    report = process(Source("small.pdf", pdf), "small")
    m = report.metadata
    assert m.title == "某某县2021年政府信息公开工作年度报告"  # not the editor's file name
    assert m.published_date == "2022-02-08"  # the creation date: the text gives none
    dated = docmaker.Spec([*docmaker.SMALL.body, ("sign", "2022年1月20日")])
    report = process(Source("dated.pdf", docmaker.to_pdf(dated)), "dated")
    assert report.metadata.published_date == "2022-01-20"  # the text's date wins


# --------------------------------------------------------------------------- what cannot be read


def _error(data: bytes, name: str = "bad.pdf") -> str:
    with pytest.raises(SourceError) as caught:
        process(Source(name, data), "bad")
    return str(caught.value)


def test_scanned_pdf_is_refused_by_name() -> None:
    scan = docmaker.to_pdf(docmaker.Spec([]), scanned_pages=2)
    assert _error(scan) == "a scanned PDF (no text layer); OCR is not supported"


def test_scanned_page_among_text_pages_is_a_warning() -> None:
    report = process(Source("mixed.pdf", docmaker.to_pdf(docmaker.SMALL, scanned_pages=1)), "mixed")
    assert report.archived.warnings == (
        "page 2 of the PDF is a scanned image without a text layer; that text is missing "
        "(OCR is not supported)",
    )
    assert [s.value for s in report.statistics] == [12]


def test_encrypted_pdf() -> None:
    locked = docmaker.to_pdf(docmaker.SMALL, user_password="secret")
    assert _error(locked) == "the PDF is encrypted and needs a password to open"
    # Encrypted with permissions only (no password to open) is read.
    report = process(
        Source("open.pdf", docmaker.to_pdf(docmaker.SMALL, owner_password="o")), "open"
    )
    assert [s.value for s in report.statistics] == [12]


def test_truncated_and_corrupt_pdfs() -> None:
    whole = docmaker.to_pdf(docmaker.SMALL)
    assert "truncated" in _error(whole[: len(whole) // 2])
    corrupt = whole[:300] + b"\x00 not a PDF any more " * 40 + b"\n%%EOF\n"
    assert _error(corrupt) == "the PDF is damaged and cannot be opened"


def test_unreadable_files_are_reported_and_archived(tmp_path: Path) -> None:
    """A build over good and bad PDFs: bad ones named in the build report with their reason,
    every file's bytes archived, the good one published with the page of each figure."""
    src = tmp_path / "src"
    src.mkdir()
    whole = docmaker.to_pdf(docmaker.SMALL)
    other = docmaker.Spec([*docmaker.SMALL.body, ("p", "全年主动公开政府信息356条。")])
    files = {
        "good.pdf": whole,
        "good.docx": docmaker.to_docx(other),
        "scan.pdf": docmaker.to_pdf(docmaker.Spec([]), scanned_pages=1),
        "locked.pdf": docmaker.to_pdf(docmaker.SMALL, user_password="secret"),
        "cut.pdf": whole[:2000],
    }
    for name, data in files.items():
        (src / name).write_bytes(data)
    result = build_into(src, tmp_path / "out")
    errors = {p.source_file: p.message for p in result.problems if p.severity == "error"}
    assert set(errors) == {"scan.pdf", "locked.pdf", "cut.pdf"}
    assert "OCR is not supported" in errors["scan.pdf"]
    assert "password" in errors["locked.pdf"]
    assert "truncated" in errors["cut.pdf"]
    datasets = tmp_path / "out" / "datasets"
    archive = (datasets / "archive.csv").read_text(encoding="utf-8").splitlines()
    for name in files:
        row = next(line for line in archive if f",{name}," in line)
        assert f",{readers.media_type_of(name, files[name])}," in row
        assert row.endswith(",published" if name.startswith("good") else ",skipped")
    for data in files.values():
        sha = hashlib.sha256(data).hexdigest()
        assert (datasets / "archive" / sha[:2] / sha).read_bytes() == data
    ids = {r.archived.source_file: r.report_id for r in result.reports}
    with (datasets / "statistics.csv").open(encoding="utf-8") as f:
        pages = {(row["report_id"], row["page"]) for row in csv.DictReader(f)}
    assert pages == {(ids["good.pdf"], "1"), (ids["good.docx"], "")}
    # The site offers each original under its own extension.
    docs = tmp_path / "docs"
    stage_downloads(result.reports, datasets, docs)
    offered = sorted(p.name.split(".", 1)[1] for p in (docs / "downloads" / "originals").iterdir())
    assert offered == ["docx", "pdf"]


def test_datasets_are_byte_identical_from_the_same_pdf(tmp_path: Path, pdf2021: bytes) -> None:
    outs = []
    for run in ("a", "b"):
        report = process(Source("report.pdf", pdf2021), "report")
        out = tmp_path / run
        write_datasets(BuildResult(reports=[report]), {"report.pdf": pdf2021}, out)
        outs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outs[0] == outs[1]


def test_page_of_a_sentence_and_of_a_table_row() -> None:
    doc = Document(
        text="正文第一页\n| 三、本年度办理结果 | 1.属于国家秘密 | 0 | 0 |\n第二页",
        page_starts=(0, 6),
    )
    assert readers.page_of(doc, "正文第一页") == 1
    assert readers.page_of(doc, "第二页") == 2
    # A row quoted from the decoder's grid text is found by its label.
    assert readers.page_of(doc, "1.属于国家秘密 | 0 | 9 |") == 2
    assert readers.page_of(doc, "不在文中的句子") is None
    assert readers.page_of(Document(text="正文第一页"), "正文第一页") is None
