"""Browse indexes: by year, by province → prefecture → county, by level, by document type, and
the list of all reports. A group larger than ``LIST_MAX`` is split into one page per year, and a
list longer than ``PAGE_ITEMS`` continues on numbered pages, so no page grows with the corpus."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from pipeline.pages.common import (
    KEPT,
    LEVEL_ORDER,
    LEVEL_ZH,
    TYPE_ZH,
    Output,
    PageKind,
    Site,
    anchor,
    by_title,
    group,
    level,
    slug,
    tier,
    title_lang,
    year,
    years_desc,
)
from pipeline.pages.render import macro
from pipeline.records import Report

LIST_MAX = 1000
"""A level or type with more reports than this is split into one page per year."""
PAGE_ITEMS = 300
"""A page lists at most this many reports (about 100 KB of HTML); longer lists continue on
numbered pages (``2019.md``, ``2019-p2.md``, …) in the same folder."""
ALL_REPORTS_MAX = PAGE_ITEMS
"""Above this many reports, ``reports/index.md`` points to the years instead of listing all."""
TEMPLATE = "browse.md.j2"

Groups = list[tuple[str, list[Any]]]
"""Labelled lists of reports: ``_Line`` objects, or the items they show (``_shown``)."""


def _item(r: Report, prefix: str) -> dict[str, Any]:
    m = r.metadata
    return {
        "title": m.display_title,
        "href": f"{prefix}{r.report_id}.md",
        "hant": m.script == "hant",
        "lang": title_lang(r),
        "extra": [x for x in (m.issuer, m.published_date) if x],
    }


def _token(r: Report) -> str:
    """Everything ``_item`` shows of a report but the prefix of its link, for a page's ``keep``
    hash."""
    m = r.metadata
    return (
        f"{r.report_id}\0{m.display_title}\0{m.script}\0{bool(m.title)}"
        f"\0{m.issuer}\0{m.published_date}"
    )


class _Facts:
    """What the lists need of each report, found once for all of them: the reports in the
    lists' order (``by_title``: a list grouped from them is in that order too), the token of
    what each one's line shows and its tier. Each report is in four lists (year, region, level,
    type): at 100,000 reports, sorting each list and finding these again for each line was most
    of the browse pages' time."""

    def __init__(self, reports: Iterable[Report]) -> None:
        self.ordered = by_title(reports)
        self.token = {id(r): _token(r) for r in self.ordered}
        self.tier = {id(r): tier(r) for r in self.ordered}


class _Line:
    """A report in a list, made into what its line shows (``_item``) only on a page that is
    rendered: at 100,000 reports most pages are kept, and their 400,000 lines were the most of
    the browse pages' time."""

    __slots__ = ("prefix", "report", "token")

    def __init__(self, report: Report, prefix: str, token: str) -> None:
        self.report = report
        self.prefix = prefix
        self.token = token


def _groups(
    groups: Iterable[tuple[str, list[Report]]], prefix: str, facts: _Facts | None = None
) -> Groups:
    """The groups' reports as lines; with ``facts``, the reports come in ``facts.ordered``'s
    order (else they are sorted here)."""
    if facts is None:
        return [
            (label, [_Line(r, prefix, _token(r)) for r in by_title(reps)]) for label, reps in groups
        ]
    token = facts.token
    return [(label, [_Line(r, prefix, token[id(r)]) for r in reps]) for label, reps in groups]


def _shown(groups: Groups) -> Groups:
    """The groups' lines as their items, for the template."""
    return [(label, [_item(line.report, line.prefix) for line in lines]) for label, lines in groups]


def _digest(groups: Groups) -> str:
    """A hash of everything the lists of ``groups`` show."""
    h = hashlib.sha256()
    for label, lines in groups:
        h.update(f"\1{label}\2{lines[0].prefix if lines else ''}\2".encode())
        h.update("\3".join([line.token for line in lines]).encode())
    return h.hexdigest()


def _chunks(groups: Groups, per_page: int) -> list[Groups]:
    """``groups`` cut into pages of at most ``per_page`` items; a group cut in two keeps its
    label, marked 续 on the later page."""
    pages: list[Groups] = [[]]
    room = per_page
    for label, items in groups:
        first = True
        while True:
            if room == 0:
                pages.append([])
                room = per_page
            take = items[:room]
            if take or first:
                pages[-1].append((label if first else f"{label}（续）", take))
            items = items[len(take) :]
            room -= len(take)
            first = False
            if not items:
                break
    return pages


def _page_name(path: str, k: int) -> str:
    """The k-th page (from 1) of the listing whose first page is ``path``."""
    return path if k == 1 else f"{path[: -len('.md')]}-p{k}.md"


Keep = Callable[[str, Any], bool]
"""Whether the page at a path is kept as the last build wrote it, given all it is made from
(``Site.kept`` by a hash of it): then it is not rendered again."""


