"""Cross-report stage: what only the whole corpus tells about each report — its issuer across
years (``issuers``), copied text (``reuse``), national and provincial totals (``series``).

Pure functions over the reports the per-report stages made, run once after them; no I/O. The
result is deterministic: it depends on the reports, never on their order or on the number of
workers that made them.

The stage's code is in ``stage.py`` and the modules beside it; this file only names what it
gives. The per-report stages import ``crossreport.fingerprint``, which runs this file: its
source is in their cache's key (``pipeline.codehash``), so a change to the stage here would
send every report through them again (at 100,000 reports, some 9 minutes).
"""

from __future__ import annotations

from pipeline.crossreport.issuers import Issuer
from pipeline.crossreport.reuse import Pair, Reuse, Sentences, measure
from pipeline.crossreport.series import SeriesRow, build_series
from pipeline.crossreport.stage import (
    NOT_YET,
    CrossReport,
    begin,
    cross_report,
    report_fields,
    rows,
    with_checks,
)

__all__ = [
    "NOT_YET",
    "CrossReport",
    "Issuer",
    "Pair",
    "Reuse",
    "Sentences",
    "SeriesRow",
    "begin",
    "build_series",
    "cross_report",
    "measure",
    "report_fields",
    "rows",
    "with_checks",
]
