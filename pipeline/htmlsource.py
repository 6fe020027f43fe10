"""Read a saved government web page: report text, header metadata, table grids, attachments."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import nh3
import yaml
from bs4 import BeautifulSoup
from bs4.element import (
    NavigableString,
    PageElement,
    PreformattedString,
    Script,
    Stylesheet,
    Tag,
    TemplateString,
)

from pipeline.paths import PACKAGE_DIR

VOCAB_FILE = PACKAGE_DIR / "htmlsource_vocab.yml"


@dataclass(frozen=True)
class HtmlDocument:
    """What a saved web page says, with the page furniture taken away."""

    text: str
    """The report body as plain text, one paragraph per line; data tables as pipe tables."""
    meta: dict[str, str]
    """Page metadata: ``title``, ``published`` (as written), ``issuer``, ``doc_number`` (文号),
    ``written`` (成文日期), ``index_no`` (索引号), ``subject`` (主题分类), ``keywords``,
    ``description``, ``charset``; only keys the page gives."""
    grids: tuple[tuple[tuple[str, ...], ...], ...]
    """Every data table of the body, rectangular, rowspan/colspan expanded by repeating
    the spanned value."""
    attachments: tuple[tuple[str, str], ...]
    """(link text, http(s) or relative URL) of every 附件 link, in page order."""


# --- vocabulary -----------------------------------------------------------------------------

# Tags that start a new line of text. Everything else is inline.
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details"}
    | {"dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li"}
    | {"main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td"}
    | {"tfoot", "th", "thead", "tr", "ul"}
)
# A table's rows of cell texts, rectangular.
_Grid = tuple[tuple[str, ...], ...]
# Tables with more expanded cells than this are not turned into grids.
_GRID_MAX_CELLS = 200_000
_MAX_COLSPAN = 1000


_SIMPLE_SELECTOR = re.compile(
    r"(?P<tag>[A-Za-z][\w-]*)?(?P<parts>(?:[.#][\w-]+|\[[\w:-]+(?:[*^$]?=[^\]]*)?\])*)"
)
_SELECTOR_PART = re.compile(r"([.#])([\w-]+)|\[([\w:-]+)(?:([*^$]?=)([^\]]*))?\]")


@dataclass(frozen=True)
class _Simple:
    """One compound selector: ``tag``, ``.class``, ``#id``, ``[attr]``, ``[attr=v]``,
    ``[attr*=v]``, ``[attr^=v]``, ``[attr$=v]`` or several of these together."""

    tag: str | None
    classes: frozenset[str]
    ident: str | None
    attrs: tuple[tuple[str, str | None, str], ...]

    @classmethod
    def parse(cls, pattern: str) -> _Simple:
        whole = _SIMPLE_SELECTOR.fullmatch(pattern.strip())
        if whole is None or not pattern.strip():
            raise ValueError(f"unsupported selector in {VOCAB_FILE.name}: {pattern!r}")
        classes, ident, attrs = set(), None, []
        for part in _SELECTOR_PART.finditer(whole.group("parts")):
            if part.group(1) == ".":
                classes.add(part.group(2).lower())
            elif part.group(1) == "#":
                ident = part.group(2).lower()
            else:
                value = (part.group(5) or "").strip().strip("\"'").lower()
                attrs.append((part.group(3).lower(), part.group(4), value))
        tag = whole.group("tag")
        return cls(tag.lower() if tag else None, frozenset(classes), ident, tuple(attrs))

    def matches(self, name: str, classes: set[str], ident: str, element: Tag) -> bool:
        if self.tag is not None and self.tag != name:
            return False
        if not self.classes <= classes or (self.ident is not None and self.ident != ident):
            return False
        for attribute, operator, value in self.attrs:
            raw = element.get(attribute)
            if raw is None:
                return False
            have = (" ".join(raw) if isinstance(raw, list) else str(raw)).lower()
            if operator == "=" and have != value:
                return False
            if operator == "*=" and value not in have:
                return False
            if operator == "^=" and not have.startswith(value):
                return False
            if operator == "$=" and not have.endswith(value):
                return False
        return True


class _Selectors:
    """An ordered list of simple CSS selectors from the vocabulary, indexed for speed.

    Class and id match case-insensitively, as browsers do for the quirks-mode pages most
    government CMSs serve.
    """

    def __init__(self, patterns: list[str]) -> None:
        self._all = [_Simple.parse(p) for p in patterns]
        self._by_key: dict[str, list[int]] = {}
        self._always: list[int] = []
        for i, simple in enumerate(self._all):
            if simple.ident is not None:
                key = "#" + simple.ident
            elif simple.classes:
                key = "." + min(simple.classes)
            elif simple.tag is not None:
                key = simple.tag
            else:
                self._always.append(i)
                continue
            self._by_key.setdefault(key, []).append(i)

    def index(self, element: Tag) -> int | None:
        """Position of the first selector the element matches, or None."""
        raw_classes = element.get("class") or []
        if isinstance(raw_classes, str):
            raw_classes = raw_classes.split()
        classes = {c.lower() for c in raw_classes}
        raw_id = element.get("id")
        ident = raw_id.strip().lower() if isinstance(raw_id, str) else ""
        candidates = list(self._always)
        for key in [element.name, "#" + ident, *("." + c for c in classes)]:
            candidates.extend(self._by_key.get(key, ()))
        for i in sorted(candidates):
            if self._all[i].matches(element.name, classes, ident, element):
                return i
        return None

    def select(self, root: Tag) -> list[Tag]:
        """Matching elements under root, in document order."""
        return [el for el in _tags(root) if self.index(el) is not None]


@dataclass(frozen=True)
class _Vocab:
    content_selectors: _Selectors
    content_min_chars: int
    content_min_share: float
    drop_tags: frozenset[str]
    form_max_chars: int
    clutter_selectors: _Selectors
    breadcrumb_prefixes: tuple[str, ...]
    footer_markers: re.Pattern[str]
    clutter_block_max_chars: int
    clutter_lines: re.Pattern[str]
    header_keys: dict[str, tuple[str | None, int]]
    header_label: re.Pattern[str]
    header_value_max_chars: int
    header_block_max_chars: int
    layout_cell_max_chars: int
    fallback_sibling_min_chars: int
    fallback_sibling_share: float
    fallback_max_link_density: float
    meta_names: dict[str, tuple[str, int]]
    title_separators: re.Pattern[str]
    attachment_extension: re.Pattern[str]
    attachment_words: tuple[str, ...]
    attachment_selectors: _Selectors


def _label_key(label: str) -> str:
    return re.sub(r"\s+", "", label)


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    raw = yaml.safe_load(VOCAB_FILE.read_text(encoding="utf-8"))

    header_keys: dict[str, tuple[str | None, int]] = {}
    for key, labels in raw["header_labels"].items():
        for rank, label in enumerate(labels):
            header_keys.setdefault(_label_key(label), (key, rank))
    for label in raw["header_ignored_labels"]:
        header_keys.setdefault(_label_key(label), (None, 0))
    # Longest first, so that 发文字号 is not read as 字号; inner spacing (文　　号) allowed.
    by_length = sorted(header_keys, key=len, reverse=True)
    labels = "|".join(r"[ ]*".join(re.escape(ch) for ch in label) for label in by_length)

    meta_names: dict[str, tuple[str, int]] = {}
    for key, names in raw["meta_names"].items():
        for rank, name in enumerate(names):
            meta_names.setdefault(name.lower(), (key, rank))

    extensions = "|".join(re.escape(ext) for ext in raw["attachment_extensions"])
    return _Vocab(
        content_selectors=_Selectors(raw["content_selectors"]),
        content_min_chars=int(raw["content_min_chars"]),
        content_min_share=float(raw["content_min_share"]),
        drop_tags=frozenset(raw["drop_tags"]),
        form_max_chars=int(raw["form_max_chars"]),
        clutter_selectors=_Selectors(raw["clutter_selectors"]),
        breadcrumb_prefixes=tuple(raw["breadcrumb_prefixes"]),
        footer_markers=re.compile("|".join(raw["footer_markers"]), re.IGNORECASE),
        clutter_block_max_chars=int(raw["clutter_block_max_chars"]),
        clutter_lines=re.compile("|".join(f"(?:{p})" for p in raw["clutter_lines"])),
        header_keys=header_keys,
        header_label=re.compile(rf"(?P<label>{labels})[ ]*(?P<colon>[：:])?"),
        header_value_max_chars=int(raw["header_value_max_chars"]),
        header_block_max_chars=int(raw["header_block_max_chars"]),
        layout_cell_max_chars=int(raw["layout_cell_max_chars"]),
        fallback_sibling_min_chars=int(raw["fallback_sibling_min_chars"]),
        fallback_sibling_share=float(raw["fallback_sibling_share"]),
        fallback_max_link_density=float(raw["fallback_max_link_density"]),
        meta_names=meta_names,
        title_separators=re.compile("|".join(re.escape(s) for s in raw["title_separators"])),
        attachment_extension=re.compile(rf"\.(?:{extensions})$", re.IGNORECASE),
        attachment_words=tuple(raw["attachment_words"]),
        attachment_selectors=_Selectors(raw["attachment_selectors"]),
    )


# --- characters -----------------------------------------------------------------------------

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{_HAN}]")
# Han, CJK punctuation and full-width forms: no space is meant between two of these.
_CJK_CONTEXT = f"{_HAN}\u3001-\u303f\uff01-\uff60\uffe0-\uffee"
_CJK_LINE_BREAK = re.compile(rf"(?<=[{_CJK_CONTEXT}])[^\S\n]*\n\s*(?=[{_CJK_CONTEXT}])")
# Zero-width, bidi-control, soft hyphen and C0/C1 control characters (tab and newline are
# whitespace and handled as such).
_CONTROLS = "\x00-\x08\x0b\x0e-\x1f\x7f-\x9f"
_ZERO_WIDTH = "\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff"
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_INVISIBLE = re.compile(f"[{_CONTROLS}{_ZERO_WIDTH}{_BIDI_CONTROLS}]")
_SPACES = re.compile(r"\s+")
# "<" opening something a browser or Markdown renderer could read as a tag.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_SCRIPT_SCHEME = re.compile(r"(?i)((?:java|vb)script\s*):")


def _defuse(text: str) -> str:
    """Make page text inert wherever it is pasted later: no tag openers, no script URLs."""
    return _SCRIPT_SCHEME.sub(r"\1：", _TAG_OPEN.sub("＜", text))


def _normalise(text: str) -> str:
    """One line of text: invisible characters gone, whitespace collapsed, ends trimmed."""
    text = _INVISIBLE.sub("", text)
    # A source line break between two Han characters is not a space (CSS Text 3 segment breaks).
    text = _CJK_LINE_BREAK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _han_count(text: str) -> int:
    return len(_HAN_RE.findall(text))


def _tags(root: Tag) -> list[Tag]:
    """Every element under root in document order (faster than find_all with a name list)."""
    return [node for node in root.descendants if isinstance(node, Tag)]


def _texts(root: Tag) -> Iterator[str]:
    """The text nodes under root in document order, lazily (cheap to stop early, unlike
    ``descendants``, which first walks to the last descendant)."""
    stack: list[PageElement] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            stack.extend(reversed(node.contents))
        elif _is_text(node):
            yield str(node)


def _gone(node: PageElement) -> bool:
    """Whether node was removed by ``decompose()``. (bs4's ``decomposed`` property looks
    the name up as a child tag first, a search of the whole subtree.)"""
    return bool(vars(node).get("_decomposed", False))


def _is_text(node: PageElement) -> bool:
    return isinstance(node, NavigableString) and not isinstance(
        node, (PreformattedString, Script, Stylesheet, TemplateString)
    )


# --- charset --------------------------------------------------------------------------------

_COMMENT_BYTES = re.compile(rb"<!--.*?(?:-->|$)", re.DOTALL)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9][A-Za-z0-9_.:+-]*)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(
    rb"""^\s*<\?xml\b[^>]*?encoding\s*=\s*["']([A-Za-z0-9][A-Za-z0-9_.:+-]*)""", re.IGNORECASE
)
# Python codec name → the codec to decode with. GB18030 is a superset of GB2312 and GBK,
# and pages labelled GB2312 routinely hold GBK-only characters. A meta tag readable as ASCII
# cannot be UTF-16, and Latin-1 labels mean windows-1252 (WHATWG Encoding).
_CODEC_FOR = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "utf-16": "utf-8",
    "utf-16-le": "utf-8",
    "utf-16-be": "utf-8",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
}
# WHATWG labels Python does not know.
_LABEL_ALIASES = {
    "x-gbk": "gbk",
    "windows-936": "gbk",
    "csgb2312": "gb2312",
    "iso-ir-58": "gb2312",
    "chinese": "gb2312",
    "x-x-big5": "big5",
    "cn-big5": "big5",
    "csbig5": "big5",
    "unicode-1-1-utf-8": "utf-8",
    "unicode11utf8": "utf-8",
    "unicode20utf8": "utf-8",
    "x-unicode20utf8": "utf-8",
}


