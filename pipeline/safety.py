"""What a source may put on the site, in one place: the URL allow-list, the policy on invisible
and direction-changing characters, and the one escape every generated page applies to a value.

Every string a source or sidecar sets (title, issuer, 文号, dates, URL, file name, body text) is
data. It reaches the site only through:

- ``safe_metadata``: run where a report's metadata is assembled (``report.process``); keeps
  http(s) URLs only and takes invisible and bidi control characters out of one-line fields;
- ``escape_page_text``: the escape the page templates apply to every value (``pipeline.pages``),
  valid at once in Markdown text, in HTML text and in a quoted HTML attribute;
- the XML escape of the feed and sitemap templates and ``json_for_script`` for JSON-LD.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

from markupsafe import Markup

from pipeline.records import Metadata

ALLOWED_SCHEMES = frozenset({"http", "https"})
MAX_URL_LENGTH = 2000

# Bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069) and the marks (LRM, RLM,
# ALM): in a title they can make the text around it read backwards; Chinese titles never need them.
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
# Zero-width and other invisible characters: copy-and-paste debris that splits words for search
# and can hide a difference between two titles that look the same.
ZERO_WIDTH = "\u200b-\u200d\u2060-\u2064\ufeff\u00ad\u180e"
# C0 and C1 controls other than tab, line feed and carriage return (which are whitespace).
CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"

_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_CONTROLS = re.compile(f"[{CONTROLS}]")
_INVISIBLE = re.compile(f"[{BIDI_CONTROLS}{ZERO_WIDTH}{CONTROLS}]")
_LINE_BREAKS = re.compile("[\r\n\u2028\u2029\x85]+")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# Characters a URL may not hold as they are (RFC 3986 plus what HTML and Markdown read): each
# is percent-encoded. Non-ASCII (Chinese paths) is left to the browser, which encodes it.
_URL_UNSAFE = {ch: f"%{ord(ch):02X}" for ch in ' "<>\\^`{|}()[]'}
# Browsers drop tabs and line breaks anywhere in a URL ("java\nscript:" is a script URL).
_URL_IGNORED = re.compile("[\t\n\r]")

# One-line metadata fields that pages, the feed and search show.
TEXT_FIELDS = ("title", "title_hans", "issuer", "doc_number", "license")


def strip_invisible(text: str) -> str:
    """``text`` without bidi controls, zero-width characters and C0/C1 controls."""
    return _INVISIBLE.sub("", text)


def one_line(text: str) -> str:
    """A one-line field as shown: invisible characters removed, line breaks become spaces."""
    return _LINE_BREAKS.sub(" ", strip_invisible(text)).strip()


def safe_url(value: str | None) -> str | None:
    """An absolute http(s) URL, percent-encoded where HTML or Markdown could read it; None for
    anything else (``javascript:``, ``data:``, ``vbscript:``, relative or host-less URLs)."""
    if not value:
        return None
    url = _URL_IGNORED.sub("", strip_invisible(value)).strip(" \u3000")
    if not url or len(url) > MAX_URL_LENGTH:
        return None
    scheme = _SCHEME.match(url)
    if scheme is None or scheme.group(1).lower() not in ALLOWED_SCHEMES:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # an invalid IPv6 host, for one
        return None
    if not url[scheme.end() :].startswith("//") or not parts.hostname:
        return None
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url)


def safe_metadata(m: Metadata) -> tuple[Metadata, tuple[str, ...]]:
    """``m`` made safe to publish, and a note for the build report about each thing removed."""
    notes: list[str] = []
    changes: dict[str, object] = {}
    for name in TEXT_FIELDS:
        value = getattr(m, name)
        if value is None:
            continue
        clean = one_line(value)
        if _BIDI.search(value) and name != "title_hans":
            notes.append(f"bidi control characters removed from the {name}")
        if clean != value:
            changes[name] = clean if clean or name in ("title", "title_hans") else None
    if m.url is not None:
        url = safe_url(m.url)
        if url is None:
            shown = one_line(m.url)[:80]
            notes.append(f"source URL dropped (only http and https links are published): {shown}")
        if url != m.url:
            changes["url"] = url
    if m.published_date is not None and not re.fullmatch(r"\d{4}-\d\d-\d\d", m.published_date):
        changes["published_date"] = None
    return (replace(m, **changes) if changes else m), tuple(notes)


# --------------------------------------------------------------------------- page text

# Markdown reads these anywhere in a line (emphasis, code, links, images, attribute lists,
# tables, fences, escapes); as numeric character references they are plain text to Markdown and
# the same character to HTML. ``&<>"'`` are escaped as in any HTML.
_PAGE_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    **{ch: f"&#{ord(ch)};" for ch in "\\`*{}[]|~#"},
}
# "_" opens or closes emphasis only next to a non-word character; between two letters or
# digits (report_id) it is text to Markdown, and left as it is.
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_PAGE_TABLE = str.maketrans(_PAGE_ESCAPES)
# What Markdown reads only at the start of a line: list markers, numbered lists, setext rules.
_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d+(?=[.)]))", re.MULTILINE)
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
# A value with none of the characters above, not starting a line with a marker: printed as it is.
_PLAIN = re.compile(
    f"(?![ \\t])(?![ \\t]*(?:[-+=]|\\d+[.)]))[^{re.escape(''.join(_PAGE_ESCAPES))}_\n\r{CONTROLS}]*"
)


def escape_page_text(value: object) -> Markup:
    """``value`` as text on a generated page: safe as Markdown text (inline or starting a line),
    as HTML text and as a quoted HTML attribute value, and shown as the same characters in all
    three. Already-escaped ``Markup`` passes through unchanged.

    Not for URLs (they need ``safe_url`` first), fenced code blocks, JSON or XML."""
    if isinstance(value, Markup):
        return value
    text = "" if value is None else str(value)
    if _PLAIN.fullmatch(text):  # most values (Han text, numbers, dates) have nothing to escape
        return Markup(text)
    # Control characters are not text (and XML and Markdown's own placeholders reject them).
    text = _CONTROLS.sub("", text)
    # Indentation would make the line a code block, which shows the escapes as written; on a
    # page it is not seen anyway (HTML folds white space).
    text = _INDENT.sub("", text)
    text = _EMPHASIS_UNDERSCORE.sub("&#95;", text.translate(_PAGE_TABLE))
    text = _LINE_START.sub(lambda m: m.group(1) + "".join(f"&#{ord(c)};" for c in m.group(2)), text)
    return Markup(text)
