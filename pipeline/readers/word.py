"""Read Word files: ``.docx`` with python-docx (paragraph styles, tables with merged cells),
``.doc`` (Word 97–2003) through LibreOffice when installed, else antiword."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from pipeline.archive import SourceError
from pipeline.readers import (
    Document,
    Grid,
    borders,
    hints_from,
    join_pieces,
    pipe_table,
    regrid,
    tidy_grid,
)

CONVERT_SECONDS = 120

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LAYOUT_CELL_CHARS = 300
"""A table with a cell longer than this lays out prose; it is no data table."""
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def read_docx(data: bytes) -> Document:
    """A ``.docx`` file's paragraphs and tables; Heading 1/2/3 styles (or outline levels) give
    heading levels 2/3/4, the Title style the title."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise SourceError(
            f"the Word file is damaged and cannot be opened ({type(exc).__name__})"
        ) from exc
    lines: list[str] = []
    grids: list[Grid] = []
    headings: dict[str, int] = {}

    def read(parent: etree._Element) -> None:
        for element in _blocks(parent):
            if element.tag == _W + "p":
                paragraph = Paragraph(element, document)
                level = _heading_level(paragraph)
                for text in _paragraph_lines(paragraph):
                    lines.append(text)
                    if level is not None:
                        headings[text] = level
                continue
            table = Table(element, document)
            rows = _table_rows(table)
            grid = tidy_grid(rows)
            if grid is not None and max(len(c) for row in grid for c in row) <= LAYOUT_CELL_CHARS:
                grids.append(grid)
                lines.extend(pipe_table(grid))
                continue
            # A table used for layout (a report pasted into one cell, a signature block):
            # its cells' paragraphs and tables are read in order, once each.
            seen: set[int] = set()
            for row in table.rows:
                for cell in row.cells:
                    if id(cell._tc) not in seen:
                        seen.add(id(cell._tc))
                        read(cell._tc)

    read(document.element.body)
    props = document.core_properties
    # Last saved is nearer the publication than created, which a template can carry for years.
    saved = props.modified or props.created
    created = saved.date().isoformat() if saved else None
    return Document(
        text="\n".join(lines),
        grids=tuple(grids),
        hints=hints_from(props.title, props.author, created),
        headings=headings,
    )


