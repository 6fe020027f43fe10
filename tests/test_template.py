"""The mandated-table decoder: samples, fixture tables printed every way they arrive, ties."""

from __future__ import annotations

import random
import time
from pathlib import Path

import opencc
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract.template import (
    TemplateResult,
    detect_format,
    parse_template,
    split_run,
)
from pipeline.paths import SOURCE_DIR
from pipeline.records import Statistic

FIXTURES = Path(__file__).parent / "fixtures" / "template"
DATA = yaml.safe_load((FIXTURES / "tables.yml").read_text(encoding="utf-8"))
TABLES = DATA["tables"]
LAYOUTS = DATA["layouts"]

APP_COLUMNS = [
    "natural_person",
    "commercial",
    "research",
    "public_interest",
    "legal_services",
    "other_org",
    "total",
]
REVIEW_ROWS = ["reconsideration", "litigation_direct", "litigation_after_reconsideration"]
GROUPS = {
    "3.1": "三、本年度办理结果",
    "3.3": "（三）不予公开",
    "3.4": "（四）无法提供",
    "3.5": "（五）不予处理",
    "3.6": "（六）其他处理",
}


# --------------------------------------------------------------------------- helpers


def rows_of(result: TemplateResult, table: str) -> dict[str, list[float | None]]:
    """Cells of one table as {row_key: [values in column order]}."""
    out: dict[str, list[float | None]] = {}
    for cell in result.cells:
        if cell.table == table:
            out.setdefault(cell.row_key, []).append(cell.value)
    return out


def checks_of(result: TemplateResult) -> dict[str, tuple[str, str]]:
    return {c.check: (c.status, c.detail) for c in result.checks}


def stats_of(result: TemplateResult) -> dict[str, float]:
    return {s.indicator: s.value for s in result.statistics}


def floats(values: list) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def app_layout(fmt: str) -> list[tuple[str, str]]:
    out = []
    for entry in LAYOUTS["applications"]:
        if entry == "OTHER":
            out += [tuple(e) for e in LAYOUTS[fmt]["other"]]
        else:
            out.append(tuple(entry))
    return out


def expected_apps(name: str) -> dict[str, list[float | None]]:
    table = TABLES[name]
    zero = [0] * 7
    return {
        key: floats(table["applications"].get(key, zero)) for _, key in app_layout(table["format"])
    }


def expected_review(name: str) -> dict[str, list[float | None]]:
    cells = floats(TABLES[name]["review"])
    return {key: cells[i * 5 : i * 5 + 5] for i, key in enumerate(REVIEW_ROWS)}


def expected_proactive(name: str) -> dict[str, list[float | None]]:
    return {key: floats(values) for key, values in TABLES[name]["proactive"].items()}


def show(value: float | None, none_as: str) -> str:
    if value is None:
        return none_as
    if isinstance(value, float):
        return f"{value:f}".rstrip("0").rstrip(".")
    return str(value)


def printed_rows(table: dict) -> list[tuple[str, list[str]]]:
    """(label, cell texts) for every row of every table, in print order; blanks as ''."""
    fmt = table["format"]
    none_as = table.get("none_as", "")
    rows = []
    for label, key in LAYOUTS[fmt]["proactive"]:
        cells = [show(v, none_as) for v in table["proactive"][key]]
        if key == "government_procurement":
            cells[-1] += "元"
        rows.append((label, cells))
    rows.append((LAYOUTS["applications_head"], []))
    zero = [0] * 7
    for label, key in app_layout(fmt):
        rows.append((label, [show(v, none_as) for v in table["applications"].get(key, zero)]))
    rows.append((LAYOUTS["review_head"], [show(v, none_as) for v in table["review"]]))
    return rows