def _paged(
    pages: dict[str, str | bytes],
    path: str,
    page: tuple[Any, ...],
    groups: Groups,
    keep: Keep | None = None,
    shape: Callable[[Groups], Any] = lambda part: part,
    per_page: int = PAGE_ITEMS,
) -> None:
    """Write the macro ``page[0]`` of the template with the arguments ``page[1:]`` and
    ``shape(groups)`` at ``path`` or, when the groups list more than ``per_page`` reports, one
    page per ``per_page`` with a pager under the title and at the end. A page ``keep`` keeps
    is ``KEPT``, not rendered: each page is made from ``page``, its part of the groups and the
    pager alone."""
    parts = _chunks(groups, per_page)
    render = macro(TEMPLATE, page[0])
    if len(parts) == 1:
        if keep is not None and keep(path, (page, _digest(groups))):
            pages[path] = KEPT
        else:
            pages[path] = str(render(*page[1:], shape(_shown(groups))))
        return
    folder, _, name = path.rpartition("/")
    names = [_page_name(name, k) for k in range(1, len(parts) + 1)]
    for k, part in enumerate(parts, 1):
        rel = f"{folder}/{names[k - 1]}"
        if keep is not None and keep(rel, (page, _digest(part), k, names)):
            pages[rel] = KEPT
            continue
        pager = str(macro("_shared.md.j2", "pager")(k, names)).strip()
        lines = str(render(*page[1:], shape(_shown(part)))).rstrip().split("\n")
        at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
        lines[at:at] = ["", pager]
        pages[rel] = "\n".join([*lines, "", pager, ""])


def _by_province_groups(reports: list[Report]) -> list[tuple[str, list[Report]]]:
    g = group(reports, lambda r: r.metadata.region.province or "未知")
    return sorted(g.items(), key=lambda kv: (kv[0] == "未知", kv[0]))


def _split_page(
    pages: dict[str, str | bytes],
    base: str,
    title: str,
    back: tuple[str, str],
    reports: list[Report],
    depth: int,
    list_max: int,
    keep: Keep | None,
    facts: _Facts,
) -> None:
    """A browse page for ``reports`` (in ``facts.ordered``'s order) at ``base``
    (``…/index.md``): grouped by year, or, when there are too many, a table of years linking to
    one page per year grouped by province."""
    prefix = "../" * depth + "reports/"
    by_year = group(reports, year)
    years = years_desc(by_year)
    if len(reports) <= list_max:
        _paged(
            pages,
            f"{base}/index.md",
            ("group_page", title, back),
            _groups(((f"{y} 年度", by_year[y]) for y in years), prefix, facts),
            keep,
        )
        return
    counts = [(y, f"{slug(y)}.md", len(by_year[y])) for y in years]
    pages[f"{base}/index.md"] = str(macro(TEMPLATE, "group_years_page")(title, back, counts))
    for y in years:
        _paged(
            pages,
            f"{base}/{slug(y)}.md",
            ("group_year_page", title, y),
            _groups(_by_province_groups(by_year[y]), prefix, facts),
            keep,
        )


def _province_pages(
    prov: str, reports: list[Report], keep: Keep | None, facts: _Facts
) -> dict[str, str | bytes]:
    """A province's pages; ``reports`` come in ``facts.ordered``'s order."""
    tier_of = facts.tier
    pages: dict[str, str | bytes] = {}
    base = f"browse/region/{slug(prov)}"
    prefix = "../../../reports/"
    own = [r for r in reports if tier_of[id(r)] == "province"]
    by_pref = group(
        [r for r in reports if tier_of[id(r)] != "province"],
        lambda r: r.metadata.region.prefecture or "",
    )
    rows = []
    for pref in sorted(by_pref, key=lambda p: (p == "", p)):
        label = pref or "直辖区县"
        n_county = sum(tier_of[id(r)] == "county" for r in by_pref[pref])
        rows.append((label, f"{slug(label)}.md", len(by_pref[pref]), n_county))
        _prefecture_pages(
            pages, f"{base}/{slug(label)}.md", prov, label, by_pref[pref], keep, facts
        )
    own_label = f"{prov}省级机关" if prov != "未知" else "地区未知"
    _paged(
        pages,
        f"{base}/index.md",
        ("province_page", prov, len(reports), rows),
        _groups([(own_label, own)] if own else [], prefix, facts),
        keep,
    )
    return pages


def _prefecture_pages(
    pages: dict[str, str | bytes],
    path: str,
    prov: str,
    pref: str,
    reports: list[Report],
    keep: Keep | None,
    facts: _Facts,
) -> None:
    """A prefecture's page: its own bodies, then each county's (continued on numbered pages
    when long; the county index links to the page where each county starts); ``reports`` come
    in ``facts.ordered``'s order."""
    prefix = "../../../reports/"
    own = [r for r in reports if facts.tier[id(r)] != "county"]
    by_county = group(
        [r for r in reports if facts.tier[id(r)] == "county"],
        lambda r: r.metadata.region.county or "区县未知",
    )
    groups = _groups([(f"{pref}本级", own)] if own else [], prefix, facts)
    counties = sorted(by_county.items())
    groups += _groups(counties, prefix, facts)
    # Where each county's list starts: (county, page, anchor, count).
    name = path.rpartition("/")[2]
    starts: dict[str, str] = {}
    for k, part in enumerate(_chunks(groups, PAGE_ITEMS), 1):
        for label, _ in part:
            starts.setdefault(label, _page_name(name, k))
    index = [
        (county, starts.get(county, name), anchor(county), len(reps)) for county, reps in counties
    ]
    _paged(
        pages,
        path,
        ("prefecture_page", prov, pref, len(reports), index),
        groups,
        keep,
        lambda part: [
            (label, anchor(label.removesuffix("（续）")), items) for label, items in part
        ],
    )


