"""Clean stage: strip website clutter around a report and read its header lines into metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from pipeline.paths import DATA_DIR
from pipeline.records import Cleaned
from pipeline.script import to_simplified

# A report title: names a year and the kind of document, fits on one line, holds no sentence.
TITLE_RE = re.compile(
    r"^(?=.{6,90}$)(?!.*[。；])(?=.*(?:\d{4}|[〇○零一二三四五六七八九]{4})\s*年)"
    r".*(?:报告|報告|年报|年報|通报|通報|情况|情況|公告)\s*$"
)
# A line that is nothing but a date: the closing date of the report.
DATE_LINE_RE = re.compile(
    r"^(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"|[〇○零Ｏ一二三四五六七八九]{4}年[〇○零一二三四五六七八九十]{1,3}月[〇○零一二三四五六七八九十]{1,3}日"
    r"|(?:19|20)\d{4,6})$"
)
_SENTENCE_MARK = re.compile(r"[。！？]")
_TOKEN_SPLIT = re.compile(r"[ \t\u3000]+")


@dataclass(frozen=True)
class Vocabulary:
    exact_lines: frozenset[str]
    line_patterns: tuple[re.Pattern[str], ...]
    header_labels: dict[str, str]
    header_re: re.Pattern[str]
    header_max_len: int
    tail_max_len: int
    section_re: re.Pattern[str]
    section_head_re: re.Pattern[str]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    data = yaml.safe_load((DATA_DIR / "boilerplate.yml").read_text(encoding="utf-8"))
    labels: dict[str, str] = data["header_labels"]
    # Longest label first so that 信息来源 wins over 来源 and 发布时间 over 时间.
    alternation = "|".join(re.escape(k) for k in sorted(labels, key=len, reverse=True))
    header_re = re.compile(rf"(?<![\u4e00-\u9fff])({alternation})\s*[:：]")
    return Vocabulary(
        exact_lines=frozenset(data["exact_lines"]),
        line_patterns=tuple(re.compile(p) for p in data["line_patterns"]),
        header_labels=labels,
        header_re=header_re,
        header_max_len=int(data["header_max_len"]),
        section_re=re.compile(
            r"(?<=[。；！？\s\d元])(?=[一二三四五六七八九十]{1,2}、\s*(?:"
            + "|".join(re.escape(t) for t in data["section_titles"])
            + r"))|(?<=[。；！？])(?=[（(][一二三四五六七八九十]{1,2}[）)])"
        ),
        section_head_re=re.compile(
            r"^[一二三四五六七八九十]{1,2}、\s*(?:"
            + "|".join(re.escape(t) for t in data["section_titles"])
            + r")(?=\s*\S{4})"
        ),
        tail_max_len=int(data["tail_max_len"]),
    )


def _strip(line: str) -> str:
    return line.strip(" \t\u3000\u00a0")


def _is_clutter(line: str, vocab: Vocabulary) -> bool:
    if line in vocab.exact_lines:
        return True
    if _SENTENCE_MARK.search(line):
        return False
    return any(p.search(line) for p in vocab.line_patterns)


def _peel(line: str, vocab: Vocabulary) -> list[str]:
    """Split a long line whose start is a run of short page-header tokens (breadcrumbs, share
    buttons, 来源/时间) glued to the body, as pages saved as one line of text are."""
    if len(line) < 200:
        return [line]
    out: list[str] = []
    rest = line
    while True:
        parts = _TOKEN_SPLIT.split(rest, maxsplit=1)
        if len(parts) < 2:
            break
        head, tail = parts
        if len(head) > 90 or _SENTENCE_MARK.search(head) or "，" in head or "," in head:
            break
        # A header field's value is the next token too (来源： 某单位, 时间：2022-02-08 16:34).
        if re.fullmatch(r".*[:：]", head) and len(_TOKEN_SPLIT.split(tail, maxsplit=1)) == 2:
            value, tail = _TOKEN_SPLIT.split(tail, maxsplit=1)
            head = head + value
        out.append(head)
        rest = tail
    out.append(rest)
    return out


def _resegment(pieces: list[str], vocab: Vocabulary) -> list[str]:
    """Put line breaks back into a report saved as one long line: before each numbered section
    of the mandated outline (after a full stop) and between a section title and its text."""
    out: list[str] = []
    for piece in pieces:
        if len(piece) < 300:
            out.append(piece)
            continue
        for part in vocab.section_re.split(piece):
            part = _strip(part)
            if m := vocab.section_head_re.match(part):
                out.extend([m.group(0), part[m.end() :]])
            elif part:
                out.append(part)
    return out


def parse_header_line(line: str, vocab: Vocabulary | None = None) -> dict[str, str] | None:
    """Read ``label: value`` pairs from a page-header line; None when it is not such a line."""
    vocab = vocab or vocabulary()
    if len(line) > vocab.header_max_len or _SENTENCE_MARK.search(line):
        return None
    if "|" in line:
        return _parse_header_cells(line, vocab)
    # Labels are matched on the Simplified form (發佈日期, 資訊來源); values come from the line.
    simple = to_simplified(line)
    if len(simple) != len(line):
        line = simple
    matches = list(vocab.header_re.finditer(simple))
    if not matches:
        return None
    fields: dict[str, str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end() : end].strip()
        key = vocab.header_labels[m.group(1)]
        if key == "published" or key == "written":
            value = re.split(r"\s{2,}", value)[0]
        elif key != "url":
            value = re.split(r"\s+", value)[0] if key in {"issuer", "source"} else value
        if value and key not in fields:
            fields[key] = value
    return fields


def _parse_header_cells(line: str, vocab: Vocabulary) -> dict[str, str] | None:
    """The ``索引号: | … | 发布机构: | …`` tables of government CMS pages, flattened to one line."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    fields: dict[str, str] = {}
    found_label = False
    for i, cell in enumerate(cells):
        simple = to_simplified(cell)
        m = vocab.header_re.match(simple)
        if not m:
            continue
        found_label = True
        key = vocab.header_labels[m.group(1)]
        inline = cell[m.end() :].strip()
        value = inline
        if (
            not value
            and i + 1 < len(cells)
            and not vocab.header_re.match(to_simplified(cells[i + 1]))
        ):
            value = cells[i + 1]
        if value and key not in fields:
            fields[key] = value
    return fields if found_label else None