def render(name: str | dict, style: str, seed: int = 0) -> str:
    """A report whose tables are printed in one of the ways they arrive in the wild."""
    table = TABLES[name] if isinstance(name, str) else name
    rng = random.Random(seed)
    fmt = table["format"]
    lines = []
    for label, cells in printed_rows(table):
        present = [c for c in cells if c != ""]
        if style == "flat":
            lines.append(label + "".join(present))
        elif style == "stray":
            text = label
            for i, cell in enumerate(present):
                text += (" " if i and rng.random() < 0.3 else "") + cell
            lines.append(text)
        elif style == "spaced":
            lines.append(" ".join([label, *present]))
        elif style == "lines":
            lines.append(label + "\t" + "  ".join(present))
        elif style == "cells":
            lines.append("\n".join([label, *present]))
        elif style == "pipe":
            lines.append("| " + " | ".join([label, *cells]) + " |" if cells else label)
        else:
            raise ValueError(style)
    joiner = "" if style in ("flat", "stray") else "\n"
    head = [
        f"某某区{2019 if fmt == 'template_2019' else 2021}年政府信息公开工作年度报告",
        "一、总体情况" + table.get("prose", "本年度依法办理政府信息公开申请。"),
        LAYOUTS[fmt]["proactive_head"],
    ]
    body = joiner.join(lines)
    return (
        "\n".join(head)
        + (" " if style in ("flat", "stray") else "\n")
        + body
        + " "
        + LAYOUTS["tail"]
    )


def grids_of(name: str) -> list[list[list[str]]]:
    """The three tables as HTML grids with rowspan/colspan cells repeated."""
    table = TABLES[name]
    fmt = table["format"]
    none_as = table.get("none_as", "")
    proactive: list[list[str]] = []
    headers = {
        "template_2021": {
            "regulations": ("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"]),
            "administrative_licensing": ("第二十条第（五）项", ["本年处理决定数量"]),
            "administrative_penalty": ("第二十条第（六）项", ["本年处理决定数量"]),
            "administrative_fees": ("第二十条第（八）项", ["本年收费金额（单位：万元）"]),
        },
        "template_2019": {
            "regulations": (
                "第二十条第（一）项",
                ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
            ),
            "administrative_licensing": (
                "第二十条第（五）项",
                ["上一年项目数量", "本年增/减", "处理决定数量"],
            ),
            "administrative_penalty": (
                "第二十条第（六）项",
                ["上一年项目数量", "本年增/减", "处理决定数量"],
            ),
            "administrative_fees": ("第二十条第（八）项", ["上一年项目数量", "本年增/减"]),
            "government_procurement": ("第二十条第（九）项", ["采购项目数量", "采购总金额"]),
        },
    }[fmt]

    def pad(cells: list[str], width: int) -> list[str]:
        return cells + [cells[-1]] * (width - len(cells))  # colspan repeats the last cell

    for label, key in LAYOUTS[fmt]["proactive"]:
        if key in headers:
            title, columns = headers[key]
            proactive.append([title] * 4)
            proactive.append(pad(["信息内容", *columns], 4))
            row_label = label.split(columns[-1])[-1]
        else:
            row_label = label
        values = [show(v, none_as) for v in table["proactive"][key]]
        proactive.append(pad([row_label, *values], 4))

    apps = [
        ["申请人情况"] * 3 + ["自然人"] + ["法人或其他组织"] * 5 + ["总计"],
        ["申请人情况"] * 3
        + ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
    ]
    zero = [0] * 7
    for label, key in app_layout(fmt):
        values = [show(v, none_as) for v in table["applications"].get(key, zero)]
        group = GROUPS.get(key if key == "3.1" else key[:3])
        if key in ("1", "2", "4"):
            labels = [label] * 3
        elif key in ("3.1", "3.2", "3.7") or (key == "3.6" and fmt == "template_2019"):
            own = label.replace("三、本年度办理结果", "")
            labels = ["三、本年度办理结果", own, own]
        else:
            own = label.replace(group or "", "")
            labels = ["三、本年度办理结果", group, own]
        apps.append(labels + values)

    review_head = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    review = [
        ["行政复议"] * 5 + ["行政诉讼"] * 10,
        ["行政复议"] * 5 + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5,
        review_head * 3,
        [show(v, none_as) for v in table["review"]],
    ]
    return [proactive, apps, review]