def browse_pages(
    reports: Sequence[Report], list_max: int = LIST_MAX, keep: Keep | None = None
) -> dict[str, str | bytes]:
    """Index pages: by year, by province → prefecture → county, by level, by document type.
    The lists of reports are ``KEPT`` where ``keep`` keeps them (the tables of counts above
    them are small and always made)."""
    pages: dict[str, str | bytes] = {}
    facts = _Facts(reports)
    reps = facts.ordered
    by_year = group(reps, year)
    by_prov = group(reps, lambda r: r.metadata.region.province or "未知")
    by_level = group(reps, level)
    by_type = group(reps, lambda r: r.metadata.document_type)
    years = years_desc(by_year)
    provinces = sorted(by_prov, key=lambda p: (p == "未知", p))
    levels = [k for k in LEVEL_ORDER if k in by_level]
    types = sorted(by_type)

    # Years: a table, then one page per year grouped by province.
    pages["browse/years.md"] = str(
        macro(TEMPLATE, "years_page")([(y, f"year/{slug(y)}.md", len(by_year[y])) for y in years])
    )
    for y in years:
        _paged(
            pages,
            f"browse/year/{slug(y)}.md",
            ("year_page", y, len(by_year[y])),
            _groups(_by_province_groups(by_year[y]), "../../reports/", facts),
            keep,
        )

    # Regions: province → prefecture → county.
    rows = []
    for prov in provinces:
        tiers = Counter(facts.tier[id(r)] for r in by_prov[prov])
        rows.append(
            (
                prov,
                f"region/{slug(prov)}/index.md",
                len(by_prov[prov]),
                tiers["province"],
                tiers["prefecture"],
                tiers["county"],
            )
        )
        pages.update(_province_pages(prov, by_prov[prov], keep, facts))
    pages["browse/regions.md"] = str(macro(TEMPLATE, "regions_page")(rows))

    # Levels and document types: grouped by year (split by year when large).
    pages["browse/levels.md"] = str(
        macro(TEMPLATE, "levels_page")(
            [(LEVEL_ZH[k], f"level/{k}/index.md", len(by_level[k])) for k in levels]
        )
    )
    for k in levels:
        _split_page(
            pages,
            f"browse/level/{k}",
            f"{LEVEL_ZH[k]}机关的报告",
            ("按层级浏览", "../../levels.md"),
            by_level[k],
            3,
            list_max,
            keep,
            facts,
        )
    pages["browse/types.md"] = str(
        macro(TEMPLATE, "types_page")(
            [(TYPE_ZH.get(k, k), f"type/{k}/index.md", len(by_type[k])) for k in types]
        )
    )
    for k in types:
        _split_page(
            pages,
            f"browse/type/{k}",
            TYPE_ZH.get(k, k),
            ("按文件类型浏览", "../../types.md"),
            by_type[k],
            3,
            list_max,
            keep,
            facts,
        )

    pages["browse/index.md"] = str(
        macro(TEMPLATE, "browse_index")(
            len(reps),
            [(y, f"year/{slug(y)}.md", len(by_year[y])) for y in years],
            [(p, f"region/{slug(p)}/index.md", len(by_prov[p])) for p in provinces],
            [(LEVEL_ZH[k], f"level/{k}/index.md", len(by_level[k])) for k in levels],
            [(TYPE_ZH.get(k, k), f"type/{k}/index.md", len(by_type[k])) for k in types],
        )
    )
    return pages


def all_reports_page(reports: Sequence[Report]) -> str:
    """``reports/index.md``: every report grouped by year, or a pointer to the years."""
    if len(reports) > ALL_REPORTS_MAX:
        return str(macro(TEMPLATE, "all_reports_page")(None))
    by_year = group(reports, year)
    groups = _groups(((f"{y} 年度", by_year[y]) for y in years_desc(by_year)), "")
    return str(macro(TEMPLATE, "all_reports_page")(_shown(groups)))


def _keep(site: Site) -> Keep | None:
    """Keep a list page whose inputs (and code, ``site.salt``) are those of the last build."""
    if not site.salt:
        return None

    def keep(path: str, inputs: Any) -> bool:
        h = hashlib.sha256(f"{site.salt}\0{path}\0".encode())
        h.update(repr(inputs).encode())
        return site.kept((path,), h.hexdigest())

    return keep


def _outputs(site: Site) -> Iterator[Output]:
    yield from browse_pages(site.reports, keep=_keep(site)).items()
    yield "reports/index.md", all_reports_page(site.reports)


KIND = PageKind("browse", ("browse", "reports/index.md"), _outputs, copied_text=False)
