"""Clean stage: strip website clutter around a report and read its header lines into metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from pipeline.paths import DATA_DIR
from pipeline.records import Cleaned
from pipeline.repair import repair
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
    # 2009219, 20100315: a date with its separators lost, never a bare run such as 200000.
    r"|(?:19|20)\d\d(?:0?[1-9]|1[0-2])(?:0?[1-9]|[12]\d|3[01]))$"
)
_NOT_A_TITLE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.、．]"
    r"|附表|附件|上一篇|下一篇|上一条|下一条|相关|相關|•|中文名)|根据|根據|如下|编制|編制"
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
    spaced_label_re: re.Pattern[str]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    data = yaml.safe_load((DATA_DIR / "boilerplate.yml").read_text(encoding="utf-8"))
    labels: dict[str, str] = data["header_labels"]
    # Longest label first so that 信息来源 wins over 来源 and 发布时间 over 时间.
    alternation = "|".join(re.escape(k) for k in sorted(labels, key=len, reverse=True))
    glued = "|".join(re.escape(k) for k in sorted(data["glued_labels"], key=len, reverse=True))
    header_re = re.compile(rf"(?:(?<![\u4e00-\u9fff])({alternation})|({glued}))\s*[:：]")
    # A label at the start of a line, its characters spaced out and with or without a colon
    # (索 引 号:…, 名  称 某县2021年…报告, 发布日期 2022-02-19): one field per line.
    spaced = "|".join(
        r"\s*".join(map(re.escape, k)) for k in sorted(labels, key=len, reverse=True) if len(k) > 1
    )
    spaced_label_re = re.compile(rf"^[-•·*]?\s*({spaced})\s*(?:[:：]\s*|\s+)(\S.*)$")
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
        spaced_label_re=spaced_label_re,
    )


def _strip(line: str) -> str:
    return line.strip(" \t\u3000\u00a0")


def _is_clutter(line: str, vocab: Vocabulary) -> bool:
    if line in vocab.exact_lines or re.sub(r"\s+", " ", line) in vocab.exact_lines:
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


def _labels_only(line: str, vocab: Vocabulary) -> bool:
    """A header line whose labels were left empty by the page (发布时间: 发文字号:)."""
    rest = vocab.header_re.sub("", to_simplified(line))
    return not re.sub(r"[\s|【】\[\]]", "", rest) or bool(vocab.spaced_label_re.match(rest.strip()))


def _label_key(m: re.Match[str], vocab: Vocabulary) -> str:
    return vocab.header_labels[m.group(1) or m.group(2)]


def _spaced_label(text: str, vocab: Vocabulary) -> tuple[str, str] | None:
    """(key, value) of a line or cell that opens with a label written without a colon or with
    spaces inside it; None otherwise."""
    m = vocab.spaced_label_re.match(to_simplified(text.strip()))
    if not m:
        return None
    label = re.sub(r"\s+", "", m.group(1))
    value = text.strip()[m.start(2) :].strip() if len(text.strip()) == len(m.string) else m.group(2)
    return vocab.header_labels[label], value


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
        spaced = _spaced_label(line, vocab)
        if spaced and spaced[0] != "title":
            return {spaced[0]: spaced[1]}
        return None
    fields: dict[str, str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end() : end].strip()
        key = _label_key(m, vocab)
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
        bare = re.sub(r"\s+", "", simple)
        if not m and bare in vocab.header_labels:
            # A label cell without a colon (名称 | 某县2014年…报告 | 索引号 | …).
            found_label = True
            key = vocab.header_labels[bare]
            nxt = cells[i + 1] if i + 1 < len(cells) else ""
            if nxt and re.sub(r"\s+", "", to_simplified(nxt)) not in vocab.header_labels:
                fields.setdefault(key, nxt)
            continue
        if not m:
            continue
        found_label = True
        key = _label_key(m, vocab)
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


_INLINE_HEADING = re.compile(
    r"(?:(?<=\s)|(?<=^))(?=(?:[一二三四五六七八九十]{1,2}、|[（(][一二三四五六七八九十]{1,2}[）)])"
    r"[^\s。；;，,]{2,38}?[:：]?(?:\s|$))"
)
_PIPES_ONLY = re.compile(r"^[|\s]*$")


_NUMBER_CELL = re.compile(r"^[-+]?\d[\d,.]*$")


def _in_cell_column(lines: list[str], i: int) -> bool:
    """Whether a line of pipes stands among the cells of a table printed one cell per line:
    next to a number or another such line, within a few lines."""
    near = [
        lines[j] for j in (*range(i - 1, max(-1, i - 8), -1), *range(i + 1, min(len(lines), i + 8)))
    ]
    return any(_NUMBER_CELL.match(line) for line in near)


def _one_cell(line: str) -> str:
    """``汤浦镇2009年政府信息公开工作年报 |``: a line of a layout table holding one cell is that
    cell; a line holding several cells stays a table row."""
    if "|" not in line or _PIPES_ONLY.match(line):
        return line
    cells = [c.strip() for c in line.split("|") if c.strip()]
    if len(cells) == 1:
        return cells[0]
    # A table row printed without its outer pipes (规章 | 0 | 0 | 0 | |) is still a table row.
    stripped = line.strip()
    if not stripped.startswith("|"):
        stripped = "| " + stripped
    return stripped if stripped.endswith("|") else stripped + " |"


def _split_inline_headings(line: str) -> list[str]:
    """A page saved as one long line with its outline inline and set off by spaces
    (… 如下: 一、政府信息主动公开情况 2009年度我镇…): each heading on a line of its own."""
    if len(line) < 60:
        return [line]
    starts = [m.start() for m in _INLINE_HEADING.finditer(line)]
    if len(starts) < 2:
        return [line]
    out: list[str] = []
    pieces = [line[a:b] for a, b in zip([0, *starts], [*starts, len(line)], strict=True)]
    for piece in pieces:
        piece = _strip(piece)
        if not piece:
            continue
        m = re.match(r"(\S{2,42}?)\s+(\S.*)$", piece)
        if m and _INLINE_HEADING.match(piece) and not _SENTENCE_MARK.search(m.group(1)):
            out.extend([m.group(1), m.group(2)])
        else:
            out.append(piece)
    return out


_SPACED_SENTENCE_END = re.compile(r"(?<=[。！？])\s+(?=\S)")


def _split_paragraphs(line: str) -> list[str]:
    """In a page flattened to one line, whitespace after a full stop is where a paragraph ended."""
    return _SPACED_SENTENCE_END.split(line)


def _split_lines(text: str, vocab: Vocabulary) -> list[str]:
    lines: list[str] = []
    for raw in text.split("\n"):
        for piece in _resegment(_peel(_strip(raw), vocab), vocab):
            parts = [
                p
                for para in _split_inline_headings(_one_cell(_strip(piece)))
                for p in _split_paragraphs(para)
            ]
            for part in parts:
                part = _strip(part)
                if part:
                    lines.append(part)
    return lines


def _title_like(line: str) -> bool:
    return bool(TITLE_RE.match(line)) and not _NOT_A_TITLE.search(line)


_BRACKETED_DATE = re.compile(
    r"^[（(]\s*((?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}-\d{1,2}-\d{1,2})\s*[）)]$"
)
_TRAILING_DATE = re.compile(
    r"\s+((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)$"
)
_TITLE_LABEL = re.compile(
    r"^[\u4e00-\u9fff]{0,4}?(?:名\s*称|标\s*题|題\s*名|標\s*題|名\s*稱)\s*[:：]?\s*(?=\S{6})"
)
# A line naming a body, above a title that opens with the year (孝感市人民政府办公室 / 2020年…报告).
_BODY_LINE = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,30}(?:人民政府|政府|办公室|辦公室|办公厅|辦公廳|办事处|辦事處|委员会|委員會"
    r"|管委会|管委會|局|委|办|辦|厅|廳|中心|街道|镇|鎮|乡|鄉|机关|機關)$"
)
_YEAR_START = re.compile(r"^(?:(?:19|20)\d{2}|[〇○零一二][〇○零一二三四五六七八九]{3})\s*年")
TITLE_TAIL_MAX = 16
"""The longest second line of a title wrapped onto two lines (…人民政府2016年 / 政府信息公开工作年度报告)."""


@dataclass(frozen=True)
class _Title:
    index: int
    text: str
    joined: tuple[int, ...] = ()
    date: str | None = None


def _title_at(lines: list[str], keep: list[bool], i: int) -> _Title | None:
    """The title that line ``i`` starts, if any: the line itself (label and trailing date
    removed), or the line and the next one when the title was wrapped."""
    text = _TITLE_LABEL.sub("", lines[i])
    date = None
    if m := _TRAILING_DATE.search(text):
        text, date = text[: m.start()], m.group(1)
    if _title_like(text):
        return _Title(i, text, (), date)
    nxt = next((j for j in range(i + 1, min(len(lines), i + 3)) if keep[j]), None)
    if nxt is None or _SENTENCE_MARK.search(text) or re.search(r"\s{2,}", text):
        return None
    tail = lines[nxt]
    joined = text + tail
    if len(tail) <= TITLE_TAIL_MAX and _title_like(joined):
        return _Title(i, joined, (nxt,), date)
    if _BODY_LINE.match(text) and _YEAR_START.match(tail) and _title_like(joined):
        return _Title(i, joined, (nxt,), date)
    return None


def _find_title(lines: list[str], keep: list[bool], wanted: str | None) -> _Title | None:
    """The report's own title line among the lines above its body text: the one the page
    header named, else the fullest of the title-like lines (a page title often stands above the
    document's own, fuller one; a cut copy may follow it). A title wrapped onto two lines is
    joined. None when the report has no title line."""
    found: list[_Title] = []
    for i, line in enumerate(lines[:60]):
        if not keep[i]:
            continue
        if wanted and line == wanted:
            return _Title(i, line)
        title = _title_at(lines, keep, i)
        if title is not None:
            found.append(title)
        elif len(line) > 40 or _SENTENCE_MARK.search(line):
            break  # body text has begun: a title stands above it
    if not found:
        return None
    return max(found, key=lambda t: (len(t.text), t.index))


def clean(text: str, known_title: str | None = None) -> Cleaned:
    """Remove clutter from a decoded report text; keep every sentence, the signature and date."""
    vocab = vocabulary()
    lines = _split_lines(repair(text), vocab)

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
        if not fields and "|" not in line and not _labels_only(line, vocab):
            continue
        for key, value in fields.items():
            header.setdefault(key, value)
        drop(i)

    # 2. Clutter lines and table-of-contents lines anywhere (before the title is looked for, so
    # that a breadcrumb or a link to another report is never taken for it).
    standalone = set(lines)
    toc: list[str] = []
    for i, line in enumerate(lines):
        if not keep[i]:
            continue
        if _PIPES_ONLY.match(line) and _in_cell_column(lines, i):
            continue  # a blank cell of a table printed one cell per line
        if _is_clutter(line, vocab):
            drop(i)
        elif items := _toc_items(line, standalone - {line}):
            toc = toc or items
            drop(i)

    # 3. The title, and above it menus and breadcrumbs (unless a line is a real sentence, or
    # names the body: a body's name above its title is kept, as the title's first line).
    wanted = known_title or header.get("title")
    title = _find_title(lines, keep, wanted)
    if title is not None:
        lines[title.index] = title.text
        header["title"] = title.text
        if title.date:
            header.setdefault("published", title.date)
        for j in title.joined:
            keep[j] = False
        # A date in brackets under the title ((2010年3月5日)) is when the report was issued.
        below = next((j for j in range(title.index + 1, len(lines)) if keep[j]), None)
        if below is not None and (m := _BRACKETED_DATE.match(lines[below])):
            header.setdefault("published", m.group(1))
            drop(below)
        for i in range(title.index):
            if keep[i] and not _SENTENCE_MARK.search(lines[i]) and not _BODY_LINE.match(lines[i]):
                drop(i)
    elif header.get("title") and not _title_like(header["title"]):
        # A page header's 标题 that is no report title (a column name) is not kept as one.
        header.pop("title")

    # 4. After the closing date: the page footer.
    date_index = None
    report_below = False
    for i in range(len(lines) - 1, max(-1, len(lines) - 40), -1):
        if not keep[i]:
            continue
        if DATE_LINE_RE.match(lines[i]):
            date_index = i
            break
        own_title = title is not None and i == title.index
        if not own_title and (_title_like(lines[i]) or _INLINE_HEADING.match(lines[i])):
            report_below = True
    if date_index is not None:
        header.setdefault("closing_date", lines[date_index])
    # A date with the report's own lines below it (a cover letter's) ends no page.
    if date_index is not None and not report_below:
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
