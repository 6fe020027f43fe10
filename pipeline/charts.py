"""Charts for the site as inline SVG, rendered at build time (no JavaScript, no external files).

Every chart is a ``<figure>`` holding an ``<svg role="img">`` with a ``<title>`` and ``<desc>``,
a caption, and the same numbers as a table in a ``<details>`` (the text alternative). Colours
come from CSS custom properties (``--chart-0`` …) so that the light and dark schemes both work.
Output depends only on the data: the same numbers give the same bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

FONT = 12
"""Font size in SVG user units."""
SERIES = 6
"""Number of distinct series colours defined in the stylesheet (``.chart .s0`` … ``.s5``)."""


def _h(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(x: float) -> str:
    """A coordinate with at most one decimal, without a trailing ``.0``."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def number_zh(value: float) -> str:
    """A number as Chinese readers write it on an axis: 1.2万, 3亿, 860."""
    v = float(value)
    for size, unit in ((1e8, "亿"), (1e4, "万")):
        if abs(v) >= size:
            q = v / size
            return f"{q:.1f}".rstrip("0").rstrip(".") + unit
    return f"{int(v):,}" if v.is_integer() else f"{v:,.1f}"


def integer(value: float) -> str:
    v = float(value)
    return f"{int(v):,}" if v.is_integer() else f"{v:,.2f}"


