"""Reports as they are published: PDF and Word files read into the text the stages work on.

A reader turns a file's bytes into a ``Document``: the text (one paragraph per line, tables as
pipe tables, as the HTML reader gives them), the tables as grids for the template decoder,
metadata hints from the file's properties and, for PDFs, where each page starts in the text.
Text and saved web pages are not read here (``detect`` gives None for them).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from pipeline.archive import MAX_BYTES, SourceError, normalise_text
from pipeline.records import Archived, Source, Statistic

Grid = tuple[tuple[str, ...], ...]

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
}
"""Media type of each format read."""

SUFFIXES = {
    "text/plain": "txt",
    # A saved web page is served as text so that it is never live HTML on the site.
    "text/html": "html.txt",
    "application/pdf": "pdf",
    MEDIA_TYPES["docx"]: "docx",
    MEDIA_TYPES["doc"]: "doc",
}
"""File extension the site serves an original under, by media type."""

FORMAT_NAMES = {
    "application/pdf": "PDF",
    MEDIA_TYPES["docx"]: "Word（DOCX）",
    MEDIA_TYPES["doc"]: "Word（DOC）",
}

# Formats recognised only to be refused with a clear reason.
_UNSUPPORTED = {
    "wps": "a WPS Office document (.wps); save it as .docx or PDF to have it read",
    "ofd": "an OFD document (GB/T 33190 fixed-layout format); OFD is not read: convert it to PDF",
    "rtf": "an RTF document; RTF is not read: save it as .docx or PDF",
}


@dataclass(frozen=True)
class Document:
    """What a PDF or Word file says, in the shape the per-report stages take."""

    text: str
    """One paragraph or heading per line; data tables as pipe tables."""
    grids: tuple[Grid, ...] = ()
    """Every data table, rectangular, merged cells repeated in each cell they cover."""
    hints: dict[str, str] | None = None
    """Weak metadata from the file's properties (``title``, ``source``, ``closing_date``):
    used only where the text itself says nothing."""
    page_starts: tuple[int, ...] = ()
    """Offset in ``text`` at which page 1, 2, ... begins (PDF only)."""
    headings: dict[str, int] | None = None
    """Lines styled as headings in a Word file, with their Markdown level."""
    pages: int = 0
    warnings: tuple[str, ...] = ()


def detect(name: str, data: bytes) -> str | None:
    """``pdf``, ``docx``, ``doc`` (or a refused format) from the bytes; None for text and HTML."""
    head = bytes(data[:1024])
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if b"word/document.xml" in data:
            return "docx"
        if b"OFD.xml" in data:
            return "ofd"
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        if name.lower().endswith(".wps"):
            return "wps"
        if "WordDocument".encode("utf-16-le") in data:
            return "doc"
        return None
    if head.startswith(b"{\\rtf"):
        return "rtf"
    return None


_REFUSED_TYPES = {
    "wps": "application/octet-stream",
    "ofd": "application/ofd",
    "rtf": "application/rtf",
}


def media_type_of(name: str, data: bytes) -> str | None:
    """The media type of a PDF or Word file (or of a format refused by name), None for text
    and web pages."""
    kind = detect(name, data) or ""
    return MEDIA_TYPES.get(kind) or _REFUSED_TYPES.get(kind)


def read(source: Source) -> tuple[Archived, Document] | None:
    """Read a PDF or Word source (raises ``SourceError`` naming the problem); None when the
    source is text or a saved web page, which the archive stage decodes."""
    kind = detect(source.name, source.data)
    if kind is None:
        return None
    if kind in _UNSUPPORTED:
        raise SourceError(f"the file is {_UNSUPPORTED[kind]}")
    data = source.data
    if len(data) > MAX_BYTES:
        raise SourceError(f"the file is {len(data):,} bytes, larger than a report can be")
    try:
        doc = _READERS[kind](data)
    except SourceError:
        raise
    except Exception as exc:  # a file that breaks a reader is reported, not fatal
        raise SourceError(
            f"the {kind.upper()} file could not be read ({type(exc).__name__}: {exc})"
        ) from exc
    text = normalise_text(doc.text)
    if not text.strip():
        raise SourceError(f"the {kind.upper()} file holds no text")
    archived = Archived(
        source_file=source.name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        encoding="",
        media_type=MEDIA_TYPES[kind],
        text=text,
        html_meta={k: v for k, v in (doc.hints or {}).items() if v},
        warnings=doc.warnings,
    )
    return archived, replace(doc, text=text)


def _read_pdf(data: bytes) -> Document:
    from pipeline.readers.pdf import read_pdf

    return read_pdf(data)


def _read_docx(data: bytes) -> Document:
    from pipeline.readers.word import read_docx

    return read_docx(data)


def _read_doc(data: bytes) -> Document:
    from pipeline.readers.word import read_doc

    return read_doc(data)


# Imported when first needed: a build of text sources never loads PDFium or python-docx.
_READERS = {"pdf": _read_pdf, "docx": _read_docx, "doc": _read_doc}


# --------------------------------------------------------------------------- shared helpers

_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def is_cjk(ch: str) -> bool:
    """Han, kana, CJK punctuation and full-width forms: no space belongs between two of these."""
    return bool(_CJK.match(ch))


def join_pieces(pieces: Sequence[str]) -> str:
    """Join the lines of a wrapped paragraph or cell: nothing between Chinese characters, a
    space between two Latin words or numbers."""
    out = ""
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if out and not is_cjk(out[-1]) and not is_cjk(piece[0]):
            out += " "
        out += piece
    return out


def pipe_table(grid: Grid) -> list[str]:
    """A grid as the lines of a Markdown pipe table (the HTML reader's form)."""

    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return [row(grid[0]), "| " + " | ".join("---" for _ in grid[0]) + " |"] + [
        row(r) for r in grid[1:]
    ]


def tidy_grid(rows: Sequence[Sequence[str]]) -> Grid | None:
    """Rectangular grid without empty rows and columns, or None when it is no data table
    (fewer than two rows or columns)."""
    width = max((len(r) for r in rows), default=0)
    grid = [[" ".join(c.split()) for c in r] + [""] * (width - len(r)) for r in rows]
    grid = [r for r in grid if any(r)]
    keep = [c for c in range(width) if any(r[c] for r in grid)]
    grid = [[r[c] for c in keep] for r in grid]
    if len(grid) < 2 or len(keep) < 2:
        return None
    return tuple(tuple(r) for r in grid)


def borders(values: Sequence[float], tolerance: float = 2.0) -> list[float]:
    """Distinct positions of cell edges, those closer than ``tolerance`` taken as one."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tolerance:
            out.append(v)
    return out


def regrid(
    rows: list[list[str]], columns: Sequence[float], onto: Sequence[float]
) -> list[list[str]]:
    """Rows re-cut onto finer column borders: a cell covering several new columns is repeated
    in each, as a merged cell is."""
    out = []
    for row in rows:
        new = []
        for a, b in pairwise(onto):
            middle = (a + b) / 2
            c = next((i for i, (x0, x1) in enumerate(pairwise(columns)) if x0 <= middle < x1), -1)
            new.append(row[c] if 0 <= c < len(row) else "")
        out.append(new)
    return out


_AUTHOR_BODY = re.compile(
    r"^[\u4e00-\u9fff（）()]{4,40}(?:政府|办公室|办公厅|委员会|局|厅|委|办|院|中心|街道|镇|乡|所|处|署|会)$"
)
_JUNK_TITLE = re.compile(r"(?i)microsoft|word|wps|untitled|无标题|\.docx?|\.pdf|演示文稿")


def hints_from(title: str | None, author: str | None, created: str | None) -> dict[str, str]:
    """The file properties worth keeping as hints: a title that is not an editor's default,
    an author that names a body (not a person or a program), the creation date."""
    hints: dict[str, str] = {}
    title = " ".join((title or "").split())
    if (
        6 <= len(title) <= 90
        and not _JUNK_TITLE.search(title)
        and re.search("[\u4e00-\u9fff]", title)
    ):
        hints["title"] = title
    author = "".join((author or "").split())
    if _AUTHOR_BODY.match(author):
        hints["source"] = author
    if created:
        hints["closing_date"] = created
    return hints


def page_of(doc: Document, text: str) -> int | None:
    """The page of a PDF on which ``text`` (a sentence or a table row's label) first appears."""
    if not doc.page_starts:
        return None
    pos = doc.text.find(text)
    if pos < 0:
        # A table row: its label, as quoted in a figure's evidence, stands in a row of the text.
        cells = [c.strip() for c in re.split(r"[|\n]", text)]
        label = next((c for c in cells if re.search("[\u4e00-\u9fff]", c)), "")
        pos = _table_row(doc.text, label) if len(label) >= 2 else -1
    if pos < 0:
        return None
    return max(1, bisect.bisect_right(doc.page_starts, pos))


def _table_row(text: str, label: str) -> int:
    for match in re.finditer(re.escape(label), text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if text.startswith("|", line_start):
            return match.start()
    return text.find(label)


def with_pages(stats: Sequence[Statistic], doc: Document | None) -> tuple[Statistic, ...]:
    """Each statistic with the PDF page its evidence is on."""
    if doc is None or not doc.page_starts:
        return tuple(stats)
    return tuple(replace(s, page=page_of(doc, s.evidence)) for s in stats)


# --------------------------------------------------------------------------- on the site


def original_suffix(media_type: str) -> str:
    """The extension an original is served under (a web page as text, never as live HTML)."""
    return SUFFIXES.get(media_type, "txt")


def original_note(archived: Archived) -> str:
    """What the download link of an original says about the file: its format or encoding."""
    return FORMAT_NAMES.get(archived.media_type) or archived.encoding


def page_href(archived: Archived, statistic: Statistic, downloads: str) -> str | None:
    """The address of the original PDF at the page a figure was read from (``#page=N`` opens it
    there in browsers' PDF viewers); None for other sources. ``downloads`` is the downloads
    folder as seen from the page's own URL."""
    if statistic.page is None or archived.media_type != "application/pdf":
        return None
    return f"{downloads}/originals/{archived.sha256}.pdf#page={int(statistic.page)}"
