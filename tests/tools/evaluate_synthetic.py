"""Score extraction against generated reports with known figures (``invoke evaluate --synthetic``).

A check on wording the extractor was not tuned on, but written by our own generator: the field
corpus of real reports is the yardstick; this only catches regressions."""

from __future__ import annotations

from pipeline.evaluate import Evaluation, _match, _predicted, format_table
from pipeline.records import Source
from pipeline.report import process, report_id_for
from tests.tools.synth import generate_one, truth


def evaluate_synthetic(n: int, seed: int = 0) -> Evaluation:
    """Score against the ground truth of ``n`` generated reports (a check on unseen wording)."""
    ev = Evaluation()
    for i in range(1, n + 1):
        name, data = generate_one(i, seed)
        want = truth(i, seed)
        try:
            report = process(Source(name, data), report_id_for(name))
        except Exception as exc:  # noqa: BLE001 - a failed report scores as all misses
            ev.misses.append(f"{name}: not processed: {exc}")
            ev.add("sources", fn=1)
            continue
        ev.add("sources", tp=1)
        got = _predicted(report)
        region = want.get("region") or {}
        expected = {
            "title": want["title"],
            "year": want["year"],
            "script": want["script"],
            "report_format": want["format"],
            "issuer_type": want["issuer_type"],
            "admin_level": want["admin_level"],
            "published_date": want["published_date"],
            "doc_number": want["doc_number"],
            "province": region.get("province"),
            "issuer": [want["issuer"], *want.get("issuer_aliases", [])],
        }
        for key, e in expected.items():
            ok = _match(e, got[key])
            ev.add(
                f"metadata.{key}",
                tp=int(ok),
                fp=int(not ok and got[key] is not None),
                fn=int(not ok),
            )
            if not ok:
                ev.misses.append(f"{name}: {key} expected {e!r}, got {got[key]!r}")
        whole = {s.indicator: s for s in report.statistics if s.scope is None}
        for indicator, fig in want["figures"].items():
            s = whole.get(indicator)
            ok = s is not None and (s.value, s.unit, s.qualifier) == (
                fig["value"],
                fig["unit"],
                fig["qualifier"],
            )
            ev.add(
                f"statistics.{indicator}",
                tp=int(ok),
                fn=int(not ok),
                fp=int(s is not None and not ok),
            )
            if not ok:
                shown = (s.value, s.unit, s.qualifier, s.evidence[:40]) if s else "nothing"
                ev.misses.append(
                    f"{name}: {indicator} expected {fig['value']} {fig['qualifier']}, got {shown}"
                )
        for indicator, s in whole.items():
            if indicator not in want["figures"]:
                ev.add(f"statistics.{indicator}", fp=1)
                ev.misses.append(
                    f"{name}: {indicator} invented: {s.value} from 「{s.evidence[:50]}」"
                )
    return ev


def main(n: int) -> int:
    ev = evaluate_synthetic(n)
    print(f"synthetic corpus: {n} reports\n")
    print(format_table(ev))
    print(f"\nmisses ({len(ev.misses)}):")
    for miss in ev.misses[:200]:
        print(f"  - {miss}")
    return 0
