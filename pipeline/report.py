"""One source in, one ``Report`` out: the per-report stages chained, with no file I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from pipeline import htmlsource, readers, safety
from pipeline.archive import HTML_SUFFIXES, SourceError, archive
from pipeline.clean import clean
from pipeline.crossreport.fingerprint import counted_sentences, fingerprints
from pipeline.extract.checks import consistency_checks, mark_failed, prose_vs_table
from pipeline.extract.figures import extract_figures
from pipeline.extract.template import parse_template
from pipeline.markdown import to_markdown
from pipeline.metadata import extract_metadata
from pipeline.records import Check, Problem, Report, Source
from pipeline.script import to_simplified

_ID_UNSAFE = re.compile(r"[^a-z0-9_-]+")
TABLE_ANCHORS = {
    "proactive": "table-proactive",
    "applications": "table-applications",
    "review_litigation": "table-review-litigation",
}
# Which derived statistic sits in which table (for the anchor a figure links to).
_TABLE_OF = {
    "reconsideration_cases": "review_litigation",
    "litigation_cases": "review_litigation",
}


class StageError(Exception):
    """A stage failed on one report; carries the stage name for the build report."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.message = message


def report_id_for(name: str) -> str:
    """A URL-safe ASCII id from a file name; names with little ASCII get a hash suffix."""
    stem = name.rsplit(".", 1)[0].lower()
    slug = _ID_UNSAFE.sub("-", stem).strip("-_")[:48].strip("-_")
    ascii_share = len(slug) / max(1, len(stem))
    if len(slug) < 4 or ascii_share < 0.6 or slug != stem[: len(slug)]:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
        slug = f"{slug[:36]}-{digest}".strip("-") if slug else f"r-{digest}"
    return slug


def run(args: tuple[Source, str]) -> tuple[str, Report | None, Problem | None]:
    """One source through every stage (``process``, with the charset a web page declares) as a
    task of the build: its name with the report, or with the problem that stopped it."""
    source, report_id = args
    declared = None
    if source.name.lower().endswith(HTML_SUFFIXES):
        declared = htmlsource.declared_charset(source.data)
    try:
        return source.name, process(source, report_id, declared), None
    except SourceError as exc:
        return source.name, None, Problem(source.name, "archive", str(exc))
    except StageError as exc:
        return source.name, None, Problem(source.name, exc.stage, exc.message)
    except Exception as exc:  # noqa: BLE001 - one report's failure must not stop the build
        return source.name, None, Problem(source.name, "unknown", f"{type(exc).__name__}: {exc}")


def process(source: Source, report_id: str, declared_charset: str | None = None) -> Report:
    """Run every per-report stage on one source (raises ``SourceError`` or ``StageError``)."""
    read = readers.read(source)  # PDF and Word files; None for text and web pages
    if read is not None:
        archived, document = read
        grids: tuple = document.grids
    else:
        archived, document = archive(source, declared_charset), None
        grids = ()
    if archived.media_type == "text/html":
        try:
            doc = htmlsource.extract(archived.text)
        except Exception as exc:
            raise StageError("html", f"{type(exc).__name__}: {exc}") from exc
        archived = replace(archived, text=doc.text, html_meta=dict(doc.meta))
        grids = doc.grids
    try:
        cleaned = clean(archived.text, known_title=archived.html_meta.get("title"))
        if archived.html_meta:
            header = {**{k: v for k, v in archived.html_meta.items() if v}, **cleaned.header}
            cleaned = replace(cleaned, header=header)
    except Exception as exc:
        raise StageError("clean", f"{type(exc).__name__}: {exc}") from exc
    if not cleaned.text.strip():
        raise StageError("clean", "no report text is left once the page clutter is removed")
    try:
        metadata = extract_metadata(cleaned, source.sidecar)
        # Nothing from a source is published unchecked: URL allow-list, invisible characters.
        metadata, notes = safety.safe_metadata(metadata)
    except Exception as exc:
        raise StageError("metadata", f"{type(exc).__name__}: {exc}") from exc
    try:
        text_stats = extract_figures(cleaned.text, cleaned.toc, metadata.issuer)
        cells: tuple = ()
        checks: tuple[Check, ...] = ()
        stats = text_stats
        if metadata.report_format != "free_text":
            hints = {s.indicator: s.value for s in text_stats if s.scope is None}
            result = parse_template(
                to_simplified(cleaned.text),
                grids,
                prose_hints=hints,
                report_format=metadata.report_format,
            )
            table_stats = tuple(
                replace(
                    s,
                    anchor=TABLE_ANCHORS[_TABLE_OF.get(s.indicator, "applications")],
                )
                for s in result.statistics
            )
            stats, prose_checks = prose_vs_table(text_stats, table_stats, result.hinted)
            cells, checks = result.cells, tuple(result.checks) + prose_checks
        checks += consistency_checks(stats)
        stats = mark_failed(stats, checks)
    except Exception as exc:
        raise StageError("figures", f"{type(exc).__name__}: {exc}") from exc
    try:
        anchors = {s.anchor for s in stats if s.method == "text"}
        levels = document.headings if document is not None else None
        # The sentences copied text is measured on get an id, so that the page can mark them
        # and other pages link to them.
        counted = counted_sentences(
            cleaned.text,
            metadata.display_title,
            cleaned.toc,
            anchors,
            levels,
            hant=metadata.script == "hant",
        )
        ids = {a for a, _ in counted}
        markdown = to_markdown(
            cleaned.text, metadata.display_title, cleaned.toc, anchors, levels, ids
        )
    except Exception as exc:
        raise StageError("markdown", f"{type(exc).__name__}: {exc}") from exc
    return Report(
        report_id=report_id,
        # The decoded source is not needed past cleaning (the archive keeps the bytes); dropping
        # it halves what a national build holds in memory and in the cache.
        archived=replace(archived, text=""),
        cleaned=cleaned,
        metadata=metadata,
        statistics=readers.with_pages(stats, document),
        cells=tuple(cells),
        checks=tuple(checks),
        markdown=markdown,
        text_hans=to_simplified(cleaned.text) if metadata.script == "hant" else None,
        warnings=notes,
        fingerprints=fingerprints(counted),
    )
