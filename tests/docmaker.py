"""Test documents made from report text: the same report printed as text, PDF (fpdf2 with a
Noto CJK font from Debian's fonts-noto-cjk) and DOCX (python-docx)."""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline.records import Report

FIXTURES = Path(__file__).parent / "fixtures" / "documents"
NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_SC = 2
"""Index of Noto Sans CJK SC in the collection (it has the Traditional forms too)."""
RUNNING_HEADER = "政府信息公开工作年度报告"

Block = tuple[str, ...]


@dataclass
class Spec:
    """A report as blocks: ("title", text), ("p", text), ("h", text[, level]),
    ("table", name), ("sign", text)."""

    body: list[Block]
    tables: dict[str, list[list[str]]] = field(default_factory=dict)


def fixture(name: str) -> Spec:
    data = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
    return Spec([tuple(b) for b in data["body"]], data.get("tables", {}))


_HEADING = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)])")


def from_text(text: str) -> Spec:
    """A plain-text report as blocks: the first line its title, short numbered lines headings."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    body: list[Block] = [("title", lines[0])]
    for line in lines[1:]:
        heading = _HEADING.match(line) and len(line) <= 30 and not line.endswith("。")
        body.append(("h", line) if heading else ("p", line))
    return Spec(body)


# --------------------------------------------------------------------------- tables


def spans(rows: list[list[str]]) -> list[tuple[int, int, str, int, int]]:
    """(row, column, text, rowspan, colspan) of every cell that is not merged into another."""
    out = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell in ("<", "^"):
                continue
            colspan = 1
            while c + colspan < len(row) and row[c + colspan] == "<":
                colspan += 1
            rowspan = 1
            while r + rowspan < len(rows) and rows[r + rowspan][c] == "^":
                rowspan += 1
            out.append((r, c, cell, rowspan, colspan))
    return out


def expand(rows: list[list[str]]) -> list[list[str]]:
    """The grid with merged cells repeated, as a saved web page's table reads."""
    grid = [["" for _ in row] for row in rows]
    for r, c, text, rowspan, colspan in spans(rows):
        for dr in range(rowspan):
            for dc in range(colspan):
                grid[r + dr][c + dc] = text
    return grid


def header_rows(rows: list[list[str]]) -> int:
    """Rows before the first that holds a figure."""
    for i, row in enumerate(rows):
        if any(re.fullmatch(r"-?[\d.]+", c) for c in row):
            return i
    return 0


# --------------------------------------------------------------------------- text


def to_text(spec: Spec) -> str:
    lines = []
    for kind, text, *_ in spec.body:
        if kind == "table":
            grid = expand(spec.tables[text])
            lines.append("| " + " | ".join(grid[0]) + " |")
            lines.append("| " + " | ".join("---" for _ in grid[0]) + " |")
            lines += ["| " + " | ".join(row) + " |" for row in grid[1:]]
        else:
            lines.append(text)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- PDF


@lru_cache(maxsize=1)
def _font_bytes() -> bytes:
    return NOTO.read_bytes()


