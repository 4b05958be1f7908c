"""Static SVG charts: small, deterministic, readable in light and dark schemes.

Hand-written rather than a charting library: the charts are plain bars, and a library such as
pygal or matplotlib would add megabytes of dependency and non-deterministic ids to the output.
Text uses `currentColor` and bars use CSS classes, so the page's colour scheme styles them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 46


@dataclass(frozen=True)
class Series:
    """One stacked layer (or one group) of bars."""

    name: str
    css: str  # a class such as pmkb-fill-sev1
    values: tuple[float, ...]


CHAR_WIDTH = 6.4  # average width of a character at font-size 11, in viewBox units


def _wrap(label: str) -> list[str]:
    """A long label on two lines, split at the space nearest its middle."""
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    if not spaces:
        return [label]
    cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return [label[:cut], label[cut + 1 :]]


def _nice_max(value: float) -> float:
    """The top of the y axis: four steps of a round size."""
    for step in (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000):
        if value <= step * 4:
            return float(step * 4)
    return float(value)


LOG_TICKS = (1.0, 10.0, 60.0, 600.0, 6000.0, 60000.0)


def _log_scale(minutes: float) -> float:
    return math.log10(1.0 + max(minutes, 0.0))


def _log_top(value: float) -> float:
    return next((t for t in LOG_TICKS if t >= value), value)


def _duration_label(minutes: float) -> str:
    if minutes < 60:
        return f"{minutes:.0f} min"
    if minutes < 1440:
        return f"{minutes / 60:.0f} h"
    return f"{minutes / 1440:.0f} d"


def _ticks(top: float) -> list[float]:
    step = top / 4
    return [step * i for i in range(5)]


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = True,
    unit: str = "",
    height: int = HEIGHT,
    log_minutes: bool = False,
    categories: bool = False,
) -> Markup:
    """A bar chart (stacked or grouped) as inline SVG with a title and description for screen readers.

    With `log_minutes` the values are durations in minutes on a logarithmic axis: incident
    durations span minutes to days, and on a linear axis one long incident flattens all the others.
    """
    n = max(len(labels), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM
    totals = (
        [sum(s.values[i] for s in series) for i in range(len(labels))]
        if stacked
        else [max((s.values[i] for s in series), default=0) for i in range(len(labels))]
    )
    scale = _log_scale if log_minutes else None
    top = _log_top(max(totals, default=0)) if log_minutes else _nice_max(max(totals, default=0))
    y_of = (lambda v: scale(v) / scale(top)) if scale else (lambda v: v / top)
    slot = plot_w / n
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="pmkb-svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    ticks = (
        [(t, _duration_label(t)) for t in LOG_TICKS if t <= top]
        if log_minutes
        else [(t, _fmt(t) + unit) for t in _ticks(top)]
    )
    for tick, text in ticks:
        y = TOP + plot_h - y_of(tick) * plot_h
        parts.append(
            f'<line class="pmkb-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#8884" />'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="currentColor">{escape(text)}</text>'
        )
    # Periods are thinned out until their labels fit; category labels all show, on two lines if long.
    widest = max((len(label) for label in labels), default=0) * CHAR_WIDTH
    every = 1 if categories else max(1, round(n / 12), math.ceil(widest / slot))
    bar_w = max(1.0, slot * (0.7 if stacked else 0.8) / (1 if stacked else max(len(series), 1)))
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + slot * (0.15 if stacked else 0.1)
        base = 0.0
        for k, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            h = y_of(value) * plot_h
            if stacked:
                h = (y_of(base + value) - y_of(base)) * plot_h
                y = TOP + plot_h - y_of(base + value) * plot_h
                x = x0
                base += value
            else:
                y = TOP + plot_h - h
                x = x0 + k * bar_w
            parts.append(
                f'<rect class="{s.css}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
                f"<title>{escape(label)}: {_fmt(value)}{escape(unit)} {escape(s.name)}</title></rect>"
            )
        if i % every == 0:
            cx = LEFT + i * slot + slot / 2
            lines = (
                _wrap(label) if categories and len(label) * CHAR_WIDTH > slot * 0.95 else [label]
            )
            spans = "".join(
                f'<tspan x="{cx:.1f}" dy="{0 if k == 0 else 13}">{escape(line)}</tspan>'
                for k, line in enumerate(lines)
            )
            parts.append(
                f'<text x="{cx:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" font-size="11" fill="currentColor">{spans}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="currentColor" />'
    )
    if len(series) > 1:
        x = LEFT
        for s in series:
            parts.append(
                f'<rect class="{s.css}" x="{x}" y="{height - 16}" width="10" height="10" />'
            )
            parts.append(
                f'<text x="{x + 14}" y="{height - 7}" font-size="11" fill="currentColor">{escape(s.name)}</text>'
            )
            x += 22 + 7 * len(s.name)
    parts.append("</svg>")
    return Markup("".join(parts))


def data_table(caption: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Markup:
    """The chart's numbers as a table, for screen readers and for copying."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return Markup(
        f'<details class="pmkb-data"><summary>{escape(caption)}</summary>'
        f'<table class="pmkb-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>'
    )


def figure(chart: Markup, caption: str, table: Markup) -> Markup:
    return Markup(
        f'<figure class="pmkb-chart">{chart}<figcaption>{escape(caption)}</figcaption>{table}</figure>'
    )