def _codec(label: str) -> str | None:
    label = label.strip().lower()
    label = _LABEL_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    # Refuse str-to-str and bytes-to-bytes codecs (rot13, base64...) and UTF-7.
    if not getattr(info, "_is_text_encoding", True) or info.name == "utf-7":
        return None
    return _CODEC_FOR.get(info.name, info.name)


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (``<meta charset>``, an http-equiv
    ``Content-Type`` or an XML declaration), as a Python codec name; GB2312/GBK → gb18030."""
    head = _COMMENT_BYTES.sub(b"", bytes(data[:4096]))
    for match in _META_CHARSET.finditer(head):
        codec = _codec(match.group(1).decode("ascii"))
        if codec:
            return codec
    match = _XML_ENCODING.match(head)
    if match:
        return _codec(match.group(1).decode("ascii"))
    return None


# --- sanitising kept HTML -------------------------------------------------------------------


def _span_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("rowspan", "colspan"):
        match = re.match(r"\s*(\d{1,4})", value)
        return str(min(int(match.group(1)), _MAX_COLSPAN)) if match else None
    return value


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    spans = {"rowspan", "colspan"}
    return nh3.Cleaner(
        tags={"p", "br", "table", "thead", "tbody", "tr", "th", "td", "ul", "ol", "li"}
        | {"strong", "em", "a"},
        clean_content_tags={"script", "style", "iframe", "noscript", "template", "object"}
        | {"embed", "textarea", "title", "xmp", "noembed", "noframes", "svg", "math"},
        attributes={"td": spans, "th": spans, "a": {"href"}},
        attribute_filter=_span_attribute,
        url_schemes={"http", "https"},
        url_relative="deny",
        link_rel="nofollow noopener",
        strip_comments=True,
    )


def sanitize_fragment(html: str) -> str:
    """HTML reduced to paragraphs, tables, lists, emphasis and http(s) links."""
    return _cleaner().clean(html)


# --- metadata -------------------------------------------------------------------------------


class _Fields:
    """Metadata collected from several places; a lower rank wins, then the first seen."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, str]] = {}

    def offer(self, key: str | None, value: str, rank: int) -> None:
        value = _defuse(_normalise(value))[:500]
        if key is None or not value:
            return
        held = self._values.get(key)
        if held is None or rank < held[0]:
            self._values[key] = (rank, value)

    def merge_under(self, other: _Fields) -> None:
        """Take the keys this collection lacks from ``other``."""
        for key, held in other._values.items():
            self._values.setdefault(key, held)

    def as_dict(self) -> dict[str, str]:
        return {key: self._values[key][1] for key in sorted(self._values)}


