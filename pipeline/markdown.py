"""Markdown stage: turn a cleaned report into readable, escaped Markdown with real headings."""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterator, Mapping
from functools import lru_cache

import yaml

from pipeline.paths import DATA_DIR
from pipeline.script import to_simplified
from pipeline.text import anchor_id, paragraphs, sentences

CN_NUM = "一二三四五六七八九十"
# 一、 → level 2; （一） / (一) → level 3; 1. / 1、 / 1． → level 4.
HEADING_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (2, re.compile(rf"^[{CN_NUM}]{{1,3}}\s*[、.．]")),
    (3, re.compile(rf"^[（(]\s*[{CN_NUM}]{{1,3}}\s*[）)]")),
    (4, re.compile(r"^\d{1,2}\s*[.、．](?!\d)")),
)
HEADING_MAX_LEN = 40
LEAD_MAX_LEN = 25
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")
_TABLE_ROW = re.compile(r"^\|.*\|$")
# Characters Python-Markdown interprets anywhere in a line, and those it interprets only at the
# start of a block (headings, lists, quotes, rules, setext underlines). A ``!`` just before a
# link made of a URL (``![…](…)``) would make it an image, fetched from the source's host.
_MD_INLINE = re.compile(r"([\\`*_{}\[\]|!])")
_MD_BLOCK_START = re.compile(r"^(\s*)(?:([#+-])|(\d+)([.)]))")
# A line opening a fenced block (``~~~``: backticks are escaped already) or underlining the line
# above as a heading (``===``); ``~`` and ``=`` are not among the characters Markdown lets a
# backslash escape, so the first one is written as a character reference.
_MD_LINE_START = re.compile(r"^(\s*)([~=])(?=\2*\s*$|~~)", re.MULTILINE)


def escape(text: str) -> str:
    """Escape text so that Markdown renders it literally and no HTML passes through."""
    text = _MD_INLINE.sub(r"\\\1", html.escape(text, quote=False))
    text = _MD_BLOCK_START.sub(
        lambda m: (
            m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4))
        ),
        text,
    )
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};", text)


def _escape_with_links(text: str) -> str:
    """Escape text, turning bare http(s) URLs into links (the only markup a source may get)."""
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?)")
        end = m.start() + len(url)
        out.append(escape(text[pos : m.start()]))
        safe = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C")
        safe = safe.replace(">", "%3E").replace('"', "%22")
        out.append(f"[{escape(url)}]({safe})")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


# A table row whose cells ran together (3.其他0000000) ends in a run of digits.
_CELL_RUN = re.compile(r"\d{5,}$")
_COUNT = re.compile(r"\d+\s*[件条项次人元份个]")
_CLOSING_MARKS = ("。", "：", ":")


def _heading_text_ok(body: str) -> bool:
    """A heading's words: no sentence inside, at most one comma (围绕重点工作，着力推进主动公开),
    no count (一、全年共收到申请5件，已全部答复 is a sentence)."""
    return (
        not re.search(r"[。；;！？]", body)
        and len(re.findall(r"[，,]", body)) <= 1
        and not _COUNT.search(body)
    )


@lru_cache(maxsize=1)
def _not_headings() -> re.Pattern[str]:
    data = yaml.safe_load((DATA_DIR / "boilerplate.yml").read_text(encoding="utf-8"))
    return re.compile(data["not_headings"])


def _table_label(line: str) -> bool:
    """A row label of the mandated tables, numbered like a heading (（一）予以公开)."""
    rest = line
    for _, pattern in HEADING_PATTERNS:
        if m := pattern.match(rest):
            rest = rest[m.end() :].lstrip()
            break
    return bool(_not_headings().search(to_simplified(rest)))


def heading_level(line: str, toc: Collection[str] = ()) -> int | None:
    """The Markdown level of a line that is a heading by itself, else None. 一、 and （一）
    headings may end with 。 or ：, as many reports write them (二、主动公开政府信息情况。)."""
    if line in toc:
        return 2
    if len(line) > HEADING_MAX_LEN or _table_label(line) or _CELL_RUN.search(line):
        return None
    closed = line.endswith(_CLOSING_MARKS)
    if line.endswith(("；", ";", "，", ",")):
        return None
    for level, pattern in HEADING_PATTERNS:
        if pattern.match(line):
            if not closed:
                return level if not re.search(r"[。；;]", line) else None
            if level <= 3 and _heading_text_ok(line[:-1]):
                return level
            return None
    return None


