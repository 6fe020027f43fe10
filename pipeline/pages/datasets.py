"""Datasets page: downloads with sizes and checksums, license and citation, usage examples, the
data dictionary generated from the table schemas, and a schema.org ``Dataset`` in JSON-LD."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from pipeline import package
from pipeline.extract.figures import indicator_titles
from pipeline.pages.common import (
    DOWNLOADS,
    LICENSE_NAME,
    LICENSE_URL,
    SITE_NAME,
    Output,
    PageKind,
    Site,
)
from pipeline.pages.render import render
from pipeline.records import Report


@dataclass(frozen=True)
class Corpus:
    """What the datasets page says of the reports, found in one pass over them: at 100,000
    reports some 2.3 s, which the page writer's forked process spends beside the data package
    (``PageWriter.write_beside``), so that the datasets page, written once ``reports.db`` is
    whole, near the end of a build, has only its downloads' sizes and checksums to find."""

    reports: int
    years: tuple[int, int] | None
    """The first and last year."""
    latest: str | None
    """The newest publication date."""
    doubtful: dict[str, int]
    """How many whole-body figures a failed consistency check leaves out of totals and charts
    (``figures``, ``marked``) and the reports with a failed check (``reports``)."""

    @classmethod
    def of(cls, reports: Sequence[Report]) -> Corpus:
        years: set[int] = set()
        latest = ""
        figures = marked = failed = 0
        for r in reports:
            m = r.metadata
            if m.year:
                years.add(m.year)
            if m.published_date and m.published_date > latest:
                latest = m.published_date
            any_failed = False
            for s in r.statistics:
                if s.check_failed:
                    any_failed = True
                if s.scope is None:
                    figures += 1
                    marked += bool(s.check_failed)
            failed += any_failed
        return cls(
            reports=len(reports),
            years=(min(years), max(years)) if years else None,
            latest=latest or None,
            doubtful={"figures": figures, "marked": marked, "reports": failed},
        )


PANDAS_SNIPPET = """\
import pandas as pd

reports = pd.read_parquet("reports.parquet")
stats = pd.read_parquet("statistics.parquet")

# 各年度、各层级收到的政府信息公开申请（全机关口径：scope 为空）
received = stats[(stats.indicator == "applications_received") & stats.scope.isna()]
received = received.merge(reports[["report_id", "admin_level"]], on="report_id")
print(received.pivot_table(index="year", columns="admin_level", values="value", aggfunc="sum"))

# 每个数字都带着原句，可以核对
print(stats.loc[stats.indicator == "fees_collected", ["report_id", "value", "evidence"]].head())
"""

DUCKDB_SNIPPET = """\
-- DuckDB：直接查询 Parquet 文件
SELECT r.year, r.admin_level, count(*) AS reports, sum(s.value) AS applications_received
FROM 'reports.parquet' AS r
JOIN 'statistics.parquet' AS s USING (report_id)
WHERE s.indicator = 'applications_received' AND s.scope IS NULL
GROUP BY ALL
ORDER BY ALL;
"""

DUCKDB_PARTITIONED_SNIPPET = """\
SELECT year, indicator, count(*) AS figures
FROM read_parquet('parquet/statistics/*/*.parquet', hive_partitioning = true)
GROUP BY ALL
ORDER BY ALL;
"""

DUCKDB_CSV_SNIPPET = """\
-- 也可以读 CSV：未通过的一致性检查及其说明
SELECT c.report_id, r.title_hans, c."check", c.detail
FROM read_csv('checks.csv') AS c
JOIN read_csv('reports.csv') AS r USING (report_id)
WHERE c.status = 'fail'
ORDER BY c.report_id;
"""

FILE_NOTES = {
    "datapackage.json": "数据包描述（Frictionless Data Package）：各表的字段、类型、主键与外键",
    "reports.db": "SQLite 数据库：以上各表（含类型、主键与外键）、简体全文 texts 及其全文索引、常用视图；可直接用 datasette 打开",
    "report.schema.json": "每份报告 JSON 文件（报告页面旁的 report.json）的 JSON Schema",
    "report-json.zip": "全部报告的 JSON 文件（json/<报告编号>.json）与其 JSON Schema",
    "corpus.zip": "全部原始文件与清理后文本（含 archive.csv 与 datapackage.json）",
    "build_report.json": "本次构建的提示与跳过的文件",
}

SQLITE_SNIPPET = """\
-- sqlite3 reports.db（或 datasette reports.db 后在浏览器里查询）
-- 三个字以上的词：trigram 全文索引 texts_fts（datasette 的搜索框用它）
SELECT report_id, snippet(texts_fts, 1, '[', ']', '…', 12) AS excerpt
FROM texts_fts JOIN texts ON texts.rowid = texts_fts.rowid
WHERE texts_fts MATCH '依申请公开';

-- 两个字的词，或任意长度：双字索引 texts_bigrams，词写成相邻两字的短语
SELECT t.report_id, t.title
FROM texts_bigrams JOIN texts AS t ON t.rowid = texts_bigrams.rowid
WHERE texts_bigrams MATCH '"复议" AND "岳塘 塘区"';

-- 视图：每份报告的全机关数字（附标题、机关、年度与原句链接）
SELECT year, issuer, value FROM whole_body_figures
WHERE indicator = 'applications_received' AND NOT check_failed ORDER BY value DESC LIMIT 10;
"""


def _download_files(out_dir: Path) -> list[tuple[str, str]]:
    _, schemas = package.schemas()
    files = [("datapackage.json", FILE_NOTES["datapackage.json"])]
    for name in package.RESOURCES:
        s = schemas[name]
        for ext in ("csv", "parquet"):
            files.append((f"{name}.{ext}", f"{s.title_zh}（{ext.upper()}）：{s.description}"))
    files += [(n, FILE_NOTES[n]) for n in ("reports.db", "report.schema.json", "report-json.zip")]
    files += [
        ("corpus.zip", FILE_NOTES["corpus.zip"]),
        ("build_report.json", FILE_NOTES["build_report.json"]),
    ]
    return [(n, note) for n, note in files if (out_dir / n).exists()]


