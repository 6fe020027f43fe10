"""Decode the mandated 2019/2021 report tables (二 主动公开, 三 申请, 四 复议诉讼) into cells.

Tables arrive either as grids (HTML, rowspan/colspan already expanded) or as text in which
cell boundaries were lost (``一、本年新收政府信息公开申请数量230 000023`` is 23·0·0·0·0·0·23).
Each row's run of digits is split into its cells; the identities every correct table
satisfies choose among the splits:

* per row, the 总计 cell must equal the sum of the six applicant cells (I3), which prunes
  the splits of one row before rows are combined;
* across rows, per column, 一 + 二 = （七）总计 + 四 (I1) and （七）总计 = the sum of the
  outcome rows (I2), solved as a dynamic programme over column-sum vectors, so long runs
  do not multiply out;
* in table 四, each group's 总计 = 维持 + 纠正 + 其他 + 尚未审结 (I4).

When several assignments survive, the cells on which they disagree are left ``None`` and
reported, never guessed. A blank or dashed cell is ``None`` too (it is not 0); in the
identities it counts as 0. Spaces in a run are taken as cell borders first and ignored only
if no split fits; a table whose 总计 column is blank (six figures a row) is tried next; and
only then are the identities relaxed one by one (the checks then show which one fails).
Table 二 has no identities: only weak rules (本年新公开数量 <= 对外公开总数量; 上一年项目数量
+ 本年增/减 >= 0) narrow its splits. Its values are as printed: 本年收费金额 in 万元,
采购总金额 in the unit printed (the trailing 元 dropped).

Row labels and keys live in ``template_labels.yml``; text in Traditional script is matched
through a Simplified copy that keeps every character's position, so evidence is quoted from
the text as given.

Checks (names are stable; ``status`` is ``pass`` | ``fail`` | ``not_applicable``):

``I1:<column_key>``
    一 + 二 = （七）总计 + 四 for one applications column (``natural_person`` ... ``total``).
``I2:<column_key>``
    （七）总计 = （一）+（二）+ Σ（三）+ Σ（四）+ Σ（五）+ Σ（六） for one column.
``I3:<row_key>``
    总计 = the sum of the six applicant columns, for one applications row (``1`` ... ``4``).
``I4:<row_key>``
    总计 = 维持 + 纠正 + 其他 + 尚未审结 for ``reconsideration``, ``litigation_direct``,
    ``litigation_after_reconsideration``.
``ambiguous_cells``
    ``fail`` when some cells could be split in more than one way that fits the rules (the
    detail names the rows and their candidate splits); ``pass`` otherwise.
``undecoded_cells``
    ``fail`` when a table or row was not found, or no split of its run fits its cells.

An identity is ``not_applicable`` when one of its cells is undetermined or its result cell
is blank. Details give the numbers, e.g. ``1+2=23+0=23; 3.7+4=23+0=23``.

Derived statistics (``method="table"``, unit 件, only from known cells):
``applications_received`` (row 1 总计), ``applications_carried_in`` (2),
``applications_granted`` (3.1), ``applications_partially_granted`` (3.2),
``applications_refused`` (Σ 3.3.x), ``applications_answered`` (3.7),
``applications_carried_out`` (4), ``reconsideration_cases`` (行政复议 总计),
``litigation_cases`` (both 行政诉讼 总计 added).

``prose_hints`` (figures quoted in the report's prose) can break a tie between surviving
assignments; supported: ``applications_received``, ``applications_carried_in``,
``applications_granted``, ``applications_partially_granted``, ``applications_answered``,
``applications_carried_out``, ``reconsideration_cases``, ``litigation_cases``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import opencc
import yaml

from pipeline.paths import EXTRACT_DIR
from pipeline.records import Check, Statistic, TemplateCell

LABELS_FILE = EXTRACT_DIR / "template_labels.yml"

FREE_TEXT = "free_text"
TEMPLATE_2019 = "template_2019"
TEMPLATE_2021 = "template_2021"

ROW_CANDIDATE_CAP = 20_000
"""Most splits kept for one row; beyond it the row is reported as undecoded."""
STATE_CAP = 200_000
"""Most partial column-sum vectors the cross-row search may hold."""
SHOWN_CANDIDATES = 6
"""Candidate splits named per row in the ``ambiguous_cells`` detail."""
LABEL_WINDOW = 600
"""How far (characters) past one row the next row's label is looked for."""

DASHES = "-–—−―"
BLANK = "∅"
"""Stands for an explicitly empty cell (an empty grid/pipe cell) inside a run."""
_DATA_CHARS = set("0123456789.+|" + DASHES + BLANK)
_MINUS = "-–−"

_NORMALISE = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "｜": "|", "－": "-", "＋": "+"}
)
_QUOTES = r"[\s“”\"'‘’「」『』]*"
_INT = re.compile(r"(?:0|[1-9][0-9]{0,8})")
_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,6})?")
_RUN = re.compile(r"[0-9.+|\s" + re.escape(DASHES + BLANK) + r"]*")
_GRID_VALUE = re.compile(r"([-−+]?[0-9][0-9,]*(?:\.[0-9]+)?)\s*(?:件|条|个|项|次|万元|元)?")
_RULE = re.compile(r"\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?(?:-{3,}:?)?\s*")
_GRID_BLANK = {"-", "--", "—", "——", "―", "/", "／", "无", "空"}

TOTAL = "total"


class _Unknown:
    """A cell whose value could not be determined (ambiguous or not decoded)."""

    def __repr__(self) -> str:
        return "?"


UNKNOWN = _Unknown()
_INVALID = object()


class _Capped(Exception):
    """The enumeration exceeded its cap."""


@dataclass(frozen=True)
class TemplateResult:
    """Everything decoded from the mandated tables of one report."""

    report_format: str
    """``free_text`` | ``template_2019`` | ``template_2021``."""
    cells: tuple[TemplateCell, ...]
    checks: tuple[Check, ...]
    statistics: tuple[Statistic, ...]
    """Figures derived from table cells (``method="table"``; anchors left to the caller)."""
    hinted: frozenset[str] = frozenset()
    """Indicators whose prose figure chose between splits of the table's digits: for these the
    table cannot confirm the prose (the comparison would agree by construction)."""


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class _RowSpec:
    key: str
    label: str
    match: tuple[str, ...]
    number: int | None = None


