"""Figures that must agree, checked: the prose against the mandated table, and the report's own
figures against each other. A figure involved in a failed check is marked (``check_failed``),
so that pages show it as 待核 and totals leave it out.

Checks (names are stable; ``status`` is ``pass`` | ``fail`` | ``not_applicable`` |
``unverified``):

``prose_vs_table:<indicator>``
    the figure quoted in the prose equals the table's (within its qualifier: 10余 allows 10–15,
    近2000 allows 1800–2000, 约300 allows ±10 %); ``unverified`` when the prose figure was used
    to choose how the table's run of digits is split, so that the two agree by construction.
``applications_balance``
    received + carried in = answered + carried out, when the report states all four.
``outcomes_within_answered``
    granted + partially granted + refused ≤ answered, when answered and one of them are stated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pipeline.records import Check, Statistic

BALANCE = (
    "applications_received",
    "applications_carried_in",
    "applications_answered",
    "applications_carried_out",
)
OUTCOMES = ("applications_granted", "applications_partially_granted", "applications_refused")

# The indicators each failed check casts doubt on. Template identities (I1–I4) involve every
# figure derived from their table.
_TABLE_APPLICATIONS = (*BALANCE, *OUTCOMES)
_INVOLVED = {
    "applications_balance": BALANCE,
    "outcomes_within_answered": (*OUTCOMES, "applications_answered"),
    "I1": _TABLE_APPLICATIONS,
    "I2": _TABLE_APPLICATIONS,
    "I3": _TABLE_APPLICATIONS,
    "I4:reconsideration": ("reconsideration_cases",),
    "I4:litigation_direct": ("litigation_cases",),
    "I4:litigation_after_reconsideration": ("litigation_cases",),
}


def _fmt(value: float) -> str:
    return f"{value:g}"


def _within(prose: Statistic, table_value: float) -> bool:
    """Whether the table's figure is what the prose says, given the prose's qualifier."""
    p = prose.value
    if prose.qualifier == "exact":
        return abs(table_value - p) < 1e-9
    if prose.qualifier == "more_than":
        return p <= table_value <= max(p * 1.5, p + 10)
    if prose.qualifier == "nearly":
        return min(p * 0.9, p - 10) <= table_value <= p
    return abs(table_value - p) <= max(p * 0.1, 1)


def prose_vs_table(
    text_stats: Iterable[Statistic],
    table_stats: Iterable[Statistic],
    hinted: frozenset[str] = frozenset(),
) -> tuple[tuple[Statistic, ...], tuple[Check, ...]]:
    """A table cell beats a sentence for the same whole-body indicator; each pair is checked."""
    checks: list[Check] = []
    table_stats = list(table_stats)
    table_whole = {s.indicator: s for s in table_stats if s.scope is None}
    merged: list[Statistic] = list(table_stats)
    for s in text_stats:
        t = table_whole.get(s.indicator)
        if t is None or s.scope is not None:
            merged.append(s)
            continue
        detail = (
            f"table {_fmt(t.value)}; prose {_fmt(s.value)} ({s.qualifier}) in 「{s.evidence[:80]}」"
        )
        if s.indicator in hinted:
            status = "unverified"
            detail += "; the prose figure chose how the table's digits are split"
        else:
            status = "pass" if _within(s, t.value) else "fail"
        checks.append(Check(f"prose_vs_table:{s.indicator}", status, detail))
    return tuple(merged), tuple(checks)


def consistency_checks(stats: Iterable[Statistic]) -> tuple[Check, ...]:
    """Checks among the whole-body figures of one report (exact figures only: 近/约/多 cannot be
    added up)."""
    whole = {s.indicator: s for s in stats if s.scope is None}
    exact = {k: s.value for k, s in whole.items() if s.qualifier == "exact"}
    checks: list[Check] = []
    if all(k in exact for k in BALANCE):
        r, ci, a, co = (exact[k] for k in BALANCE)
        ok = abs((r + ci) - (a + co)) < 1e-9
        checks.append(
            Check(
                "applications_balance",
                "pass" if ok else "fail",
                f"received {_fmt(r)} + carried in {_fmt(ci)} = {_fmt(r + ci)}; "
                f"answered {_fmt(a)} + carried out {_fmt(co)} = {_fmt(a + co)}",
            )
        )
    stated = [k for k in OUTCOMES if k in exact]
    if "applications_answered" in exact and stated:
        total = sum(exact[k] for k in stated)
        answered = exact["applications_answered"]
        checks.append(
            Check(
                "outcomes_within_answered",
                "pass" if total <= answered + 1e-9 else "fail",
                " + ".join(f"{k.removeprefix('applications_')} {_fmt(exact[k])}" for k in stated)
                + f" = {_fmt(total)}; answered {_fmt(answered)}",
            )
        )
    return tuple(checks)


def involved(check: Check) -> tuple[str, ...]:
    """The indicators a check is about."""
    name = check.check
    if name.startswith("prose_vs_table:"):
        return (name.split(":", 1)[1],)
    return _INVOLVED.get(name) or _INVOLVED.get(name.split(":", 1)[0], ())


def mark_failed(stats: Iterable[Statistic], checks: Iterable[Check]) -> tuple[Statistic, ...]:
    """Mark the whole-body figures that a failed check involves."""
    doubtful = {i for c in checks if c.status == "fail" for i in involved(c)}
    return tuple(
        replace(s, check_failed=True) if s.scope is None and s.indicator in doubtful else s
        for s in stats
    )