def _blocks(parent: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables in document order, content controls (w:sdt) opened."""
    for child in parent.iterchildren():
        if child.tag in (_W + "p", _W + "tbl"):
            yield child
        elif child.tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _blocks(content)


def _paragraph_lines(paragraph) -> list[str]:
    """A paragraph's text; a manual line break inside it starts a new line, as <br> does."""
    return [" ".join(part.split()) for part in paragraph.text.split("\n") if part.strip()]


def _heading_level(paragraph) -> int | None:
    style = paragraph.style
    name = (style.name or "") if style is not None else ""
    if name.lower() == "title":
        return None  # the report's title: the Markdown stage makes it the page's title
    match = _HEADING_STYLE.match(name.strip())
    if match:
        return min(6, int(match.group(1)) + 1)
    # Documents written in Chinese Word often use their own styles with an outline level.
    for holder in (paragraph._p.pPr, getattr(style, "element", None)):
        node = holder.find(f"{_W}pPr/{_W}outlineLvl") if holder is not None else None
        if node is None and holder is not None:
            node = holder.find(f"{_W}outlineLvl")
        if node is not None:
            value = int(node.get(_W + "val", "9"))
            if value < 9:
                return min(6, value + 2)
    return None


def _table_rows(table) -> list[list[str]]:
    """Cell texts row by row; python-docx repeats a merged cell in each grid column it covers.
    A grid column that no cell starts in, or too narrow to hold a character (a sliver some
    converters leave), is dropped: the figure of a merged cell over it would count twice."""
    grid = [list(row.cells) for row in table.rows]
    width = max((len(row) for row in grid), default=0)
    widths = [int(col.get(_W + "w") or 0) for col in table._tbl.iter(_W + "gridCol")]
    typical = sorted(widths)[len(widths) // 2] if widths else 0
    keep = [
        c
        for c in range(width)
        if c == 0
        or (
            (len(widths) != width or widths[c] >= typical / 10)
            and any(c >= len(row) or row[c]._tc is not row[c - 1]._tc for row in grid)
        )
    ]
    rows = []
    for row in grid:
        cells = []
        for c in keep:
            if c >= len(row):
                cells.append("")
                continue
            parts = [" ".join(p.text.split()) for p in row[c].paragraphs]
            cells.append(join_pieces(parts))
        rows.append(cells)
    return rows


# --------------------------------------------------------------------------- .doc

ANTIWORD = "antiword"
"""The converter ``invoke setup`` installs (Debian package antiword, 0.6 MB): reads the text of
Chinese .doc files correctly, but loses tables with cells merged down a column."""
SOFFICE = "soffice"
"""LibreOffice, used instead when installed (Debian package libreoffice-writer-nogui, about
200 MB): converts .doc to .docx with every table intact."""


def read_doc(data: bytes) -> Document:
    """A Word 97–2003 file: through LibreOffice when installed (to .docx, then read as one),
    else through antiword's DocBook output; a clear error naming both when neither is."""
    soffice, antiword = shutil.which(SOFFICE), shutil.which(ANTIWORD)
    if soffice is None and antiword is None:
        raise SourceError(
            "the file is a Word 97-2003 document (.doc), which needs antiword to be read: "
            "run `invoke setup` or install the Debian package antiword "
            "(or libreoffice-writer-nogui, which also keeps tables with merged cells)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "source.doc"
        path.write_bytes(data)
        if soffice is not None:
            # Its own profile folder, so that parallel workers do not share one.
            profile = (Path(tmp) / "profile").as_uri()
            _run(
                [
                    soffice,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--convert-to",
                    "docx",
                    "--outdir",
                    tmp,
                    str(path),
                ],
                "LibreOffice",
            )
            converted = Path(tmp) / "source.docx"
            if not converted.exists():
                raise SourceError("LibreOffice cannot convert the .doc file")
            return read_docx(converted.read_bytes())
        xml = _run([antiword, "-m", "UTF-8.txt", "-x", "db", str(path)], "antiword")
    return parse_docbook(xml)


def _run(command: list[str], name: str) -> bytes:
    try:
        done = subprocess.run(command, capture_output=True, timeout=CONVERT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SourceError(f"{name} took over {CONVERT_SECONDS} s on the .doc file") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(
            f"{name} cannot read the .doc file" + (f": {reason[-1]}" if reason else "")
        )
    return done.stdout


def parse_docbook(xml: bytes) -> Document:
    """antiword's DocBook: chapter and section titles are headings, ``para`` paragraphs,
    ``informaltable`` rows tables (one table may come as several ``tgroup`` blocks)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, recover=True, dtd_validation=False, load_dtd=False
    )
    root = etree.fromstring(xml, parser) if xml.strip() else None
    if root is None:
        raise SourceError("antiword gave no readable text for the .doc file")
    lines: list[str] = []
    grids: list[Grid] = []
    headings: dict[str, int] = {}
    hints = hints_from(
        None,
        "".join(root.xpath("string(/book/bookinfo/author)")).strip() or None,
        None,
    )

    def text_of(node: etree._Element) -> str:
        return " ".join("".join(node.itertext()).split())

    def walk(node: etree._Element, depth: int) -> None:
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in ("chapter", "section", "sect1", "sect2", "sect3"):
                walk(child, depth + 1)
            elif tag == "title":
                title = text_of(child)
                if title:
                    lines.append(title)
                    headings[title] = min(6, depth + 1)
            elif tag == "informaltable":
                rows = _docbook_rows(child, text_of)
                grid = tidy_grid(rows)
                if grid is None:
                    lines.extend(join_pieces(r) for r in rows if any(r))
                else:
                    grids.append(grid)
                    lines.extend(pipe_table(grid))
            elif tag == "para":
                if child.find(".//informaltable") is not None:
                    walk(child, depth)
                else:
                    text = text_of(child)
                    if text:
                        lines.append(text)
            elif tag not in ("bookinfo",):
                walk(child, depth)

    walk(root, 0)
    return Document(text="\n".join(lines), grids=tuple(grids), hints=hints, headings=headings)


def _docbook_rows(table: etree._Element, text_of) -> list[list[str]]:
    """A table's rows on one column grid. antiword writes a ``tgroup`` wherever the cells of a
    row are cut differently (merged cells), with the width of each; the cumulative widths
    place every cell, and a merged cell is repeated in each column it covers."""
    groups: list[tuple[list[float], list[list[str]]]] = []
    for group in table.iter("tgroup"):
        widths = [_points(spec.get("colwidth", "")) for spec in group.iter("colspec")]
        edges = [0.0]
        for width in widths:
            edges.append(edges[-1] + width)
        rows = [[text_of(entry) for entry in row.iter("entry")] for row in group.iter("row")]
        groups.append((edges, rows))
    if not groups or any(len(edges) < 2 for edges, _ in groups):
        return [[text_of(e) for e in row.iter("entry")] for row in table.iter("row")]
    onto = borders([x for edges, _ in groups for x in edges], tolerance=3.0)
    return [row for edges, rows in groups for row in regrid(rows, edges, onto)]


def _points(width: str) -> float:
    match = re.match(r"([\d.]+)", width)
    return float(match.group(1)) if match else 0.0
