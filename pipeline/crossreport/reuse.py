"""Copied text: how much of each report repeats its body's previous report, and which report by
another body of the same year it shares most with.

Sentences are compared by the fingerprints the per-report stage made (``fingerprint.py``:
normalised, template wording and short sentences left out). Two reports share a sentence when
they hold the same fingerprint: exact matching of normalised sentences, which is what an
evaluator counting copied sentences by hand counts, and which is cheap to find for every pair at
once with an inverted index (fingerprint → reports). Every sentence of the corpus is one
element of flat NumPy arrays (its report, its fingerprint, its body, its year); the index is
those arrays sorted by fingerprint, and the reports that share sentences are counted by sorting
the pairs of reports found under each fingerprint of a year: sorts over the number of
sentences, not a dictionary per report (0.8 s instead of 5 s for the 613,000 sentences of
10,000 reports; ``tests/test_reuse.py`` checks it against the plain definition written with
dictionaries). MinHash would estimate the same shares with more code and an error; it pays
when documents are compared as sets of overlapping shingles, not when whole sentences are the
unit.

A sentence found in the reports of many different bodies (more than ``STOCK``) is stock
phrasing — the wording every body uses (进一步加强政府信息公开工作), or a province's template
handed to all its counties — not one body copying another: it is left out of both shares and
their denominators. The limit is a number of bodies, not a share of the corpus, so that no
list of the index is longer than a constant: counting stays linear however large the corpus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

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


def _firsts(values: np.ndarray) -> np.ndarray:
    """For a sorted array: which elements begin a run of equal values."""
    out = np.ones(len(values), dtype=bool)
    out[1:] = values[1:] != values[:-1]
    return out


def _counted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values, each once, in ascending order, and how often each occurs (a sort:
    ``np.unique`` hashes, which is slower on these arrays)."""
    values = np.sort(values)
    starts = np.flatnonzero(_firsts(values))
    return values[starts], np.diff(np.r_[starts, len(values)])


def _dense(values: np.ndarray) -> np.ndarray:
    """Each value's number among the distinct values (0, 1, …, in ascending order)."""
    order = np.argsort(values, kind="stable")
    ids = np.empty(len(values), dtype=np.int64)
    ids[order] = np.cumsum(_firsts(values[order])) - 1
    return ids


@dataclass(frozen=True)
class Sentences:
    """What copied text is measured from, report by report in the build's order: plain values,
    so that a process beside the build is sent these rather than the reports."""

    ids: tuple[str, ...]
    years: tuple[int | None, ...]
    hashes: tuple[bytes, ...]
    """Each report's sentence fingerprints (``fingerprint.Fingerprints.hashes``)."""
    anchors: tuple[str, ...]
    """Each report's sentence anchors, space-separated (``fingerprint.Fingerprints.anchors``)."""

    @classmethod
    def of(cls, reports: Sequence[Report]) -> Sentences:
        return cls(
            tuple(r.report_id for r in reports),
            tuple(r.metadata.year for r in reports),
            tuple(r.fingerprints.hashes for r in reports),
            tuple(r.fingerprints.anchors for r in reports),
        )


