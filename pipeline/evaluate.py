"""Score extraction against a gold file: precision and recall per field and per tier, and misses."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import paths
from pipeline.build import read_sidecar
from pipeline.package import report_rows
from pipeline.records import Report, Source
from pipeline.repair import strip_glosses
from pipeline.report import process, report_id_for

DEFAULT_GOLD = Path(__file__).resolve().parent.parent / "tests" / "gold" / "seeds.json"
METADATA_FIELDS = (
    "title",
    "title_simplified",
    "script",
    "document_type",
    "report_format",
    "issuer",
    "issuer_type",
    "admin_level",
    "province",
    "prefecture",
    "county",
    "division_code",
    "year",
    "published_date",
    "doc_number",
)
REGION_FIELDS = frozenset({"province", "prefecture", "county", "division_code"})


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Evaluation:
    scores: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    misses: list[str] = field(default_factory=list)

    def add(self, key: str, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        s = self.scores[key]
        s.tp, s.fp, s.fn = s.tp + tp, s.fp + fp, s.fn + fn

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {
            k: {
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "tp": s.tp,
                "fp": s.fp,
                "fn": s.fn,
            }
            for k, s in sorted(self.scores.items())
        }


def _predicted(report: Report) -> dict[str, Any]:
    """The report's published row, under the gold file's names."""
    row = report_rows(report)["reports"][0]
    return {**row, "title_simplified": row["title_hans"]}


def _expected(entry: dict[str, Any]) -> dict[str, Any]:
    region = entry.get("region") or {}
    out = {k: entry.get(k) for k in METADATA_FIELDS}
    out.update(
        province=region.get("province"),
        prefecture=region.get("prefecture"),
        county=region.get("county"),
        division_code=region.get("code"),
    )
    return out


def _match(expected: Any, got: Any) -> bool:
    if expected == []:
        return got is None  # the gold names no issuer: none must be invented
    if isinstance(expected, list):
        return got in expected
    return expected == got


def score_report(entry: dict[str, Any], report: Report, ev: Evaluation) -> None:
    name = entry["source_file"]
    got, want = _predicted(report), _expected(entry)
    for key in METADATA_FIELDS:
        # A field the gold does not give is not scored (the field corpus gives no region).
        if key in REGION_FIELDS and "region" not in entry:
            continue
        if key not in entry and key not in REGION_FIELDS:
            continue
        e, g = want[key], got[key]
        field_key = f"metadata.{key}"
        if (e is None and g is None) or _match(e, g):
            ev.add(field_key, tp=1)
        else:
            ev.add(field_key, fp=int(g is not None), fn=int(e not in (None, [])))
            ev.misses.append(f"{name}: {key} expected {e!r}, got {g!r}")

    ev.add("invented")  # published figures a report does not state (wrong or absent in the gold)
    whole = defaultdict(list)
    for s in report.statistics:
        if s.scope is None:
            whole[s.indicator].append(s)
    for exp in entry.get("statistics", []):
        tier = exp.get("tier", "core")
        cands = whole.get(exp["indicator"], [])
        ok = any(
            s.value == exp["value"] and s.unit == exp["unit"] and s.qualifier == exp["qualifier"]
            for s in cands
        )
        keys = (f"statistics.{tier}", f"statistics.{tier}.{exp['indicator']}")
        keys += (f"indicator.{exp['indicator']}",)
        for key in keys:
            ev.add(key, tp=int(ok), fn=int(not ok), fp=int(not ok and bool(cands)))
        if not ok and cands:
            ev.add("invented", fp=1)
        if not ok:
            shown = [(s.value, s.unit, s.qualifier) for s in cands] or "nothing"
            ev.misses.append(
                f"{name}: [{tier}] {exp['indicator']} expected {exp['value']} {exp['unit']} "
                f"{exp['qualifier']}, got {shown}"
            )
    for indicator in entry.get("absent", []):
        if whole.get(indicator) or any(s.indicator == indicator for s in report.statistics):
            ev.add("statistics.absent", fp=1)
            ev.add(f"indicator.{indicator}", fp=1)
            ev.add("invented", fp=1)
            ev.misses.append(f"{name}: {indicator} should be absent, got {whole.get(indicator)}")
        else:
            ev.add("statistics.absent", tp=1)

    text = report.cleaned.text
    # The gold quotes mirror pages verbatim, pinyin glosses included; cleaned text has none.
    for s in entry.get("must_remove", []):
        ok = s.strip() not in text
        ev.add("clean.must_remove", tp=int(ok), fn=int(not ok))
        if not ok:
            ev.misses.append(f"{name}: clutter kept: {s!r}")
    for s in entry.get("must_keep", []):
        ok = strip_glosses(s) in text
        ev.add("clean.must_keep", tp=int(ok), fn=int(not ok))
        if not ok:
            ev.misses.append(f"{name}: text lost: {s!r}")
    md_headings = {
        (len(line) - len(line.lstrip("#")), _unescape(line.lstrip("#").strip()))
        for line in report.markdown.split("\n")
        if line.startswith("#")
    }
    for level, heading in entry.get("headings", []):
        ok = (level, strip_glosses(heading)) in md_headings
        ev.add("markdown.headings", tp=int(ok), fn=int(not ok))
        if not ok:
            ev.misses.append(f"{name}: heading missing: {'#' * level} {heading}")
    if table := entry.get("table"):
        tier = table.get("tier", "stretch")
        rows = _markdown_tables(report.markdown)
        ok = any(_contains_rows(t, table["cells"]) for t in rows)
        ev.add(f"table.{tier}", tp=int(ok), fn=int(not ok))
        if not ok:
            ev.misses.append(
                f"{name}: [{tier}] table {table['cells']} not found as a Markdown table"
            )


def _unescape(text: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def _markdown_tables(md: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in md.split("\n"):
        if line.startswith("|") and line.endswith("|"):
            cells = [_unescape(c.strip()) for c in line.strip("|").split(" | ")]
            if not all(set(c) <= {"-", ":"} for c in cells):
                current.append([c.strip() for c in cells])
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def _contains_rows(table: list[list[str]], rows: list[list[str]]) -> bool:
    for i in range(len(table) - len(rows) + 1):
        if all(table[i + k][: len(r)] == r for k, r in enumerate(rows)):
            return True
    return False


def evaluate(gold_file: Path, source_dir: Path) -> Evaluation:
    ev = Evaluation()
    entries = json.loads(gold_file.read_text(encoding="utf-8"))
    for entry in entries:
        path = source_dir / entry["source_file"]
        if not path.exists():
            ev.misses.append(f"{entry['source_file']}: source file not found in {source_dir}")
            ev.add("sources", fn=1)
            continue
        side = path.with_name(path.name + ".meta.yml")
        sidecar = read_sidecar(side) if side.exists() else {}
        try:
            report = process(
                Source(path.name, path.read_bytes(), sidecar), report_id_for(path.name)
            )
        except Exception as exc:  # noqa: BLE001 - a failed report scores as all misses
            ev.misses.append(f"{entry['source_file']}: not processed: {exc}")
            ev.add("sources", fn=1)
            continue
        ev.add("sources", tp=1)
        score_report(entry, report, ev)
    return ev


def format_table(ev: Evaluation) -> str:
    lines = [f"{'field':48} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for key, s in sorted(ev.scores.items()):
        lines.append(f"{key:48} {s.precision:9.3f} {s.recall:7.3f} {s.tp:4d} {s.fp:4d} {s.fn:4d}")
    return "\n".join(lines)


def evaluate_templates(source_dir: Path) -> list[str]:
    """For reports in the 2019/2021 formats (no gold needed: the template's identities are the
    check): per file, the cells decoded, the identities that hold and the figures derived."""
    lines = []
    for path in sorted(p for p in source_dir.iterdir() if p.is_file()):
        if path.name.endswith(".meta.yml"):
            continue
        try:
            report = process(Source(path.name, path.read_bytes()), report_id_for(path.name))
        except Exception as exc:  # noqa: BLE001 - reported, the others go on
            lines.append(f"{path.name}: not processed: {exc}")
            continue
        cells = [c for c in report.cells if c.table != "proactive"]
        decoded = sum(c.value is not None for c in cells)
        statuses: dict[str, int] = defaultdict(int)
        for c in report.checks:
            if c.check[:2] in ("I1", "I2", "I3", "I4"):
                statuses[c.status] += 1
        others = {
            c.check: c.status for c in report.checks if c.check[:2] not in ("I1", "I2", "I3", "I4")
        }
        figures = {
            s.indicator: f"{s.value:g}{'*' if s.check_failed else ''}"
            for s in report.statistics
            if s.scope is None and s.method == "table"
        }
        lines.append(
            f"{path.name}: {report.metadata.report_format}; cells of tables 三/四 decoded "
            f"{decoded}/{len(cells)}; identities {dict(sorted(statuses.items()))}; "
            f"checks {others}; table figures {figures}"
        )
    return lines


def main(gold: str | None = None, sources: str | None = None, templates: str | None = None) -> int:
    if templates:
        for line in evaluate_templates(Path(templates)):
            print(line)
        return 0
    gold_file = (
        Path(gold) if gold else (paths.GOLD_FILE if paths.GOLD_FILE.exists() else DEFAULT_GOLD)
    )
    source_dir = Path(sources) if sources else paths.SOURCE_DIR
    ev = evaluate(gold_file, source_dir)
    print(f"gold: {gold_file}\nsources: {source_dir}\n")
    print(format_table(ev))
    print(f"\nmisses ({len(ev.misses)}):")
    for miss in ev.misses:
        print(f"  - {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
