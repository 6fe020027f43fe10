"""Report pages: one per report (card, key figures, mandated tables, checks, copied text, full
text, downloads, the issuer's page and neighbouring years), and the per-report CSV offered
beside it."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import deque
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from pipeline import package, readers, safety
from pipeline.executor import LocalExecutor
from pipeline.extract.figures import indicator_titles
from pipeline.fileio import write_files
from pipeline.markdown import escape
from pipeline.pages.common import (
    DOWNLOADS,
    FORMAT_ZH,
    ISSUER_TYPE_ZH,
    KEPT,
    LEVEL_ZH,
    QUALIFIER_ZH,
    SCRIPT_ZH,
    STATUS_ZH,
    TABLE_ZH,
    TYPE_ZH,
    WRITTEN,
    Output,
    PageKind,
    ReportLinks,
    Site,
    fmt,
    level,
    region,
    text_lang,
    title_lang,
)
from pipeline.pages.render import element_id, paragraph_html, render
from pipeline.records import Check, Report
from pipeline.store import from_task

# Filters Pagefind reads from each report page: (name, attribute holding the value).
SEARCH_FILTERS = (("年度", "data-year"), ("层级", "data-level"), ("省份", "data-province"))


def search_filters(r: Report) -> dict[str, str]:
    """The values a report page gives Pagefind's filters, by attribute."""
    m = r.metadata
    return {
        "data-year": str(m.year or "未知"),
        "data-level": LEVEL_ZH.get(level(r), "未知"),
        "data-province": m.region.province or "未知",
    }


def _figures(r: Report, dl: str) -> list[dict[str, Any]]:
    titles = indicator_titles()
    # Raw links are resolved from the page's own URL (reports/<id>/), one folder deeper than
    # its Markdown file.
    return [
        {
            "name": titles.get(s.indicator, (s.indicator, s.indicator, ""))[1],
            "text": f"{QUALIFIER_ZH.get(s.qualifier, '')}{fmt(s.value)} {s.unit}",
            "anchor": s.anchor,
            "see_tables": s.method == "table" and bool(r.cells),
            "from_table": s.method == "table",
            "scope": s.scope or "全部",
            "check_failed": s.check_failed,
            "page": s.page,
            "page_href": readers.page_href(r.archived, s, f"../{dl}"),
        }
        for s in r.statistics
    ]


def _tables(r: Report) -> list[dict[str, Any]]:
    by_table: dict[str, list] = {}
    for c in r.cells:
        by_table.setdefault(c.table, []).append(c)
    out = []
    for table, cells in by_table.items():
        rows: dict[str, str] = {}
        cols: dict[str, str] = {}
        values: dict[tuple[str, str], float | None] = {}
        for c in cells:
            rows.setdefault(c.row_key, c.row_label)
            cols.setdefault(c.column_key, c.column_label)
            values[(c.row_key, c.column_key)] = c.value
        out.append(
            {
                "title": TABLE_ZH.get(table, table),
                "id": f"table-{table.replace('_', '-')}",
                "columns": list(cols.values()),
                "rows": [
                    [label or rk, *(fmt(values.get((rk, ck))) for ck in cols)]
                    for rk, label in rows.items()
                ],
                "numeric": tuple(range(1, len(cols) + 1)),
            }
        )
    return out


def _percent(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.0f}%"


