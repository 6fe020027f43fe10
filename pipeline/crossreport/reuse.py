"""Copied text: how much of each report repeats its body's previous report, and which report by
another body of the same year it shares most with.

Sentences are compared by the fingerprints the per-report stage made (``fingerprint.py``:
normalised, template wording and short sentences left out). Two reports share a sentence when
they hold the same fingerprint: exact matching of normalised sentences, which is what an
evaluator counting copied sentences by hand counts, and which is cheap to find for every pair at
once with an inverted index (fingerprint → reports). The work is one pass over every report's
fingerprints to build the index, then one pass to count, per report, the reports each of its
fingerprints also occurs in: linear in the number of sentences. MinHash would estimate the
same shares with more code and an error; it pays when documents are compared as sets of
overlapping shingles, not when whole sentences are the unit.

A sentence found in the reports of many different bodies (more than ``STOCK``) is stock
phrasing — the wording every body uses (进一步加强政府信息公开工作), or a province's template
handed to all its counties — not one body copying another: it is left out of both shares and
their denominators. The limit is a number of bodies, not a share of the corpus, so that no
list of the index is longer than a constant: counting stays linear however large the corpus.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.records import Report

STOCK = 30
"""A sentence in the reports of more than this many bodies is stock phrasing (a prefecture has
up to about 20 counties: their shared wording is still copying)."""
MIN_SENTENCES = 10
"""The ranking lists only reports with at least this many counted sentences."""


@dataclass(frozen=True)
class Reuse:
    """Copied text of one report (fields of its ``reports`` row)."""

    sentences: int
    """Its sentences that count (template, stock phrasing and short sentences left out)."""
    previous_id: str | None = None
    """The same body's previous report (the latest earlier year)."""
    previous_share: float | None = None
    """Share of ``sentences`` found in the previous report (None without one)."""
    other_id: str | None = None
    """The report by another body of the same year that shares most of its sentences."""
    other_share: float | None = None
    repeated: tuple[str, ...] = ()
    """Anchors of its sentences found in the previous report."""


@dataclass(frozen=True)
class Pair:
    """A sentence of a report found in another (one row of ``reuse``)."""

    report_id: str
    other_report_id: str
    anchor: str
    other_anchor: str
    kind: str
    """``same_body`` (the previous report of its body) or ``other_body``."""


def _share(found: int, total: int) -> float:
    return round(found / total, 4)


def measure(
    reports: Sequence[Report],
    issuer_of: Mapping[str, str],
    previous: Mapping[str, str],
) -> tuple[dict[str, Reuse], list[Pair]]:
    """Copied text of every report, and the sentence pairs behind the shares.

    ``issuer_of`` gives a report's issuer id (reports without one are their own body);
    ``previous`` the report id of the same body's previous report."""
    index_of = {r.report_id: i for i, r in enumerate(reports)}
    group = [issuer_of.get(r.report_id, "r:" + r.report_id) for r in reports]
    sentences = [r.fingerprints.pairs() for r in reports]

    # How many bodies use each sentence: stock phrasing is left out everywhere.
    spread: dict[bytes, int] = {}
    last: dict[bytes, str] = {}
    for i in sorted(range(len(reports)), key=lambda i: group[i]):
        for _, h in sentences[i]:
            if last.get(h) != group[i]:
                last[h] = group[i]
                spread[h] = spread.get(h, 0) + 1
    del last
    kept = [[(a, h) for a, h in s if spread[h] <= STOCK] for s in sentences]
    del spread, sentences

    # Inverted index per year: fingerprint → reports holding it (at most STOCK bodies' each).
    postings: dict[int, dict[bytes, list[int]]] = defaultdict(dict)
    for i, r in enumerate(reports):
        year = r.metadata.year
        if year is None:
            continue
        index = postings[year]
        for h in dict.fromkeys(h for _, h in kept[i]):
            if h in index:
                index[h].append(i)
            else:
                index[h] = [i]

    out: dict[str, Reuse] = {}
    pairs: list[Pair] = []
    for i, r in enumerate(reports):
        mine = kept[i]
        rid = r.report_id
        total = len(mine)
        prev_id = previous.get(rid)
        prev_share = None
        repeated: list[str] = []
        if prev_id is not None:
            theirs: dict[bytes, str] = {}
            for a, h in kept[index_of[prev_id]]:
                theirs.setdefault(h, a)
            for a, h in mine:
                if h in theirs:
                    repeated.append(a)
                    pairs.append(Pair(rid, prev_id, a, theirs[h], "same_body"))
            prev_share = _share(len(repeated), total) if total else None
        other_id, other_share = None, None
        if r.metadata.year is not None and mine:
            hits: Counter[int] = Counter()
            index = postings[r.metadata.year]
            for h in dict.fromkeys(h for _, h in mine):
                hits.update(j for j in index[h] if group[j] != group[i])
            if hits:
                # Most shared sentences, then the smaller report id: the same on every build.
                best = min(hits, key=lambda j: (-hits[j], reports[j].report_id))
                theirs = {}
                for a, h in kept[best]:
                    theirs.setdefault(h, a)
                other_id = reports[best].report_id
                found = [(a, h) for a, h in mine if h in theirs]
                other_share = _share(len(found), total)
                pairs.extend(Pair(rid, other_id, a, theirs[h], "other_body") for a, h in found)
        out[rid] = Reuse(total, prev_id, prev_share, other_id, other_share, tuple(repeated))
    return out, pairs
