"""Page layout of a PDF: characters into lines, lines into reading order (columns by XY-cut),
running headers, footers and page numbers dropped, wrapped lines rejoined into paragraphs,
tables continued on the next page joined to their first part."""

from __future__ import annotations

import bisect
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from pipeline.readers import Grid, borders, is_cjk, join_pieces, pipe_table, regrid, tidy_grid

MARGIN_ZONE = 0.12
"""Share of the page height at its top and bottom where running headers and footers stand."""
SEGMENT_GAP = 2.0
"""A horizontal gap wider than this many character sizes splits a line into segments."""
GUTTER = 1.5
"""A column gutter is at least this many character sizes wide."""
LAYOUT_CELL_CHARS = 300
"""A ruled box holding a cell longer than this frames prose; it is no data table."""

_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－~·•\s]*\d{1,4}[-—–－~·•\s]*"
    r"|第\s*\d{1,4}\s*页(?:\s*[，,/／]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*[/／]\s*\d{1,4}"
    r"|(?i:page)\s*\d{1,4}(?:\s*(?i:of)\s*\d{1,4})?)$"
)
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)])")
_NUMERIC = re.compile(r"^[-+]?[\d,，.]+%?$|^[-—–－/]$")


@dataclass(frozen=True)
class Char:
    """One glyph of the text layer, in points from the page's top-left corner."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    base: float
    """Baseline (distance from the top of the page)."""
    size: float


@dataclass
class TableRegion:
    """A ruled table found on a page."""

    x0: float
    top: float
    x1: float
    bottom: float
    rows: list[list[str]]
    """Cell texts, merged cells repeated in every grid position they cover."""
    columns: list[float]
    """x of every column border, left to right."""

    @classmethod
    def from_cells(
        cls, cells: Sequence[tuple[float, float, float, float]], chars: Sequence[Char]
    ) -> TableRegion | None:
        """A table from its cell boxes (x0, top, x1, bottom); None for a frame around text."""
        if len(cells) < 4:
            return None
        xs = borders([c[0] for c in cells] + [c[2] for c in cells])
        ys = borders([c[1] for c in cells] + [c[3] for c in cells])
        if len(xs) < 3 or len(ys) < 3:
            return None
        grid = [["" for _ in range(len(xs) - 1)] for _ in range(len(ys) - 1)]
        spans = []
        owner: dict[tuple[int, int], int] = {}
        for x0, top, x1, bottom in cells:
            c0, c1 = _index(xs, x0), _index(xs, x1)
            r0, r1 = _index(ys, top), _index(ys, bottom)
            for r in range(r0, max(r0 + 1, r1)):
                for c in range(c0, max(c0 + 1, c1)):
                    owner.setdefault((r, c), len(spans))
            spans.append((r0, max(r0 + 1, r1), c0, max(c0 + 1, c1)))
        # Each character to the cell its centre falls in (by bisection, not cell by cell).
        inside: list[list[Char]] = [[] for _ in spans]
        for ch in chars:
            r = bisect.bisect_right(ys, (ch.top + ch.bottom) / 2) - 1
            c = bisect.bisect_right(xs, (ch.x0 + ch.x1) / 2) - 1
            if (r, c) in owner:
                inside[owner[(r, c)]].append(ch)
        for (r0, r1, c0, c1), held in zip(spans, inside, strict=True):
            text = join_lines([_line_text(line) for line in _lines(held)])
            if len(text) > LAYOUT_CELL_CHARS:
                return None  # prose in a frame: read as text
            for r in range(r0, r1):
                for c in range(c0, c1):
                    grid[r][c] = text
        return cls(xs[0], ys[0], xs[-1], ys[-1], grid, xs)

    def holds(self, char: Char) -> bool:
        cx, cy = (char.x0 + char.x1) / 2, (char.top + char.bottom) / 2
        return self.x0 <= cx <= self.x1 and self.top <= cy <= self.bottom


@dataclass
class PageContent:
    """What one page holds before layout."""

    number: int
    width: float
    height: float
    chars: list[Char]
    images: int = 0
    tables: list[TableRegion] = field(default_factory=list)


def _index(edges: Sequence[float], value: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - value))


# --------------------------------------------------------------------------- lines


@dataclass
class _Item:
    """A run of text on one line (or a whole table), the unit of reading order."""

    x0: float
    top: float
    x1: float
    bottom: float
    text: str = ""
    size: float = 0.0
    table: TableRegion | None = None
    page: int = 0
    left: float = 0.0
    right: float = 0.0
    """Edges of the column the item sits in."""


def _lines(chars: Sequence[Char]) -> list[list[Char]]:
    """Characters grouped by baseline, each line left to right."""
    lines: list[list[Char]] = []
    for ch in sorted(chars, key=lambda c: (c.base, c.x0)):
        if lines and abs(ch.base - lines[-1][0].base) <= 0.3 * max(ch.size, lines[-1][0].size):
            lines[-1].append(ch)
        else:
            lines.append([ch])
    return [sorted(line, key=lambda c: c.x0) for line in lines]


def _line_text(line: Sequence[Char]) -> str:
    """Glyphs with a space where the file has one (several collapsed), and where a wide gap
    without one separates two Latin words (justified Chinese text spreads its characters
    apart with no space meant); a space the line ends on is kept, so that the next line is
    joined to it with one."""
    out: list[str] = []
    pending_space = False
    prev: Char | None = None
    for ch in line:
        if ch.text.isspace():
            pending_space = True
            continue
        if prev is not None and out:
            wide = ch.x0 - prev.x1 > 0.6 * max(ch.size, 1.0)
            if pending_space or (wide and not (is_cjk(out[-1][-1]) and is_cjk(ch.text))):
                out.append(" ")
        out.append(ch.text)
        prev = ch
        pending_space = False
    if pending_space and out and not is_cjk(out[-1][-1]):
        out.append(" ")
    return "".join(out)


def join_lines(lines: Sequence[str]) -> str:
    """A paragraph from its wrapped lines: nothing between them unless a line ends on a space
    (a Latin word wrapped at its end); a number or a Chinese phrase wrapped mid-way is whole
    again."""
    out = ""
    for line in lines:
        if not line.strip():
            continue
        if out.endswith(" ") and line.startswith(" "):
            line = line.lstrip()
        out += line.lstrip() if not out else line
    return out.strip()


def _segments(line: Sequence[Char], page: int) -> list[_Item]:
    """A line cut where a wide gap separates two runs (two columns, a label and its value)."""
    glyphs = [c for c in line if not c.text.isspace()]
    if not glyphs:
        return []
    runs: list[list[Char]] = [[glyphs[0]]]
    for prev, ch in pairwise(glyphs):
        if ch.x0 - prev.x1 > SEGMENT_GAP * max(prev.size, ch.size, 1.0):
            runs.append([])
        runs[-1].append(ch)
    items = []
    ends = [run[0].x0 for run in runs[1:]] + [float("inf")]
    for run, end in zip(runs, ends, strict=True):
        inner = [c for c in line if run[0].x0 <= c.x0 < end]
        items.append(
            _Item(
                x0=run[0].x0,
                top=min(c.top for c in run),
                x1=run[-1].x1,
                bottom=max(c.bottom for c in run),
                text=_line_text(inner),
                size=statistics.median(c.size for c in run),
                page=page,
            )
        )
    return items


# --------------------------------------------------------------------------- headers and footers


def _edge_lines(page: PageContent) -> list[tuple[str, list[Char]]]:
    """The first two and last two lines of a page that stand in its margin zones, keyed by
    where they stand (``top`` / ``bottom``)."""
    free = [c for c in page.chars if not any(t.holds(c) for t in page.tables)]
    lines = [line for line in _lines(free) if any(not c.text.isspace() for c in line)]
    zone = MARGIN_ZONE * page.height
    out = []
    for line in lines[:2]:
        if line[0].base <= zone:
            out.append(("top", line))
    for line in lines[-2:]:
        if line[0].base >= page.height - zone and not any(line is o for _, o in out):
            out.append(("bottom", line))
    return out


def furniture(pages: Sequence[PageContent]) -> set[int]:
    """ids of the characters of running headers, footers and page numbers."""
    candidates: list[tuple[PageContent, str, list[Char], str]] = []
    for page in pages:
        for where, line in _edge_lines(page):
            text = "".join(c.text for c in line if not c.text.isspace())
            candidates.append((page, where, line, text))

    # The same line (digits aside) at the same height on many pages is a running header.
    def key(where: str, line: list[Char], text: str) -> tuple[str, str, int]:
        return where, re.sub(r"\d+", "#", text), round(line[0].base / 6)

    seen: dict[tuple[str, str, int], set[int]] = {}
    for page, where, line, text in candidates:
        seen.setdefault(key(where, line, text), set()).add(page.number)
    with_text = sum(1 for p in pages if p.chars)
    drop: set[int] = set()
    for _page, where, line, text in candidates:
        count = len(seen[key(where, line, text)])
        if (with_text >= 2 and count >= max(2, with_text / 2)) or _PAGE_NUMBER.match(text):
            drop.update(id(c) for c in line)
    return drop


# --------------------------------------------------------------------------- reading order


def _order(items: list[_Item], left: float, right: float) -> list[_Item]:
    """Items in reading order by recursive XY-cut: a column gutter splits left from right
    first; otherwise a horizontal gap splits top from bottom, preferring a gap next to a
    full-width line, so that two columns under a full-width title are read column by column."""
    for item in items:
        item.left, item.right = left, right
    if len(items) <= 1:
        return items
    size = (
        statistics.median(i.size for i in items if not i.table)
        if any(not i.table for i in items)
        else 10.0
    )
    cut = _gutter(items, size)
    if cut is not None:
        lefts = [i for i in items if i.x1 <= cut]
        rights = [i for i in items if i.x1 > cut]
        return _order(lefts, min(i.x0 for i in lefts), max(i.x1 for i in lefts)) + _order(
            rights, min(i.x0 for i in rights), max(i.x1 for i in rights)
        )
    gaps = _gaps([(i.top, i.bottom) for i in items])
    if not gaps:
        return sorted(items, key=lambda i: (i.top, i.x0))
    width = right - left
    # Gaps that a full-width line bounds (a gap's ends are the edges of the items next to it).
    edges = {round(e, 1) for i in items if i.x1 - i.x0 > 0.6 * width for e in (i.top, i.bottom)}
    wide = [g for g in gaps if round(g[0], 1) in edges or round(g[1], 1) in edges]
    start, end = max(wide or gaps, key=lambda g: g[1] - g[0])
    middle = (start + end) / 2
    above = [i for i in items if i.bottom <= middle]
    below = [i for i in items if i.bottom > middle]
    return _order(above, left, right) + _order(below, left, right)


def _gaps(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Empty intervals between the union of spans."""
    out = []
    spans = sorted(spans)
    reach = spans[0][1]
    for start, end in spans[1:]:
        if start > reach:
            out.append((reach, start))
        reach = max(reach, end)
    return out