def json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``</``, ``<!--`` or ``&`` can close or confuse it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def dataset_jsonld(
    out_dir: Path, reports: Sequence[Report], dl: str, corpus: Corpus | None = None
) -> str:
    """schema.org ``Dataset`` description of the package, as the body of a JSON-LD script
    (``corpus``: what it says of ``reports``, when already found)."""
    head, _ = package.schemas()
    corpus = corpus or Corpus.of(reports)
    formats = {
        "csv": "text/csv",
        "parquet": "application/vnd.apache.parquet",
        "json": "application/json",
        "zip": "application/zip",
        "db": "application/vnd.sqlite3",
    }
    dist = []
    for name, note in _download_files(out_dir):
        p = out_dir / name
        dist.append(
            {
                "@type": "DataDownload",
                "name": name,
                "description": note,
                "contentUrl": f"{dl}/{name}",
                "encodingFormat": formats.get(name.rsplit(".", 1)[-1], "application/octet-stream"),
                "contentSize": f"{p.stat().st_size} B",
                "sha256": package.sha256_file(p),
            }
        )
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": head["title"],
        "alternateName": SITE_NAME,
        "identifier": head["name"],
        "description": head["description"],
        "inLanguage": ["zh-Hans", "zh-Hant"],
        "isAccessibleForFree": True,
        "license": next(
            (lic.get("path") for lic in head.get("licenses", []) if lic.get("path")), LICENSE_URL
        ),
        "keywords": [
            "政府信息公开",
            "政府信息公开工作年度报告",
            "open government",
            "China",
            "open data",
        ],
        "spatialCoverage": {"@type": "Place", "name": "中华人民共和国"},
        "creator": {"@type": "Organization", "name": SITE_NAME},
        "variableMeasured": [
            {
                "@type": "PropertyValue",
                "propertyID": code,
                "name": zh,
                "alternateName": en,
                "unitText": unit,
            }
            for code, (en, zh, unit) in indicator_titles().items()
        ],
        "distribution": dist,
        "size": f"{corpus.reports} reports",
    }
    if corpus.years:
        data["temporalCoverage"] = f"{corpus.years[0]}/{corpus.years[1]}"
    if corpus.latest:
        data["dateModified"] = corpus.latest
    return json_for_script(data)


def _code_block(text: str) -> Markup:
    """Text for a fenced code block, where Markdown prints every character as it is (so it
    is not escaped): only the project's own text, and never a line that would end the fence."""
    if any(line.lstrip().startswith(("```", "~~~")) for line in text.split("\n")):
        raise ValueError("a code block's text may not hold a fence")
    return Markup(text.rstrip("\n"))


def datasets_page(
    out_dir: Path,
    dl: str = DOWNLOADS,
    reports: Sequence[Report] = (),
    corpus: Corpus | None = None,
) -> str:
    """Downloads with sizes and checksums, the data dictionary, usage, license and citation
    (``corpus``: what it says of ``reports``, when already found)."""
    head, schemas = package.schemas()
    corpus = corpus or Corpus.of(reports)
    version = corpus.latest or "未注明"
    tables = []
    for name, s in schemas.items():
        tables.append(
            {
                "name": name,
                "id": f"table-{name.replace('_', '-')}",
                "title_zh": s.title_zh,
                "description": s.description,
                "primary_key": list(s.primary_key),
                "foreign_keys": list(s.foreign_keys),
                "fields": [
                    {
                        "name": f.name,
                        "type": f.type,
                        "title_zh": f.title_zh,
                        "description_zh": f.description_zh,
                        "title": f.title,
                        "description": f.description,
                        "constraints": ", ".join(
                            f"{k}: {v}" for k, v in sorted((f.constraints or {}).items())
                        ),
                    }
                    for f in s.fields
                ],
            }
        )
    return render(
        "datasets.md.j2",
        # json_for_script leaves no "<", ">" or "&" in the JSON: nothing can end the script.
        jsonld=Markup(dataset_jsonld(out_dir, reports, dl, corpus)),
        description=head["description"],
        reports=corpus.reports,
        years=corpus.years,
        doubtful=corpus.doubtful,
        downloads=[
            {
                "name": name,
                "href": f"{dl}/{name}",
                "note": note,
                "size": (out_dir / name).stat().st_size,
                "sha256": package.sha256_file(out_dir / name),
            }
            for name, note in _download_files(out_dir)
        ],
        license_name=LICENSE_NAME,
        license_url=LICENSE_URL,
        citation=_code_block(
            f"{SITE_NAME}：{head['title']}，数据版本 {version}，"
            f"收录 {corpus.reports:,} 份报告。许可：{LICENSE_NAME}。"
        ),
        snippets={
            "pandas": _code_block(PANDAS_SNIPPET),
            "duckdb": _code_block(DUCKDB_SNIPPET),
            "duckdb_csv": _code_block(DUCKDB_CSV_SNIPPET),
            "duckdb_partitioned": _code_block(DUCKDB_PARTITIONED_SNIPPET),
            "sqlite": _code_block(SQLITE_SNIPPET),
        },
        tables=tables,
        indicators=[(code, unit, zh, en) for code, (en, zh, unit) in indicator_titles().items()],
    )


def _outputs(site: Site) -> Iterator[Output]:
    yield "datasets.md", datasets_page(site.datasets_dir, site.downloads, site.reports)


KIND = PageKind("datasets", ("datasets.md",), _outputs)