def measure(
    reports: Sequence[Report] | Sentences,
    issuer_of: Mapping[str, str],
    previous: Mapping[str, str],
) -> tuple[dict[str, Reuse], list[Pair]]:
    """Copied text of every report, and the sentence pairs behind the shares.

    ``reports`` are the reports or their ``Sentences``; ``issuer_of`` gives a report's issuer
    id (reports without one are their own body); ``previous`` the report id of the same body's
    previous report. The reports come in report-id order in a build; the pairs are listed
    report by report in the order given."""
    given = reports if isinstance(reports, Sentences) else Sentences.of(reports)
    n = len(given.ids)
    ids = list(given.ids)
    rank = np.empty(n, dtype=np.int64)  # a report's place in report-id order (the tie-break)
    rank[sorted(range(n), key=ids.__getitem__)] = np.arange(n)
    index_of = {rid: i for i, rid in enumerate(ids)}
    bodies: dict[str, int] = {}
    group = np.array(
        [bodies.setdefault(issuer_of.get(rid, "r:" + rid), len(bodies)) for rid in ids],
        dtype=np.int64,
    )
    year = np.array([-1 if y is None else y for y in given.years], dtype=np.int64)
    lengths = np.array([len(h) // 8 for h in given.hashes], dtype=np.int64)
    owner = np.repeat(np.arange(n), lengths)
    hashes = np.frombuffer(b"".join(given.hashes), dtype=np.uint64)
    first_element = np.r_[0, np.cumsum(lengths)]
    sentence = _dense(hashes)
    kinds = int(sentence.max()) + 1 if len(sentence) else 1

    # How many bodies use each sentence: stock phrasing is left out everywhere.
    width = len(bodies) or 1
    body_use, _ = _counted(sentence * width + group[owner])
    spread = np.bincount(body_use // width, minlength=kinds)
    kept = np.nonzero(spread[sentence] <= STOCK)[0]  # element numbers, in report and text order
    k_owner, k_sentence = owner[kept], sentence[kept]
    total = np.bincount(k_owner, minlength=n)

    # (report, sentence) → its first element: what "report j holds sentence h" looks up.
    key = k_owner * kinds + k_sentence
    order = np.argsort(key, kind="stable")
    first_at = _firsts(key[order])
    held_keys, held_first = key[order][first_at], kept[order][first_at]

    def held(reports_: np.ndarray, sentences_: np.ndarray) -> np.ndarray:
        """For each (report, sentence), the element of its first occurrence there, or -1."""
        if not len(held_keys):
            return np.full(len(reports_), -1, dtype=np.int64)
        q = reports_ * kinds + sentences_
        pos = np.searchsorted(held_keys, q)
        pos[pos == len(held_keys)] = 0
        return np.where((reports_ >= 0) & (held_keys[pos] == q), held_first[pos], -1)

    prev = np.array(
        [index_of[previous[rid]] if rid in previous else -1 for rid in ids], dtype=np.int64
    )
    same = held(prev[k_owner], k_sentence)

    # Reports of the same year holding the same sentence, each (report, sentence) once: every
    # pair of them from different bodies shares one sentence more.
    dated = first_at & (year[k_owner[order]] >= 0)
    d_owner, d_sentence = k_owner[order][dated], k_sentence[order][dated]
    bucket = year[d_owner] * kinds + d_sentence
    by_bucket = np.lexsort((d_owner, bucket))
    d_owner, bucket = d_owner[by_bucket], bucket[by_bucket]
    starts = np.flatnonzero(_firsts(bucket))
    sizes = np.diff(np.r_[starts, len(bucket)])
    size_of = np.repeat(sizes, sizes)
    start_of = np.repeat(starts, sizes)
    best = np.full(n, -1, dtype=np.int64)
    if len(d_owner):
        mine = np.repeat(d_owner, size_of)
        theirs = d_owner[
            np.repeat(start_of, size_of)
            + np.arange(int(size_of.sum()))
            - np.repeat(np.cumsum(size_of) - size_of, size_of)
        ]
        other = group[mine] != group[theirs]
        pair, hits = _counted(mine[other] * n + theirs[other])
        i, j = pair // n, pair % n
        # Most shared sentences, then the smaller report id: the same on every build. One sort
        # of a key made of the three (a ``lexsort`` of them took twice as long).
        top = int(hits.max()) + 1 if len(hits) else 1
        pick = np.argsort((i * top + (top - 1 - hits)) * n + rank[j])
        i, j = i[pick], j[pick]
        head = _firsts(i)
        best[i[head]] = j[head]
    other_of = held(best[k_owner], k_sentence)

    # The sentences found elsewhere, report by report: only those are visited (a loop over
    # every sentence of the corpus was most of this stage's time), and only the anchors of the
    # reports that hold them are read (a list of every sentence's anchor took 0.9 s at 100,000
    # reports).
    split: dict[int, list[str]] = {}

    def anchors(elements: np.ndarray) -> list[str]:
        """The anchors of sentence elements."""
        named = []
        owners = owner[elements]
        for i, at in zip(owners.tolist(), (elements - first_element[owners]).tolist(), strict=True):
            found = split.get(i)
            if found is None:
                found = split[i] = given.anchors[i].split()
            named.append(found[at])
        return named

    out: dict[str, Reuse] = {}
    pairs: list[Pair] = []
    bounds = np.r_[0, np.cumsum(total)]
    at_prev, at_other = np.flatnonzero(same >= 0), np.flatnonzero(other_of >= 0)
    prev_cut = np.searchsorted(at_prev, bounds).tolist()
    other_cut = np.searchsorted(at_other, bounds).tolist()
    prev_mine, prev_theirs = anchors(kept[at_prev]), anchors(same[at_prev])
    other_mine, other_theirs = anchors(kept[at_other]), anchors(other_of[at_other])
    counted, best_of = total.tolist(), best.tolist()
    for i, rid in enumerate(ids):
        sentences = counted[i]
        prev_id = previous.get(rid)
        prev_share = None
        repeated: list[str] = []
        if prev_id is not None:
            lo, hi = prev_cut[i], prev_cut[i + 1]
            for a, b in zip(prev_mine[lo:hi], prev_theirs[lo:hi], strict=True):
                repeated.append(a)
                pairs.append(Pair(rid, prev_id, a, b, "same_body"))
            prev_share = _share(len(repeated), sentences) if sentences else None
        other_id, other_share = None, None
        if best_of[i] >= 0:
            other_id = ids[best_of[i]]
            lo, hi = other_cut[i], other_cut[i + 1]
            found = list(zip(other_mine[lo:hi], other_theirs[lo:hi], strict=True))
            other_share = _share(len(found), sentences)
            pairs.extend(Pair(rid, other_id, a, b, "other_body") for a, b in found)
        out[rid] = Reuse(sentences, prev_id, prev_share, other_id, other_share, tuple(repeated))
    return out, pairs