def decode(name: str, style: str, **kwargs) -> TemplateResult:
    if style == "grid":
        prose = "一、总体情况\n本年度依法办理政府信息公开申请。\n二、主动公开政府信息情况\n"
        return parse_template(prose, grids_of(name), **kwargs)
    if style == "traditional":
        text = opencc.OpenCC("s2t").convert(render(name, "lines"))
        return parse_template(text, **kwargs)
    return parse_template(render(name, style), **kwargs)


def identity_statuses(result: TemplateResult) -> set[str]:
    return {c.status for c in result.checks if c.check[:2] in ("I1", "I2", "I3", "I4")}


# --------------------------------------------------------------------------- format detection


def test_detect_format_in_traditional_script() -> None:
    text = opencc.OpenCC("s2t").convert(render("county_2021", "flat"))
    assert "結轉下年度" in text
    assert detect_format(text) == "template_2021"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_detect_format_of_fixtures(name: str) -> None:
    assert detect_format(render(name, "flat")) == TABLES[name]["format"]


SEEDS = sorted(SOURCE_DIR.glob("*.txt"))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_seed_reports_are_free_text(seed: Path) -> None:
    # 2008-2017 reports, one in Traditional script: no mandated tables.
    assert detect_format(seed.read_text(encoding="utf-8", errors="replace")) == "free_text"


def test_free_text_gives_nothing() -> None:
    text = (
        "2012年岳塘区政府信息公开工作年度报告。一、概述。全年共受理政府信息公开申请15件，"
        "均已按时答复。二、因政府信息公开申请行政复议和诉讼情况：无。"
    )
    assert detect_format(text) == "free_text"
    assert parse_template(text) == TemplateResult("free_text", (), (), ())


# ------------------------------------------------------------- reports printed like the CMS pages

# The 2019 proactive row 规范性文件 printed 898989: 89·89·89, 8·98·989 … nothing tells them apart.
AMBIGUOUS_2019 = {
    **TABLES["department_2019"],
    "proactive": {
        **TABLES["department_2019"]["proactive"],
        "normative_documents": [89, 89, 89],
    },
}


def test_flattened_2021_report_decodes_fully_with_its_checks() -> None:
    result = parse_template(render("county_2021", "flat"))
    assert result.report_format == "template_2021"
    assert rows_of(result, "applications") == expected_apps("county_2021")
    assert "3.6.1" in rows_of(result, "applications")
    checks = checks_of(result)
    identities = {k: v for k, v in checks.items() if k[:2] in ("I1", "I2", "I3", "I4")}
    assert len(identities) == 7 + 7 + 25 + 3
    assert {status for status, _ in identities.values()} == {"pass"}
    assert checks["I1:total"] == ("pass", "1+2=138+5=143; 3.7+4=131+12=143")
    assert checks["I4:reconsideration"] == ("pass", "total=3; 1+0+2+0=3")
    assert stats_of(result) == {
        "applications_received": 138,
        "applications_carried_in": 5,
        "applications_granted": 50,
        "applications_partially_granted": 11,
        "applications_refused": 3,
        "applications_answered": 131,
        "applications_carried_out": 12,
        "reconsideration_cases": 3,
        "litigation_cases": 13,
    }


def test_flattened_2019_proactive_is_reported_not_guessed() -> None:
    result = parse_template(render(AMBIGUOUS_2019, "flat"))
    assert result.report_format == "template_2019"
    proactive = rows_of(result, "proactive")
    assert proactive["normative_documents"] == [None, None, None]
    status, detail = checks_of(result)["ambiguous_cells"]
    assert status == "fail"
    assert "proactive normative_documents:" in detail and "89·89·89" in detail
    assert "applications" not in detail and "review_litigation" not in detail
    assert rows_of(result, "applications") == expected_apps("department_2019")


