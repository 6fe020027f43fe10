"""Repair text damaged on its way to us, before any cleaning: pinyin glosses added by mirror
sites (鎮(zhèn)), Word's list markers (<!--[if !supportLists]-->), and the marks of a PDF or
Word conversion (lines wrapped mid-sentence, page markers such as ``— 5 —``, a first line
``正文``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from pipeline.paths import DATA_DIR

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A gloss is a pinyin syllable in brackets right after a Han character. Mirror sites add them to
# the characters they think rare; a syllable with a tone mark cannot be anything else.
_GLOSS_TONED = re.compile(
    r"(?<=[\u3400-\u9fff])[(（]\s*[a-zü]*[" + _TONED + r"][a-zü" + _TONED + r"]*\s*[)）]"
)
# Toneless syllables (the neutral tone, or a site that drops tone marks) only where toned
# glosses show that the page is glossed at all.
_GLOSS_PLAIN = re.compile(
    r"(?<=[\u3400-\u9fff])[(（](?:[bpmfdtnlgkhjqxzcsryw]|[zcs]h)?[aeiouüv]{1,3}(?:ng|n|r)?[)）]"
)
_GLOSSED_PAGE = 3
"""At least this many toned glosses before toneless ones are taken as glosses too."""

# A stray question mark where a character was lost on the way (``? 根據…``) at a line start.
_LOST_CHAR = re.compile(r"^[?？]\s+(?=[\u3400-\u9fff])", re.M)

_WRAP_END = re.compile(r"[。！？；：:;!?」』”）)》】]$")
_HEADING_START = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[）)]"
    r"|\d{1,2}\s*[.、．](?!\d)|附件|附表|第[一二三四五六七八九十\d]+[章节条部分])"
)
_TABLE_ROW = re.compile(r"^\s*\|")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]$")
_ASCII_START = re.compile(r"^[A-Za-z0-9]")
_CLOSING_DATE = re.compile(
    r"^(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇○零Ｏ一二三四五六七八九]{4}年.{1,3}月.{1,3}日)$"
)


@dataclass(frozen=True)
class _Vocabulary:
    page_markers: tuple[re.Pattern[str], ...]
    conversion_lines: frozenset[str]
    inline_junk: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    data = yaml.safe_load((DATA_DIR / "boilerplate.yml").read_text(encoding="utf-8"))
    return _Vocabulary(
        page_markers=tuple(re.compile(p) for p in data["page_markers"]),
        conversion_lines=frozenset(data["conversion_lines"]),
        inline_junk=tuple(re.compile(p) for p in data["inline_junk"]),
    )


def strip_glosses(text: str) -> str:
    """当(dāng)前位置 → 当前位置; 收費(fèi) → 收費. Digits and words around a gloss are kept."""
    count = len(_GLOSS_TONED.findall(text))
    if not count:
        return text
    text = _GLOSS_TONED.sub("", text)
    if count >= _GLOSSED_PAGE:
        text = _GLOSS_PLAIN.sub("", text)
    return text


def strip_inline_junk(text: str) -> str:
    """Markers left inside lines by saved Word documents and conversions."""
    for pattern in _vocabulary().inline_junk:
        text = pattern.sub("", text)
    return _LOST_CHAR.sub("", text)


def is_page_marker(line: str) -> bool:
    """``— 5 —``, ``- 5 -``, ``第5页 共7页``, ``5 / 7``: a page number standing on its own line."""
    s = line.strip()
    return bool(s) and any(p.fullmatch(s) for p in _vocabulary().page_markers)


_MIN_WRAPPED_LINES = 8
_LABEL_START = re.compile(r"^[\u4e00-\u9fff]{2,6}\s*[:：]")


def _is_wrapped(lines: list[str]) -> tuple[bool, int]:
    """Whether the text was hard-wrapped at a fixed width (a PDF or Word conversion): many long
    lines stop mid-sentence at about the same length. Returns the width when it was."""
    body = [
        ln.strip()
        for ln in lines
        if len(ln.strip()) >= 12 and not _TABLE_ROW.match(ln) and not _is_heading(ln.strip())
    ]
    if len(body) < 6:
        return False, 0
    open_ends = [ln for ln in body if not _WRAP_END.search(ln)]
    # Wrapped text: most lines of a paragraph stop mid-sentence, only its last one ends it.
    if len(open_ends) < _MIN_WRAPPED_LINES or len(open_ends) < 0.5 * len(body):
        return False, 0
    lengths = sorted(len(ln) for ln in open_ends)
    width = lengths[len(lengths) // 2]
    # Lines cut at a width cluster near it (digits and Latin letters are narrower, so a line of
    # them holds more characters); a page of short lines cut anywhere is not wrapped, and in a
    # wrapped text no paragraph runs on far past the width: most of its text is in cut lines.
    near = sum(0.8 * width <= n <= 1.3 * width for n in lengths)
    overlong = sum(len(ln) > 1.6 * width for ln in body)
    mass = sum(lengths) / max(1, sum(len(ln) for ln in body))
    wrapped = (
        width >= 16 and near >= 0.7 * len(open_ends) and overlong <= 0.1 * len(body) and mass >= 0.6
    )
    return wrapped, width


def _is_heading(line: str) -> bool:
    return len(line) <= 40 and bool(_HEADING_START.match(line))


def _joins(prev: str, nxt: str, width: int) -> bool:
    if not prev or not nxt or _TABLE_ROW.match(prev) or _TABLE_ROW.match(nxt):
        return False
    if _is_heading(prev) and len(prev) < 0.9 * width:
        return False
    if _WRAP_END.search(prev) or _HEADING_START.match(nxt) or _CLOSING_DATE.match(nxt):
        return False
    if _LABEL_START.match(nxt):
        return False
    # A short line ends its paragraph (a title, a heading, a signature) unless what follows
    # cannot start a sentence: a unit, a closing bracket or a clause mark.
    if nxt[0] in "件条项次人元份个，,、。；;：:）)》」”":
        return True
    return len(prev) >= 0.8 * width


def unwrap(lines: list[str]) -> list[str]:
    """Rejoin lines a conversion wrapped mid-sentence; drop page markers between them. A text
    that was not wrapped comes back unchanged (bar the page markers)."""
    lines = [ln for ln in lines if not is_page_marker(ln)]
    wrapped, width = _is_wrapped(lines)
    if not wrapped:
        return lines
    out: list[str] = []
    for raw in lines:
        line = raw.strip()
        if out and line and _joins(out[-1], line, width):
            # No space between Chinese characters; keep one between two ASCII words.
            sep = " " if _ASCII_WORD.search(out[-1]) and _ASCII_START.match(line) else ""
            out[-1] = out[-1] + sep + line
        else:
            out.append(line if line else raw)
    return out


def drop_conversion_lines(lines: list[str]) -> list[str]:
    """Lines a converter adds at the top (``正文``, ``目录``) before the report begins."""
    vocab = _vocabulary()
    out = list(lines)
    while out and (not out[0].strip() or out[0].strip() in vocab.conversion_lines):
        out.pop(0)
    return out


def repair(text: str) -> str:
    """All repairs, in order: glosses and inline markers first (they break every word they sit
    in), then the conversion's line structure."""
    text = strip_inline_junk(strip_glosses(text))
    lines = drop_conversion_lines(unwrap(text.split("\n")))
    return "\n".join(lines)
