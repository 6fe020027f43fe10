"""Browse indexes: by year, by province → prefecture → county, by level, by document type, and
the list of all reports. A group larger than ``LIST_MAX`` is split into one page per year."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pipeline.pages.common import (
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
"""A browse page lists at most this many reports; a larger group is split by year."""
ALL_REPORTS_MAX = 2000
"""Above this many reports, ``reports/index.md`` points to the years instead of listing all."""
TEMPLATE = "browse.md.j2"

Groups = list[tuple[str, list[dict[str, Any]]]]


def _item(r: Report, prefix: str) -> dict[str, Any]:
    m = r.metadata
    return {
        "title": m.display_title,
        "href": f"{prefix}{r.report_id}.md",
        "hant": m.script == "hant",
        "lang": title_lang(r),
        "extra": [x for x in (m.issuer, m.published_date) if x],
    }


def _groups(groups: Iterable[tuple[str, list[Report]]], prefix: str) -> Groups:
    return [(label, [_item(r, prefix) for r in by_title(reps)]) for label, reps in groups]


def _by_province_groups(reports: list[Report]) -> list[tuple[str, list[Report]]]:
    g = group(reports, lambda r: r.metadata.region.province or "未知")
    return sorted(g.items(), key=lambda kv: (kv[0] == "未知", kv[0]))


def _split_page(
    pages: dict[str, str],
    base: str,
    title: str,
    back: tuple[str, str],
    reports: list[Report],
    depth: int,
    list_max: int,
) -> None:
    """A browse page for ``reports`` at ``base`` (``…/index.md``): grouped by year, or, when
    there are too many, a table of years linking to one page per year grouped by province."""
    prefix = "../" * depth + "reports/"
    by_year = group(reports, year)
    years = years_desc(by_year)
    if len(reports) <= list_max:
        pages[f"{base}/index.md"] = str(
            macro(TEMPLATE, "group_page")(
                title, back, _groups(((f"{y} 年度", by_year[y]) for y in years), prefix)
            )
        )
        return
    counts = [(y, f"{slug(y)}.md", len(by_year[y])) for y in years]
    pages[f"{base}/index.md"] = str(macro(TEMPLATE, "group_years_page")(title, back, counts))
    for y in years:
        pages[f"{base}/{slug(y)}.md"] = str(
            macro(TEMPLATE, "group_year_page")(
                title, y, _groups(_by_province_groups(by_year[y]), prefix)
            )
        )


def _province_pages(prov: str, reports: list[Report]) -> dict[str, str]:
    pages: dict[str, str] = {}
    base = f"browse/region/{slug(prov)}"
    prefix = "../../../reports/"
    own = [r for r in reports if tier(r) == "province"]
    by_pref = group(
        [r for r in reports if tier(r) != "province"], lambda r: r.metadata.region.prefecture or ""
    )
    rows = []
    for pref in sorted(by_pref, key=lambda p: (p == "", p)):
        label = pref or "直辖区县"
        n_county = sum(tier(r) == "county" for r in by_pref[pref])
        rows.append((label, f"{slug(label)}.md", len(by_pref[pref]), n_county))
        pages[f"{base}/{slug(label)}.md"] = _prefecture_page(prov, label, by_pref[pref])
    own_label = f"{prov}省级机关" if prov != "未知" else "地区未知"
    pages[f"{base}/index.md"] = str(
        macro(TEMPLATE, "province_page")(
            prov, len(reports), rows, _groups([(own_label, own)] if own else [], prefix)
        )
    )
    return pages


def _prefecture_page(prov: str, pref: str, reports: list[Report]) -> str:
    prefix = "../../../reports/"
    own = [r for r in reports if tier(r) != "county"]
    by_county = group(
        [r for r in reports if tier(r) == "county"],
        lambda r: r.metadata.region.county or "区县未知",
    )
    counties = [
        (county, anchor(county), [_item(r, prefix) for r in by_title(reps)])
        for county, reps in sorted(by_county.items())
    ]
    return str(
        macro(TEMPLATE, "prefecture_page")(
            prov,
            pref,
            len(reports),
            counties,
            _groups([(f"{pref}本级", own)] if own else [], prefix),
        )
    )


def browse_pages(reports: Sequence[Report], list_max: int = LIST_MAX) -> dict[str, str]:
    """Index pages: by year, by province → prefecture → county, by level, by document type."""
    pages: dict[str, str] = {}
    reps = list(reports)
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
        pages[f"browse/year/{slug(y)}.md"] = str(
            macro(TEMPLATE, "year_page")(
                y, len(by_year[y]), _groups(_by_province_groups(by_year[y]), "../../reports/")
            )
        )

    # Regions: province → prefecture → county.
    rows = []
    for prov in provinces:
        tiers = Counter(tier(r) for r in by_prov[prov])
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
        pages.update(_province_pages(prov, by_prov[prov]))
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
    return str(macro(TEMPLATE, "all_reports_page")(groups))


def _outputs(site: Site) -> Iterator[Output]:
    yield from browse_pages(site.reports).items()
    yield "reports/index.md", all_reports_page(site.reports)


KIND = PageKind("browse", ("browse", "reports/index.md"), _outputs)