def test_statistics_carry_their_row_text() -> None:
    text = render("county_2021", "flat")
    by_indicator = {s.indicator: s for s in parse_template(text).statistics}
    received = by_indicator["applications_received"]
    assert received == Statistic(
        indicator="applications_received",
        value=138.0,
        unit="件",
        evidence="一、本年新收政府信息公开申请数量113120517138",
        anchor="",
        method="table",
        section="三、收到和处理政府信息公开申请情况",
    )
    assert by_indicator["applications_answered"].evidence == "（七）总计109110416131"
    refused = by_indicator["applications_refused"].evidence
    assert refused.startswith("1.属于国家秘密") and refused.endswith("8.属于行政查询事项0000000")
    for stat in by_indicator.values():
        assert stat.evidence in text
        assert stat.unit == "件" and stat.method == "table"


def test_traditional_script_decodes_the_same() -> None:
    simplified = render("county_2021", "flat")
    traditional = opencc.OpenCC("s2t").convert(simplified)
    a, b = parse_template(simplified), parse_template(traditional)
    assert [c.value for c in a.cells] == [c.value for c in b.cells]
    assert a.checks == b.checks
    assert stats_of(a) == stats_of(b)
    for stat in b.statistics:
        assert stat.evidence in traditional


def test_pdf_conversion_pipe_fragments_decode() -> None:
    """A table converted from PDF: pipe rows split at a page break, the header repeated on the
    next page, a page marker between, labels split over two cells, header rows merged."""
    lines = []
    for line in render("county_2021", "pipe").split("\n"):
        if line.startswith("| 一、本年新收"):
            lines += [
                "| | 自然人 | 法人或其他组织 | | | | | 总计 |",
                "| | | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |",
            ]
        if line.startswith("| 4.保护第三方"):
            lines += [
                "— 5 —",
                "| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |",
            ]
        line = line.replace(
            "三、本年度办理结果（一）予以公开", "三、本年度办理结果 | （一）予以公开"
        )
        lines.append(line.replace("（三）不予公开1.", "（三）不予公开 | 1."))
    from pipeline.clean import clean

    result = parse_template(clean("\n".join(lines)).text)
    assert rows_of(result, "applications") == expected_apps("county_2021")
    assert rows_of(result, "review_litigation") == expected_review("county_2021")
    assert checks_of(result)["undecoded_cells"] == ("pass", "")


# --------------------------------------------------------------------------- round trips

ROUND_TRIP = ["county_2021", "department_2019", "dashes_2019"]
STYLES = ["flat", "stray", "spaced", "lines", "cells", "pipe", "grid", "traditional"]
SEPARATED = {"spaced", "lines", "cells", "pipe", "grid", "traditional"}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", ROUND_TRIP)
def test_round_trip(name: str, style: str) -> None:
    result = decode(name, style)
    assert result.report_format == TABLES[name]["format"]
    assert rows_of(result, "applications") == expected_apps(name)
    assert rows_of(result, "review_litigation") == expected_review(name)
    assert "fail" not in identity_statuses(result)
    checks = checks_of(result)
    assert checks["undecoded_cells"] == ("pass", "")
    proactive = rows_of(result, "proactive")
    truth = expected_proactive(name)
    if style in SEPARATED:
        assert proactive == truth
        assert checks["ambiguous_cells"] == ("pass", "")
    else:
        # Without separators table 二 may stay open; what is decoded must be right.
        for key, values in proactive.items():
            for got, want in zip(values, truth[key], strict=True):
                assert got is None or got == want, (key, values)
        undecided = [k for k, v in proactive.items() if v != truth[k]]
        for key in undecided:
            assert f"proactive {key}:" in checks["ambiguous_cells"][1]


def test_stray_spaces_in_the_sample_way() -> None:
    assert split_run(["230", "000023"], ["count"] * 7, [(0, 6)]) == [(23, 0, 0, 0, 0, 0, 23)]
    assert split_run(["0", "0", "00", "00", "0"], ["count"] * 7, [(0, 6)]) == [(0,) * 7]
    assert split_run(["640020470"], ["count"] * 7, [(0, 6)]) == [(64, 0, 0, 2, 0, 4, 70)]