def _toc_items(line: str, later: set[str]) -> list[str] | None:
    """A table-of-contents line (簡介,2009年工作情況,下一步工作安排,) whose every item reappears
    later as a line of its own."""
    if _SENTENCE_MARK.search(line) or len(line) > 120:
        return None
    items = [i.strip() for i in re.split(r"[,，、|]", line) if i.strip()]
    if len(items) >= 2 and all(item in later for item in items):
        return items
    return None


def clean(text: str, known_title: str | None = None) -> Cleaned:
    """Remove clutter from a decoded report text; keep every sentence, the signature and date."""
    vocab = vocabulary()
    lines: list[str] = []
    for raw in text.split("\n"):
        for piece in _resegment(_peel(_strip(raw), vocab), vocab):
            piece = _strip(piece)
            if piece:
                lines.append(piece)

    header: dict[str, str] = {}
    removed: list[str] = []
    keep = [True] * len(lines)

    def drop(i: int) -> None:
        keep[i] = False
        removed.append(lines[i])

    # 1. Header fields, wherever a short field line stands in the first or last part of the page.
    zone = max(40, len(lines) // 5)
    for i, line in enumerate(lines):
        if i >= zone and i < len(lines) - zone:
            continue
        fields = parse_header_line(line, vocab)
        if fields is None:
            continue
        if not fields and "|" not in line:
            continue
        for key, value in fields.items():
            header.setdefault(key, value)
        drop(i)

    # 2. The title: the first title-like line near the top (or the one the page header named).
    title_index = None
    wanted = known_title or header.get("title")
    for i, line in enumerate(lines[:60]):
        if not keep[i]:
            continue
        if (wanted and line == wanted) or TITLE_RE.match(line):
            title_index = i
            break
    if title_index is not None:
        header.setdefault("title", lines[title_index])
        # Above the title: menus and breadcrumbs, unless a line is a real sentence.
        for i in range(title_index):
            if keep[i] and not _SENTENCE_MARK.search(lines[i]):
                drop(i)

    # 3. Clutter lines and table-of-contents lines anywhere.
    standalone = set(lines)
    toc: list[str] = []
    for i, line in enumerate(lines):
        if not keep[i]:
            continue
        if _is_clutter(line, vocab):
            drop(i)
        elif i != title_index and (items := _toc_items(line, standalone - {line})):
            toc = toc or items
            drop(i)

    # 4. After the closing date: the page footer.
    date_index = None
    for i in range(len(lines) - 1, max(-1, len(lines) - 40), -1):
        if keep[i] and DATE_LINE_RE.match(lines[i]):
            date_index = i
            break
    if date_index is not None:
        header.setdefault("closing_date", lines[date_index])
        for i in range(date_index + 1, len(lines)):
            line = lines[i]
            if (
                keep[i]
                and len(line) <= vocab.tail_max_len
                and not _SENTENCE_MARK.search(line)
                and not line.startswith(("附件", "附表"))
            ):
                drop(i)

    kept = rebuild_tables([line for i, line in enumerate(lines) if keep[i]])
    return Cleaned(
        text="\n".join(kept) + "\n", header=header, removed=tuple(removed), toc=tuple(toc)
    )


_CELL_PUNCT = re.compile(r"[。，,；;：:、()（）《》“”]")
_NUMERIC_CELL = re.compile(r"^[-+]?\d[\d,.]*\s*%?$")


def _cell_like(line: str) -> bool:
    return (
        len(line) <= 15
        and not _CELL_PUNCT.search(line)
        and not line.startswith("|")
        and not DATE_LINE_RE.match(line)
    )


def rebuild_tables(lines: list[str]) -> list[str]:
    """A table pasted as one cell per line (政务动态 / 政务公开 / 政民互动 / 3500 / 2000 / 1000)
    becomes a pipe table again: rows of k labels alternating with rows of k numbers."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _cell_like(lines[j]):
            j += 1
        run = lines[i:j]
        table = _as_table(run) if len(run) >= 4 else None
        if table:
            out.extend(table)
            i = j
        else:
            out.append(lines[i])
            i += 1
    return out


def _as_table(run: list[str]) -> list[str] | None:
    for k in range(2, 9):
        if len(run) % k or len(run) // k < 2:
            continue
        rows = [run[r : r + k] for r in range(0, len(run), k)]
        kinds = []
        for row in rows:
            numeric = [bool(_NUMERIC_CELL.match(c)) for c in row]
            if all(numeric):
                kinds.append("N")
            elif not any(numeric):
                kinds.append("L")
            else:
                break
        else:
            if "N" in kinds and kinds[0] == "L":

                def fmt(row: list[str]) -> str:
                    return "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"

                return [fmt(rows[0]), "| " + " | ".join("---" for _ in range(k)) + " |"] + [
                    fmt(r) for r in rows[1:]
                ]
    return None
