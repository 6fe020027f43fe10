"""What Pagefind reads of a report page, as a digest written beside each built shard: an index
part is keyed by its pages' digests (``pipeline.site.search_index.part_job``), so a page whose
links or notes about other reports changed does not send its part to be indexed again.

Kept apart from the search index's code because a shard's output depends on it: the shards are
keyed by the code they run (``pipeline.site.shards.theme_fingerprint``), and a change to how
the index is assembled or searched should not rebuild every shard."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

DIGESTS = "search-digests.json"
"""Written beside a shard's pages: each report page's ``search_digest``."""

_BODY = re.compile(r"<div [^>]*\bdata-pagefind-body\b")
_IGNORED = re.compile(r"<(\w+)\b[^>]*\bdata-pagefind-ignore\b[^>]*>")
_PAGEFIND_ATTR = re.compile(r'\bdata-pagefind-(?:filter|meta|sort)="[^"]*"')
_HTML_TAG = re.compile(r"<html\b[^>]*>")
# Attributes Pagefind does not read (it indexes text, ids, and its own data- attributes).
_UNREAD = re.compile(r' (?:class|title|href|rel|aria-label|tabindex|role)="[^"]*"')


def _element_end(html: str, start: int, tag: str) -> int:
    """Where the element whose start tag is at ``start`` ends (generated HTML: well nested)."""
    depth = 0
    for m in _tag_pattern(tag).finditer(html, start):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return m.end()
    return len(html)


@cache
def _tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<(/?){tag}\b")


def search_digest(html: str) -> str:
    """What Pagefind reads of a report page, as a digest: the ``<html>`` tag (its language) and
    the ``data-pagefind-body`` element without what Pagefind leaves out of the index (elements
    marked ``data-pagefind-ignore``, of which only Pagefind's own attributes are kept) and
    without the attributes it does not read. The parts of a page that show other reports (its
    neighbours, copied-text notes and marks, checks across years) are of that kind, so a
    one-report change re-indexes the part of that report alone, not every part holding a page
    that names it. (Checked: Pagefind writes the same index for pages that differ there.)"""
    m = _BODY.search(html)
    if m is None:
        return hashlib.sha256(html.encode()).hexdigest()
    body = html[m.start() : _element_end(html, m.start(), "div")]
    kept, pos = [], 0
    while (ig := _IGNORED.search(body, pos)) is not None:
        end = _element_end(body, ig.start(), ig.group(1))
        kept += [body[pos : ig.start()], " ".join(_PAGEFIND_ATTR.findall(body[ig.start() : end]))]
        pos = end
    kept.append(body[pos:])
    tag = _HTML_TAG.search(html)
    h = hashlib.sha256((tag.group() if tag else "").encode())
    h.update(_UNREAD.sub("", "".join(kept)).encode())
    return h.hexdigest()


def write_digests(site_dir: Path, known: Mapping[str, str] | None = None) -> None:
    """Record the ``search_digest`` of every report page of a built shard: from ``known`` (by
    the page's folder, ``reports/<id>``) where given, else read from the page."""
    known = known or {}
    digests = {}
    for p in sorted((site_dir / "reports").glob("*/index.html")):
        rel = p.parent.relative_to(site_dir).as_posix()
        digests[rel] = known.get(rel) or search_digest(p.read_text(encoding="utf-8"))
    (site_dir / DIGESTS).write_text(json.dumps(digests, sort_keys=True) + "\n")
