"""The templates' environments, where the escaping rule lives.

Pages (``templates/*.md.j2``) are Markdown with HTML in it. Every ``{{ value }}`` in a page
template goes through ``safety.escape_page_text``, which is right in each place a value can sit
on such a page (Markdown text, a Markdown heading or table cell, HTML text, a quoted attribute),
so no template decides escaping per field and a new field is escaped without asking.
A value that is already markup is passed in as ``markupsafe.Markup`` by the page module, which
names why it is safe (the report body from the Markdown stage, the charts, JSON-LD). Links to
the site's own pages go through ``|link``, which admits only a path of the site's own names.

Feeds (``templates/*.xml.j2``) have their own environment: XML escaping, and the characters XML
1.0 forbids removed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from pipeline import safety
from pipeline.paths import PACKAGE_DIR

TEMPLATES = PACKAGE_DIR / "pages" / "templates"

# Paths of the site's own pages and files: report ids, slugs (Han letters kept), folders.
_SITE_PATH = re.compile(r"[\w./-]+(?:#[\w-]+|#page=\d+)?|#[\w-]+")
_ELEMENT_ID = re.compile(r"[A-Za-z][\w-]*")
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Characters a YAML scalar may not hold as they are (PyYAML: non-printable, or line breaks).
_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def link(path: str) -> Markup:
    """A link to one of the site's own pages or files, or an element id on this page.

    These are made from report ids and slugs, never from source text: anything else is a bug,
    and fails the build instead of reaching a page."""
    if (
        not isinstance(path, str)
        or not _SITE_PATH.fullmatch(path)
        or ".." in path.replace("../", "")
    ):
        raise ValueError(f"not a path of this site: {path!r}")
    return Markup(path)


def element_id(value: str) -> Markup:
    """An element id made by the pages (``key-figures``, ``c-5c4f…``)."""
    if not isinstance(value, str) or not _ELEMENT_ID.fullmatch(value):
        raise ValueError(f"not an element id: {value!r}")
    return Markup(value)


def external_url(value: str | None) -> Markup:
    """An http(s) URL for an ``href``, allow-listed again here (see ``safety.safe_url``)."""
    url = safety.safe_url(value)
    if url is None:
        raise ValueError("an external link needs an http(s) URL")
    return escape(url)


def front_matter(value: Any) -> Markup:
    """A value for the page's YAML front matter. MkDocs hands ``title`` and ``description``
    to the theme, which prints them raw into ``<title>``, the header and ``<meta>``; so they
    are escaped for HTML here, then written as a YAML (JSON) string."""
    text = json.dumps(str(safety.escape_page_text(value)), ensure_ascii=False)
    return Markup(_YAML_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def count(n: int) -> str:
    return f"{n:,}"


def _xml_text(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    return _XML_FORBIDDEN.sub("", "" if value is None else str(value))


RAW_HTML = "raw-html:"
"""Prefix of an HTML comment that carries a block of finished HTML past Markdown (see
``raw_html``); the site build puts the block back in place (``pipeline.site.mkdocs_run``)."""


def raw_html(html: str) -> Markup:
    """A block of HTML the page template made (every value in it already escaped), carried past
    Markdown as a comment and put back after conversion. Python-Markdown reads a comment in one
    search, but parses a raw HTML block tag by tag: the mandated tables (hundreds of cells) were
    most of a report page's conversion time. A comment may not hold ``--``; in HTML text and
    attribute values ``-&#45;`` means the same."""
    body = str(html).strip().replace("--", "-&#45;")
    return Markup(f"<!--{RAW_HTML}{body}-->")


