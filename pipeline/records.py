"""Typed records that flow through the pipeline, one report at a time."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """One input file as read from ``source_reports/``."""

    name: str
    """File name inside ``source_reports/`` (no directories)."""
    data: bytes
    """The original bytes, untouched."""
    sidecar: dict[str, str] = field(default_factory=dict)
    """Validated fields of an optional ``<name>.meta.yml`` (url, retrieved, issuer, title, license)."""


@dataclass(frozen=True)
class Archived:
    """A source after the archive stage: identified, decoded, normalised to ``\\n`` lines."""

    source_file: str
    sha256: str
    size: int
    encoding: str
    """Codec the bytes were decoded with (``utf-8``, ``utf-8-sig``, ``gb18030``, ``big5``, ``utf-16``);
    empty for PDF and Word files."""
    media_type: str
    """``text/plain``, ``text/html``, ``application/pdf`` or a Word media type."""
    text: str
    """Decoded text (for HTML sources: the page's visible text, tables as pipe tables); emptied
    in the ``Report`` once cleaned, since the archive keeps the original bytes."""
    html_meta: dict[str, str] = field(default_factory=dict)
    """Metadata read from an HTML page (``title``, ``published``, ``issuer``, ``doc_number``...),
    or hints from a PDF or Word file's properties (used only where the text says nothing)."""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cleaned:
    """Text with web clutter removed; header lines read into ``header``."""

    text: str
    """Cleaned text in the original script; one paragraph or heading per line."""
    header: dict[str, str]
    """Fields read from page header/footer lines: title, published, issuer, doc_number, written, source."""
    removed: tuple[str, ...] = ()
    """Lines that were dropped, in order (for auditing the cleaner)."""
    toc: tuple[str, ...] = ()
    """Unnumbered section headings announced by a table-of-contents line of the page."""


@dataclass(frozen=True)
class Region:
    """Where an issuing body sits in the GB/T 2260 hierarchy."""

    province: str | None = None
    prefecture: str | None = None
    county: str | None = None
    division_code: str | None = None
    """6-digit GB/T 2260 code of the deepest level found."""
    level: str | None = None
    """``province`` | ``prefecture`` | ``county`` for the deepest level found."""


@dataclass(frozen=True)
class Metadata:
    """Descriptive fields of one report (one row of ``reports``)."""

    title: str | None
    """The report's own title line as written; None when the report has none."""
    title_hans: str | None
    issuer: str | None
    issuer_type: str
    """``government`` | ``department`` | ``other``."""
    admin_level: str | None
    """``central`` | ``province`` | ``prefecture`` | ``county`` | ``township``."""
    region: Region
    year: int | None
    published_date: str | None
    """ISO date ``YYYY-MM-DD``."""
    doc_number: str | None
    document_type: str
    """``annual_report`` | ``notice`` | ``other``."""
    report_format: str
    """``free_text`` | ``template_2019`` | ``template_2021``."""
    script: str
    """``hans`` | ``hant``."""
    url: str | None = None
    license: str | None = None

    @property
    def display_title(self) -> str:
        """The title to show: the report's own, else one made from its issuer and year."""
        if self.title:
            return self.title
        year = f"{self.year}年" if self.year else ""
        return f"{self.issuer or '未署名机关'}{year}政府信息公开工作报告（原文无标题）"


@dataclass(frozen=True)
class Statistic:
    """One figure read from a report (one row of ``statistics``)."""

    indicator: str
    value: float
    unit: str
    qualifier: str = "exact"
    """``exact`` | ``more_than`` | ``nearly`` | ``approximately``."""
    scope: str | None = None
    """None for the whole reporting body; else the sub-scope named (各盟市)."""
    evidence: str = ""
    """The sentence the figure was read from, verbatim from the cleaned text."""
    anchor: str = ""
    """Id of the evidence sentence on the report page."""
    method: str = "text"
    """How it was obtained: ``text`` (a sentence) or ``table`` (a mandated-table cell)."""
    section: str | None = None
    """Heading of the section the evidence sits in."""
    check_failed: bool = False
    """A consistency check involving this figure failed: shown as 待核, left out of totals."""
    page: int | None = None
    """Page of a PDF source the evidence is on (None for other sources)."""


@dataclass(frozen=True)
class TemplateCell:
    """One cell of a mandated 2019/2021 table."""

    table: str
    """``proactive`` | ``applications`` | ``review_litigation``."""
    row_key: str
    row_label: str
    column_key: str
    column_label: str
    value: float | None
    """None when the cell is blank (or could not be decoded unambiguously)."""


@dataclass(frozen=True)
class Check:
    """Outcome of one consistency check on a report."""

    check: str
    status: str
    """``pass`` | ``fail`` | ``not_applicable`` | ``unverified``."""
    detail: str = ""


@dataclass(frozen=True)
class Fingerprints:
    """The sentences of one report that count when copied text is measured, as hashes of their
    normalised form (``pipeline.crossreport.fingerprint``); compact, since a national build holds
    every report's."""

    anchors: str = ""
    """Anchors of the sentences on the report page, separated by spaces, in text order."""
    hashes: bytes = b""
    """8 bytes per sentence (BLAKE2b of the normalised sentence), in the order of ``anchors``."""

    def pairs(self) -> list[tuple[str, bytes]]:
        """(anchor, hash) of every sentence."""
        names = self.anchors.split()
        return [(a, self.hashes[8 * i : 8 * i + 8]) for i, a in enumerate(names)]


@dataclass(frozen=True)
class Report:
    """Everything the pipeline knows about one source document."""

    report_id: str
    archived: Archived
    cleaned: Cleaned
    metadata: Metadata
    statistics: tuple[Statistic, ...]
    cells: tuple[TemplateCell, ...]
    checks: tuple[Check, ...]
    markdown: str
    """Readable Markdown of the report body (escaped; safe to render)."""
    text_hans: str | None = None
    """Simplified copy of the cleaned text when the report is in Traditional script."""
    duplicates: tuple[str, ...] = ()
    """Other source files with the same content."""
    warnings: tuple[str, ...] = ()
    """What was removed from the source's metadata before publishing (``safety.safe_metadata``)."""
    fingerprints: Fingerprints = field(default_factory=Fingerprints)
    """Hashes of the sentences that count for copied text (see ``Fingerprints``)."""


@dataclass(frozen=True)
class Problem:
    """Something the build could not use, named with its file and reason."""

    source_file: str
    stage: str
    message: str
    severity: str = "error"
    """``error``: the file was skipped; ``warning``: it was published with a caveat."""