def _read_meta_tags(soup: BeautifulSoup, vocab: _Vocab) -> _Fields:
    fields = _Fields()
    for tag in soup.find_all("meta"):
        name = tag.get("name") or tag.get("property") or ""
        content = tag.get("content")
        if not isinstance(name, str) or not isinstance(content, str):
            continue
        key, rank = vocab.meta_names.get(name.strip().lower(), (None, 0))
        fields.offer(key, content, rank)
    title = soup.find("title")
    if isinstance(title, Tag):
        parts = [_normalise(p) for p in vocab.title_separators.split(title.get_text())]
        # Site names share the <title> with the article; the article's part is the longest.
        fields.offer("title", max(parts, key=len, default=""), 99)
    return fields


def _segments(element: Tag, limit: int | None = None) -> list[str] | None:
    """The element's text nodes, normalised, empty ones left out; None once they run
    longer than limit characters (so that walking up from a string stays cheap)."""
    out = []
    size = 0
    for node in _texts(element):
        if node:
            text = _normalise(str(node))
            if text:
                out.append(text)
                size += len(text) + 1
                if limit is not None and size > limit:
                    return None
    return out


def _join_segments(segments: list[str]) -> str:
    """Join text nodes as a reader sees them: no space between two Han characters."""
    out = ""
    for segment in segments:
        if out and not (_HAN_RE.match(out[-1]) and _HAN_RE.match(segment[0])):
            out += " "
        out += segment
    return out