@dataclass(frozen=True)
class _Section:
    """One block of table 二 sharing a column header."""

    columns: tuple[tuple[str, str], ...]
    types: tuple[str, ...]
    rules: tuple[str, ...]
    rows: tuple[_RowSpec, ...]


@dataclass(frozen=True)
class _Vocabulary:
    markers: dict[str, tuple[str, ...]]
    template_markers: tuple[str, ...]
    template_headings: tuple[str, ...]
    proactive: dict[str, tuple[_Section, ...]]
    proactive_start: tuple[re.Pattern[str], ...]
    proactive_end: tuple[re.Pattern[str], ...]
    app_columns: tuple[tuple[str, str], ...]
    app_rows: dict[str, tuple[_RowSpec, ...]]
    outcome_keys: dict[str, tuple[str, ...]]
    review_start: tuple[str, ...]
    review_words: tuple[str, ...]
    review_columns: tuple[tuple[str, str], ...]
    review_rows: tuple[tuple[str, str], ...]


def _row_spec(raw: dict) -> _RowSpec:
    return _RowSpec(
        key=str(raw["key"]),
        label=raw["label"],
        match=tuple(raw.get("match", ())),
        number=raw.get("number"),
    )


def _pairs(raw: list[dict]) -> tuple[tuple[str, str], ...]:
    return tuple((str(c["key"]), c["label"]) for c in raw)


@functools.cache
def _vocabulary() -> _Vocabulary:
    raw = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
    apps = raw["applications"]
    head = [_row_spec(r) for r in apps["head"]]
    outcomes = [_row_spec(r) for r in apps["outcomes"]]
    tail = [_row_spec(r) for r in apps["tail"]]
    proactive, app_rows, outcome_keys, markers = {}, {}, {}, {}
    for name, spec in raw["formats"].items():
        markers[name] = tuple(spec["markers"])
        proactive[name] = tuple(
            _Section(
                columns=_pairs(s["columns"]),
                types=tuple(s["types"]),
                rules=tuple(s.get("rules", ())),
                rows=tuple(_row_spec(r) for r in s["rows"]),
            )
            for s in spec["proactive"]["sections"]
        )
        other = [_row_spec(r) for r in spec["applications"]["outcome_other"]]
        app_rows[name] = tuple(head + outcomes + other + tail)
        outcome_keys[name] = tuple(r.key for r in outcomes + other)
    review = raw["review_litigation"]
    return _Vocabulary(
        markers=markers,
        template_markers=tuple(raw["template_markers"]),
        template_headings=tuple(raw["template_headings"]),
        proactive=proactive,
        proactive_start=tuple(re.compile(p) for p in raw["proactive"]["start"]),
        proactive_end=tuple(re.compile(p) for p in raw["proactive"]["end"]),
        app_columns=_pairs(apps["columns"]),
        app_rows=app_rows,
        outcome_keys=outcome_keys,
        review_start=tuple(review["start"]),
        review_words=tuple(review["header_words"]),
        review_columns=_pairs(review["columns"]),
        review_rows=_pairs(review["rows"]),
    )


@functools.cache
def _phrase(phrase: str) -> re.Pattern[str]:
    """A label phrase that tolerates spaces and quote marks between its characters."""
    return re.compile(_QUOTES.join(re.escape(ch) for ch in phrase))


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _simplify(text: str) -> str:
    """Simplified script, ASCII digits and punctuation, with every character kept in place."""
    text = text.translate(_NORMALISE)
    convert = _converter().convert
    whole = convert(text)  # phrase-aware (反覆 → 反复), usable while lengths agree
    if len(whole) == len(text):
        return whole
    table = {}
    for ch in set(text):
        if ord(ch) >= 0x3400:
            out = convert(ch)
            if len(out) == 1 and out != ch:
                table[ord(ch)] = out
    return text.translate(table) if table else text


# --------------------------------------------------------------------------- format


def detect_format(text: str, year: int | None = None) -> str:
    """``template_2019`` / ``template_2021`` when the text carries the mandated tables (any of
    them: a page may show only table 二, or only table 四); ``year``, the year covered, decides
    between the two formats when the tables shown are common to both."""
    return _detect(_simplify(text), year)


def _detect(work: str, year: int | None = None) -> str:
    vocab = _vocabulary()
    flat = re.sub(r"\s+", "", work)
    common = sum(marker in flat for marker in vocab.template_markers)
    score19 = sum(marker in flat for marker in vocab.markers[TEMPLATE_2019])
    score21 = sum(marker in flat for marker in vocab.markers[TEMPLATE_2021])
    headed = any(h in flat for h in vocab.template_headings)
    if common + max(score19, score21) < 3 and not headed:
        return FREE_TEXT
    if score19 == score21 and year is not None:
        return TEMPLATE_2019 if year < 2021 else TEMPLATE_2021
    return TEMPLATE_2019 if score19 > score21 else TEMPLATE_2021


# --------------------------------------------------------------------------- cell splitting


def _parse_cell(text: str, kind: str) -> object:
    """The value of one cell's characters, ``None`` for a blank, ``_INVALID`` if impossible."""
    if text == BLANK or (text and all(ch in DASHES for ch in text)):
        return None
    if kind == "signed":
        sign = 1
        if text[0] in _MINUS + "+":
            sign = -1 if text[0] in _MINUS else 1
            text = text[1:]
            if text == "0":
                return _INVALID
        return sign * int(text) if _INT.fullmatch(text) else _INVALID
    if kind == "amount":
        if not _AMOUNT.fullmatch(text):
            return _INVALID
        return float(text) if "." in text else int(text)
    return int(text) if _INT.fullmatch(text) else _INVALID


def _num(value: object) -> float:
    return 0 if value is None else value  # type: ignore[return-value]


