"""Property tests: hostile text and bytes never crash a stage nor become live markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown as md
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.archive import SourceError
from pipeline.markdown import escape, to_markdown
from pipeline.pages import report_page
from pipeline.pages.render import join_raw_blocks, paragraph_html, raw_html
from pipeline.records import Source
from pipeline.report import StageError, process
from pipeline.site.mkdocs_run import put_back_raw_html

EXTENSIONS = ["tables", "attr_list", "md_in_html", "toc"]
SITE_EXTENSIONS = [*EXTENSIONS, "pymdownx.superfences"]  # as mkdocs.yml
FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "style",
    "form",
    "object",
    "embed",
    "img",
    "svg",
    "math",
    "input",
    "link",
    "meta",
}

# Text made of what hostile sources contain: markup, Markdown syntax, Chinese, numbering, URLs.
fragments = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<iframe src=//x>",
        "</span>",
        "<a href='javascript:alert(1)'>x</a>",
        "[x](javascript:alert(1))",
        "![i](data:text/html,x)",
        "{: onclick=alert(1)}",
        "{#id .c onmouseover=x}",
        "<style>*{}</style>",
        "<form>",
        "&lt;b&gt;",
        "| a | b |",
        "| --- | --- |",
        "# ",
        "## ",
        "- ",
        "1. ",
        "> ",
        "```",
        "~~~",
        "***",
        "___",
        "\\",
        "一、概述",
        "（一）",
        "1.",
        "。",
        "，",
        "主动公开政府信息1200条",
        "http://x.gov.cn/a?b=1&c=<d>",
        "<!--",
        "-->",
        "<![CDATA[",
        "&#x3C;script&#x3E;",
        "\u3000",
        "\u200b",
        "\t",
        " ",
        "\n",
        "\n\n",
    ]
)
hostile_text = st.lists(st.one_of(fragments, st.text(max_size=20)), max_size=40).map("".join)


class LiveMarkupFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name in {"href", "src", "action", "formaction"} and value:
                v = value.strip().lower()
                if (
                    not v.startswith(("http://", "https://", "#", "../", "./"))
                    and ":" in v.split("/")[0]
                ):
                    self.problems.append(f"{tag}[{name}={value}]")


def live_markup(html: str) -> list[str]:
    finder = LiveMarkupFinder()
    finder.feed(html)
    return finder.problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text, hostile_text)
def test_any_text_gives_markdown_with_no_live_markup(text, title):
    out = to_markdown(text, title or "t")
    html = md.markdown(out, extensions=EXTENSIONS)
    assert live_markup(html) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
def test_any_text_through_every_stage_and_the_page(text):
    try:
        report = process(Source("fuzz.txt", text.encode("utf-8")), "fuzz")
    except (SourceError, StageError) as exc:
        assert str(exc)  # a clear message, never a crash
        return
    page = report_page(report, None, "../downloads")
    front, body = page.split("---\n", 2)[1:] if page.startswith("---") else ("", page)
    assert "title:" in front
    html = put_back_raw_html(md.markdown(body, extensions=EXTENSIONS))
    assert live_markup(html) == []


def _markdown_html(block: str) -> str:
    return md.markdown(block, extensions=SITE_EXTENSIONS).replace("--", "-&#45;")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text, st.sets(st.integers(0, 6), max_size=4))
def test_a_paragraph_passed_as_html_is_what_markdown_makes_of_it(text, marked):
    """The page carries plain paragraphs of the body past Markdown as finished HTML: for any
    text, that HTML is Python-Markdown's own (``--`` written ``-&#45;`` in a comment)."""
    anchors = {f"p{p}-s{s}" for p in range(1, 9) for s in marked}
    out = to_markdown(text, "t", anchors=anchors, ids={f"p{p}-s1" for p in range(1, 9)})
    for block in out.split("\n\n")[1:]:
        made = paragraph_html(block.strip("\n"))
        if made is not None:
            assert put_back_raw_html(made) == _markdown_html(block)


