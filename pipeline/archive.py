"""Archive stage: identify a source's bytes, detect its encoding and decode it to normalised text."""

from __future__ import annotations

import codecs
import hashlib
import re

from charset_normalizer import from_bytes

from pipeline.records import Archived, Source

MAX_BYTES = 20 * 1024 * 1024
"""Anything larger is not a report (a mis-saved video, an archive...)."""

HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")

# Signatures of binary formats users have been seen to drop into a folder of reports.
_BINARY_MAGIC = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or DOCX/XLSX)",
    b"\xd0\xcf\x11\xe0": "an OLE document (DOC/XLS)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"Rar!": "a RAR archive",
    b"\x1f\x8b": "a gzip archive",
}

# Candidate codecs in the order they are tried when the bytes carry no BOM. GB18030 is a
# superset of GBK and GB2312, so it stands for all three.
_CANDIDATES = ("utf-8", "gb18030", "big5")

_HAN = re.compile("[\u4e00-\u9fff]")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"[\u00a0\u2002-\u200a\u202f\u205f]")


class SourceError(ValueError):
    """A source file that cannot be read as a report; the message names the reason."""


def _decode(data: bytes, declared: str | None) -> tuple[str, str]:
    for bom, codec, name in (
        (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"the bytes start with a {name} byte-order mark but are not {name} text "
                    f"(byte {exc.start}: {exc.reason})"
                ) from None
    order = list(_CANDIDATES)
    if declared:
        declared = "gb18030" if declared.lower() in {"gbk", "gb2312", "gb18030"} else declared
        if declared in order:
            order.remove(declared)
        order.insert(0, declared)
    for codec in order:
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        # Big5 and GB18030 accept many byte strings that are really the other; only trust a
        # strict decode that yields mostly CJK and common punctuation.
        if codec == "utf-8" or _plausible(text):
            return text, codec
    best = from_bytes(data).best()
    if best is None or not _plausible(str(best)):
        raise SourceError("the bytes are not text in UTF-8, UTF-16, GB18030/GBK or Big5")
    return str(best), best.encoding


# Control characters, private-use code points and replacement characters: rare in real text,
# common when bytes are decoded with the wrong codec.
_ODD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000-\uf8ff\ufffd\U000f0000-\U0010ffff]")


def _plausible(text: str) -> bool:
    if not text:
        return True
    return len(_ODD.findall(text)) / len(text) < 0.01


def normalise_text(text: str) -> str:
    """Unify line ends, drop zero-width characters, turn odd spaces into plain spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", text)


def looks_like_mojibake(text: str) -> bool:
    """True when text reads like UTF-8 bytes that were decoded as GBK somewhere upstream: its
    GB18030 bytes are then mostly valid UTF-8 that spells Chinese."""
    sample = text[:4000]
    if len(_HAN.findall(sample)) < 20:
        return False
    recovered = sample.encode("gb18030", errors="ignore").decode("utf-8", errors="replace")
    han = len(_HAN.findall(recovered))
    return han >= 10 and recovered.count("\ufffd") <= han * 0.25


def archive(source: Source, declared_charset: str | None = None) -> Archived:
    """Checksum, classify and decode one source; raise ``SourceError`` for what is not a report."""
    data = source.data
    if not data.strip():
        raise SourceError("the file is empty")
    if len(data) > MAX_BYTES:
        raise SourceError(f"the file is {len(data):,} bytes, larger than a report can be")
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise SourceError(f"the file is {what}, not text or HTML")
    text, encoding = _decode(data, declared_charset)
    if "\x00" in text:
        raise SourceError("the text contains NUL characters (a binary file?)")
    text = normalise_text(text)
    warnings: list[str] = []
    if looks_like_mojibake(text):
        warnings.append(
            "the text looks like UTF-8 that was mis-decoded as GBK before saving (mojibake)"
        )
    lower_name = source.name.lower()
    head = text[:2000].lower()
    is_html = lower_name.endswith(HTML_SUFFIXES) or (
        "<html" in head or "<!doctype html" in head or "<body" in head
    )
    return Archived(
        source_file=source.name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        encoding=encoding,
        media_type="text/html" if is_html else "text/plain",
        text=text,
        warnings=tuple(warnings),
    )
