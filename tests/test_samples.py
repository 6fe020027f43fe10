"""The two real 2019/2021-format reports: tables decoded through the whole pipeline."""

from __future__ import annotations

import pytest

from pipeline import paths
from pipeline.records import Source
from pipeline.report import process, report_id_for

SAMPLES = {
    "pingtan-2019-annual-report.txt": "template_2019",
    "pingtan-2021-annual-report.txt": "template_2021",
}


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def sample(request):
    path = paths.SAMPLES_DIR / request.param
    if not path.exists():
        pytest.fail(f"{path} is missing: the shared samples must sit beside the checkout")
    return request.param, process(Source(path.name, path.read_bytes()), report_id_for(path.name))


def test_format_and_metadata(sample):
    name, report = sample
    m = report.metadata
    assert m.report_format == SAMPLES[name]
    assert m.year == int(name.split("-")[1])
    assert m.url and m.url.startswith("https://www.pingtan.gov.cn/")
    assert m.region.province == "福建省"


def test_applications_and_review_tables_decode_completely(sample):
    _, report = sample
    cells = [c for c in report.cells if c.table in {"applications", "review_litigation"}]
    assert len(cells) >= 7 * 20 + 15
    assert all(c.value is not None for c in cells)
    identities = [c for c in report.checks if c.check.split(":")[0] in {"I1", "I2", "I3", "I4"}]
    assert identities and all(c.status == "pass" for c in identities), [
        c for c in identities if c.status != "pass"
    ]


def test_derived_statistics_match_the_prose(sample):
    name, report = sample
    stats = {s.indicator: s for s in report.statistics if s.scope is None}
    for indicator in (
        "applications_received",
        "applications_answered",
        "applications_carried_out",
        "reconsideration_cases",
        "litigation_cases",
    ):
        assert stats[indicator].method == "table"
    prose = [c for c in report.checks if c.check.startswith("prose_vs_table:")]
    assert all(c.status == "pass" for c in prose), prose
    if name.startswith("pingtan-2021"):
        assert {c.check for c in prose} >= {
            "prose_vs_table:applications_received",
            "prose_vs_table:applications_answered",
            "prose_vs_table:applications_carried_out",
        }
        assert (stats["applications_received"].value, stats["applications_answered"].value) == (
            70,
            69,
        )
        assert (stats["reconsideration_cases"].value, stats["litigation_cases"].value) == (3, 12)
        assert stats["fees_collected"].value == 0
    else:
        assert stats["applications_received"].value == 23
        assert stats["proactive_items"].value == 2599