def _gutter(items: Sequence[_Item], size: float) -> float | None:
    """x of a vertical gap crossing every item, with text on both sides over several lines."""
    gaps = [g for g in _gaps([(i.x0, i.x1) for i in items]) if g[1] - g[0] >= GUTTER * size]
    for start, end in sorted(gaps, key=lambda g: g[0] - g[1]):
        middle = (start + end) / 2
        lefts = [i for i in items if i.x1 <= middle and not i.table]
        rights = [i for i in items if i.x0 >= middle and not i.table]
        if len(lefts) >= 3 and len(rights) >= 3:
            return middle
    return None


# --------------------------------------------------------------------------- paragraphs


def _continues(prev: _Item, cur: _Item) -> bool:
    """Whether ``cur`` is the next line of the paragraph ``prev`` ends."""
    if prev.table or cur.table:
        return False
    size = max(prev.size, cur.size, 1.0)
    if abs(prev.size - cur.size) > 0.15 * size:
        return False
    if prev.x1 < prev.right - 1.5 * size:
        return False  # a short line ends its paragraph
    if _centred(prev, size) and _centred(cur, size) and cur.x0 > cur.left + 2.5 * size:
        # A long title wrapped: a centred line under a full one, indented more than the two
        # characters a paragraph's first line is.
        return True
    if cur.x0 > cur.left + 0.5 * size:
        return False  # an indented line starts one
    if prev.page == cur.page and prev.right == cur.right and cur.top - prev.bottom > 1.2 * size:
        return False
    return not _NUMBERED.match(cur.text)


