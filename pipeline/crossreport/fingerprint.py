"""Which sentences of a report count when copied text is measured, and their fingerprints.

A sentence counts when the report page shows it as a sentence (not the title, a heading or a
table row), when it has punctuation (a line with none is a label, a signature or a date), when
it is not the mandated template's wording (a row of the 2019/2021 tables read
as text, 本年新收政府信息公开申请数量713000074) and when it is long enough to say something
(``MIN_CHARS``). It is compared in a normal form: Simplified script, NFKC (full-width letters
and digits made ASCII), every run of digits one ``0`` (a body that copies last year's sentence
and changes its figures has still copied it), punctuation and spaces removed. The fingerprint is
8 bytes of BLAKE2b of that form: two sentences share one only when their normal forms are equal
(a chance collision among a billion sentences has odds of about 1 in 40,000).

Runs in the per-report stage (cached, in parallel), so the cross-report stage only looks up
hashes: see ``pipeline.crossreport.reuse``.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterator, Mapping

import yaml

from pipeline.markdown import body_paragraphs
from pipeline.paths import EXTRACT_DIR
from pipeline.records import Fingerprints
from pipeline.script import to_simplified
from pipeline.text import anchor_id, paragraphs, sentences

MIN_CHARS = 12
"""A sentence shorter than this in normal form (a digit run counts one) does not count:
现将有关情况报告如下 or 特此报告 say nothing about the body that wrote them."""
LABEL_MIN = 4
"""Template labels shorter than this (规章, 其他) are ordinary words, not the template's."""

_NOT_WORD = re.compile(r"[\W_]+")
_PUNCTUATION = re.compile(r"[。！？；，、：,;:!?]")
_DIGITS = re.compile(r"\d+")
# Characters NFKC changes in these texts: full-width forms, ideographic space, circled and
# parenthesised numbers. NFKC is skipped for the many sentences without any (it is the
# costliest step).
_COMPAT = re.compile("[\u00a0\u2460-\u24ff\u3000\u3200-\u33ff\uf900-\ufaff\uff00-\uffef]")


def normalise(sentence: str) -> str:
    """The form two sentences are compared in (the text must already be in Simplified script)."""
    text = unicodedata.normalize("NFKC", sentence) if _COMPAT.search(sentence) else sentence
    return _DIGITS.sub("0", _NOT_WORD.sub("", text))


def _strings(node: object, keys: frozenset[str]) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in keys and isinstance(v, str):
                yield v
            elif k in keys and isinstance(v, list):
                yield from (x for x in v if isinstance(x, str))
            else:
                yield from _strings(v, keys)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, keys)


@functools.cache
def _template_words() -> re.Pattern[str]:
    """Every row and column label of the mandated tables (template_labels.yml), normalised."""
    data = yaml.safe_load((EXTRACT_DIR / "template_labels.yml").read_text(encoding="utf-8"))
    words = {normalise(w) for w in _strings(data, frozenset({"label", "match", "markers"}))}
    words = sorted((w for w in words if len(w) >= LABEL_MIN), key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in words))


def counts(norm: str) -> bool:
    """Whether a normalised sentence counts: long enough once the template's labels are taken
    out (a table row read as text is its labels and digits)."""
    if len(norm) < MIN_CHARS:
        return False
    return len(_template_words().sub("", norm)) >= MIN_CHARS


def digest(norm: str) -> bytes:
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest()


def counted_sentences(
    text: str,
    title: str,
    toc: Collection[str] = (),
    anchors: Collection[str] = (),
    levels: Mapping[str, int] | None = None,
    hant: bool = False,
) -> list[tuple[str, str]]:
    """(anchor, normal form) of every sentence that counts, in text order; ``text`` is the
    cleaned text the Markdown stage renders (the page's anchors), ``hant`` when it is in
    Traditional script (each sentence is converted before it is normalised)."""
    paras = paragraphs(text)
    out: list[tuple[str, str]] = []
    for i, kind, skip in body_paragraphs(text, title, toc, anchors, levels):
        if kind != "prose":
            continue
        for s, sentence in enumerate(sentences(paras[i])):
            if s < skip or not _PUNCTUATION.search(sentence):
                continue
            norm = normalise(to_simplified(sentence) if hant else sentence)
            if counts(norm):
                out.append((anchor_id(i, s), norm))
    return out


def fingerprints(counted: list[tuple[str, str]]) -> Fingerprints:
    return Fingerprints(
        anchors=" ".join(a for a, _ in counted),
        hashes=b"".join(digest(norm) for _, norm in counted),
    )