def split_run(
    chunks: Sequence[str],
    types: Sequence[str],
    groups: Sequence[tuple[int, int]] = (),
    cap: int = ROW_CANDIDATE_CAP,
) -> list[tuple]:
    """Every way to read ``chunks`` as ``len(types)`` cells.

    A chunk boundary is a cell boundary; inside a chunk any split is tried. Numbers have no
    leading zeros; a run of dashes (or ``BLANK``) is a blank cell. ``groups`` lists
    ``(first, total)`` cell indexes whose last cell must equal the sum of the others (blanks
    count 0; a blank total leaves the group unconstrained). Raises ``_Capped`` past ``cap``.
    """
    s = "".join(chunks)
    length, n = len(s), len(types)
    limit = [0] * length
    pos = 0
    for chunk in chunks:
        for i in range(pos, pos + len(chunk)):
            limit[i] = pos + len(chunk)
        pos += len(chunk)
    group_at = {first: (first, last) for first, last in groups}
    found = [0]

    @functools.cache
    def cells(start: int, kind: str) -> tuple[tuple[object, int], ...]:
        out = []
        for end in range(start + 1, min(limit[start], start + 16) + 1):
            value = _parse_cell(s[start:end], kind)
            if value is not _INVALID:
                out.append((value, end))
        return tuple(out)

    def bump(res: list) -> None:
        found[0] += 1
        if found[0] > cap * 4 or len(res) > cap:
            raise _Capped

    @functools.cache
    def parts(start: int, end: int, ci: int, k: int, target: object) -> tuple[tuple, ...]:
        if k == 0:
            return ((),) if start == end and not target else ()
        if end - start < k:
            return ()
        out = []
        for value, stop in cells(start, types[ci]):
            if stop > end:
                break
            rest = None
            if target is not None:
                rest = target - _num(value)
                if rest < 0:
                    continue
            for tail in parts(stop, end, ci + 1, k - 1, rest):
                out.append((value, *tail))
                bump(out)
        return tuple(out)

    @functools.cache
    def rec(start: int, ci: int) -> tuple[tuple, ...]:
        if ci == n:
            return ((),) if start == length else ()
        if length - start < n - ci:
            return ()
        out: list[tuple] = []
        if ci in group_at:
            first, last = group_at[ci]
            k = last - first
            for total_at in range(start + k, length):
                for total, stop in cells(total_at, types[last]):
                    rest = rec(stop, last + 1)
                    if not rest:
                        continue
                    for head in parts(start, total_at, first, k, total):
                        for tail in rest:
                            out.append((*head, total, *tail))
                            bump(out)
        else:
            for value, stop in cells(start, types[ci]):
                for tail in rec(stop, ci + 1):
                    out.append((value, *tail))
                    bump(out)
        return tuple(out)

    if not length:
        return []
    return list(dict.fromkeys(rec(0, 0)))


def _without_rules(run: str) -> str:
    """A run without Markdown table rules (``| --- | --- |``), which are not blank cells."""
    if "|" not in run:
        return run
    return "\n".join(line for line in run.split("\n") if not _RULE.fullmatch(line.strip()))


def _chunks(run: str, n: int, soft: bool) -> list[str]:
    """Chunks of a data run: pipe cells when the run has pipes, else whitespace-separated."""
    if "|" not in run:
        if soft:
            # Stray spaces inside a printed row (230 000023) are not cell borders; line breaks
            # are (a table printed one cell per line never runs two cells together).
            return ["".join(line.split()) for line in run.splitlines() if line.split()]
        return run.split()
    lines = [line.strip() for line in _without_rules(run).splitlines() if line.strip()]
    # One cell per line (56 | / | / | / 56 |): a line holding only a pipe is a blank cell.
    one_per_line = len(lines) > 1 and all(
        line.removeprefix("|").removesuffix("|").count("|") == 0 for line in lines
    )
    pieces: list[str] = []
    for line in lines:
        if not line.strip("|").strip():
            if one_per_line:
                pieces.append("")
            continue
        line = line.removeprefix("|").removesuffix("|")
        pieces.extend(piece.strip() for piece in line.split("|"))
    while len(pieces) > n and not pieces[0]:
        pieces.pop(0)
    while len(pieces) > n and not pieces[-1]:
        pieces.pop()  # empty cells a page adds after the last column (| 0 | 0 | ||)
    if len(pieces) > n and all(p == pieces[n - 1] for p in pieces[n:]):
        pieces = pieces[:n]  # a value cell repeated by colspan
    chunks = []
    for piece in pieces:
        if not piece:
            chunks.append(BLANK)
        elif soft:
            chunks.append("".join(piece.split()))
        else:
            chunks.extend(piece.split())
    return chunks


@dataclass
class _RowSplits:
    candidates: list[tuple]
    note: str = ""
    relaxed: bool = False
    """True when no split met the row's own identity and unconstrained splits were kept."""


def _row_splits(run: str, types: Sequence[str], groups: Sequence[tuple[int, int]]) -> _RowSplits:
    """Splits of one row: strict (identity holds) before free, hard spaces before soft."""
    n = len(types)
    capped = False
    for constrained in (True, False) if groups else (True,):
        tried: list[list[str]] = []
        for soft in (False, True):
            chunks = _chunks(run, n, soft)
            if chunks in tried:
                continue
            tried.append(chunks)
            try:
                found = split_run(chunks, types, groups if constrained else ())
            except _Capped:
                capped = True
                continue
            if found:
                return _RowSplits(found, relaxed=not constrained and bool(groups))
    if capped:
        return _RowSplits([], note=f"too many splits (> {ROW_CANDIDATE_CAP}) of {run.strip()!r}")
    if not run.strip():
        return _RowSplits([], note="no figures")
    return _RowSplits([], note=f"no split of {run.strip()!r} into {n} cells")


# --------------------------------------------------------------------------- locating rows


@dataclass
class _Located:
    """A row found in the text: where its label starts and ends, and its data run."""

    key: str
    start: int
    label_end: int
    evidence_start: int
    run: str = ""
    run_end: int = 0


def _is_data(ch: str) -> bool:
    return ch in _DATA_CHARS or ch.isspace()