def split_lead(line: str) -> tuple[int, str] | None:
    """A numbered paragraph that opens with a short title sentence (（三）收费情况。全区…):
    the heading level and the title, which is the paragraph's first sentence, 。 included."""
    first = sentences(line)[0]
    if first == line or not first.endswith("。") or len(first) > LEAD_MAX_LEN + 1:
        return None
    if not _heading_text_ok(first[:-1]):
        return None
    for level, pattern in HEADING_PATTERNS:
        if pattern.match(first):
            return level, first
    return None


def _sentence_html(
    p: int, para: str, anchors: Collection[str], skip: int = 0, ids: Collection[str] = ()
) -> str:
    parts = []
    for s, sentence in enumerate(sentences(para)):
        if s < skip:
            continue
        aid = anchor_id(p, s)
        body = _escape_with_links(sentence)
        if aid in anchors:
            body = f'<span class="evidence" id="{aid}">{body}</span>'
        elif aid in ids:
            body = f'<span id="{aid}">{body}</span>'
        parts.append(body)
    return "".join(parts)


_RULE_CELL = re.compile(r":?-{3,}:?")


def _table(rows: list[str]) -> list[str]:
    """Re-emit a pipe table from the cleaned text with every cell escaped, as a table Markdown
    renders: the first row its header, one rule under it (a table converted from PDF may have
    none, or repeat its header rule after each page break), every row as wide as the widest."""
    body: list[list[str]] = []
    for row in rows:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip()[1:-1])]
        if all(_RULE_CELL.fullmatch(c) for c in cells):
            continue
        if any(cells):
            body.append(cells)
    if not body:
        return []
    width = max(len(cells) for cells in body)
    out = []
    for i, cells in enumerate(body):
        cells = cells + [""] * (width - len(cells))
        out.append("| " + " | ".join(escape(c.replace("\\|", "|")) for c in cells) + " |")
        if i == 0:
            out.append("| " + " | ".join("---" for _ in cells) + " |")
    return out


def body_paragraphs(
    text: str,
    title: str,
    toc: Collection[str] = (),
    anchors: Collection[str] = (),
    levels: Mapping[str, int] | None = None,
) -> Iterator[tuple[int, str, int]]:
    """How ``to_markdown`` reads each paragraph: (index, kind, sentences shown as a heading).

    ``kind`` is ``title`` (the title line, dropped), ``table`` (a pipe-table row), ``heading``
    or ``prose``; a prose paragraph that opens with a short title sentence gives 1 as its third
    value (that sentence becomes a heading). Other stages use it to know which sentences the
    page shows as sentences."""
    paras = paragraphs(text)
    for i, para in enumerate(paras):
        if i == 0 and para == title:
            yield i, "title", 0
        elif _TABLE_ROW.match(para):
            yield i, "table", 0
        elif (levels or {}).get(para) or heading_level(para, toc) is not None:
            yield i, "heading", 0
        elif split_lead(para) is not None and anchor_id(i, 0) not in anchors:
            yield i, "prose", 1
        else:
            yield i, "prose", 0


def to_markdown(
    text: str,
    title: str,
    toc: Collection[str] = (),
    anchors: Collection[str] = (),
    levels: Mapping[str, int] | None = None,
    ids: Collection[str] = (),
) -> str:
    """Markdown for a cleaned text: title as ``#``, Chinese numbering as headings, paragraphs
    kept in order; sentences named in ``anchors`` get an id (and the ``evidence`` class) so
    figures can link to them, sentences named in ``ids`` an id alone (so that other pages can
    link to them). ``levels`` gives the heading level of lines a Word file styles as headings."""
    blocks: list[str] = [f"# {escape(title)}"]
    paras = paragraphs(text)
    i = 0
    while i < len(paras):
        para = paras[i]
        if i == 0 and para == title:
            i += 1
            continue
        if _TABLE_ROW.match(para):
            j = i
            while j < len(paras) and _TABLE_ROW.match(paras[j]):
                j += 1
            blocks.append("\n".join(_table(paras[i:j])))
            i = j
            continue
        level = (levels or {}).get(para) or heading_level(para, toc)
        if level is not None:
            blocks.append(f"{'#' * level} {escape(para)}")
        elif (lead := split_lead(para)) is not None and anchor_id(i, 0) not in anchors:
            blocks.append(f"{'#' * lead[0]} {escape(lead[1])}")
            blocks.append(_sentence_html(i, para, anchors, skip=1, ids=ids))
        else:
            blocks.append(_sentence_html(i, para, anchors, ids=ids))
        i += 1
    return "\n\n".join(blocks) + "\n"
