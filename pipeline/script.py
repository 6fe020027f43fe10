"""Traditional and Simplified script: detection and conversion (OpenCC)."""

from __future__ import annotations

from functools import lru_cache

import opencc


@lru_cache(maxsize=2)
def converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional → Simplified with OpenCC's phrase-aware ``t2s`` tables."""
    return converter("t2s").convert(text)


def detect_script(text: str) -> str:
    """``hant`` when the text changes more under Traditional→Simplified than the reverse."""
    sample = text[:6000]
    to_hans = to_simplified(sample)
    to_hant = converter("s2t").convert(sample)
    changed_by_t2s = sum(map(str.__ne__, sample, to_hans))
    changed_by_s2t = sum(map(str.__ne__, sample, to_hant))
    return "hant" if changed_by_t2s > changed_by_s2t else "hans"