_VALUE_TRIM_END = " |｜/【["
_VALUE_TRIM_START = " |｜/】]"


def _parse_header_line(
    text: str, vocab: _Vocab, *, require_value: bool = True
) -> list[tuple[str | None, int, str]] | None:
    """``索引号：X 发布机构：Y`` (text nodes separated by newlines) → [(key, rank, value)].

    None unless the text starts with a header label and every value is short. A label
    without a colon counts only when it is a text node of its own.
    """
    found = []
    for match in vocab.header_label.finditer(text):
        start, end = match.span()
        if not match.group("colon"):
            before = text[start - 1] if start else "\n"
            after = text[end] if end < len(text) else "\n"
            if before != "\n" or after != "\n":
                continue
        found.append(match)
    if not found or found[0].start() != 0:
        return None
    fields: list[tuple[str | None, int, str]] = []
    for i, match in enumerate(found):
        stop = found[i + 1].start() if i + 1 < len(found) else len(text)
        raw = text[match.end() : stop].strip("\n")
        segments = [s for s in raw.split("\n") if s.strip()]
        key, rank = vocab.header_keys[_label_key(match.group("label"))]
        # A label without a colon owns exactly one text node; sidebars listing links under
        # a heading such as 主题分类 are not header values. Ignored labels (字体：大 中 小)
        # may own several.
        if key is not None and len(segments) > (3 if match.group("colon") else 1):
            return None
        value = _join_segments(segments).rstrip(_VALUE_TRIM_END).lstrip(_VALUE_TRIM_START)
        if len(value) > vocab.header_value_max_chars:
            return None
        fields.append((key, rank, value))
    if require_value and not any(key and value for key, _, value in fields):
        return None
    return fields


def _own_rows(table: Tag) -> list[list[Tag]]:
    """Rows of cells of a table that has no table inside it."""
    rows = []
    for tag in _tags(table):
        if tag.name == "tr":
            rows.append([])
        elif tag.name in ("td", "th") and rows:
            rows[-1].append(tag)
    return rows


def _has_nested_table(table: Tag) -> bool:
    stack = list(table.contents)
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name == "table":
                return True
            stack.extend(node.contents)
    return False


def _is_grid_like(table: Tag) -> bool:
    rows = _own_rows(table)
    return len(rows) >= 2 and any(len(cells) >= 2 for cells in rows)