def test_dashes_are_blank_not_zero() -> None:
    result = decode("dashes_2019", "flat")
    apps = rows_of(result, "applications")
    assert apps["1"] == [25.0, 3, None, 0, 0, 2, 30]
    checks = checks_of(result)
    assert checks["I1:research"][0] == "not_applicable"
    assert checks["I2:research"][0] == "not_applicable"
    assert checks["I3:1"] == ("pass", "total=30; 25+3+—+0+0+2=30")
    assert checks["I4:litigation_after_reconsideration"][0] == "not_applicable"
    assert rows_of(result, "proactive")["regulations"] == [None, None, None]


def test_negative_change_and_decimal_amounts() -> None:
    result = decode("department_2019", "spaced")
    proactive = rows_of(result, "proactive")
    assert proactive["administrative_licensing"] == [396.0, -5.0, 181.0]
    assert proactive["administrative_fees"] == [35.0, -2.0]
    assert proactive["government_procurement"] == [135.0, 75394432.52]
    fees = rows_of(decode("county_2021", "lines"), "proactive")["administrative_fees"]
    assert fees == [252.31]


def test_weak_rules_choose_a_proactive_split() -> None:
    # 1510 is 1·5·10, 1·51·0 or 15·1·0; only the first publishes no more than it holds.
    text = render("department_2019", "spaced").replace("规范性文件 89 89 1203", "规范性文件1510")
    result = parse_template(text)
    assert rows_of(result, "proactive")["normative_documents"] == [1.0, 5.0, 10.0]
    # 3-52: 上一年 3 with 本年增/减 -5 would leave -2 items, so the dash is a blank cell.
    text = render("department_2019", "spaced").replace("行政许可 396 -5 181", "行政许可3-52")
    result = parse_template(text)
    assert rows_of(result, "proactive")["administrative_licensing"] == [3.0, None, 52.0]


def test_blank_total_column() -> None:
    for style in ("lines", "pipe", "grid", "flat"):
        result = decode("blank_total_2021", style)
        assert rows_of(result, "applications") == expected_apps("blank_total_2021"), style
        checks = checks_of(result)
        assert checks["I3:1"][0] == "not_applicable"
        assert checks["I1:natural_person"] == ("pass", "1+2=13+1=14; 3.7+4=13+1=14")
        assert checks["I1:total"][0] == "not_applicable"
        assert "fail" not in identity_statuses(result)
        # A blank 总计 gives no figure: it is not read as 0.
        assert "applications_received" not in stats_of(result)


# --------------------------------------------------------------------------- ties


def test_ambiguous_cells_are_reported_not_guessed() -> None:
    result = decode("ambiguous_2021", "flat")
    apps = rows_of(result, "applications")
    assert apps["3.1"] == [None, None, 0.0, 0.0, 0.0, 1.0, 12.0]
    assert apps["3.2"] == [None, None, 0.0, 0.0, 0.0, 1.0, 12.0]
    assert apps["1"] == [12.0, 10, 0, 0, 0, 2, 24]
    status, detail = checks_of(result)["ambiguous_cells"]
    assert status == "fail"
    assert "applications 3.1: 1·10·0·0·0·1·12 | 11·0·0·0·0·1·12" in detail
    assert "applications 3.2:" in detail
    checks = checks_of(result)
    assert checks["I2:natural_person"][0] == "not_applicable"
    assert checks["I2:total"][0] == "pass"
    assert checks["I3:3.1"][0] == "not_applicable"
    # Totals agree in every reading, so the figures are still known.
    assert stats_of(result)["applications_granted"] == 12
    assert stats_of(result)["applications_partially_granted"] == 12


def test_separated_cells_remove_the_tie() -> None:
    result = decode("ambiguous_2021", "spaced")
    assert rows_of(result, "applications") == expected_apps("ambiguous_2021")
    assert checks_of(result)["ambiguous_cells"] == ("pass", "")


def test_prose_figure_breaks_a_tie() -> None:
    open_result = decode("prose_tie_2021", "flat")
    apps = rows_of(open_result, "applications")
    assert apps["1"][:2] == [None, None]
    assert apps["3.7"][:2] == [None, None]
    assert checks_of(open_result)["ambiguous_cells"][0] == "fail"

    settled = decode("prose_tie_2021", "flat", prose_hints={"applications_received": 23})
    assert rows_of(settled, "applications") == expected_apps("prose_tie_2021")
    status, detail = checks_of(settled)["ambiguous_cells"]
    assert status == "pass"
    assert "applications_received=23" in detail

    # A figure that fits no reading is ignored rather than forced.
    ignored = decode("prose_tie_2021", "flat", prose_hints={"applications_received": 99})
    assert rows_of(ignored, "applications") == apps