def _label_end(work: str, pos: int) -> int:
    """Past the rest of a label: non-data characters, and the spaces between them.

    One pipe (the border between two label cells of a grid row) may lie between label
    text too, but not two (an empty cell) nor a pipe and a line break (the next row).
    """
    length = len(work)
    while pos < length:
        if not _is_data(work[pos]):
            pos += 1
            continue
        probe = pos
        while probe < length and (work[probe].isspace() or work[probe] == "|"):
            probe += 1
        gap = work[pos:probe]
        pipes = gap.count("|")
        if pipes > 1 or (pipes and "\n" in gap) or probe == length or _is_data(work[probe]):
            break
        pos = probe
    return pos


def _label_start(work: str, phrase_start: int, floor: int, number: int | None) -> int:
    """Back over the label text before the matched phrase, and its item number (``2.``)."""
    pos = phrase_start
    while pos > floor and not _is_data(work[pos - 1]):
        pos -= 1
    if number is not None:
        head_start = max(floor, pos - 8)
        m = re.search(rf"{number}\s*[.、]\s*[^0-9]*$", work[head_start:phrase_start])
        if m:
            return head_start + m.start()
    return pos


def _strip_numbering(work: str, run: str, run_end: int) -> str:
    """Drop a section/item number glued to the end of a run (``0 0 4、…`` / ``0005.五…``)."""
    after = work[run_end : run_end + 1]
    if not after or _is_data(after):
        return run
    m = re.search(r"[0-9]$" if after == "、" else r"[0-9]\s*\.$", run)
    return run[: m.start()] if m else run


@functools.cache
def _numbered(phrase: str, number: int) -> re.Pattern[str]:
    """The phrase after its item number (``3.其他``), a few label characters allowed between."""
    return re.compile(rf"{number}\s*[.、]\s*[^0-9|]{{0,40}}?(?P<phrase>{_phrase(phrase).pattern})")


def _find_phrase(
    work: str, phrases: Sequence[str], start: int, end: int, number: int | None = None
) -> tuple[re.Match[str], str] | None:
    """The first of ``phrases`` (in their order of preference) found in ``work[start:end]``.

    A row with an item number is looked for after that number first, so that ``3.其他`` is
    not taken from a ``（六）其他处理`` heading printed before it.
    """
    end = max(start, end)
    if number is not None:
        for phrase in phrases:
            m = _numbered(phrase, number).search(work, start, end)
            if m:
                return _phrase(phrase).match(work, m.start("phrase"), end), phrase
    for phrase in phrases:
        m = _phrase(phrase).search(work, start, end)
        if m:
            return m, phrase
    return None


def _locate_rows(
    work: str, specs: Sequence[_RowSpec], start: int, end: int, window: int | None
) -> dict[str, _Located]:
    """Find rows in order, each after the previous one, and read each row's data run."""
    found: list[_Located] = []
    pos = start
    for spec in specs:
        limit = end if window is None else pos + window
        hit = _find_phrase(work, spec.match, pos, limit, spec.number)
        if hit is None:
            continue
        m, phrase = hit
        floor = found[-1].label_end if found else start
        label_start = _label_start(work, m.start(), floor, spec.number)
        own_label = spec.label.split()[-1]
        before_phrase = max(own_label.find(phrase), 0)
        found.append(
            _Located(
                key=spec.key,
                start=label_start,
                label_end=_label_end(work, m.end()),
                evidence_start=max(label_start, m.start() - before_phrase),
            )
        )
        pos = found[-1].label_end
    for i, row in enumerate(found):
        bound = found[i + 1].start if i + 1 < len(found) else end
        run_end = _RUN.match(work, row.label_end, max(row.label_end, bound)).end()
        run = work[row.label_end : run_end]
        if run_end < bound or i + 1 == len(found):
            run = _strip_numbering(work, run, run_end)
        row.run = run
        row.run_end = row.label_end + len(run.rstrip())
    return {row.key: row for row in found}


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class _Document:
    """Text to decode: ``work`` (normalised, Simplified) has the same indexes as ``original``."""

    work: str
    original: str

    def evidence(self, start: int, end: int) -> str:
        return self.original[start:end].strip()


def _grid_text(grids: Sequence[Sequence[Sequence[str]]]) -> str:
    """Grids as pipe rows, repeated label cells merged, units and blank marks normalised."""
    lines = []
    for grid in grids:
        for row in grid:
            cells: list[str] = []
            for raw in row:
                cell = " ".join(str(raw or "").split())
                value = _GRID_VALUE.fullmatch(cell)
                if value:
                    cell = value.group(1).replace(",", "")
                elif not cell or cell in _GRID_BLANK:
                    # A blank cell is a cell: never merged with the blank before it.
                    cell = ""
                elif cells and cell == cells[-1]:
                    continue  # a label repeated by rowspan/colspan
                cells.append(cell)
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- tables


@dataclass
class _Table:
    """One table being decoded: a value per (row, column) and what to report about it."""

    name: str
    rows: tuple[tuple[str, str], ...]
    columns: dict[str, tuple[tuple[str, str], ...]]
    """Columns of each row (rows of table 二 differ)."""
    document: _Document | None = None
    start: int = 0
    end: int = 0
    """Span of the table in its document."""
    section: str | None = None
    values: dict[tuple[str, str], object] = field(default_factory=dict)
    evidence: dict[str, tuple[int, int]] = field(default_factory=dict)
    ambiguous: list[str] = field(default_factory=list)
    undecoded: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hinted: set[str] = field(default_factory=set)

    def set_row(self, key: str, options: Sequence[tuple]) -> None:
        """Store a row from its surviving splits: cells they agree on are known."""
        for i, (column, _) in enumerate(self.columns[key]):
            seen = {option[i] for option in options}
            self.values[(key, column)] = seen.pop() if len(seen) == 1 else UNKNOWN
        if len(options) > 1:
            shown = " | ".join("·".join(map(_fmt, o)) for o in options[:SHOWN_CANDIDATES])
            more = len(options) - SHOWN_CANDIDATES
            self.ambiguous.append(
                f"{self.name} {key}: {shown}" + (f" (+{more} more)" if more > 0 else "")
            )

    def value(self, row: str, column: str) -> object:
        return self.values.get((row, column), UNKNOWN)

    def row_span(self, keys: Sequence[str]) -> str:
        """The text of these rows' labels and figures, as found."""
        spans = [self.evidence[k] for k in keys if k in self.evidence]
        if not spans or self.document is None:
            return ""
        return self.document.evidence(min(s for s, _ in spans), max(e for _, e in spans))


