"""Numbers as Chinese reports write them: 605620, 4.5万, 10万多, 近2000, 约300, 20余, 二十五, 两."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.text import CN_DIGITS

CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

_CN_CHARS = "零〇○一二两兩三四五六七八九十拾百佰千仟"
# The number itself, with the words around it that qualify it.
NUMBER_PATTERN = (
    r"(?P<pre>将近|將近|接近|近|约|約|大约|大約|超过|超過|逾|达|達|共计|共計|累计|累計|共)?\s*"
    r"(?<![第\d.," + _CN_CHARS + r"])(?P<num>\d+(?:,\d{3})*(?:\.\d+)?|[" + _CN_CHARS + r"]+)\s*"
    r"(?P<post1>多|余|餘)?(?P<big>万|萬|亿|億)?(?P<post2>多|余|餘|以上|左右)?"
)
NUMBER_RE = re.compile(NUMBER_PATTERN)

QUALIFIERS = {
    "近": "nearly",
    "将近": "nearly",
    "將近": "nearly",
    "接近": "nearly",
    "约": "approximately",
    "約": "approximately",
    "大约": "approximately",
    "大約": "approximately",
    "左右": "approximately",
    "超过": "more_than",
    "超過": "more_than",
    "逾": "more_than",
    "多": "more_than",
    "余": "more_than",
    "餘": "more_than",
    "以上": "more_than",
}


@dataclass(frozen=True)
class Number:
    value: float
    qualifier: str


def chinese_numeral(text: str) -> int | None:
    """二十五 → 25, 两 → 2, 一百零八 → 108, 三千 → 3000; None when it is not a numeral."""
    if not text:
        return None
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            total += (current or 1) * CN_UNITS[ch]
            current = 0
        else:
            return None
    total += current
    # 二〇〇九 written digit by digit.
    if len(text) >= 2 and all(ch in CN_DIGITS for ch in text):
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    return total


def read_number(match: re.Match[str]) -> Number | None:
    """The value and qualifier of a ``NUMBER_RE``-shaped match (named groups pre/num/big/post)."""
    raw = match.group("num")
    if raw[0].isdigit():
        value = float(raw.replace(",", ""))
    else:
        parsed = chinese_numeral(raw)
        if parsed is None:
            return None
        value = float(parsed)
    if match.group("big"):
        value *= CN_BIG[match.group("big")]
    qualifier = "exact"
    for word in (match.group("pre"), match.group("post1"), match.group("post2")):
        if word and word in QUALIFIERS:
            qualifier = QUALIFIERS[word]
    return Number(round(value, 6), qualifier)


def parse_number(text: str) -> Number | None:
    """Read a number written on its own (``4.5万``, ``近2000``, ``350多``)."""
    m = NUMBER_RE.fullmatch(text.strip())
    return read_number(m) if m else None