def test_prose_figure_breaks_a_review_tie() -> None:
    # 12·12·0·1·25 | 0·0·0·2·2 | 12·2·12·10·36 run together also reads, with every group
    # adding up, as 12·12·0·1·25 | 0·0·0·221·221 | 2·1·0·3·6.
    base = render("county_2021", "lines")
    row = "  ".join(str(v) for v in TABLES["county_2021"]["review"])
    assert row in base
    tied = base.replace(row, "1212012500022122121036")
    review = rows_of(parse_template(tied), "review_litigation")
    assert review == {
        "reconsideration": [12.0, 12, 0, 1, 25],
        "litigation_direct": [0.0, 0, 0, None, None],
        "litigation_after_reconsideration": [None] * 5,
    }
    hinted = parse_template(tied, prose_hints={"litigation_cases": 38})
    assert rows_of(hinted, "review_litigation") == {
        "reconsideration": [12.0, 12, 0, 1, 25],
        "litigation_direct": [0.0, 0, 0, 2, 2],
        "litigation_after_reconsideration": [12.0, 2, 12, 10, 36],
    }
    assert stats_of(hinted)["litigation_cases"] == 38
    assert "litigation_cases=38" in checks_of(hinted)["ambiguous_cells"][1]


def test_long_runs_are_capped_and_reported() -> None:
    text = render("county_2021", "lines").replace(
        "一、本年新收政府信息公开申请数量\t113  12  0  5  1  7  138",
        "一、本年新收政府信息公开申请数量" + "1" * 60,
    )
    started = time.perf_counter()
    result = parse_template(text)
    assert time.perf_counter() - started < 10
    assert rows_of(result, "applications")["1"] == [None] * 7
    checks = checks_of(result)
    assert checks["I1:total"][0] == "not_applicable"
    assert checks["I3:1"][0] == "not_applicable"
    # The other rows still decode.
    assert rows_of(result, "applications")["3.7"] == expected_apps("county_2021")["3.7"]


# --------------------------------------------------------------------------- grids and text


def test_grids_are_preferred_over_text() -> None:
    wrong = render("department_2019", "flat")  # another table entirely
    result = parse_template(wrong, grids_of("dashes_2019"))
    assert rows_of(result, "applications") == expected_apps("dashes_2019")
    assert rows_of(result, "review_litigation") == expected_review("dashes_2019")
    assert rows_of(result, "proactive") == expected_proactive("dashes_2019")


def test_markdown_pipe_tables_in_text() -> None:
    # Saved web pages reach the text as Markdown tables: a rule under each first row,
    # spanned cells repeated. Here table 四 starts at its 结果维持 … 总计 header row.
    proactive, apps, review = grids_of("county_2021")
    lines = ["一、总体情况", "本年度依法办理政府信息公开申请。", "二、主动公开政府信息情况"]
    for grid in (proactive, apps, review[2:]):
        lines.append("| " + " | ".join(grid[0]) + " |")
        lines.append("| " + " | ".join("---" for _ in grid[0]) + " |")
        lines += ["| " + " | ".join(row) + " |" for row in grid[1:]]
        lines.append("")
    result = parse_template("\n".join(lines))
    assert rows_of(result, "applications") == expected_apps("county_2021")
    assert rows_of(result, "review_litigation") == expected_review("county_2021")
    assert rows_of(result, "proactive") == expected_proactive("county_2021")
    assert checks_of(result)["undecoded_cells"] == ("pass", "")


def test_text_is_used_when_grids_hold_no_table() -> None:
    layout_only = [[["首页", "政务公开", "政府信息公开年报"]], [["打印", "关闭"]]]
    result = parse_template(render("county_2021", "spaced"), layout_only)
    assert rows_of(result, "applications") == expected_apps("county_2021")