def html_table(
    caption: Any,
    head: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    numeric: Collection[int] = (),
    row_headers: bool = True,
    caption_visible: bool = False,
) -> Markup:
    """An accessible HTML table in a horizontally scrolling box, as finished HTML carried past
    Markdown (``raw_html``): the ``table`` macro of ``_shared.md.j2``. Cells are values (escaped
    here as every printed value is) or markup a template made. The box is a named region that
    takes the keyboard focus, so that a table wider than the screen can be scrolled with the
    arrow keys. Made here, not in the template: a report's mandated tables have hundreds of
    cells, and a Jinja loop over them was a quarter of the time of writing the pages."""
    esc = safety.escape_page_text
    num = ' class="num"'
    cap = esc(caption)
    hidden = "" if caption_visible else ' class="visually-hidden"'
    out = [
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{cap}">\n<table>\n'
        f"<caption{hidden}>{cap}</caption>\n"
        "<thead><tr>"
    ]
    out += [
        f'<th scope="col"{num if i in numeric else ""}>{esc(h)}</th>' for i, h in enumerate(head)
    ]
    out.append("</tr></thead>\n<tbody>\n")
    for row in rows:
        out.append("<tr>")
        for i, c in enumerate(row):
            cls = num if i in numeric else ""
            if i == 0 and row_headers:
                out.append(f'<th scope="row"{cls}>{esc(c)}</th>')
            else:
                out.append(f"<td{cls}>{esc(c)}</td>")
        out.append("</tr>\n")
    out.append("</tbody>\n</table>\n</div>")
    return raw_html("".join(out))


# Python-Markdown's backslash escapes (its ESCAPED_CHARS, with ``|`` the tables extension adds).
_MD_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()>#+\-.!|])")
_CONTROL = re.compile("[\x00-\x1f]")


def paragraph_html(block: str) -> Markup | None:
    """A paragraph of escaped body text (``pipeline.markdown.escape``, with the sentence spans
    the Markdown stage made) as the HTML Python-Markdown makes of it, carried past Markdown
    (``raw_html``); ``None`` for any block that is not such a plain paragraph (headings, tables,
    links, whitespace Markdown would rewrite), which Markdown then converts as before.

    In a plain paragraph the only things Markdown reads are its backslash escapes, the entities
    ``escape`` made and the spans, so its HTML is the text with the escapes undone inside
    ``<p>``; a property test compares the two on hostile text. Report bodies are most of the
    site's text, and Python-Markdown reads each span tag by tag: this nearly halves a page's
    conversion (19 to 10.5 ms in a micro-benchmark)."""
    if (
        not block
        or block[0] in "#|"
        or "](" in block
        or block != block.strip()
        or _CONTROL.search(block)
    ):
        return None
    return raw_html("<p>" + _MD_ESCAPED.sub(r"\1", block) + "</p>")


@lru_cache(maxsize=1)
def page_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        auto_reload=False,  # templates do not change during a build
        autoescape=True,
        # Every printed value, whatever the template: the one escape of generated pages.
        finalize=safety.escape_page_text,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Markdown's attribute lists ({#id}) use Jinja's default comment opener.
        comment_start_string="{##",
        comment_end_string="##}",
    )
    env.filters["e"] = env.filters["escape"] = safety.escape_page_text
    env.filters["link"] = link
    env.filters["id"] = element_id
    env.filters["external_url"] = external_url
    env.filters["front_matter"] = front_matter
    env.filters["count"] = count
    env.filters["raw_html"] = raw_html
    env.globals["html_table"] = html_table
    return env


@lru_cache(maxsize=1)
def xml_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        auto_reload=False,
        autoescape=True,
        finalize=_xml_text,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def join_raw_blocks(markdown: str) -> str:
    """The page with each run of blocks that are one ``raw_html`` comment each, one blank line
    apart, made one comment. Python-Markdown writes consecutive HTML blocks one per line in a
    ``markdown="1"`` block (a blank line between them elsewhere, which joined blocks lose), so
    the put-back HTML is the same (checked in the tests), but it stashes and then runs its
    inline patterns over each block's placeholder: for a report body of some 40 paragraphs,
    a fifth of the page's conversion time."""
    head = f"<!--{RAW_HTML}"
    out: list[str] = []
    joinable = False
    for block in markdown.split("\n\n"):
        single = (
            block.startswith(head)
            and block.endswith("-->")
            and block.count("<!--") == 1
            and block.count("-->") == 1
        )
        if single and joinable:
            out[-1] = out[-1][: -len("-->")] + "\n" + block[len(head) :]
        else:
            out.append(block)
        joinable = single
    return "\n\n".join(out)


def render(template: str, **values: Any) -> str:
    """A page template (``*.md.j2``) or feed template (``*.xml.j2``) with ``values``."""
    if template.endswith(".xml.j2"):
        return xml_env().get_template(template).render(**values)
    return join_raw_blocks(page_env().get_template(template).render(**values))


def macro(template: str, name: str) -> Any:
    """One macro of a page template, for page kinds with several shapes of page."""
    return getattr(page_env().get_template(template).module, name)
