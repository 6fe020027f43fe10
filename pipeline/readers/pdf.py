"""Read a PDF: its text layer in reading order, its ruled tables as grids, its page breaks.

Characters and their boxes come from PDFium (``pypdfium2``), which decodes every kind of font
PDFs carry in China (embedded CMaps included) and is fast; the geometry of ruled tables comes
from pdfplumber's table finder, run only on pages that draw lines, and its cells are filled
with PDFium's characters. ``pipeline.readers.layout`` turns the characters into paragraphs.
"""

from __future__ import annotations

import ctypes
import io
import re
from collections.abc import Sequence

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.archive import SourceError
from pipeline.readers import Document, hints_from
from pipeline.readers.layout import Char, PageContent, TableRegion, assemble, furniture

MIN_RULES = 4
"""A page with fewer drawn paths than this holds no ruled table (the finder is not run)."""
_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
# Code points that mean the text layer maps glyphs to nothing readable.
_ODD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ue000-\uf8ff\ufffd]")
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})(\d{2})")


def read_pdf(data: bytes) -> Document:
    """A PDF's text and tables; ``SourceError`` for what cannot be read (encrypted, damaged,
    truncated, scanned without a text layer)."""
    if b"%%EOF" not in data[-2048:]:
        raise SourceError(
            "the PDF is truncated (it has no end-of-file marker): the download was cut off"
        )
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise SourceError("the PDF is encrypted and needs a password to open") from exc
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise SourceError("the PDF uses an unsupported security handler") from exc
        raise SourceError("the PDF is damaged and cannot be opened") from exc
    try:
        return _read(pdf, data)
    finally:
        pdf.close()


def _read(pdf: pdfium.PdfDocument, data: bytes) -> Document:
    pages: list[PageContent] = []
    ruled: list[int] = []
    for index in range(len(pdf)):
        page = pdf[index]
        try:
            content, paths = _page(page, index + 1)
        finally:
            page.close()
        pages.append(content)
        if paths >= MIN_RULES and content.chars:
            ruled.append(index)
    if not pages:
        raise SourceError("the PDF has no pages")
    # A page whose only text is its running header or page number is a scan when it shows
    # an image (scanners' software adds page numbers as text).
    drop = furniture(pages)
    body = {p.number: [c for c in p.chars if id(c) not in drop] for p in pages}
    scanned = [p.number for p in pages if p.images and not body[p.number]]
    if not any(body.values()):
        if scanned:
            raise SourceError("a scanned PDF (no text layer); OCR is not supported")
        raise SourceError("the PDF holds no text")
    glyphs = "".join(c.text for chars in body.values() for c in chars)
    if len(_ODD.findall(glyphs)) > 0.1 * len(glyphs):
        raise SourceError(
            "the PDF's text layer cannot be decoded (its fonts map glyphs to no characters); "
            "OCR is not supported"
        )
    if ruled:
        _find_tables(data, pages, ruled)
    warnings: list[str] = []
    if scanned:
        listed = ", ".join(map(str, scanned))
        warnings.append(
            f"page{'s' if len(scanned) > 1 else ''} {listed} of the PDF "
            f"{'are scanned images' if len(scanned) > 1 else 'is a scanned image'} "
            "without a text layer; that text is missing (OCR is not supported)"
        )
    text, grids, page_starts = assemble(pages, drop)
    meta = pdf.get_metadata_dict(skip_empty=True)
    return Document(
        text=text,
        grids=grids,
        hints=hints_from(meta.get("Title"), meta.get("Author"), _date(meta.get("CreationDate"))),
        page_starts=page_starts,
        pages=len(pages),
        warnings=tuple(warnings),
    )


def _date(value: str | None) -> str | None:
    match = _PDF_DATE.match(value or "")
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else None


def _page(page: pdfium.PdfPage, number: int) -> tuple[PageContent, int]:
    """The page's characters (top-down coordinates) and its number of drawn paths."""
    # The visible page (its crop box, inherited where the page does not set its own).
    left, bottom, right, top = page.get_bbox()
    textpage = page.get_textpage()
    raw = textpage.raw
    chars: list[Char] = []
    x, y = ctypes.c_double(), ctypes.c_double()
    rect = pdfium_c.FS_RECTF()
    try:
        for i in range(textpage.count_chars()):
            # Spaces and line ends PDFium makes up from gaps are not in the file.
            if pdfium_c.FPDFText_IsGenerated(raw, i):
                continue
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            if code in (0, 0xFFFE) or code in (10, 13):
                continue
            pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect)
            pdfium_c.FPDFText_GetCharOrigin(raw, i, x, y)
            size = pdfium_c.FPDFText_GetFontSize(raw, i) or (rect.top - rect.bottom)
            chars.append(
                Char(
                    text=chr(code),
                    # Loose boxes (the glyph's advance and the font's height) make gaps
                    # between characters mean the same whatever the glyph's shape.
                    x0=rect.left - left,
                    x1=rect.right - left,
                    top=top - rect.top,
                    bottom=top - rect.bottom,
                    base=top - y.value,
                    size=float(size),
                )
            )
    finally:
        textpage.close()
    paths = 0
    images = 0
    for obj in page.get_objects(
        filter=[pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4
    ):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths += 1
        else:
            images += 1
    visible = [c for c in chars if not c.text.isspace()]
    content = PageContent(
        number=number,
        width=right - left,
        height=top - bottom,
        chars=chars if visible else [],
        images=images,
    )
    return content, paths


def _find_tables(data: bytes, pages: Sequence[PageContent], indexes: Sequence[int]) -> None:
    """Ruled tables of the given pages, as regions whose cells hold PDFium's characters."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as plumber:
        for index in indexes:
            page = plumber.pages[index]
            try:
                found = page.find_tables(_TABLE_SETTINGS)
            except Exception:  # noqa: BLE001 - a page whose drawing cannot be read has no table
                found = []
            finally:
                page.close()
            content = pages[index]
            dx, dy = page.bbox[0], page.bbox[1]
            for table in found:
                cells = [(c[0] - dx, c[1] - dy, c[2] - dx, c[3] - dy) for c in table.cells if c]
                region = TableRegion.from_cells(cells, content.chars)
                if region is not None:
                    content.tables.append(region)