def _centred(item: _Item, size: float) -> bool:
    return abs((item.x0 + item.x1) / 2 - (item.left + item.right) / 2) < 0.3 * size


@dataclass
class _Table:
    columns: list[float]
    rows: list[list[str]]
    pages: list[int]
    """Page of each row."""


def _label_columns(rows: Sequence[Sequence[str]]) -> int:
    """Number of leading columns that hold row labels (not figures)."""
    width = len(rows[0]) if rows else 0
    for c in range(width):
        values = [r[c] for r in rows if r[c]]
        if values and sum(bool(_NUMERIC.match(v)) for v in values) > len(values) / 2:
            return c
    return width


def _continue_table(first: _Table, region: TableRegion, page: int) -> bool:
    """Append a table that continues ``first`` on the next page, if it does: the same outer
    edges (its inner column borders may differ where cells are merged); its repeated header
    rows dropped; a row cut by the page break joined to its first part; row labels of cells
    merged across the break carried on."""
    a, b = first.columns, region.columns
    if abs(a[0] - b[0]) > 3.0 or abs(a[-1] - b[-1]) > 3.0:
        return False
    if len(a) != len(b) or any(abs(x - y) > 3.0 for x, y in zip(a, b, strict=True)):
        union = borders([*a, *b], tolerance=3.0)
        first.rows = regrid(first.rows, a, union)
        rows = regrid([list(r) for r in region.rows], b, union)
        first.columns = union
    else:
        rows = [list(r) for r in region.rows]
    header = 0
    while header < min(len(rows), len(first.rows), 4) and rows[header] == first.rows[header]:
        header += 1
    rows = rows[header:]
    labels = _label_columns(first.rows)
    if rows and first.rows and labels and not any(rows[0][:labels]):
        last = first.rows[-1]
        first.rows[-1] = [
            join_pieces([a, b]) if b else a for a, b in zip(last, rows[0], strict=True)
        ]
        rows = rows[1:]
    for row in rows:
        if not row[0] and first.rows:
            # A label cell merged over the page break is blank on the new page.
            for c in range(min(labels, len(row)) - 1):
                if row[c] or not any(row[c + 1 : labels]):
                    break
                row[c] = first.rows[-1][c]
        first.rows.append(row)
        first.pages.append(page)
    return True