def to_pdf(
    spec: Spec,
    *,
    columns: int = 1,
    header: str | None = RUNNING_HEADER,
    scanned_pages: int = 0,
    user_password: str | None = None,
    owner_password: str | None = None,
    title: str | None = None,
    author: str | None = None,
    font: Path | None = None,
) -> bytes:
    """The report as a PDF (in ``font``, a TrueType file, instead of Noto CJK when given): running header and page number on every page, paragraphs with a
    first-line indent wrapped at any character, ruled tables whose header rows repeat on a
    new page; ``columns=2`` sets the body in two columns; ``scanned_pages`` adds pages that
    are only an image of text."""
    from fpdf import FPDF
    from fpdf.enums import Align, WrapMode
    from fpdf.fonts import FontFace

    class Report(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("noto", size=9)
                self.set_y(28)
                self.cell(0, 12, header, align=Align.C)
                self.set_y(self.t_margin)

        def footer(self) -> None:
            self.set_font("noto", size=9)
            self.set_y(-45)
            self.cell(0, 12, f"— {self.page_no()} —", align=Align.C)

    pdf = Report(unit="pt", format="A4")
    pdf.set_margins(72, 80, 72)
    pdf.set_auto_page_break(True, margin=72)
    pdf.set_creation_date(datetime.datetime(2022, 2, 8))
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if font is None:
        pdf.add_font("noto", fname=str(NOTO), collection_font_number=NOTO_SC)
    else:
        pdf.add_font("noto", fname=str(font))
    pdf.add_page()
    body_size, line = 10.5, 18.0
    columned: list[Block] = []

    def flush_columns() -> None:
        if not columned:
            return
        with pdf.text_columns(
            ncols=columns, gutter=24, text_align="LEFT", wrapmode=WrapMode.CHAR, line_height=1.6
        ) as cols:
            for kind, text, *_ in columned:
                size = 12 if kind == "h" else body_size
                pdf.set_font("noto", size=size)
                with cols.paragraph(
                    first_line_indent=0 if kind == "h" else 2 * body_size,
                    bottom_margin=4 if kind == "h" else 0,
                ) as par:
                    par.write(text)
        columned.clear()

    for kind, text, *_ in spec.body:
        if columns > 1 and kind in ("p", "h"):
            columned.append((kind, text))
            continue
        flush_columns()
        pdf.set_x(pdf.l_margin)
        if kind == "title":
            pdf.set_font("noto", size=16)
            pdf.multi_cell(0, 26, text, align=Align.C)
            pdf.ln(8)
        elif kind == "h":
            pdf.set_font("noto", size=12)
            pdf.multi_cell(0, 22, text, align=Align.L)
        elif kind == "p":
            pdf.set_font("noto", size=body_size)
            _indented(pdf, text, body_size, line)
        elif kind == "sign":
            pdf.set_font("noto", size=body_size)
            pdf.multi_cell(0, line, text, align=Align.R)
        elif kind == "table":
            rows = spec.tables[text]
            pdf.set_font("noto", size=8)
            heads = header_rows(rows)
            widths = _column_widths(rows)
            with pdf.table(
                col_widths=widths,
                width=pdf.epw,
                num_heading_rows=heads,
                repeat_headings=1 if heads else 0,
                first_row_as_headings=heads > 0,
                headings_style=FontFace(emphasis=""),
                text_align="CENTER",
                line_height=11,
            ) as table:
                cells = spans(rows)
                for r in range(len(rows)):
                    row = table.row()
                    for rr, _c, cell, rowspan, colspan in cells:
                        if rr == r:
                            row.cell(cell, colspan=colspan, rowspan=rowspan)
            pdf.ln(10)
    flush_columns()
    for _ in range(scanned_pages):
        pdf.add_page()
        pdf.image(_scan_image(), x=72, y=90, w=pdf.epw)
    if user_password is not None or owner_password is not None:
        pdf.set_encryption(owner_password=owner_password or "owner", user_password=user_password)
    return bytes(pdf.output())


def _indented(pdf, text: str, size: float, line: float) -> None:
    """A paragraph whose first line is indented by two characters (as Chinese documents are)."""
    from fpdf.enums import Align, WrapMode

    with (
        pdf.text_columns(
            ncols=1, text_align=Align.L, wrapmode=WrapMode.CHAR, line_height=line / size
        ) as cols,
        cols.paragraph(first_line_indent=2 * size) as par,
    ):
        par.write(text)


def _column_widths(rows: list[list[str]]) -> list[float]:
    """Wider columns for labels than for figures."""
    heads = header_rows(rows)
    widths = []
    for c in range(len(rows[0])):
        data = [row[c] for row in rows[heads:] if row[c] not in ("<", "^")]
        numeric = data and all(re.fullmatch(r"-?[\d.]+", v) for v in data)
        widths.append(1.0 if numeric else 2.6)
    return widths


def _scan_image() -> io.BytesIO:
    """A page of text as a picture: what a scanner gives, with no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (900, 300), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(NOTO), 36, index=NOTO_SC)
    draw.text((20, 40), "本页为扫描件：政府信息公开工作年度报告", font=font, fill=0)
    draw.text((20, 120), "本年度共收到政府信息公开申请12件。", font=font, fill=0)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    buf.seek(0)
    return buf


# --------------------------------------------------------------------------- DOCX


def to_docx(spec: Spec, *, title: str | None = None, author: str | None = None) -> bytes:
    """The report as a Word file: Title and Heading 1 styles, indented paragraphs, tables with
    merged cells."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = docx.Document()
    document.core_properties.title = title or ""
    document.core_properties.author = author or ""
    document.core_properties.created = datetime.datetime(2022, 2, 8)
    document.core_properties.modified = datetime.datetime(2022, 2, 8)
    for kind, text, *rest in spec.body:
        if kind == "title":
            document.add_paragraph(text, style="Title")
        elif kind == "h":
            document.add_heading(text, level=int(rest[0]) if rest else 1)
        elif kind == "p":
            para = document.add_paragraph(text)
            para.paragraph_format.first_line_indent = Pt(21)
        elif kind == "sign":
            para = document.add_paragraph(text)
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif kind == "table":
            rows = spec.tables[text]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, c, cell, rowspan, colspan in spans(rows):
                target = table.cell(r, c)
                if rowspan > 1 or colspan > 1:
                    target = target.merge(table.cell(r + rowspan - 1, c + colspan - 1))
                target.text = cell
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- comparing

SMALL = Spec(
    [("title", "某某县2021年政府信息公开工作年度报告"), ("p", "本年度共收到政府信息公开申请12件。")]
)
"""A one-sentence report."""


def figures(report: Report) -> list[tuple]:
    """A report's figures without their evidence (a table's row is quoted differently from a
    grid than from text)."""
    return sorted(
        (s.indicator, s.value, s.unit, s.qualifier, s.scope or "", s.method)
        for s in report.statistics
    )


def sentences(report: Report) -> list[tuple]:
    """The figures read from sentences, with the sentence quoted."""
    return sorted(
        (s.indicator, s.scope or "", s.evidence) for s in report.statistics if s.method == "text"
    )
