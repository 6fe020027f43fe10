"""Shared text primitives: paragraphs, sentences and the anchors that name them on a page."""

from __future__ import annotations

import re
from collections.abc import Iterator

_SENTENCE_END = re.compile(r"(?<=[。！？!?])(?![」』”’）)\]])")
_HAN = re.compile(r"[\u3400-\u9fff]")

CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def paragraphs(text: str) -> list[str]:
    """The non-empty lines of a cleaned text: one paragraph (or heading) each."""
    return [line for line in text.split("\n") if line.strip()]


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph after 。！？ (keeping closing quotes with their sentence)."""
    parts = [p for p in _SENTENCE_END.split(paragraph) if p]
    return parts or [paragraph]


def anchor_id(paragraph_index: int, sentence_index: int) -> str:
    """The id of sentence ``s`` of paragraph ``p`` on a report page."""
    return f"p{paragraph_index + 1}-s{sentence_index + 1}"


def iter_sentences(text: str) -> Iterator[tuple[str, str, int]]:
    """Yield (anchor, sentence, paragraph index) for every sentence of a cleaned text."""
    for p, para in enumerate(paragraphs(text)):
        for s, sentence in enumerate(sentences(para)):
            yield anchor_id(p, s), sentence, p


def han_count(text: str) -> int:
    return len(_HAN.findall(text))