def _read_header_table(table: Tag, vocab: _Vocab, fields: _Fields) -> bool:
    """Read a 索引号/发布机构/文号... table; False (and nothing read) when it is not one."""
    found: list[tuple[str | None, int, str]] = []
    filled = covered = 0
    for cells in _own_rows(table):
        texts = ["\n".join(_segments(cell) or []) for cell in cells]
        filled += sum(1 for t in texts if t)
        i = 0
        while i < len(texts):
            text = texts[i]
            label = vocab.header_label.fullmatch(text) if text else None
            if label is not None:
                nxt = texts[i + 1] if i + 1 < len(texts) else ""
                if nxt and vocab.header_label.fullmatch(nxt):
                    i += 1
                    continue
                key, rank = vocab.header_keys[_label_key(label.group("label"))]
                found.append((key, rank, _join_segments(nxt.split("\n")) if nxt else ""))
                covered += 1 + (1 if nxt else 0)
                i += 2
                continue
            parsed = _parse_header_line(text, vocab, require_value=False) if text else None
            if parsed:
                found.extend(parsed)
                covered += 1
            i += 1
    pairs = sum(1 for key, _, value in found if key and value)
    if pairs < 2 or covered < 0.6 * filled:
        return False
    for key, rank, value in found:
        if len(value) <= vocab.header_value_max_chars:
            fields.offer(key, value, rank)
    return True


def _ancestor(node: PageElement, names: tuple[str, ...], levels: int) -> Tag | None:
    """The nearest enclosing element named one of names, looking up at most levels."""
    parent = node.parent
    for _ in range(levels):
        if parent is None or parent.name in names:
            return parent
        parent = parent.parent
    return None


# A header line is looked for at most this many levels above a label.
_HEADER_LEVELS = 12


def _read_header(root: Tag, vocab: _Vocab) -> _Fields:
    """Read the 信息公开 header (tables, lists, info lines) into fields and remove it."""
    fields = _Fields()
    for table in root.find_all("table"):
        if _gone(table) or _has_nested_table(table):
            continue
        if _read_header_table(table, vocab, fields):
            table.decompose()

    grid_like: dict[int, bool] = {}
    # Text of the blocks already looked at; many labels share the same ancestors. Sizes
    # measured before any removal only shrink, so they are safe upper bounds.
    seen: dict[int, list[str] | None] = {}
    sizes = _measure(root)
    hits = [s for s in root.find_all(string=vocab.header_label) if _is_text(s)]
    for string in hits:
        if _gone(string) or _ancestor(string, ("a",), _HEADER_LEVELS) is not None:
            continue
        table = _ancestor(string, ("table",), _HEADER_LEVELS)
        if table is not None:
            if id(table) not in grid_like:
                grid_like[id(table)] = not _has_nested_table(table) and _is_grid_like(table)
            if grid_like[id(table)]:
                continue
        best: tuple[Tag, list[tuple[str | None, int, str]]] | None = None
        node = string.parent
        for _ in range(_HEADER_LEVELS):
            if node is None or node.name in ("html", "body", "[document]", "tr", "table"):
                break
            size = sizes.get(id(node))
            if size is not None and size.chars > vocab.header_block_max_chars:
                break
            if id(node) not in seen:
                seen[id(node)] = _segments(node, vocab.header_block_max_chars)
            segments = seen[id(node)]
            if segments is None:
                break
            parsed = _parse_header_line("\n".join(segments), vocab)
            if parsed:
                best = (node, parsed)
            if node.name in ("td", "th"):
                break
            node = node.parent
        if best is not None:
            for key, rank, value in best[1]:
                fields.offer(key, value, rank)
            best[0].decompose()
            seen.clear()
    return fields


# --- finding the body -----------------------------------------------------------------------


@dataclass
class _Stat:
    han: int = 0
    chars: int = 0
    link_han: int = 0
    link_chars: int = 0
    inline_han: int = 0
    """Han characters outside links and not inside a nested block (the block's own text)."""

    @property
    def plain_han(self) -> int:
        return self.han - self.link_han


# id(tag) → counts, for every element of a page.
_Stats = dict[int, _Stat]


def _measure(root: Tag) -> _Stats:
    """Text counts for every element under root, in one pass (id(tag) → counts)."""
    order: list[Tag] = [root]
    own: dict[int, tuple[int, int]] = {}
    for node in root.descendants:
        if isinstance(node, Tag):
            order.append(node)
        elif _is_text(node) and node.parent is not None:
            text = str(node)
            han, chars = _han_count(text), len(_SPACES.sub("", text))
            held = own.get(id(node.parent), (0, 0))
            own[id(node.parent)] = (held[0] + han, held[1] + chars)
    stats: _Stats = {}
    for tag in reversed(order):
        stat = stats.setdefault(id(tag), _Stat())
        han, chars = own.get(id(tag), (0, 0))
        stat.han += han
        stat.chars += chars
        if tag.name == "a":
            stat.link_han, stat.link_chars, stat.inline_han = stat.han, stat.chars, 0
        else:
            stat.inline_han += han
        if tag is root or tag.parent is None:
            continue
        up = stats.setdefault(id(tag.parent), _Stat())
        up.han += stat.han
        up.chars += stat.chars
        up.link_han += stat.link_han
        up.link_chars += stat.link_chars
        if tag.name not in _BLOCK_TAGS:
            up.inline_han += stat.inline_han
    return stats