def test_lenient_labels() -> None:
    text = render("county_2021", "lines")
    varied = (
        text.replace("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "(二) 部分公开")
        .replace("3.危及“三安全一稳定”", '3、危及"三安全一稳定"')
        .replace("（七）总计", "(七)总 计")
        .replace("一、本年新收政府信息公开申请数量", "一、本年新收 政府信息公开申请数量")
    )
    assert varied != text
    assert rows_of(parse_template(varied), "applications") == expected_apps("county_2021")


def test_missing_table_is_reported() -> None:
    text = render("county_2021", "lines")
    cut = text[: text.index(LAYOUTS["review_head"][:10])]
    result = parse_template(cut)
    assert rows_of(result, "review_litigation") == {key: [None] * 5 for key in REVIEW_ROWS}
    checks = checks_of(result)
    assert checks["undecoded_cells"] == ("fail", "review_litigation: table 四 not found")
    assert checks["I4:reconsideration"][0] == "not_applicable"
    assert rows_of(result, "applications") == expected_apps("county_2021")


def test_cells_and_checks_have_a_stable_shape() -> None:
    result = decode("county_2021", "flat")
    tables = [c.table for c in result.cells]
    assert tables.count("applications") == 25 * 7
    assert tables.count("review_litigation") == 15
    assert tables.count("proactive") == 3 + 3 + 1 + 1 + 1 + 1
    names = [c.check for c in result.checks]
    assert names[:7] == [f"I1:{c}" for c in APP_COLUMNS]
    assert names[-5:] == [f"I4:{r}" for r in REVIEW_ROWS] + ["ambiguous_cells", "undecoded_cells"]
    assert len(names) == len(set(names))
    first = next(c for c in result.cells if c.table == "applications")
    assert (first.row_key, first.column_key, first.row_label) == (
        "1",
        "natural_person",
        "一、本年新收政府信息公开申请数量",
    )
    assert parse_template(render("county_2021", "flat")) == result


# --------------------------------------------------------------------------- property


@st.composite
def consistent_tables(draw: st.DrawFn) -> dict[str, list[int]]:
    """A 2021 applications table satisfying I1-I3, with a few non-zero outcome rows."""
    outcome_keys = [
        key for _, key in app_layout("template_2021") if key.startswith("3.") and key != "3.7"
    ]
    small = st.integers(min_value=0, max_value=120)
    rows = {key: [0] * 7 for key in outcome_keys}
    for key in draw(st.lists(st.sampled_from(outcome_keys), min_size=1, max_size=4, unique=True)):
        cells = draw(st.lists(small, min_size=6, max_size=6))
        rows[key] = [*cells, sum(cells)]
    answered = [sum(rows[k][i] for k in outcome_keys) for i in range(7)]
    carried_out = draw(st.lists(st.integers(0, 15), min_size=6, max_size=6))
    carried_out.append(sum(carried_out))
    carried_in = [min(c, draw(st.integers(0, 5))) for c in carried_out[:6]]
    carried_in.append(sum(carried_in))
    received = [a + o - i for a, o, i in zip(answered, carried_out, carried_in, strict=True)]
    return {**rows, "1": received, "2": carried_in, "3.7": answered, "4": carried_out}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_tables())
def test_flattened_tables_decode_to_the_truth_or_to_a_reported_gap(table: dict) -> None:
    generated = {**TABLES["county_2021"], "applications": table, "prose": ""}
    result = parse_template(render(generated, "flat"))
    exact = parse_template(render(generated, "lines"))
    truth = {key: floats(table[key]) for _, key in app_layout("template_2021")}
    assert rows_of(exact, "applications") == truth
    decoded = rows_of(result, "applications")
    gaps = []
    for key, values in decoded.items():
        for got, want in zip(values, truth[key], strict=True):
            assert got is None or got == want
            if got is None:
                gaps.append(key)
    if gaps:
        detail = checks_of(result)["ambiguous_cells"][1]
        assert all(f"applications {key}:" in detail for key in gaps)
    assert "fail" not in identity_statuses(result)