def _new_table(name: str, fmt: str, document: _Document | None = None) -> _Table:
    vocab = _vocabulary()
    if name == "proactive":
        sections = vocab.proactive[fmt]
        rows = tuple((r.key, r.label) for s in sections for r in s.rows)
        columns = {r.key: s.columns for s in sections for r in s.rows}
    elif name == "applications":
        rows = tuple((r.key, r.label) for r in vocab.app_rows[fmt])
        columns = {key: vocab.app_columns for key, _ in rows}
    else:
        rows = vocab.review_rows
        columns = {key: vocab.review_columns for key, _ in rows}
    return _Table(name, rows, columns, document)


def _missing_table(name: str, fmt: str, reason: str) -> _Table:
    table = _new_table(name, fmt)
    table.undecoded.append(f"{name}: {reason}")
    return table


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if value is UNKNOWN:
        return "?"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _heading(work: str, pattern: str, start: int, end: int) -> str | None:
    m = re.search(pattern, work[max(0, start) : max(0, end)])
    return m.group(0).strip() if m else None


# --------------------------------------------------------------------------- table 三


Vec = tuple


def _vec(cells: tuple) -> Vec:
    return tuple(_num(v) for v in cells)


def _add(a: Vec, b: Vec) -> Vec:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _outcome_search(rows: list[list[Vec]], target: Vec) -> tuple[int, list[set[int]]]:
    """Count choices of one split per outcome row summing to ``target``; which splits take part.

    Forward pass: partial column-sum vectors (never above ``target``) with their counts.
    Backward pass: the partial sums from which ``target`` is still reachable.
    """
    forward = [{tuple(0 for _ in target): 1}]
    for options in rows:
        nxt: dict[Vec, int] = {}
        for state, count in forward[-1].items():
            for option in options:
                new = _add(state, option)
                if all(x <= t for x, t in zip(new, target, strict=True)):
                    nxt[new] = nxt.get(new, 0) + count
        if len(nxt) > STATE_CAP:
            raise _Capped
        forward.append(nxt)
    total = forward[-1].get(target, 0)
    used: list[set[int]] = [set() for _ in rows]
    need = {target} if total else set()
    for i in range(len(rows) - 1, -1, -1):
        before = set()
        for state in forward[i]:
            for j, option in enumerate(rows[i]):
                if _add(state, option) in need:
                    before.add(state)
                    used[i].add(j)
        need = before
    return total, used


def _balance(
    received: list[Vec], carried_in: list[Vec], carried_out: list[Vec], answered: Vec
) -> tuple[int, dict[str, set[int]]]:
    """Count (一, 二, 四) choices with 一 + 二 = （七）总计 + 四; which splits take part."""
    if len(received) * len(carried_in) > STATE_CAP:
        raise _Capped
    sums: dict[Vec, list[tuple[int, int]]] = {}
    for i, a in enumerate(received):
        for j, b in enumerate(carried_in):
            sums.setdefault(_add(a, b), []).append((i, j))
    count = 0
    used: dict[str, set[int]] = {"1": set(), "2": set(), "4": set()}
    for k, d in enumerate(carried_out):
        pairs = sums.get(_add(answered, d), [])
        count += len(pairs)
        if pairs:
            used["4"].add(k)
        for i, j in pairs:
            used["1"].add(i)
            used["2"].add(j)
    return count, used


@dataclass
class _Solution:
    count: int | None
    """Whole-table assignments that fit; None when the search was capped."""
    feasible: dict[str, list[tuple]]
    """Per row, the splits that take part in at least one assignment."""


def _solve_applications(
    cands: dict[str, list[tuple]], outcome_keys: Sequence[str], use_i1: bool, use_i2: bool
) -> _Solution:
    """Combine the rows' splits under I1/I2 (rows without splits are left out)."""
    have = {k for k, c in cands.items() if c}
    i1 = use_i1 and {"1", "2", "3.7", "4"} <= have
    i2 = use_i2 and "3.7" in have and all(k in have for k in outcome_keys)
    vecs = {k: [_vec(c) for c in cands[k]] for k in have}
    every = {k: set(range(len(vecs[k]))) for k in have}
    outcomes = [k for k in outcome_keys if k in have]
    balance = [k for k in ("1", "2", "4") if k in have]
    used: dict[str, set[int]] = {k: set() for k in have}
    total = 0
    try:
        for t in range(len(vecs["3.7"])) if "3.7" in have else [None]:
            if i2:
                n_out, out_used = _outcome_search([vecs[k] for k in outcomes], vecs["3.7"][t])
                out_map = dict(zip(outcomes, out_used, strict=True))
            else:
                n_out = math.prod(len(vecs[k]) for k in outcomes)
                out_map = {k: every[k] for k in outcomes}
            if i1:
                n_bal, bal_map = _balance(vecs["1"], vecs["2"], vecs["4"], vecs["3.7"][t])
            else:
                n_bal = math.prod(len(vecs[k]) for k in balance)
                bal_map = {k: every[k] for k in balance}
            if not n_out or not n_bal:
                continue
            total += n_out * n_bal
            if t is not None:
                used["3.7"].add(t)
            for k, idx in (out_map | bal_map).items():
                used[k] |= idx
    except _Capped:
        return _Solution(None, {k: list(cands[k]) for k in have})
    return _Solution(total, {k: [cands[k][j] for j in sorted(used[k])] for k in have})


_HINT_ROWS = {
    "applications_received": "1",
    "applications_carried_in": "2",
    "applications_granted": "3.1",
    "applications_partially_granted": "3.2",
    "applications_answered": "3.7",
    "applications_carried_out": "4",
}


