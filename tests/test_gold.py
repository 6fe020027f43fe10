"""The hand-checked expectations of the seed gold file (tier `core` must hold)."""

from __future__ import annotations

import html
import json
import re

import pytest

from tests.conftest import GOLD

ENTRIES = json.loads(GOLD.read_text(encoding="utf-8"))
IDS = [e["source_file"].split("_")[0] for e in ENTRIES]


def _report(seed_build, entry):
    report = seed_build["by_file"].get(entry["source_file"])
    assert report is not None, f"{entry['source_file']} was not published"
    return report


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_metadata(seed_build, entry):
    m = _report(seed_build, entry).metadata
    assert m.title == entry["title"]
    assert m.title_hans == entry["title_simplified"]
    assert m.script == entry["script"]
    assert m.document_type == entry["document_type"]
    assert m.report_format == entry["report_format"]
    issuers = entry["issuer"] if isinstance(entry["issuer"], list) else [entry["issuer"]]
    assert m.issuer in issuers
    assert m.issuer_type == entry["issuer_type"]
    assert m.admin_level == entry["admin_level"]
    region = entry["region"]
    assert (m.region.province, m.region.prefecture, m.region.county, m.region.division_code) == (
        region["province"],
        region["prefecture"],
        region["county"],
        region["code"],
    )
    assert m.year == entry["year"]
    assert m.published_date == entry["published_date"]
    assert m.doc_number == entry["doc_number"]


def _whole(report, indicator):
    return [s for s in report.statistics if s.indicator == indicator and s.scope is None]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_core_statistics(seed_build, entry):
    report = _report(seed_build, entry)
    for expected in (s for s in entry["statistics"] if s["tier"] == "core"):
        found = _whole(report, expected["indicator"])
        assert len(found) == 1, f"{expected['indicator']}: {found}"
        got = found[0]
        assert (got.value, got.unit, got.qualifier) == (
            expected["value"],
            expected["unit"],
            expected["qualifier"],
        ), expected["indicator"]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_absent_statistics_are_absent(seed_build, entry):
    report = _report(seed_build, entry)
    for indicator in entry["absent"]:
        assert not [s for s in report.statistics if s.indicator == indicator], indicator


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_evidence_is_verbatim_and_anchored(seed_build, entry):
    report = _report(seed_build, entry)
    page = (seed_build["site"] / "reports" / report.report_id / "index.html").read_text(
        encoding="utf-8"
    )
    for s in report.statistics:
        assert s.evidence in report.cleaned.text
        if s.method == "text":
            assert f'id="{s.anchor}"' in page


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_boilerplate_removed_and_text_kept(seed_build, entry):
    report = _report(seed_build, entry)
    text = (seed_build["datasets"] / "texts" / f"{report.report_id}.txt").read_text(
        encoding="utf-8"
    )
    for clutter in entry["must_remove"]:
        assert clutter.strip() not in text, clutter
    for keep in entry["must_keep"]:
        assert keep in text, keep


def _headings(page: str) -> list[tuple[int, str]]:
    out = []
    for m in re.finditer(r"<h([1-6])[^>]*>(.*?)</h\1>", page, flags=re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()
        out.append((int(m.group(1)), text))
    return out


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_headings_on_built_page(seed_build, entry):
    report = _report(seed_build, entry)
    page = (seed_build["site"] / "reports" / report.report_id / "index.html").read_text(
        encoding="utf-8"
    )
    headings = _headings(page)
    for level, text in entry["headings"]:
        assert (level, text) in headings, (level, text)