def _find_container(root: Tag, stats: _Stats, vocab: _Vocab) -> tuple[Tag | None, Tag | None]:
    """The body element of a known CMS, if the page has one holding the text; else None
    and the first known body element that links to a document file (a page that only
    links to its report as a PDF)."""
    page = stats[id(root)].plain_han
    weak = None
    ranked: dict[int, list[Tag]] = {}
    for element in _tags(root):
        i = vocab.content_selectors.index(element)
        if i is not None:
            ranked.setdefault(i, []).append(element)
    for i in sorted(ranked):
        best = max(ranked[i], key=lambda el: stats[id(el)].plain_han)
        han = stats[id(best)].plain_han
        if han >= vocab.content_min_chars and han >= vocab.content_min_share * page:
            return best, None
        if weak is None and any(_is_document_link(a, vocab) for a in best.find_all("a")):
            weak = best
    return None, weak


def _readability(root: Tag, stats: _Stats, vocab: _Vocab) -> list[Tag]:
    """The element with the most paragraph text, discounted by its share of link text,
    with those of its siblings that also hold real text (a body split over layout cells)."""
    scores: dict[int, tuple[Tag, float]] = {}

    def add(tag: Tag | None, score: float) -> None:
        if tag is not None and isinstance(tag, Tag) and tag.name != "[document]":
            held = scores.get(id(tag), (tag, 0.0))
            scores[id(tag)] = (tag, held[1] + score)

    for tag in [root, *(t for t in _tags(root) if t.name in _BLOCK_TAGS)]:
        own = stats[id(tag)].inline_han if id(tag) in stats else 0
        if own <= 0:
            continue
        parent = tag.parent
        if tag.name == "p":
            add(parent, own)
            add(parent.parent if parent is not None else None, own / 2)
        else:
            add(tag, own)
            add(parent, own / 2)

    best: Tag | None = None
    best_score = 0.0
    for tag, score in scores.values():
        stat = stats.get(id(tag))
        if stat is None or not stat.chars:
            continue
        # The share of link text counted in Han characters where there are any: the score counts
        # Han characters, and a link of digits or a URL (a date list, an attachment's address)
        # would otherwise weigh more than a paragraph of the body.
        if stat.han:
            score *= 1 - stat.link_han / stat.han
        else:
            score *= 1 - stat.link_chars / stat.chars
        if score > best_score:
            best, best_score = tag, score
    if best is None or best.parent is None or best is root:
        return [best] if best is not None else []

    share = vocab.fallback_sibling_share * _plain(best, stats)
    least = max(vocab.fallback_sibling_min_chars, share)
    body = []
    for sibling in best.parent.contents:
        if sibling is best:
            body.append(best)
        elif isinstance(sibling, Tag) and sibling.name in _BLOCK_TAGS:
            stat = stats.get(id(sibling))
            if (
                stat is not None
                and stat.plain_han >= least
                and stat.link_chars <= vocab.fallback_max_link_density * stat.chars
            ):
                body.append(sibling)
    return body


def _plain(tag: Tag, stats: _Stats) -> int:
    stat = stats.get(id(tag))
    return stat.plain_han if stat is not None else 0


def _is_protected(element: Tag, keep: set[int], stats: _Stats, page: int) -> bool:
    if id(element) in keep:
        return True
    # Without a known body, never throw away most of the page's text.
    return not keep and page > 0 and stats.get(id(element), _Stat()).plain_han > page / 2


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _is_hidden(element: Tag) -> bool:
    """Hidden by the page itself (``hidden`` or an inline ``display: none``)."""
    style = element.get("style")
    hidden_style = isinstance(style, str) and _HIDDEN_STYLE.search(style) is not None
    return element.has_attr("hidden") or hidden_style


def _remove_clutter(root: Tag, container: Tag | None, stats: _Stats, vocab: _Vocab) -> None:
    keep: set[int] = set()
    node = container
    while node is not None:
        keep.add(id(node))
        node = node.parent
    page = stats[id(root)].plain_han

    for element in _tags(root):
        if _gone(element) or _is_protected(element, keep, stats, page):
            continue
        if _is_hidden(element) or vocab.clutter_selectors.index(element) is not None:
            element.decompose()

    inside = {id(tag) for tag in _tags(container)} if container is not None else set()
    if container is not None:
        inside.add(id(container))

    limit = vocab.clutter_block_max_chars
    for string in root.find_all(string=True):
        if _gone(string) or not _is_text(string):
            continue
        text = _normalise(str(string))
        if text.startswith(vocab.breadcrumb_prefixes):
            prefixes: tuple[str, ...] | None = vocab.breadcrumb_prefixes
        elif vocab.footer_markers.search(text):
            prefixes = None
        else:
            continue
        if id(string.parent) in inside:
            continue
        target = _widest(string, keep, stats, page, limit, prefixes)
        if target is not None:
            target.decompose()