def _row_figure(cells: tuple) -> float | None:
    """A row's 总计, or the sum of its cells when the 总计 column is blank."""
    if cells[-1] is not None:
        return cells[-1]
    return None if None in cells[:-1] else sum(cells[:-1])


def _hinted(
    cands: dict[str, list[tuple]], hints: dict[str, float]
) -> tuple[dict, list[str], set[str]]:
    """Keep only the splits whose figure matches one quoted in the prose."""
    narrowed = dict(cands)
    used = []
    indicators: set[str] = set()
    for indicator, row in _HINT_ROWS.items():
        if indicator in hints and narrowed.get(row):
            keep = [c for c in narrowed[row] if _row_figure(c) == hints[indicator]]
            if keep and len(keep) < len(narrowed[row]):
                narrowed[row] = keep
                used.append(f"{indicator}={_fmt(hints[indicator])}")
                indicators.add(indicator)
    return narrowed, used, indicators


def _find_applications(doc: _Document, specs: Sequence[_RowSpec]) -> dict[str, _Located]:
    """Rows of table 三, read from the 一 label that starts the most rows with figures.

    Prose often repeats the first labels (全年新收政府信息公开申请1344件，上年结转55件);
    a row there has one figure, where a table row has six or seven cells.
    """
    work = doc.work
    anchors = sorted({m.start() for p in specs[0].match for m in _phrase(p).finditer(work)})
    best: dict[str, _Located] = {}
    best_score = (0, 0)
    for anchor in anchors:
        while anchor > 0 and not _is_data(work[anchor - 1]):
            anchor -= 1
        rows = _locate_rows(work, specs, anchor, len(work), LABEL_WINDOW)
        filled = sum(
            sum(ch.isdigit() or ch in DASHES or ch in "|" + BLANK for ch in r.run) >= 6
            for r in rows.values()
        )
        if not filled:
            continue  # labels quoted in prose (新收政府信息公开申请数量0件), not the table
        score = (filled, len(rows))
        if score > best_score:
            best, best_score = rows, score
    return best


def _decode_applications(doc: _Document, fmt: str, hints: dict[str, float]) -> _Table | None:
    vocab = _vocabulary()
    specs = vocab.app_rows[fmt]
    located = _find_applications(doc, specs)
    if not located:
        return None
    table = _new_table("applications", fmt, doc)
    table.start = min(r.start for r in located.values())
    table.end = max(r.run_end for r in located.values())
    first_label = min(r.label_end for r in located.values())
    table.section = _heading(
        doc.work, r"[三3][、.]\s*收到和处理政府信息公开申请情况", table.start - 300, first_label
    )
    for spec in specs:
        if spec.key in located:
            table.evidence[spec.key] = (located[spec.key].evidence_start, located[spec.key].run_end)
        else:
            table.undecoded.append(f"applications {spec.key}: row not found")
    feasible = _solve_attempts(located, vocab.outcome_keys[fmt], table, hints)
    for spec in specs:
        table.set_row(spec.key, feasible.get(spec.key, []))
    return table


def _solve_attempts(
    located: dict[str, _Located],
    outcome_keys: Sequence[str],
    table: _Table,
    hints: dict[str, float],
) -> dict[str, list[tuple]]:
    """Try layouts and identity sets from strictest to loosest; keep the first that fits.

    1. every row's own 总计 fits (I3), and I1 and I2 hold;
    2. the 总计 column is blank (six figures per row), and I1 and I2 hold;
    3. rows whose own identity fails keep all their splits; I1 and I2, then I2, I1, none.
    """
    splits = {k: _row_splits(r.run, ("count",) * 7, [(0, 6)]) for k, r in located.items()}
    strict = {k: ([] if s.relaxed else s.candidates) for k, s in splits.items()}
    loose = {k: s.candidates for k, s in splits.items()}

    def blank_total() -> dict[str, list[tuple]]:
        six = {k: _row_splits(r.run, ("count",) * 6, ()) for k, r in located.items()}
        return {k: [(*c, None) for c in s.candidates] for k, s in six.items()}

    attempts: list[tuple[str, Callable[[], dict[str, list[tuple]]], bool, bool, bool]] = [
        ("", lambda: strict, True, True, True),
        ("blank 总计 column", blank_total, True, True, True),
        ("I3 relaxed", lambda: loose, True, True, False),
        ("I1 relaxed", lambda: loose, False, True, False),
        ("I2 relaxed", lambda: loose, True, False, False),
        ("no identity", lambda: loose, False, False, False),
    ]
    for note, make, use_i1, use_i2, complete in attempts:
        cands = make()
        if complete and not all(cands.get(k) for k in located):
            continue
        solution = _solve_applications(cands, outcome_keys, use_i1, use_i2)
        if solution.count == 0:
            continue
        if solution.count is None:
            table.notes.append(f"applications: search capped at {STATE_CAP} states")
        elif solution.count > 1 and hints:
            narrowed, used, indicators = _hinted(cands, hints)
            better = _solve_applications(narrowed, outcome_keys, use_i1, use_i2) if used else None
            if better is not None and better.count:
                solution = better
                table.hinted |= indicators
                table.notes.append("applications tie broken by prose: " + ", ".join(used))
        if note:
            table.notes.append(f"applications decoded with: {note}")
        for k, s in splits.items():
            if not solution.feasible.get(k):
                table.undecoded.append(f"applications {k}: {s.note or 'no split fits'}")
        return solution.feasible
    for k, s in splits.items():
        table.undecoded.append(f"applications {k}: {s.note or 'no split fits'}")
    return {}


# --------------------------------------------------------------------------- table 二