def nice_max(value: float, ticks: int = 4) -> tuple[float, float]:
    """A round axis maximum at or above ``value`` and its tick step (a whole number: the charts
    count reports, applications and the like)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / ticks
    mag = 10 ** math.floor(math.log10(raw))
    step = 10 * mag
    for f in (1, 2, 2.5, 5, 10):
        if f * mag * ticks >= value:
            step = f * mag
            break
    step = max(1.0, float(round(step)) if step >= 1 else step)
    return step * math.ceil(value / step - 1e-9), step


def _figure(
    cid: str, title: str, summary: str, svg_body: list[str], width: int, height: int, table: str
) -> str:
    label = f"{title}。{summary}" if summary else title
    parts = [
        f'<figure class="chart" id="{_h(cid)}">',
        f'<figcaption class="chart-title">{_h(title)}</figcaption>',
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{_h(label)}" preserveAspectRatio="xMinYMin meet"'
        f' font-size="{FONT}">',
        f"<title>{_h(title)}</title>",
        f"<desc>{_h(summary)}</desc>",
        *svg_body,
        "</svg>",
        table,
        "</figure>",
    ]
    return "\n".join(parts)


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = [
        '<details class="chart-data">',
        "<summary>数据表</summary>",
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{_h(caption)}"><table>',
        f"<caption>{_h(caption)}</caption>",
        "<thead><tr>" + "".join(f'<th scope="col">{_h(h)}</th>' for h in head) + "</tr></thead>",
        "<tbody>",
    ]
    for row in rows:
        cells = [f'<th scope="row">{_h(row[0])}</th>'] + [
            f'<td class="num">{_h(c)}</td>' for c in row[1:]
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table></div>", "</details>"]
    return "\n".join(out)


def _y_axis(
    x0: float, x1: float, y_top: float, y_bottom: float, top: float, step: float
) -> list[str]:
    out = []
    v = 0.0
    while v <= top + step / 1000:
        y = y_bottom - (v / top) * (y_bottom - y_top)
        out.append(f'<line class="grid" x1="{_n(x0)}" x2="{_n(x1)}" y1="{_n(y)}" y2="{_n(y)}"/>')
        out.append(
            f'<text class="tick" x="{_n(x0 - 6)}" y="{_n(y + 4)}" text-anchor="end">{_h(number_zh(v))}</text>'
        )
        v += step
    return out


def column_chart(
    cid: str,
    title: str,
    data: Sequence[tuple[str, float]],
    unit: str,
    summary: str = "",
    width: int = 440,
) -> str:
    """Vertical bars, one per category (e.g. reports per year)."""
    return stacked_column_chart(
        cid, title, [label for label, _ in data], [("", [v for _, v in data])], unit, summary, width
    )


def stacked_column_chart(
    cid: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    unit: str,
    summary: str = "",
    width: int = 440,
) -> str:
    """Vertical bars per category, stacked by series (a legend when there is more than one)."""
    legend = len(series) > 1 or bool(series and series[0][0])
    left, right, bottom = 52, 8, 26
    # Legend: swatches laid out in rows that fit the width.
    legend_items: list[tuple[float, float, int, str]] = []
    x, row = left, 0
    for i, (name, _) in enumerate(series if legend else ()):
        w = 18 + FONT * len(name) + 14
        if x + w > width - right and x > left:
            x, row = left, row + 1
        legend_items.append((x, 8 + row * 20, i, name))
        x += w
    top = 12 + (20 * (row + 1) if legend_items else 0)
    height = top + 200 + bottom
    y_bottom = height - bottom
    totals = [sum(s[1][i] for s in series) for i in range(len(categories))]
    ymax, step = nice_max(max(totals, default=0))
    body: list[str] = []
    for lx, ly, i, name in legend_items:
        body.append(
            f'<rect class="s{i % SERIES}" x="{_n(lx)}" y="{_n(ly)}" width="12" height="12" rx="2"/>'
        )
        body.append(f'<text class="legend" x="{_n(lx + 17)}" y="{_n(ly + 10.5)}">{_h(name)}</text>')
    body += _y_axis(left, width - right, top, y_bottom, ymax, step)
    n = max(len(categories), 1)
    band = (width - left - right) / n
    bar = min(36.0, band * 0.7)
    every = 1 if band >= 34 else 2 if band >= 17 else math.ceil(34 / band)
    for ci, cat in enumerate(categories):
        cx = left + band * ci + band / 2
        y = y_bottom
        for si, (name, values) in enumerate(series):
            v = values[ci]
            if v <= 0:
                continue
            h = v / ymax * (y_bottom - top)
            y -= h
            tip = f"{cat}{('，' + name) if name else ''}：{integer(v)} {unit}"
            body.append(
                f'<rect class="s{si % SERIES}" x="{_n(cx - bar / 2)}" y="{_n(y)}" width="{_n(bar)}" '
                f'height="{_n(h)}"><title>{_h(tip)}</title></rect>'
            )
        if ci % every == 0:
            body.append(
                f'<text class="tick" x="{_n(cx)}" y="{_n(y_bottom + 16)}" text-anchor="middle">{_h(cat)}</text>'
            )
    body.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{y_bottom}" y2="{y_bottom}"/>'
    )
    if legend:
        head = ["", *[name for name, _ in series], "合计"]
        rows = [
            [cat, *[integer(s[1][i]) for s in series], integer(totals[i])]
            for i, cat in enumerate(categories)
        ]
    else:
        head = ["", f"{unit}"]
        rows = [[cat, integer(totals[i])] for i, cat in enumerate(categories)]
    return _figure(cid, title, summary, body, width, height, _table(title, head, rows))


def bar_chart(
    cid: str,
    title: str,
    data: Sequence[tuple[str, float]],
    summary: str = "",
    percent: bool = True,
    width: int = 440,
    value_label: str = "占比",
) -> str:
    """Horizontal bars, one row per category (e.g. the share of reports stating each figure)."""
    label_w = FONT * max((len(label) for label, _ in data), default=4) + 10
    label_w = min(label_w, width * 0.45)
    left, right, top, row_h = label_w, 52, 6, 22
    height = top + row_h * max(len(data), 1) + 6
    vmax = 100.0 if percent else max((v for _, v in data), default=1) or 1
    body: list[str] = []
    for i, (label, v) in enumerate(data):
        y = top + i * row_h
        w = v / vmax * (width - left - right)
        text = f"{v:.0f}%" if percent else integer(v)
        body.append(
            f'<text class="tick" x="{_n(left - 6)}" y="{_n(y + 15)}" text-anchor="end">{_h(label)}</text>'
        )
        body.append(
            f'<rect class="track" x="{_n(left)}" y="{_n(y + 4)}" width="{_n(width - left - right)}" height="14" rx="2"/>'
        )
        body.append(
            f'<rect class="s0" x="{_n(left)}" y="{_n(y + 4)}" width="{_n(w)}" height="14" rx="2">'
            f"<title>{_h(label)}：{_h(text)}</title></rect>"
        )
        body.append(
            f'<text class="value" x="{_n(left + w + 5)}" y="{_n(y + 15)}">{_h(text)}</text>'
        )
    rows = [[label, f"{v:.1f}%" if percent else integer(v)] for label, v in data]
    return _figure(cid, title, summary, body, width, height, _table(title, ["", value_label], rows))


def year_columns(
    cid: str,
    title: str,
    data: Sequence[tuple[str, float | None, str]],
    unit: str,
    summary: str = "",
    width: int = 320,
) -> str:
    """A small chart of one figure by year: a bar per year that has a value, none for a year
    without (its note, 未写明 or 待核, says why in the data table)."""
    left, right, top, bottom, plot_h = 48, 8, 10, 24, 110
    height = top + plot_h + bottom
    y_bottom = top + plot_h
    values = [v for _, v, _ in data if v is not None]
    ymax, step = nice_max(max(values, default=0))
    body = _y_axis(left, width - right, top, y_bottom, ymax, step)
    n = max(len(data), 1)
    band = (width - left - right) / n
    bar = min(28.0, band * 0.7)
    every = 1 if band >= 34 else 2 if band >= 17 else math.ceil(34 / band)
    for i, (label, v, note) in enumerate(data):
        cx = left + band * i + band / 2
        if v is not None and v > 0:
            h = v / ymax * plot_h
            tip = f"{label}：{integer(v)} {unit}"
            body.append(
                f'<rect class="s0" x="{_n(cx - bar / 2)}" y="{_n(y_bottom - h)}" '
                f'width="{_n(bar)}" height="{_n(h)}"><title>{_h(tip)}</title></rect>'
            )
        elif v is None:
            body.append(
                f'<text class="tick gap" x="{_n(cx)}" y="{_n(y_bottom - 4)}" '
                f'text-anchor="middle">–<title>{_h(label)}：{_h(note)}</title></text>'
            )
        if i % every == 0:
            body.append(
                f'<text class="tick" x="{_n(cx)}" y="{_n(y_bottom + 16)}" '
                f'text-anchor="middle">{_h(label)}</text>'
            )
    body.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{y_bottom}" y2="{y_bottom}"/>'
    )
    rows = [[label, integer(v) if v is not None else note] for label, v, note in data]
    return _figure(cid, title, summary, body, width, height, _table(title, ["", unit], rows))