def _widest(
    string: PageElement,
    keep: set[int],
    stats: _Stats,
    page: int,
    limit: int,
    prefixes: tuple[str, ...] | None,
) -> Tag | None:
    """The largest short block around a clutter string (a breadcrumb must still lead it)."""
    target = None
    node = string.parent
    while node is not None and node.name not in ("html", "body", "[document]"):
        if _is_protected(node, keep, stats, page):
            break
        stat = stats.get(id(node))
        if stat is None or stat.chars > limit:
            break
        if prefixes is not None and not _normalise(node.get_text()).startswith(prefixes):
            break
        target = node
        node = node.parent
    return target


# --- tables ---------------------------------------------------------------------------------


def _span(cell: Tag, attribute: str, remaining: int) -> int:
    match = re.match(r"\s*(\d+)", str(cell.get(attribute) or ""))
    value = int(match.group(1)) if match else 1
    if attribute == "rowspan":
        # rowspan=0 spans to the end of the table.
        return remaining if value == 0 else max(1, min(value, remaining))
    return max(1, min(value, _MAX_COLSPAN))


def _table_grid(table: Tag, vocab: _Vocab) -> _Grid | None:
    """The table as a grid, or None for a layout table (nested tables, one row or column,
    paragraphs of prose in a cell)."""
    if _has_nested_table(table) or table.get("role") == "presentation":
        return None
    rows = _own_rows(table)
    cells: dict[tuple[int, int], str] = {}
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in cells:
                c += 1
            text = " ".join(_render(cell, vocab, None))
            if len(text) > vocab.layout_cell_max_chars:
                return None
            rowspan = _span(cell, "rowspan", len(rows) - r)
            colspan = _span(cell, "colspan", 0)
            if len(cells) + rowspan * colspan > _GRID_MAX_CELLS:
                return None
            for dr in range(rowspan):
                for dc in range(colspan):
                    cells.setdefault((r + dr, c + dc), text)
            c += colspan
    width = max((c for _, c in cells), default=-1) + 1
    grid = [[cells.get((r, c), "") for c in range(width)] for r in range(len(rows))]
    grid = [row for row in grid if any(row)]
    keep = [c for c in range(width) if any(row[c] for row in grid)]
    grid = [[row[c] for c in keep] for row in grid]
    if len(grid) < 2 or len(keep) < 2:
        return None
    return tuple(tuple(row) for row in grid)


