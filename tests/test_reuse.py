"""Copied text (``pipeline.crossreport.reuse.measure``) against a plain reference: the same
definitions written with a dictionary per report, compared on many random corpora small enough
to hit every case (stock phrasing, repeated sentences, ties, reports without a year or a body)."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections import Counter
from types import SimpleNamespace

import pytest

from pipeline.crossreport import reuse
from pipeline.records import Fingerprints


def reference(reports, issuer_of, previous):
    """What ``measure`` must give, as its docstrings define it, one report at a time."""
    group = {r.report_id: issuer_of.get(r.report_id, "r:" + r.report_id) for r in reports}
    sentences = {r.report_id: r.fingerprints.pairs() for r in reports}
    bodies: dict[bytes, set[str]] = {}
    for r in reports:
        for _, h in sentences[r.report_id]:
            bodies.setdefault(h, set()).add(group[r.report_id])
    kept = {
        rid: [(a, h) for a, h in s if len(bodies[h]) <= reuse.STOCK] for rid, s in sentences.items()
    }
    year = {r.report_id: r.metadata.year for r in reports}
    out, pairs = {}, []
    for r in reports:
        rid, mine = r.report_id, kept[r.report_id]
        prev_id, prev_share, repeated = previous.get(rid), None, []
        if prev_id is not None:
            theirs = {}
            for a, h in kept[prev_id]:
                theirs.setdefault(h, a)
            for a, h in mine:
                if h in theirs:
                    repeated.append(a)
                    pairs.append(reuse.Pair(rid, prev_id, a, theirs[h], "same_body"))
            prev_share = round(len(repeated) / len(mine), 4) if mine else None
        hits = Counter()
        if year[rid] is not None:
            own = {h for _, h in mine}
            for o in reports:
                if year[o.report_id] == year[rid] and group[o.report_id] != group[rid]:
                    hits[o.report_id] = len(own & {h for _, h in kept[o.report_id]})
        hits = +hits  # reports sharing no sentence are no match
        other_id, other_share = None, None
        if hits:
            other_id = min(hits, key=lambda o: (-hits[o], o))
            theirs = {}
            for a, h in kept[other_id]:
                theirs.setdefault(h, a)
            found = [(a, theirs[h]) for a, h in mine if h in theirs]
            other_share = round(len(found) / len(mine), 4)
            pairs.extend(reuse.Pair(rid, other_id, a, b, "other_body") for a, b in found)
        out[rid] = reuse.Reuse(
            len(mine), prev_id, prev_share, other_id, other_share, tuple(repeated)
        )
    return out, pairs


def _corpus(seed: int):
    rng = random.Random(seed)
    n = rng.randint(0, 40)
    pool = [
        hashlib.blake2b(str(k).encode(), digest_size=8).digest() for k in range(rng.randint(1, 30))
    ]
    ids = sorted(f"r{rng.randrange(10**6):06d}-{i}" for i in range(n))
    rng.shuffle(ids)  # measure must not rely on the order it is given
    reports, issuer_of = [], {}
    for rid in ids:
        k = rng.randint(0, 12)
        hashes = [rng.choice(pool) for _ in range(k)]  # repeats within a report too
        anchors = " ".join(f"s-{i}" for i in range(k))
        year = rng.choice([2019, 2020, 2021, None])
        reports.append(
            SimpleNamespace(
                report_id=rid,
                fingerprints=Fingerprints(anchors, b"".join(hashes)),
                metadata=SimpleNamespace(year=year),
            )
        )
        if rng.random() < 0.8:
            issuer_of[rid] = f"i{rng.randint(0, 6)}"
    previous = {}
    by_body: dict[str, list] = {}
    for r in reports:
        if r.report_id in issuer_of and r.metadata.year is not None:
            by_body.setdefault(issuer_of[r.report_id], []).append(r)
    for rs in by_body.values():
        rs.sort(key=lambda r: (r.metadata.year, r.report_id))
        for a, b in itertools.pairwise(rs):
            if a.metadata.year < b.metadata.year:
                previous[b.report_id] = a.report_id
    return reports, issuer_of, previous


@pytest.mark.parametrize("stock", [2, 4, reuse.STOCK])
def test_measure_equals_the_reference_on_random_corpora(monkeypatch, stock):
    monkeypatch.setattr(reuse, "STOCK", stock)
    checked = Counter()
    for seed in range(150):
        reports, issuer_of, previous = _corpus(seed * 7 + stock)
        got, got_pairs = reuse.measure(reports, issuer_of, previous)
        want, want_pairs = reference(reports, issuer_of, previous)
        assert got == want, seed
        # The same pairs in the same order: report by report, as the reports are given.
        assert got_pairs == want_pairs, seed
        checked["matched"] += sum(v.other_id is not None for v in got.values())
        checked["repeated"] += sum(bool(v.repeated) for v in got.values())
    # The corpora reach both kinds of copying, many times.
    assert checked["matched"] > 20 and checked["repeated"] > 20, checked


def test_stock_phrasing_is_left_out_of_shares(monkeypatch):
    monkeypatch.setattr(reuse, "STOCK", 2)
    stock, own = b"S" * 8, b"O" * 8
    reports = [
        SimpleNamespace(
            report_id=f"r{i}",
            fingerprints=Fingerprints("a b", stock + (own if i < 2 else bytes([i]) * 8)),
            metadata=SimpleNamespace(year=2020),
        )
        for i in range(3)
    ]
    got, pairs = reuse.measure(reports, {}, {})
    # The stock sentence is in three bodies' reports: only the sentence r0 and r1 share counts.
    assert got["r0"] == reuse.Reuse(1, None, None, "r1", 1.0, ())
    assert got["r2"] == reuse.Reuse(1, None, None, None, None, ())
    assert pairs == [
        reuse.Pair("r0", "r1", "b", "b", "other_body"),
        reuse.Pair("r1", "r0", "b", "b", "other_body"),
    ]