def _year_link(o: Report | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {
        "year": o.metadata.year or "未知",
        "title": o.metadata.display_title,
        "lang": title_lang(o),
        "href": f"{o.report_id}.md",
    }


def _reuse_view(links: ReportLinks) -> dict[str, Any] | None:
    u = links.reuse
    if u is None or (u.previous_id is None and u.other_id is None):
        return None
    prev, other = links.previous, links.other
    return {
        "sentences": u.sentences,
        "repeated": len(u.repeated),
        "previous": _year_link(prev) if prev and prev.report_id == u.previous_id else None,
        "previous_share": _percent(u.previous_share),
        "other": (
            {
                "title": other.metadata.display_title,
                "issuer": other.metadata.issuer or "未知",
                "href": f"{other.report_id}.md",
                "share": _percent(u.other_share),
            }
            if other is not None
            else None
        ),
    }


def _view(r: Report, links: ReportLinks, dl: str) -> dict[str, Any]:
    """Everything the report template prints, as plain values."""
    m = r.metadata
    rid = r.report_id
    values = search_filters(r)
    reuse = _reuse_view(links)
    sections = []
    if r.statistics:
        sections.append(("key-figures", "主要数字"))
    if r.cells:
        sections.append(("tables", "法定表格"))
    if reuse:
        sections.append(("reuse", "文本重复"))
    sections.append(("full-text", "全文"))
    if r.text_hans is not None:
        sections.append(("simplified", "简体版"))
    sections.append(("downloads", "下载"))
    ext = readers.original_suffix(r.archived.media_type)
    tables = _tables(r)
    return {
        "title": m.display_title,
        "title_lang": title_lang(r),
        "title_hans": m.title_hans or m.display_title,
        "description": (
            f"{m.issuer or '未知机关'}{m.year or ''}年度政府信息公开工作报告全文、主要数字与原始文件。"
        ),
        "filters": [(name, attr, values[attr]) for name, attr in SEARCH_FILTERS],
        "issuer": m.issuer or "未知",
        "issuer_type": ISSUER_TYPE_ZH.get(m.issuer_type, "其他"),
        "region": region(r),
        "division_code": m.region.division_code,
        "level": LEVEL_ZH.get(level(r), "未知"),
        "year": m.year or "未知",
        "published": m.published_date or "未知",
        "doc_number": m.doc_number,
        "kind": [
            TYPE_ZH.get(m.document_type, m.document_type),
            FORMAT_ZH.get(m.report_format, m.report_format),
            SCRIPT_ZH.get(m.script, m.script),
        ],
        # Checked where metadata is assembled, and again here for a report made elsewhere.
        "url": safety.safe_url(m.url),
        "sections": sections,
        # The page's own headings; every other entry of the table of contents is a heading of
        # the report's text, shown in its script (the theme's toc-item.html tags it).
        "site_headings": " ".join(
            [id_ for id_, _ in sections]
            + [t["id"] for t in tables]
            + ["checks", "reuse", "issuer", "downloads"]
        ),
        "figures": _figures(r, dl),
        "tables": tables,
        "checks": [_check_row(c) for c in r.checks],
        "lang": text_lang(r),
        # The Simplified copy is body text like the report's own: Markdown-escaped the same way.
        "simplified": (
            [_paragraph(escape(p)) for p in r.text_hans.split("\n") if p.strip()]
            if r.text_hans is not None
            else None
        ),
        "original": f"{dl}/originals/{r.archived.sha256}.{ext}",
        "size": r.archived.size,
        "encoding": readers.original_note(r.archived),
        "sha256": r.archived.sha256,
        "text_file": f"{dl}/texts/{rid}.txt",
        "markdown_file": f"{dl}/markdown/{rid}.md",
        "csv_file": f"{dl}/reports/{rid}.csv",
        "hans_file": f"{dl}/texts/{rid}.hans.txt",
        "duplicates": list(r.duplicates),
        "json_file": "report.json",
        "issuer_page": (
            {
                "name": links.issuer.name,
                "href": f"../issuers/{links.issuer.issuer_id}.md",
                # Raw HTML links are resolved from the page's URL (reports/<id>/).
                "url": f"../../issuers/{links.issuer.issuer_id}/",
            }
            if links.issuer
            else None
        ),
        "previous": _year_link(links.previous),
        "following": _year_link(links.following),
        "reuse": reuse,
    }


def _check_row(c: Check) -> list[Any]:
    """A row of the checks table: the check's code, its result (a mark and a word, in a span
    styled by status) and the detail. Made here, not by template macros: a template report has
    some thirty checks, and calling macros for each was a sixth of the time of its page."""
    esc = safety.escape_page_text
    mark, word = STATUS_ZH.get(c.status, ("", c.status))
    return [
        Markup(f"<code>{esc(c.check)}</code>"),
        Markup(f'<span class="status-{element_id(c.status)}">{esc(mark)} {esc(word)}</span>'),
        c.detail,
    ]


def _paragraph(block: str) -> Markup:
    """A block of the body: a plain paragraph as finished HTML, anything else as Markdown."""
    return paragraph_html(block) or Markup(block)


# A sentence span the Markdown stage made: source text cannot make one (it escapes "<").
_SENTENCE_SPAN = re.compile(r'<span (class="evidence" )?id="(p\d+-s\d+)">')


def mark_repeated(body: str, anchors: Collection[str]) -> str:
    """The body with the sentences named in ``anchors`` marked as repeated (class ``reused``)."""
    if not anchors:
        return body

    def sub(m: re.Match[str]) -> str:
        if m.group(2) not in anchors:
            return m.group(0)
        cls = "evidence reused" if m.group(1) else "reused"
        return f'<span class="{cls}" id="{m.group(2)}" title="与上一年度报告相同">'

    return _SENTENCE_SPAN.sub(sub, body)


def report_page(r: Report, links: ReportLinks | None = None, dl: str = DOWNLOADS) -> str:
    """The Markdown of one report's page."""
    links = links or ReportLinks()
    body = r.markdown.split("\n", 1)[1] if r.markdown.startswith("# ") else r.markdown
    repeated = set(links.reuse.repeated) if links.reuse else set()
    # The body is the Markdown stage's output, where every piece of source text was escaped
    # (pipeline.markdown.escape) and the only links made are http(s); marking adds a class to
    # spans that stage made.
    body = mark_repeated(body.strip("\n"), repeated)
    body = "\n\n".join(_paragraph(b) for b in body.split("\n\n"))
    return render("report.md.j2", r=_view(r, links, dl), body=Markup(body))


def report_csv(r: Report) -> str:
    """This report's statistics as CSV (the per-report download)."""
    _, schemas = package.schemas()
    rows = package.report_rows(r)["statistics"]
    buf = io.StringIO()
    names = [f.name for f in schemas["statistics"].fields]
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for row in rows:
        w.writerow(["" if row.get(n) is None else row.get(n) for n in names])
    return buf.getvalue()


def page_key(r: Report, links: ReportLinks, site: Site) -> str:
    """What a report's page and CSV are made from: the report (its source's hash, id, what the
    stages made it from (``Site.made_from``), checks and duplicates determine the rest, with
    the code in ``site.salt``) and what it shows of the others (issuer, neighbouring years,
    copied text)."""
    a = r.archived
    h = hashlib.sha256(site.salt.encode())
    h.update(
        repr((r.report_id, a.sha256, a.source_file, a.size, a.encoding, a.media_type)).encode()
    )
    h.update(repr((site.made_from(r), r.checks, r.duplicates, site.downloads)).encode())
    i = links.issuer
    h.update(repr((i.issuer_id, i.name) if i else None).encode())
    for o in (links.previous, links.following, links.other):
        h.update(repr((o.report_id, site.made_from(o)) if o else None).encode())
    h.update(repr(links.reuse).encode())
    return h.hexdigest()


RENDER_BATCH = 64
"""Report pages rendered by one task of the build's executor."""

RENDER_AHEAD = 32
"""Tasks sent to the executor and not yet finished, at most: the build goes on with the next
reports' keys and tasks while they run, and what is held stays small at any corpus size."""


@dataclass(frozen=True)
class RenderTask:
    """Report pages for a task: each report (whole, or ``Kept``: the task reads it back from the
    per-report cache) with what its page shows of the others; ``docs_dir``, where the task
    writes the pages (None: it returns them)."""

    items: tuple[tuple[Any, ReportLinks], ...]
    downloads: str
    docs_dir: str | None = None


def render_pages(task: RenderTask) -> list[tuple[str, str]]:
    """Each report's page and CSV (a task of the build's executor), written into the task's
    ``docs_dir`` when it has one (then nothing is returned: the pages do not travel back to
    the build, and the files are written on every core)."""
    out = []
    for item, links in task.items:
        r = from_task(item)
        out.append((report_page(r, links, task.downloads), report_csv(r)))
    if task.docs_dir is None:
        return out
    docs = Path(task.docs_dir)
    files = []
    for (item, _), contents in zip(task.items, out, strict=True):
        for path, text in zip(_paths(item.report_id), contents, strict=True):
            files.append((docs / path, text.encode("utf-8")))
    write_files(files)
    return []


def _slim(links: ReportLinks) -> ReportLinks:
    """``links`` with only the issuer's name and id (a page shows no more of it), so that a
    task is not sent every report of a large issuer."""
    i = links.issuer
    return replace(links, issuer=replace(i, variants=(), report_ids=(), years=()) if i else None)


def _paths(rid: str) -> tuple[str, str]:
    return f"reports/{rid}.md", f"downloads/reports/{rid}.csv"


def _outputs(site: Site) -> Iterator[Output]:
    sent: deque[list[str]] = deque()  # the reports of each task, in the order sent
    kept: list[str] = []

    def tasks() -> Iterator[RenderTask]:
        """A task per ``RENDER_BATCH`` reports whose page must be made, taken by the executor
        as it has room (the pages of earlier tasks are rendered meanwhile)."""
        dl, docs = site.downloads, str(site.docs_dir) if site.docs_dir is not None else None
        todo: list[tuple[Report, ReportLinks]] = []
        for r in site.reports:
            links = site.links(r)
            if site.salt and site.kept(_paths(r.report_id), page_key(r, links, site)):
                kept.append(r.report_id)
                continue
            todo.append((r, links))
            if len(todo) == RENDER_BATCH:
                sent.append([r.report_id for r, _ in todo])
                yield RenderTask(tuple((site.for_task(r), _slim(x)) for r, x in todo), dl, docs)
                todo = []
        if todo:
            sent.append([r.report_id for r, _ in todo])
            yield RenderTask(tuple((site.for_task(r), _slim(x)) for r, x in todo), dl, docs)

    executor = site.executor or LocalExecutor(1)
    for done in executor.imap(render_pages, tasks(), ahead=RENDER_AHEAD):
        yield from _kept(kept)
        ids = sent.popleft()
        if site.docs_dir is not None:
            for rid in ids:
                for path in _paths(rid):
                    yield path, WRITTEN
            continue
        for rid, (page, csv_text) in zip(ids, done, strict=True):
            page_path, csv_path = _paths(rid)
            yield page_path, page
            yield csv_path, csv_text
    yield from _kept(kept)


def _kept(kept: list[str]) -> Iterator[Output]:
    for rid in kept:
        for path in _paths(rid):
            yield path, KEPT
    kept.clear()


KIND = PageKind("report", ("reports",), _outputs)