def _pipe_row(row: tuple[str, ...]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"


def _pipe_table(grid: _Grid) -> list[str]:
    lines = [_pipe_row(grid[0]), "| " + " | ".join("---" for _ in grid[0]) + " |"]
    lines.extend(_pipe_row(row) for row in grid[1:])
    return lines


# --- text -----------------------------------------------------------------------------------


def _render(root: Tag, vocab: _Vocab, grids: list[_Grid] | None) -> list[str]:
    """The element as lines: blocks and <br> break lines, data tables become pipe tables.

    ``grids`` collects the data tables met; None renders tables inside a table cell flat.
    """
    lines: list[str] = []
    buffer: list[str] = []
    preformatted = 0

    def flush() -> None:
        if buffer:
            line = _normalise("".join(buffer))
            buffer.clear()
            if line:
                lines.append(line)

    stack: list[tuple[PageElement, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            if node.name == "pre":
                preformatted -= 1
            flush()
            continue
        if not isinstance(node, Tag):
            if _is_text(node):
                if preformatted:
                    first, *rest = str(node).split("\n")
                    buffer.append(first)
                    for part in rest:
                        flush()
                        buffer.append(part)
                else:
                    buffer.append(str(node))
            continue
        name = node.name
        if name in vocab.drop_tags:
            continue
        if name in ("br", "hr"):
            flush()
            continue
        if name == "table" and grids is not None:
            grid = _table_grid(node, vocab)
            if grid is not None:
                flush()
                caption = node.find("caption")
                if isinstance(caption, Tag):
                    lines.extend(_render(caption, vocab, None))
                grids.append(grid)
                lines.extend(_pipe_table(grid))
                continue
        if name in _BLOCK_TAGS:
            flush()
            if name == "pre":
                preformatted += 1
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return lines


# --- attachments ----------------------------------------------------------------------------

_URL_EDGES = "".join(chr(c) for c in range(0x21))
_URL_BREAKS = re.compile("[\t\n\r]+")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_URL_UNSAFE = {ch: f"%{ord(ch):02X}" for ch in _URL_EDGES + '\x7f"<>\\^`{|}'}


def _safe_url(href: object) -> str | None:
    """An http(s) or relative URL, or None (javascript:, data:, mailto:, fragments...)."""
    if not isinstance(href, str):
        return None
    # Browsers trim control characters and spaces at the ends and ignore tabs and newlines
    # anywhere inside (so "java\nscript:" is a script URL).
    url = _URL_BREAKS.sub("", _INVISIBLE.sub("", href)).strip(_URL_EDGES)
    if not url or url.startswith("#") or "script:" in url.lower():
        return None
    scheme = _SCHEME.match(url)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return None
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url)


def _is_document_link(link: Tag, vocab: _Vocab) -> bool:
    url = _safe_url(link.get("href"))
    return url is not None and bool(vocab.attachment_extension.search(_url_path(url)))


def _url_path(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]


def _link_text(link: Tag, url: str) -> str:
    text = _normalise(link.get_text())
    if not text:
        for holder in [link, *link.find_all("img")]:
            title = holder.get("title") or holder.get("alt")
            if isinstance(title, str) and _normalise(title):
                return _normalise(title)
        text = url.rstrip("/").rsplit("/", 1)[-1]
    return text


def _block_starts_with(node: Tag, words: tuple[str, ...]) -> bool:
    """Whether the text of the block holding node starts with one of words."""
    block = _ancestor(node, tuple(_BLOCK_TAGS), 50)
    head = ""
    for string in _texts(block or node):
        head += _normalise(string)
        # The start of the block is enough; a body holding many links is read once each.
        if len(head) >= max(map(len, words), default=0):
            break
    return head.startswith(words)


def _attachments(root: Tag, bodies: list[Tag], vocab: _Vocab) -> tuple[tuple[str, str], ...]:
    links: list[tuple[Tag, bool]] = []
    for body in bodies:
        links.extend((link, False) for link in body.find_all("a"))
    for box in vocab.attachment_selectors.select(root):
        # Boxes inside the body were read with it.
        if not any(p is body for p in [box, *box.parents] for body in bodies):
            links.extend((link, True) for link in box.find_all("a"))
    found: dict[str, str] = {}
    for link, in_box in links:
        url = _safe_url(link.get("href"))
        if url is None or url in found:
            continue
        text = _link_text(link, url)
        if (
            in_box
            or vocab.attachment_extension.search(_url_path(url))
            or any(w in text for w in vocab.attachment_words)
            or _block_starts_with(link, vocab.attachment_words)
        ):
            found[url] = _defuse(text)
    return tuple((text, url) for url, text in found.items())


# --- the whole page -------------------------------------------------------------------------


def _drop_furniture(soup: BeautifulSoup, vocab: _Vocab) -> None:
    for tag in [t for t in _tags(soup) if t.name in vocab.drop_tags]:
        if not _gone(tag):
            tag.decompose()
    page = _han_count(soup.get_text())
    for form in soup.find_all("form"):
        if _gone(form):
            continue
        han = _han_count(form.get_text())
        # ASP.NET pages wrap everything in one <form>; only small forms are widgets.
        if han < vocab.form_max_chars and han * 2 < page:
            form.decompose()


def _within(inner: Tag, outer: Tag) -> bool:
    return inner is outer or any(parent is outer for parent in inner.parents)


def _lines_out(lines: list[str], vocab: _Vocab) -> list[str]:
    out = []
    for line in lines:
        line = _defuse(line)
        if line and not vocab.clutter_lines.search(line):
            out.append(line)
    return out


def _extract(html: str) -> HtmlDocument:
    vocab = _vocab()
    charset = declared_charset(html[:4096].encode("utf-8", "replace"))
    soup = BeautifulSoup(_INVISIBLE.sub("", html.replace("\x00", "")), "lxml")

    from_meta = _read_meta_tags(soup, vocab)
    _drop_furniture(soup, vocab)
    fields = _read_header(soup, vocab)
    fields.merge_under(from_meta)
    meta = fields.as_dict()
    if charset:
        meta = dict(sorted({**meta, "charset": charset}.items()))

    root = soup.body if isinstance(soup.body, Tag) else soup
    stats = _measure(root)
    container, weak = _find_container(root, stats, vocab)
    _remove_clutter(root, container or weak, stats, vocab)
    bodies = [container] if container is not None else _readability(root, _measure(root), vocab)
    if weak is not None and not any(_within(weak, body) for body in bodies):
        # A known body too small to trust still belongs to the text (a report page that only
        # links to its PDF), replacing what was found inside it.
        order = {id(tag): i for i, tag in enumerate(_tags(root))}
        bodies = [body for body in bodies if not _within(body, weak)] + [weak]
        bodies.sort(key=lambda tag: order.get(id(tag), 0))

    grids: list[_Grid] = []
    lines = [line for body in bodies for line in _render(body, vocab, grids)]
    attachments = _attachments(root, bodies, vocab)
    lines.extend(f"附件：{text} {url}" for text, url in attachments)
    safe_grids = tuple(tuple(tuple(_defuse(c) for c in row) for row in g) for g in grids)
    return HtmlDocument(
        text="\n".join(_lines_out(lines, vocab)),
        meta=meta,
        grids=safe_grids,
        attachments=attachments,
    )


def extract(html: str) -> HtmlDocument:
    """Text, metadata, table grids and attachment links of a saved web page.

    Never raises on page content: a page the parser cannot make sense of gives an empty
    document, so one bad download cannot stop a build.
    """
    try:
        return _extract(html)
    except Exception:  # noqa: BLE001 - any parser failure means an empty document
        return HtmlDocument(text="", meta={}, grids=(), attachments=())