def _decode_proactive(doc: _Document, fmt: str, stop: int | None) -> _Table | None:
    vocab = _vocabulary()
    sections = vocab.proactive[fmt]
    work = doc.work
    limit = len(work) if stop is None else stop
    first_row = sections[0].rows[0].match
    start = next(
        (
            m.start()
            for pattern in vocab.proactive_start
            for m in pattern.finditer(work, 0, limit)
            if _find_phrase(work, first_row, m.end(), m.end() + 200)
        ),
        None,
    )
    if start is None:
        return None
    ends = [m.start() for p in vocab.proactive_end if (m := p.search(work, start, limit))]
    end = min(ends, default=limit if stop is not None else min(limit, start + 3000))
    table = _new_table("proactive", fmt, doc)
    table.start, table.end = start, end
    table.section = _heading(work, r"[二2][、.]\s*主动公开政府信息情况", start - 100, end)
    located = _locate_rows(work, [r for s in sections for r in s.rows], start, end, None)
    for section in sections:
        for spec in section.rows:
            row = located.get(spec.key)
            if row is None:
                table.undecoded.append(f"proactive {spec.key}: row not found")
                table.set_row(spec.key, [])
                continue
            table.evidence[spec.key] = (row.evidence_start, row.run_end)
            split = _row_splits(row.run, section.types, ())
            if not split.candidates:
                table.undecoded.append(f"proactive {spec.key}: {split.note}")
            plausible = [o for o in split.candidates if _plausible(o, section)]
            table.set_row(spec.key, plausible or split.candidates)
    return table


def _plausible(option: tuple, section: _Section) -> bool:
    """The weak rules of table 二 (see template_labels.yml)."""
    values = dict(zip((c for c, _ in section.columns), option, strict=True))
    if "published_le_total" in section.rules:
        published, total = values.get("published_this_year"), values.get("total_published")
        if published is not None and total is not None and published > total:
            return False
    if "change_not_below_previous" in section.rules:
        previous, change = values.get("previous_year_items"), values.get("change")
        if previous is not None and change is not None and previous + change < 0:
            return False
    return True


# --------------------------------------------------------------------------- table 四


def _review_run(work: str, pos: int, words: Sequence[str]) -> tuple[str, int]:
    """Data runs after table 四's header, while only header words lie between them."""
    pieces: list[str] = []
    end = scan = pos
    for m in _RUN.finditer(work, pos):
        chunk = m.group(0)
        if not any(ch.isdigit() or ch in DASHES for ch in _without_rules(chunk)):
            continue
        gap = work[scan : m.start()]
        if pieces:
            for word in words:
                gap = gap.replace(word, "")
            if re.sub(r"[\s|:：，,、（）()]", "", gap):
                break
        elif m.start() - pos > 400:
            break
        chunk = _strip_numbering(work, chunk, m.end())
        pieces.append(chunk)
        end = m.start() + len(chunk.rstrip())
        scan = m.end()
    return "\n".join(pieces), end


def _decode_review(doc: _Document, fmt: str, after: int, hints: dict[str, float]) -> _Table | None:
    vocab = _vocabulary()
    work = doc.work
    starts = [m.start() for w in vocab.review_start if (m := _phrase(w).search(work, after))]
    if not starts or (after and min(starts) - after > 2000):
        return None
    start = min(starts)
    run, end = _review_run(work, start, vocab.review_words)
    if not run:
        return None
    table = _new_table("review_litigation", fmt, doc)
    heading = re.compile(r"[四4][、.][^0-9。；]{0,30}?行政复议[^0-9。；]{0,30}?情况")
    head = heading.search(work, max(0, start - 300), start)
    title = work.rfind("行政复议", max(0, start - 300), start)
    table.start = head.start() if head else (title if title >= 0 else start)
    table.end = end
    table.section = head.group(0) if head else None
    for key, _ in table.rows:
        table.evidence[key] = (table.start, end)
    split = _row_splits(run, ("count",) * 15, [(0, 4), (5, 9), (10, 14)])
    options = split.candidates
    if not options:
        table.undecoded.append(f"review_litigation: {split.note}")
    if split.relaxed:
        table.notes.append("review_litigation decoded with: I4 relaxed")
    if len(options) > 1 and hints:
        options = _review_hints(options, hints, table)
    for g, (key, _) in enumerate(table.rows):
        table.set_row(key, list(dict.fromkeys(o[g * 5 : g * 5 + 5] for o in options)))
    return table


def _review_hints(options: list[tuple], hints: dict[str, float], table: _Table) -> list[tuple]:
    tests = {
        "reconsideration_cases": lambda o: o[4],
        "litigation_cases": lambda o: None if None in (o[9], o[14]) else o[9] + o[14],
    }
    keep, used = options, []
    for indicator, figure in tests.items():
        if indicator in hints:
            narrowed = [o for o in keep if figure(o) == hints[indicator]]
            if narrowed and len(narrowed) < len(keep):
                keep = narrowed
                used.append(f"{indicator}={_fmt(hints[indicator])}")
                table.hinted.add(indicator)
    if used:
        table.notes.append("review_litigation tie broken by prose: " + ", ".join(used))
    return keep


# --------------------------------------------------------------------------- checks


def _known(*values: object) -> bool:
    return all(v is not UNKNOWN for v in values)


def _total(values: Sequence[object]) -> float:
    return sum(_num(v) for v in values)


def _sum_text(values: Sequence[object]) -> str:
    text = "+".join(map(_fmt, values))
    return f"{text}={_fmt(_total(values))}" if _known(*values) else text


def _identity(name: str, result: object, parts: Sequence[object], text: str) -> Check:
    """``result`` = sum of ``parts``; not applicable when a cell is undetermined or blank."""
    if not _known(result, *parts):
        return Check(name, "not_applicable", f"undetermined cells: {text}")
    if result is None:
        return Check(name, "not_applicable", f"blank cells: {text}")
    status = "pass" if math.isclose(_num(result), _total(parts)) else "fail"
    return Check(name, status, text)


