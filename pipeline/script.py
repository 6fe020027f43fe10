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


SAMPLE = 6000
"""Characters from the start of a text that its script is judged on."""

_PIECE = 400
"""About this many characters are converted Simplified→Traditional at a time (``detect_script``)."""


def detect_script(text: str) -> str:
    """``hant`` when the first ``SAMPLE`` characters change more under Traditional→Simplified
    than the reverse (compared character by character, the conversions being aligned).

    The reverse conversion (OpenCC's ``s2t``, the slower, most of this function's time) is
    made some lines at a time (``_PIECE`` characters or more), and stops once it has changed
    as many characters as the forward one: the text is then Simplified whatever the rest
    holds. OpenCC converts by its dictionary's longest match, and no entry holds a line break,
    so the pieces converted alone put together are the sample converted whole: the answer is
    the same."""
    sample = text[:SAMPLE]
    changed_by_t2s = sum(map(str.__ne__, sample, to_simplified(sample)))
    if not changed_by_t2s:
        return "hans"
    to_hant = converter("s2t")
    changed_by_s2t = 0
    start = 0
    while start < len(sample):
        end = sample.find("\n", start + _PIECE) + 1 or len(sample)
        piece = sample[start:end]
        made = to_hant.convert(piece)
        if len(made) != len(piece):  # not aligned with the sample: compare it whole
            made = to_hant.convert(sample)
            changed_by_s2t = sum(map(str.__ne__, sample, made))
            break
        changed_by_s2t += sum(map(str.__ne__, piece, made))
        if changed_by_s2t >= changed_by_t2s:
            return "hans"
        start = end
    return "hant" if changed_by_t2s > changed_by_s2t else "hans"
