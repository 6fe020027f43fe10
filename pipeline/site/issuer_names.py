"""The issuers' names for the search page: a query that is the name of an issuing body (any name
its reports give it) is answered first with that body's page, which lists its reports (at most
100), and the reports' text is searched when the reader asks
(``site_docs/assets/search-parts/pagefind.js``).

Searching the text for a body's full name costs a word chunk of each of its words in every index
part (住房, 城乡, 建设局: about 1 MB at 10,000 reports), for results the body's page already
gives. Looking the name up costs one small file.

The names are in files ``pagefind/names/<hash>.pf_names`` (gzip) of lines
``key<TAB>issuer id<TAB>name<TAB>reports<TAB>first year<TAB>last year``, in JavaScript's string
order of the key; ``pagefind/parts.json`` lists them as ``"names": [[first key, last key,
file], …]``. The key is the name as the search page makes a query: NFKC, Simplified character by
character (the site's ``t2s.json``), without spaces, punctuation, symbols or diacritics, in
lower case."""

from __future__ import annotations

import gzip
import hashlib
import json
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from pipeline.crossreport.issuers import Issuer
from pipeline.fileio import write_files
from pipeline.site.search_index import js_order

NAMES_PER_FILE = 256
"""Names per file, about (a key's lines are never split between files): about 5 KB compressed."""

MIN_KEY = 4
"""Names shorter than this (as keys) are not listed: a short word read as an issuer's name
(正文, 概述) would otherwise answer a search for that word."""


def _kept(ch: str) -> bool:
    # The search page keeps the words of a query (letters, digits, marks, joining underscores)
    # and Pagefind drops combining diacritics; spaces, punctuation and symbols go.
    category = unicodedata.category(ch)
    return (category[0] in "LNM" or category == "Pc") and not 0x300 <= ord(ch) <= 0x36F


def name_key(name: str, t2s: dict[str, str]) -> str:
    """``name`` as the search page makes a query of it (see the module's docstring)."""
    text = "".join(t2s.get(ch, ch) for ch in unicodedata.normalize("NFKC", name))
    kept = "".join(ch for ch in unicodedata.normalize("NFD", text) if _kept(ch))
    return unicodedata.normalize("NFC", kept.lower())


def _field(text: str) -> str:
    return " ".join(str(text).split())


def name_files(
    issuers: Iterable[Issuer], t2s: dict[str, str]
) -> tuple[list[list[str]], dict[str, bytes]]:
    """The names' files by file name, and their listing ``[first key, last key, file name]``."""
    rows = set()
    for issuer in issuers:
        if not issuer.report_ids or not issuer.years:
            continue
        for name in {issuer.name, *issuer.variants}:
            key = name_key(name, t2s)
            if len(key) >= MIN_KEY:
                rows.add(
                    (
                        key,
                        issuer.issuer_id,
                        _field(issuer.name),
                        len(issuer.report_ids),
                        issuer.years[0],
                        issuer.years[-1],
                    )
                )
    ordered = sorted(rows, key=lambda r: (js_order(r[0]), r[1]))
    listing: list[list[str]] = []
    files: dict[str, bytes] = {}
    start = 0
    while start < len(ordered):
        end = min(start + NAMES_PER_FILE, len(ordered))
        while end < len(ordered) and ordered[end][0] == ordered[end - 1][0]:
            end += 1
        chunk = ordered[start:end]
        body = "".join("\t".join(str(v) for v in row) + "\n" for row in chunk).encode("utf-8")
        name = hashlib.sha256(body).hexdigest()[:16] + ".pf_names"
        files[name] = gzip.compress(body, compresslevel=9, mtime=0)
        listing.append([chunk[0][0], chunk[-1][0], name])
        start = end
    return listing, files


Named = tuple[list[list[str]], dict[str, bytes]]
"""What ``name_files`` returns: the listing and the files."""


def made(site_dir: Path, issuers: Iterable[Issuer]) -> Named:
    """``name_files`` of ``issuers`` with the site's character map (``assets/t2s.json``)."""
    t2s_file = site_dir / "assets" / "t2s.json"
    try:
        data = json.loads(t2s_file.read_text(encoding="utf-8"))
        t2s = dict(zip(data["t"], data["s"], strict=True))
    except (OSError, ValueError, KeyError, TypeError):
        from pipeline.site.extras import t2s_map

        t2s = t2s_map()
    return name_files(issuers, t2s)


def publish(site_dir: Path, issuers: Iterable[Issuer], named: Named | None = None) -> None:
    """Write the names' files into ``site_dir/pagefind/names/`` and list them in
    ``pagefind/parts.json`` (written by ``search_index.assemble_indexes``): ``named``, when
    ``made`` gave them already (the build does while Pagefind writes)."""
    root = site_dir / "pagefind"
    listing_file = root / "parts.json"
    if not listing_file.is_file():
        return
    listing, files = named if named is not None else made(site_dir, issuers)
    write_files([(root / "names" / name, data) for name, data in files.items()])
    parts = json.loads(listing_file.read_text(encoding="utf-8"))
    parts["names"] = listing
    listing_file.write_text(json.dumps(parts, ensure_ascii=False) + "\n", encoding="utf-8")