def _application_checks(table: _Table, fmt: str) -> list[Check]:
    vocab = _vocabulary()
    columns = [c for c, _ in vocab.app_columns]
    outcome_keys = vocab.outcome_keys[fmt]
    groups = {
        "3.1": ["3.1"],
        "3.2": ["3.2"],
        **{
            f"Σ{prefix}": [k for k in outcome_keys if k.startswith(prefix + ".") or k == prefix]
            for prefix in ("3.3", "3.4", "3.5", "3.6")
        },
    }
    v = table.value
    checks = []
    for c in columns:
        left, right = [v("1", c), v("2", c)], [v("3.7", c), v("4", c)]
        text = f"1+2={_sum_text(left)}; 3.7+4={_sum_text(right)}"
        if not _known(*left, *right):
            checks.append(Check(f"I1:{c}", "not_applicable", f"undetermined cells: {text}"))
        elif all(x is None for x in left + right):
            checks.append(Check(f"I1:{c}", "not_applicable", f"blank cells: {text}"))
        else:
            status = "pass" if math.isclose(_total(left), _total(right)) else "fail"
            checks.append(Check(f"I1:{c}", status, text))
    for c in columns:
        sums = [
            _total([v(k, c) for k in keys]) if _known(*(v(k, c) for k in keys)) else UNKNOWN
            for keys in groups.values()
        ]
        text = f"3.7={_fmt(v('3.7', c))}; {'+'.join(groups)}={_sum_text(sums)}"
        checks.append(_identity(f"I2:{c}", v("3.7", c), sums, text))
    for row, _ in table.rows:
        parts = [v(row, c) for c in columns[:-1]]
        text = f"total={_fmt(v(row, TOTAL))}; {_sum_text(parts)}"
        checks.append(_identity(f"I3:{row}", v(row, TOTAL), parts, text))
    return checks


def _review_checks(table: _Table) -> list[Check]:
    checks = []
    for row, _ in table.rows:
        parts = [table.value(row, c) for c, _ in table.columns[row][:-1]]
        total = table.value(row, TOTAL)
        text = f"total={_fmt(total)}; {_sum_text(parts)}"
        checks.append(_identity(f"I4:{row}", total, parts, text))
    return checks


def _summary_checks(tables: Sequence[_Table]) -> list[Check]:
    ambiguous = [line for t in tables for line in t.ambiguous]
    notes = [line for t in tables for line in t.notes]
    undecoded = [line for t in tables for line in t.undecoded]
    return [
        Check("ambiguous_cells", "fail" if ambiguous else "pass", "; ".join(ambiguous + notes)),
        Check("undecoded_cells", "fail" if undecoded else "pass", "; ".join(undecoded)),
    ]


# --------------------------------------------------------------------------- statistics

_DERIVED = (
    ("applications_received", "applications", ("1",)),
    ("applications_carried_in", "applications", ("2",)),
    ("applications_granted", "applications", ("3.1",)),
    ("applications_partially_granted", "applications", ("3.2",)),
    ("applications_refused", "applications", "3.3."),
    ("applications_answered", "applications", ("3.7",)),
    ("applications_carried_out", "applications", ("4",)),
    ("reconsideration_cases", "review_litigation", ("reconsideration",)),
    (
        "litigation_cases",
        "review_litigation",
        ("litigation_direct", "litigation_after_reconsideration"),
    ),
)
"""Indicator, table, and the rows whose 总计 cells add up to it (a str: rows with that prefix)."""


def _statistics(tables: Sequence[_Table]) -> list[Statistic]:
    by_name = {t.name: t for t in tables}
    stats = []
    for indicator, name, rows in _DERIVED:
        table = by_name[name]
        keys = [k for k, _ in table.rows if k.startswith(rows)] if isinstance(rows, str) else rows
        values = [table.value(k, TOTAL) for k in keys]
        if not values or any(v is None or v is UNKNOWN for v in values):
            continue
        stats.append(
            Statistic(
                indicator=indicator,
                value=float(_total(values)),
                unit="件",
                evidence=table.row_span(keys),
                method="table",
                section=table.section,
            )
        )
    return stats


# --------------------------------------------------------------------------- entry point


def _cells(tables: Sequence[_Table]) -> list[TemplateCell]:
    cells = []
    for table in tables:
        for key, label in table.rows:
            for column, column_label in table.columns[key]:
                value = table.value(key, column)
                number = None if value is None or value is UNKNOWN else float(value)
                cells.append(TemplateCell(table.name, key, label, column, column_label, number))
    return cells


def _first(
    docs: Sequence[_Document], decode: Callable[[_Document], _Table | None]
) -> _Table | None:
    return next((t for d in docs if (t := decode(d)) is not None), None)


def parse_template(
    text: str,
    grids: Sequence[Sequence[Sequence[str]]] = (),
    *,
    prose_hints: dict[str, float] | None = None,
    report_format: str | None = None,
) -> TemplateResult:
    """Decode the mandated tables of a 2019/2021-format report; grids are preferred to text.

    ``text`` is the cleaned report text; ``grids`` are its HTML tables expanded to
    rectangular grids of cell strings. ``prose_hints`` maps indicators to figures quoted in
    the prose, used only to choose between assignments the identities leave open;
    ``report_format`` the format already detected (with the year covered), else detected here.
    """
    hints = dict(prose_hints or {})
    docs = []
    if grids:
        grid_text = _grid_text(grids)
        docs.append(_Document(_simplify(grid_text), grid_text))
    docs.append(_Document(_simplify(text), text))
    fmt = report_format or _detect("\n".join(d.work for d in docs))
    if fmt == FREE_TEXT:
        return TemplateResult(FREE_TEXT, (), (), ())

    apps = _first(docs, lambda d: _decode_applications(d, fmt, hints))

    def same_doc(d: _Document) -> bool:
        return apps is not None and apps.document is d

    pro = _first(docs, lambda d: _decode_proactive(d, fmt, apps.start if same_doc(d) else None))
    rev = _first(docs, lambda d: _decode_review(d, fmt, apps.end if same_doc(d) else 0, hints))
    tables = [
        pro or _missing_table("proactive", fmt, "table 二 not found"),
        apps or _missing_table("applications", fmt, "table 三 not found"),
        rev or _missing_table("review_litigation", fmt, "table 四 not found"),
    ]
    checks = [
        *_application_checks(tables[1], fmt),
        *_review_checks(tables[2]),
        *_summary_checks(tables),
    ]
    return TemplateResult(
        report_format=fmt,
        cells=tuple(_cells(tables)),
        checks=tuple(checks),
        statistics=tuple(_statistics(tables)),
        hinted=frozenset().union(*(t.hinted for t in tables)),
    )
