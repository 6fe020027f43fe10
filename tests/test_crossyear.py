"""Across years and bodies: issuers matched over name variants, copied text measured on
constructed cases, series checked against DuckDB, the SQLite database (sqlite3, sqlite-utils,
datasette) and each report's JSON against its schema.

The corpus: the seeds, a constructed one (tests/crossyear.py) whose copied shares and name
variants are known, and synthetic bodies reporting over four years (tests/tools/synth.py)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.crossreport.fingerprint import counts, normalise
from pipeline.crossreport.issuers import canonical_body, year_over_year
from pipeline.crossreport.reuse import STOCK
from pipeline.database import bigram_query
from pipeline.records import Report, Statistic
from tests.conftest import build_into
from tests.crossyear import BODIES, SYNTH_SEED, YEARS, S
from tests.tools.synth import truth_years


@pytest.fixture(scope="module")
def built(crossyear_build) -> dict:
    return crossyear_build


def _issuer_of(built: dict, rid: str) -> str | None:
    return built["cross"].issuer_of.get(rid)


def _html(site: Path, rel: str) -> str:
    return (site / rel / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- issuers


def test_offices_chains_scripts_and_renamed_divisions_are_one_body(built):
    a = _issuer_of(built, "a_2019")
    assert a is not None
    # 湘潭市岳塘区人民政府办公室 (office, chain), 嶽塘區 (Traditional), 湖南省湘潭市岳塘区, and the
    # seed's 2012 report of the same body.
    for rid in ("a_2018_hant", "a_2020", "a_2021", "a_2022", "002_1febd801f82f46fd"):
        assert _issuer_of(built, rid) == a, rid
    issuer = built["cross"].by_id[a]
    assert issuer.division_code == "430304" and issuer.years == (2012, 2018, 2019, 2020, 2021, 2022)
    assert "湘潭市岳塘区人民政府办公室" in issuer.variants
    # 密云县 became 密云区 in 2015: one body, under today's code.
    c = {_issuer_of(built, rid) for rid in ("c_2013", "c_2014", "c_2016")}
    assert len(c) == 1 and next(iter(c)).startswith("110118-")
    assert _issuer_of(built, "b_2021") not in (None, a)


def test_misread_and_ambiguous_issuers_stay_alone(built):
    # "正文" is no body's name; 朝阳区 is a district of Beijing and of Changchun.
    for rid in ("x_2019", "y_2019", "z_2019"):
        assert _issuer_of(built, rid) is None, rid
    rows = _csv_rows(built["datasets"] / "reports.csv")
    assert {r["report_id"]: r["issuer_id"] for r in rows}["x_2019"] == ""


def test_synthetic_bodies_are_followed_over_the_years(built):
    followed = 0
    for k in range(1, BODIES + 1):
        rids = [f"synth_b{k:04d}_{y}" for y in YEARS]
        ids = {_issuer_of(built, rid) for rid in rids}
        codes = {built["by_id"][rid].metadata.region.division_code for rid in rids}
        if None in codes:
            # A name shared by several places (朝阳区) that the text does not settle: alone.
            assert ids == {None}, (k, truth_years(k, YEARS[0], SYNTH_SEED)["issuer"])
            continue
        assert len(ids) == 1 and None not in ids, (
            k,
            truth_years(k, YEARS[0], SYNTH_SEED)["issuer"],
        )
        assert built["cross"].by_id[ids.pop()].years == YEARS
        followed += 1
    assert followed >= BODIES - 1


def test_canonical_body_reads_offices_as_their_body():
    assert canonical_body("人民政府办公室") == "人民政府"
    assert canonical_body("政府") == "人民政府"
    assert canonical_body("教育局办公室") == "教育局"
    assert canonical_body("人民防空办公室") == "人民防空办公室"  # a department of its own
    assert canonical_body("马岭镇党政办公室") == "马岭镇人民政府"
    assert canonical_body("龙泉街道党政办公室") == canonical_body("龙泉街道") == "龙泉街道办事处"


def _report_with(year: int, value: float, rid: str, failed: bool = False) -> Report:
    from dataclasses import replace

    base = next(iter(_seed_reports()))
    stat = Statistic("applications_received", value, "件", check_failed=failed)
    return replace(
        base,
        report_id=rid,
        metadata=replace(base.metadata, year=year),
        statistics=(stat,),
    )


def _seed_reports() -> list[Report]:
    from pipeline.build import run_stages

    if not hasattr(_seed_reports, "cache"):
        _seed_reports.cache = run_stages(
            paths.SOURCE_DIR, workers=1, cache_dir=None, progress=lambda m: None
        ).reports
    return _seed_reports.cache


def test_year_over_year_flags_tenfold_changes_and_a_drop_to_zero():
    seq = {
        2015: _report_with(2015, 120, "r15"),
        2016: _report_with(2016, 130, "r16"),
        2017: _report_with(2017, 1400, "r17"),  # ×10.8
        2018: _report_with(2018, 0, "r18"),  # 0 after 130 and 1400
        2019: _report_with(2019, 5000, "r19", failed=True),  # 待核: not compared
        2020: _report_with(2020, 30, "r20"),  # from 0: no ratio
        2021: _report_with(2021, 200, "r21"),  # ×6.7: plausible
    }
    found = year_over_year(seq)
    assert sorted(found) == ["r17", "r18"]
    assert found["r17"][0].check == "year_over_year:applications_received"
    assert found["r17"][0].status == "fail" and "130" in found["r17"][0].detail
    assert "1,400" in found["r17"][0].detail and "2016" in found["r17"][0].detail


def test_year_over_year_rows_are_in_checks(built):
    rows = _csv_rows(built["datasets"] / "checks.csv")
    yoy = {(r["report_id"], r["check"]): r for r in rows if r["check"].startswith("year_over")}
    row = yoy[("a_2021", "year_over_year:applications_received")]
    assert row["status"] == "fail" and "160" in row["detail"] and "1,700" in row["detail"]
    assert ("c_2016", "year_over_year:applications_received") in yoy  # 300, 320 → 0


# --------------------------------------------------------------------------- issuer pages


def test_issuer_page_has_reports_figures_linked_to_evidence_and_charts(built):
    site, a = built["site"], _issuer_of(built, "a_2019")
    raw = _html(site, f"issuers/{a}")
    for rid in ("a_2018_hant", "a_2019", "a_2020", "a_2021", "a_2022"):
        assert f'href="../../reports/{rid}/"' in raw, rid
    links = re.findall(r'class="figure-link" href="([^"]+)"', raw)
    assert links
    for href in links:
        m = re.fullmatch(r"\.\./\.\./reports/([\w-]+)/(?:#([\w-]+))?", href)
        assert m, href
        page = _html(site, f"reports/{m.group(1)}")
        if m.group(2):
            assert f'id="{m.group(2)}"' in page, href
    # The 2020 figures a failed check casts doubt on are 待核; the tenfold change is flagged.
    assert "待核" in raw and "变化异常" in raw
    charts = re.findall(r'<figure class="chart" id="([^"]+)">(.*?)</figure>', raw, flags=re.S)
    assert [c[0] for c in charts] == ["chart-applications-received"]
    body = charts[0][1]
    assert 'role="img"' in body and '<details class="chart-data">' in body
    table = re.findall(r'<th scope="row">(\d{4})</th><td class="num">([^<]+)</td>', body)
    assert ("2021", "1,700") in table and ("2022", "未写明") in table


def test_report_page_links_issuer_and_neighbouring_years_only(built):
    site, a = built["site"], _issuer_of(built, "a_2019")
    raw = _html(site, "reports/a_2020")
    section = raw.split('id="issuer"', 1)[1]
    assert f"../../issuers/{a}/" in raw
    assert 'href="../a_2019/"' in section and 'href="../a_2021/"' in section
    assert "a_2018_hant" not in section and "a_2022" not in section  # not the whole list
    assert "report.json" in raw


def test_issuer_index_lists_bodies_of_several_years(built):
    raw = _html(built["site"], "issuers")
    assert f'href="{_issuer_of(built, "a_2019")}/"' in raw


# --------------------------------------------------------------------------- copied text


def test_normal_form_ignores_script_punctuation_and_figures():
    assert normalise("收到申请 12 件，办结10件。") == normalise("收到申请5件,办结３件")
    assert counts(normalise(S[0])) and not counts(normalise("特此报告。"))
    # A row of the 2019 table read as text is its labels and digits: it does not count.
    assert not counts(normalise("一、本年新收政府信息公开申请数量713000074"))
    assert STOCK >= 20  # a prefecture's counties sharing wording is still copying


def test_reuse_shares_on_constructed_cases(built):
    reuse = built["cross"].reuse
    assert reuse["a_2020"].previous_id == "a_2019" and reuse["a_2020"].previous_share == 1.0
    assert reuse["a_2021"].previous_id == "a_2020" and reuse["a_2021"].previous_share == 0.5
    assert reuse["a_2022"].previous_id == "a_2021" and reuse["a_2022"].previous_share == 0.0
    assert reuse["a_2019"].previous_share == 0.0 and reuse["b_2021"].previous_id is None
    # Another body of the same year: 雨湖区 2021 repeats half of 岳塘区 2021, and the reverse.
    assert (reuse["b_2021"].other_id, reuse["b_2021"].other_share) == ("a_2021", 0.5)
    assert (reuse["a_2021"].other_id, reuse["a_2021"].other_share) == ("b_2021", 0.5)
    rows = {r["report_id"]: r for r in _csv_rows(built["datasets"] / "reports.csv")}
    assert rows["a_2021"]["reuse_previous_share"] == "0.5"
    assert rows["a_2021"]["reuse_other_report_id"] == "b_2021"
    assert rows["a_2020"]["reuse_sentences"] == "20"


def test_reuse_pairs_point_at_sentences_on_both_pages(built):
    pairs = [r for r in _csv_rows(built["datasets"] / "reuse.csv") if r["report_id"] == "a_2021"]
    same = [p for p in pairs if p["kind"] == "same_body"]
    other = [p for p in pairs if p["kind"] == "other_body"]
    assert len(same) == 10 and {p["other_report_id"] for p in same} == {"a_2020"}
    assert len(other) == 10 and {p["other_report_id"] for p in other} == {"b_2021"}
    by_id = built["by_id"]
    for p in same + other:
        mine = _sentence_at(by_id[p["report_id"]], p["anchor"])
        theirs = _sentence_at(by_id[p["other_report_id"]], p["other_anchor"])
        assert normalise(mine) == normalise(theirs)
        page = _html(built["site"], f"reports/{p['other_report_id']}")
        assert f'id="{p["other_anchor"]}"' in page


def _sentence_at(report: Report, anchor: str) -> str:
    from pipeline.text import iter_sentences

    return next(s for a, s, _ in iter_sentences(report.cleaned.text) if a == anchor)


def test_repeated_sentences_are_marked_on_the_report_page(built):
    raw = _html(built["site"], "reports/a_2020")
    assert len(re.findall(r'<span class="reused" id="p\d+-s\d+"', raw)) == 20
    assert "100%" in raw.split('id="reuse"', 1)[1].split('id="full-text"', 1)[0]
    assert 'class="reused"' not in _html(built["site"], "reports/a_2022")
    half = _html(built["site"], "reports/a_2021")
    assert len(re.findall(r'class="reused"', half)) == 10


def test_reuse_ranking_lists_the_most_copied_reports(built):
    raw = _html(built["site"], "reuse")
    ranking = raw.split('id="same-body"', 1)[1].split('id="other-body"', 1)[0]
    first = re.search(r'href="\.\./reports/([\w-]+)/"', ranking)
    assert first and first.group(1) == "a_2020"
    assert "100%" in ranking
    assert '<figure class="chart" id="chart-reuse-shares">' in raw


# --------------------------------------------------------------------------- series


def test_series_totals_equal_duckdb_sums_over_the_parquet_files(built):
    import duckdb

    ds = built["datasets"]
    con = duckdb.connect()
    # What the series count: whole-body, exact, unflagged figures of reports with a year.
    figures = f"""FROM read_parquet('{ds / "statistics.parquet"}') AS s
        JOIN read_parquet('{ds / "reports.parquet"}') AS r USING (report_id)
        WHERE s.scope IS NULL AND NOT s.check_failed AND s.qualifier = 'exact'
          AND r.year IS NOT NULL"""
    expected = con.execute(
        f"""
        SELECT s.year, coalesce(r.admin_level, 'unknown') AS level,
               coalesce(r.province, '-') AS province, s.indicator,
               sum(s.value) AS total, count(*) AS n
        {figures}
        GROUP BY ALL
        """
    ).fetchall()
    series = con.execute(
        f"""SELECT year, admin_level, province, indicator, total, reports
            FROM read_parquet('{ds / "series.parquet"}')"""
    ).fetchall()
    got = {(y, lv, p, i): (t, n) for y, lv, p, i, t, n in series}
    assert expected
    for y, lv, p, i, total, n in expected:
        assert got[(y, lv, p, i)] == (pytest.approx(total), n), (y, lv, p, i)
    # National totals (every level, every province) are the sums of the groups.
    national = con.execute(
        f"""
        SELECT s.year, s.indicator, sum(s.value), count(*)
        {figures}
        GROUP BY ALL
        """
    ).fetchall()
    for y, i, total, n in national:
        assert got[(y, "*", "*", i)] == (pytest.approx(total), n), (y, i)


def test_series_counts_reports_left_out_and_silent(built):
    rows = _csv_rows(built["datasets"] / "series.csv")
    row = next(
        r
        for r in rows
        if (r["year"], r["admin_level"], r["province"], r["indicator"])
        == ("2020", "county", "湖南省", "applications_answered")
    )
    # 岳塘区 2020 states it, but a failed check casts doubt on it (待核).
    assert row["reports_excluded"] == "1" and row["total"] == ""
    groups = {
        (r["year"], r["admin_level"], r["province"], r["indicator"]): r
        for r in rows
        if r["province"] != "*"
    }
    for r in groups.values():
        stated = int(r["reports"]) + int(r["reports_excluded"])
        assert stated + int(r["reports_missing"]) == int(r["group_reports"])


def test_series_page_shows_coverage_and_links_reports(built):
    raw = _html(built["site"], "series")
    section = raw.split('id="s-applications-received"', 1)[1].split("<h2", 1)[0]
    assert re.search(r"<td[^>]*>\d+/\d+</td>", section)
    assert re.search(r'href="\.\./reports/[\w-]+/#[\w-]+"', section)
    assert '<figure class="chart" id="chart-s-applications-received">' in section
    home = (built["site"] / "index.html").read_text(encoding="utf-8")
    assert '<figure class="chart" id="chart-applications">' in home


# --------------------------------------------------------------------------- SQLite


def test_database_has_every_resource_with_keys_and_finds_words(built):
    import sqlite_utils

    db_path = built["datasets"] / "reports.db"
    con = sqlite3.connect(db_path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    from pipeline import package

    assert set(package.RESOURCES) | {"texts", "texts_fts", "texts_bigrams"} <= tables
    for name in package.RESOURCES:
        csv_rows = len(_csv_rows(built["datasets"] / f"{name}.csv"))
        assert con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == csv_rows, name
    fks = con.execute("PRAGMA foreign_key_list(reports)").fetchall()
    assert any(fk[2] == "issuers" and fk[3] == "issuer_id" for fk in fks)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    pk = [r[1] for r in con.execute("PRAGMA table_info(statistics)") if r[5]]
    assert pk == ["report_id", "indicator", "scope_key"]
    kinds = {r[1]: r[2] for r in con.execute("PRAGMA table_info(statistics)")}
    assert kinds["value"] == "REAL" and kinds["year"] == "INTEGER"
    # Words of 2, 3 and 4 characters find the report that has them.
    yuetang = "002_1febd801f82f46fd"
    for word, rid in (("岳塘", yuetang), ("岳塘区", yuetang), ("政策解读", "b_2021")):
        q = bigram_query(word)
        found = {
            r[0]
            for r in con.execute(
                "SELECT t.report_id FROM texts_bigrams JOIN texts AS t "
                "ON t.rowid = texts_bigrams.rowid WHERE texts_bigrams MATCH ?",
                (q,),
            )
        }
        assert rid in found, word
    found = {
        r[0]
        for r in con.execute(
            "SELECT t.report_id FROM texts_fts JOIN texts AS t ON t.rowid = texts_fts.rowid "
            "WHERE texts_fts MATCH ?",
            ("岳塘区",),
        )
    }
    assert yuetang in found
    # A Traditional report is searched in Simplified.
    assert "000_908af32b971cb386" in {
        r[0]
        for r in con.execute(
            "SELECT t.report_id FROM texts_fts JOIN texts AS t ON t.rowid = texts_fts.rowid "
            "WHERE texts_fts MATCH '内蒙古自治区'"
        )
    }
    views = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert {"whole_body_figures", "issuer_years", "most_copied"} <= views
    top = con.execute("SELECT report_id, reuse_previous_share FROM most_copied LIMIT 1").fetchone()
    assert top == ("a_2020", 1.0)
    figures = con.execute(
        "SELECT title, issuer, year, value FROM whole_body_figures "
        "WHERE report_id = 'a_2021' AND indicator = 'applications_received'"
    ).fetchone()
    assert figures == ("岳塘区2021年政府信息公开工作年度报告", "岳塘区人民政府", 2021, 1700.0)
    con.close()
    db = sqlite_utils.Database(db_path)
    assert db["texts"].detect_fts() == "texts_fts"
    assert [r["report_id"] for r in db["texts"].search("依申请公开", columns=["report_id"])]
    assert db["issuers"].pks == ["issuer_id"]


def test_datasette_serves_the_database_as_it_is(built):
    from datasette.app import Datasette

    async def fetch() -> tuple:
        ds = Datasette([str(built["datasets"] / "reports.db")])
        await ds.invoke_startup()
        tables = await ds.client.get("/reports.json")
        search = await ds.client.get("/reports/texts.json?_search=岳塘区&_shape=array")
        view = await ds.client.get("/reports/most_copied.json?_shape=array")
        return tables, search, view

    tables, search, view = asyncio.run(fetch())
    assert tables.status_code == 200
    names = {t["name"] for t in tables.json()["tables"]}
    assert {"reports", "issuers", "series", "reuse", "texts"} <= names
    assert search.status_code == 200
    assert "002_1febd801f82f46fd" in {r["report_id"] for r in search.json()}
    assert view.status_code == 200 and view.json()[0]["report_id"] == "a_2020"


# --------------------------------------------------------------------------- report.json


def test_report_json_validates_against_its_schema(built):
    import jsonschema

    ds, site = built["datasets"], built["site"]
    schema = json.loads((site / "reports" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for r in built["result"].reports:
        path = site / "reports" / r.report_id / "report.json"
        doc = json.loads(path.read_text(encoding="utf-8"))
        validator.validate(doc)
        assert path.read_bytes() == (ds / "json" / f"{r.report_id}.json").read_bytes()
    doc = json.loads((site / "reports" / "a_2020" / "report.json").read_text(encoding="utf-8"))
    assert doc["issuer"]["issuer_id"] == _issuer_of(built, "a_2020")
    # Who the issuer is, not what the corpus holds of it (that changes with its other reports).
    assert "report_count" not in doc["issuer"] and "years" not in doc["issuer"]
    assert doc["issuer"]["page"] == f"issuers/{doc['issuer']['issuer_id']}/"
    assert doc["report"]["reuse_previous_share"] == 1.0
    doubt = [s for s in doc["statistics"] if s["check_failed"]]
    assert doubt and all(s["evidence"] for s in doc["statistics"])
    assert len([p for p in doc["reuse"] if p["kind"] == "same_body"]) == 20
    # Something that breaks the schema is refused.
    bad = dict(doc, report=dict(doc["report"], year="2020"))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(bad)


def test_report_json_spliced_from_its_kept_parts_is_the_document_serialised_whole(built):
    """A segment writes each document from its own parts serialised beforehand and its
    cross-report head and copied-text rows (``document_bytes_from``): the bytes are those of
    the document serialised in one piece, for every report (both scripts, figures, nulls)."""
    from pipeline.reportjson import (
        PARTS,
        document_bytes,
        document_bytes_from,
        own_parts_text,
    )

    for r in built["result"].reports:
        data = (built["datasets"] / "json" / f"{r.report_id}.json").read_bytes()
        doc = json.loads(data)
        row = {"report_id": doc["report_id"], **doc["report"]}
        parts = {
            name: [{"report_id": doc["report_id"], **x} for x in doc[key]] for name, key in PARTS
        }
        assert document_bytes(row, doc["issuer"], parts) == data
        assert (
            document_bytes_from(row, doc["issuer"], own_parts_text(parts), parts["reuse"]) == data
        )
    assert any(doc["reuse"] for doc in _documents(built)) and any(
        doc["statistics"] for doc in _documents(built)
    )


def _documents(built: dict) -> list[dict]:
    return [
        json.loads((built["datasets"] / "json" / f"{r.report_id}.json").read_bytes())
        for r in built["result"].reports
    ]


def test_datasets_page_lists_database_and_json_with_sizes_and_checksums(built):
    raw = _html(built["site"], "datasets")
    for name in ("reports.db", "report.schema.json", "report-json.zip"):
        path = built["datasets"] / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        row = raw.split(f">{name}</a>", 1)[1].split("</tr>", 1)[0]
        assert digest in row and f"{path.stat().st_size:,}" in row, name
        assert (built["site"] / "downloads" / name).read_bytes() == path.read_bytes()


def test_database_and_json_are_byte_identical_between_builds(built, tmp_path):
    again = build_into(built["root"] / "src", tmp_path, workers=1)
    assert len(again.reports) == len(built["result"].reports)
    for name in ("reports.db", "report-json.zip", "report.schema.json", "issuers.csv"):
        assert (tmp_path / "datasets" / name).read_bytes() == (
            built["datasets"] / name
        ).read_bytes(), name


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_counted_sentence_has_its_id_in_the_markdown(built):
    for r in built["result"].reports:
        for anchor in r.fingerprints.anchors.split():
            assert f'id="{anchor}"' in r.markdown, (r.report_id, anchor)
    assert built["by_id"]["a_2020"].fingerprints.anchors.count(" ") == 19  # 20 sentences


def test_a_failing_cross_report_stage_leaves_the_reports_published(tmp_path, monkeypatch):
    import pipeline.crossreport

    def broken(reports, found=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline.crossreport, "begin", broken)
    result = build_into(paths.SOURCE_DIR, tmp_path)
    assert len(result.reports) == 5
    assert any(p.stage == "crossreport" and "boom" in p.message for p in result.problems)
    rows = _csv_rows(tmp_path / "datasets" / "reports.csv")
    assert len(rows) == 5 and all(r["issuer_id"] == "" for r in rows)


def test_a_stage_that_fails_after_the_copied_text_was_begun_publishes_none_of_it(
    tmp_path, monkeypatch
):
    """The copied text is begun beside as soon as the issuers are found; when the stage then
    fails (here its series), the measure begun is dropped with the rest of the stage: no report
    is said to copy from a body the published data does not have."""
    import pipeline.crossreport.stage

    def broken(reports):
        raise RuntimeError("no series")

    monkeypatch.setattr(pipeline.crossreport.stage, "build_series", broken)
    result = build_into(paths.SOURCE_DIR, tmp_path, with_site=True)
    assert any(p.stage == "crossreport" and "no series" in p.message for p in result.problems)
    assert result.cross is not None and not result.cross.issuers and not result.cross.reuse
    rows = _csv_rows(tmp_path / "datasets" / "reports.csv")
    assert len(rows) == 5 and all(r["issuer_id"] == "" for r in rows)
    assert all(r["reuse_sentences"] == "0" for r in rows)


def test_copied_text_that_fails_beside_the_pages_leaves_the_rest_of_the_stage(
    tmp_path, monkeypatch
):
    """With the site, the copied text is measured in a process beside the first pages: its
    failure is a warning of the build, and the issuers, series and pages are still made."""
    import pipeline.crossreport

    def broken(*args):
        raise RuntimeError("no sentences")

    monkeypatch.setattr(pipeline.crossreport, "measure", broken)
    result = build_into(paths.SOURCE_DIR, tmp_path, with_site=True)
    assert any(p.stage == "crossreport" and "no sentences" in p.message for p in result.problems)
    rows = _csv_rows(tmp_path / "datasets" / "reports.csv")
    assert len(rows) == 5 and any(r["issuer_id"] for r in rows)
    assert all(r["reuse_sentences"] == "0" for r in rows)
    assert (tmp_path / "site" / "reuse" / "index.html").exists()


def test_bigrams_pair_every_han_run_and_keep_other_words():
    from pipeline.database import bigrams

    assert bigrams("岳塘区2019年政府，复议a1") == "岳塘 塘区 2019 年政 政府 复议 a1"
    assert bigram_query("复议", "岳塘区") == '"复议" AND "岳塘 塘区"'


def test_texts_are_indexed_a_run_of_segments_at_a_time_and_none_is_left_out(tmp_path, monkeypatch):
    """The texts of the segments copied are added to both full-text indexes every
    ``INDEX_EVERY`` segments, each under its own row; those of the last, short run when the
    database is finished. (They are indexed in the store, ``FullText``, and copied into
    ``reports.db`` once every segment's texts are in, ``copy_texts``.)"""
    from pipeline import database

    monkeypatch.setattr(database, "INDEX_EVERY", 3)
    words = ["岳塘区", "雨湖区", "芙蓉区", "天心区", "开福区", "望城区", "浏阳市"]
    for n, word in enumerate(words):
        folder = tmp_path / f"s{n}"
        folder.mkdir()
        database.write_segment(folder / "segment.db", {"reports": []}, None)
        texts = [(f"r{n}{k}", f"报告{n}{k}", "hans", f"{word}第{k}份报告。", None) for k in "ab"]
        others = {name: [] for name in database.SEGMENT_TABLES[1:]}
        database.write_segment(folder / database.BASE_DATABASE, others, texts)
    db = database._Database(tmp_path / "reports.db")
    try:
        for n in range(len(words)):
            db.add_texts(str(tmp_path / f"s{n}" / "segment.db"))

        def found(word: str) -> tuple[set[str], set[str]]:
            trigram = (
                "SELECT t.report_id FROM ft.texts_fts_0 JOIN ft.texts AS t "
                "ON t.rowid = texts_fts_0.rowid WHERE texts_fts_0 MATCH ?"
            )
            pairs = (
                "SELECT t.report_id FROM ft.texts_bigrams_0 JOIN ft.texts AS t "
                "ON t.rowid = texts_bigrams_0.rowid WHERE texts_bigrams_0 MATCH ?"
            )
            return (
                {r[0] for r in db.con.execute(trigram, (word,))},
                {r[0] for r in db.con.execute(pairs, (bigram_query(word),))},
            )

        # Six segments indexed in two runs; the seventh waits for the end.
        assert found("天心区") == ({"r3a", "r3b"}, {"r3a", "r3b"})
        assert found("望城区") == ({"r5a", "r5b"}, {"r5a", "r5b"})
        assert found("浏阳市") == (set(), set())
        db.fulltext._index()
        for n, word in enumerate(words):
            assert found(word) == ({f"r{n}a", f"r{n}b"}, {f"r{n}a", f"r{n}b"}), word
        every = {f"r{n}{k}" for n in range(len(words)) for k in "ab"}
        assert found("份报告") == (every, every)
        assert db.con.execute("SELECT count(*) FROM temp.pending_bigrams").fetchone() == (0,)
    finally:
        db.abort()


def test_a_database_process_started_early_writes_the_database_it_is_later_given(tmp_path):
    """``Standby``: the process is started first (before the build loads its reports) and
    told the file by the writer that takes it; one that no writer takes is ended by ``stop``."""
    from pipeline.database import DatabaseWriter, Standby

    standby = Standby()
    assert standby.proc.is_alive()
    db = DatabaseWriter(tmp_path / "reports.db", standby)
    row = {
        "issuer_id": "x",
        "name": "某区人民政府",
        "variants": "某区人民政府",
        "issuer_type": "government",
        "admin_level": "county",
        "report_count": 1,
        "years": "2020",
        "first_year": 2020,
        "last_year": 2020,
        "page": "issuers/x.md",
    }
    db.add("issuers", [row])
    db.close()
    con = sqlite3.connect(tmp_path / "reports.db")
    assert con.execute("SELECT issuer_id, name FROM issuers").fetchall() == [("x", "某区人民政府")]
    con.close()
    assert not standby.proc.is_alive()
    with pytest.raises(RuntimeError, match="one writer"):
        standby.take()
    unused = Standby()
    unused.stop()
    assert not unused.proc.is_alive() and unused.proc.exitcode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports.db"]


def test_a_database_that_cannot_be_written_fails_naming_it_and_leaves_no_file(tmp_path):
    """The database is written in a process of its own: a row it refuses stops the build with
    the file's name and the reason, without waiting on the rest, and leaves no partial file."""
    from pipeline.database import DatabaseWriter

    db = DatabaseWriter(tmp_path / "reports.db")
    db.add("reports", [{"report_id": "r1"}])  # the required fields are missing
    for _ in range(DatabaseWriter.BATCH * 10):  # more than the queue holds: it is still read
        db.add("issuers", [{"issuer_id": "x"}])
    with pytest.raises(RuntimeError, match=r"reports\.db: IntegrityError: NOT NULL"):
        db.close()
    assert list(tmp_path.iterdir()) == []
    # A build that fails elsewhere stops the database process and leaves no file either.
    db = DatabaseWriter(tmp_path / "reports.db")
    db.abort()
    assert not db.proc.is_alive()
    assert list(tmp_path.iterdir()) == []
    # So does one that fails after the database was sent its last call (it may be in place).
    db = DatabaseWriter(tmp_path / "reports.db")
    db.finish()
    db.proc.join(timeout=60)
    assert (tmp_path / "reports.db").exists()  # the process finished it alone
    db.abort()
    assert list(tmp_path.iterdir()) == []
    db.close()  # nothing: it was aborted


def test_the_datasets_pages_figures_of_the_corpus_are_those_of_their_plain_definitions():
    """``datasets.Corpus`` (one pass, found beside the package) says what the plain definitions
    say: the years' span, the newest date, the whole-body figures, those a failed check marks,
    and the reports with any failed check (a figure of a part of the body counts there only)."""
    from dataclasses import replace

    from pipeline.pages.datasets import Corpus

    seeds = _seed_reports()
    part = replace(Statistic("applications_received", 3, "件", check_failed=True), scope="x")
    reports = [
        *seeds,
        _report_with(2009, 5, "old", failed=True),
        replace(_report_with(2024, 7, "part"), statistics=(part,)),
    ]
    corpus = Corpus.of(reports)
    years = sorted({r.metadata.year for r in reports if r.metadata.year})
    dates = sorted(r.metadata.published_date for r in reports if r.metadata.published_date)
    whole = [s for r in reports for s in r.statistics if s.scope is None]
    assert corpus.reports == len(reports) == len(seeds) + 2
    assert corpus.years == (years[0], years[-1]) and years[-1] == 2024
    assert corpus.latest == (dates[-1] if dates else None)
    assert corpus.doubtful == {
        "figures": len(whole),
        "marked": sum(s.check_failed for s in whole),
        "reports": sum(any(s.check_failed for s in r.statistics) for r in reports),
    }
    assert corpus.doubtful["reports"] >= 2 and corpus.doubtful["marked"] >= 1
    assert Corpus.of([]) == Corpus(0, None, None, {"figures": 0, "marked": 0, "reports": 0})