# What a page is made of: text escaped as the pages escape it (never raw source text), raw HTML
# blocks, headings, lists and the wrappers of markdown="1" blocks.
_BLOCKS = st.one_of(
    hostile_text.map(lambda t: escape(t).strip()),
    hostile_text.map(lambda t: str(raw_html("<p>" + str(md.markdown(t)) + "</p>"))),
    st.sampled_from(["## 一、概述 {#a}", '<div class="x" markdown="1">', "</div>", "- [a](b.md)"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_BLOCKS, max_size=12))
@example(  # text "~~~" around raw blocks: once a fenced code block holding them
    blocks=[escape("~~~"), str(raw_html("<p></p>")), str(raw_html("<p></p>")), escape("~~~")]
)
def test_raw_blocks_joined_give_the_same_html(blocks):
    """Pages join runs of raw HTML blocks into one (``join_raw_blocks``): whatever surrounds
    them (text, headings, lists, ``markdown="1"`` blocks), the HTML Markdown makes is the same,
    but for the blank line it puts between two blocks outside a ``markdown="1"`` block."""
    page = "\n\n".join(blocks)

    def html(text: str) -> str:
        made = put_back_raw_html(md.markdown(text, extensions=SITE_EXTENSIONS))
        return re.sub(r">\n\n+<", ">\n<", made)

    assert html(join_raw_blocks(page)) == html(page)


def test_text_lines_that_would_open_a_fence_or_underline_a_heading_stay_text():
    """A report's line of ``~~~`` opened a fenced code block (two of them made code of all
    between), and a line of ``===`` made the line above a heading: escaped text renders as the
    text, whatever surrounds it."""
    for line in ("~~~", "~~~python", "  ~~~~~~ 分隔 ~~~", "=====", "=="):
        page = f"正文一\n{escape(line)}\n\n正文二\n\n{escape(line)}\n\n正文三"
        out = md.markdown(page, extensions=SITE_EXTENSIONS)
        assert "<pre" not in out and "<code" not in out and "<h1" not in out, line
        text = re.sub(r"<[^>]+>", "", out).replace("&#126;", "~").replace("&#61;", "=")
        assert text.count(line.strip()) == 2 and "正文三" in text, line
    assert escape("标题 = 值 ~ 注") == "标题 = 值 ~ 注"  # elsewhere in a line: as it is


def test_a_run_of_raw_blocks_becomes_one():
    a, b, c = (str(raw_html(f"<p>{x}</p>")) for x in "abc")
    page = f"# T\n\n{a}\n\n{b}\n\n{c}\n\n## H\n\n{a}\n\ntext\n\n{b}"
    joined = join_raw_blocks(page)
    assert joined.count("<!--raw-html:") == 3
    assert "<!--raw-html:<p>a</p>\n<p>b</p>\n<p>c</p>-->" in joined
    assert join_raw_blocks(joined) == joined


def test_sentences_with_spans_and_escapes_are_passed_as_html():
    text = "标题\n1.本机关*依法*公开[信息]。第二句 a_b|c & <d>。\n二、概述"
    blocks = to_markdown(text, "标题", anchors={"p2-s1"}, ids={"p2-s2"}).split("\n\n")
    made = [paragraph_html(b.strip("\n")) for b in blocks]
    assert made[0] is None and made[-1] is None  # the title and the heading stay Markdown
    html = put_back_raw_html(made[1])
    assert html == _markdown_html(blocks[1])
    assert html.startswith('<p><span class="evidence" id="p2-s1">1.本机关*依法*公开[信息]。')
    assert "a_b|c &amp; &lt;d&gt;" in html


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_report_or_a_clear_error(data):
    try:
        report = process(Source("fuzz.txt", data), "fuzz")
    except SourceError as exc:
        assert "file" in str(exc) or "bytes" in str(exc) or "text" in str(exc)
    except StageError as exc:
        assert exc.stage and exc.message
    else:
        assert report.archived.sha256 and isinstance(report.markdown, str)


@settings(max_examples=100, deadline=None)
@given(hostile_text)
def test_any_html_page_gives_a_report_or_a_clear_error(text):
    page = f"<html><head><title>{text[:50]}</title></head><body><div class='TRS_Editor'>{text}</div></body></html>"
    try:
        report = process(Source("fuzz.html", page.encode("utf-8")), "fuzz")
    except (SourceError, StageError) as exc:
        assert str(exc)
        return
    html = md.markdown(report.markdown, extensions=EXTENSIONS)
    assert live_markup(html) == []


@pytest.mark.parametrize(
    "data",
    [b"\xfe\xff\x00\x00\x00\x00\x00", b"\xff\xfe\x41", b"\xef\xbb\xbf\xff\xfe\xfa"],
    ids=["utf16be-odd-length", "utf16le-odd-length", "utf8-invalid"],
)
def test_a_byte_order_mark_over_other_bytes_is_a_clear_error(data):
    with pytest.raises(SourceError, match=r"byte-order mark but are not UTF-(8|16) text"):
        process(Source("bom.txt", data), "bom")