def assemble(
    pages: Sequence[PageContent], drop: set[int]
) -> tuple[str, tuple[Grid, ...], tuple[int, ...]]:
    """Text (paragraphs and pipe tables), grids and where each page starts in the text;
    ``drop`` holds the ids of the characters of running headers and footers."""
    body = [c for p in pages for c in p.chars if id(c) not in drop]
    if body:
        left = min(c.x0 for c in body)
        right = max(c.x1 for c in body)
    else:
        left, right = 0.0, 1.0
    items: list[_Item] = []
    for page in pages:
        free = [
            c for c in page.chars if id(c) not in drop and not any(t.holds(c) for t in page.tables)
        ]
        page_items = [seg for line in _lines(free) for seg in _segments(line, page.number)]
        page_items += [
            _Item(t.x0, t.top, t.x1, t.bottom, table=t, page=page.number) for t in page.tables
        ]
        items += _order(page_items, left, right)

    blocks: list[tuple[int, list[str] | _Table]] = []
    prev: _Item | None = None
    for item in items:
        if item.table is not None:
            last = blocks[-1][1] if blocks else None
            if (
                isinstance(last, _Table)
                and prev is not None
                and prev.table is not None
                and prev.page == item.page - 1
                and _continue_table(last, item.table, item.page)
            ):
                prev = item
                continue
            rows = [list(r) for r in item.table.rows]
            blocks.append(
                (item.page, _Table(list(item.table.columns), rows, [item.page] * len(rows)))
            )
        elif prev is not None and isinstance(blocks[-1][1], list) and _continues(prev, item):
            blocks[-1][1].append((item.page, item.text))  # type: ignore[arg-type]
        else:
            blocks.append((item.page, [(item.page, item.text)]))  # type: ignore[list-item]
        prev = item

    lines: list[tuple[str, list[tuple[int, int]]]] = []
    grids: list[Grid] = []
    for _page, block in blocks:
        if isinstance(block, _Table):
            grid = tidy_grid(block.rows)
            if grid is None:
                lines += [
                    (join_pieces(r), [(0, p)]) for p, r in zip(block.pages, block.rows, strict=True)
                ]
                continue
            grids.append(grid)
            kept = [p for p, r in zip(block.pages, block.rows, strict=True) if any(r)]
            row_pages = [kept[0], kept[0], *kept[1:]]
            lines += [(t, [(0, p)]) for p, t in zip(row_pages, pipe_table(grid), strict=True)]
        else:
            lines.append(_paragraph(block))  # type: ignore[arg-type]

    starts: list[int] = []
    offset = 0
    for line, breaks in lines:
        for at, page in breaks:
            while len(starts) < page:
                starts.append(offset + at)
        offset += len(line) + 1
    while len(starts) < len(pages):
        starts.append(offset)
    return "\n".join(line for line, _ in lines), tuple(grids), tuple(starts)


def _paragraph(pieces: list[tuple[int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """A paragraph's wrapped lines joined, with the offset at which each of its pages starts
    (a paragraph can run over a page break)."""
    text = ""
    breaks: list[tuple[int, int]] = []
    for page, piece in pieces:
        joined = join_lines([text, piece])
        if not breaks or breaks[-1][1] != page:
            breaks.append((len(joined) - len(piece.strip()), page))
        text = joined + (" " if piece.endswith(" ") else "")
    return text.strip(), breaks
