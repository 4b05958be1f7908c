"""Static SVG charts: small, deterministic, readable in light and dark schemes.

Hand-written rather than a charting library: the charts are plain bars, and a library such as
pygal or matplotlib would add megabytes of dependency and non-deterministic ids to the output.
This module computes a chart's geometry (every coordinate, label and tooltip); the macros of
templates/_charts.j2 draw it as SVG. Text uses `currentColor` and bars use CSS classes, so the
page's colour scheme styles them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .pages.text import duration

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 46
CHAR_WIDTH = 6.4  # average width of a character at font-size 11, in viewBox units
LINE_HEIGHT = 13  # between the two lines of a wrapped category label
LEGEND_ROW = 18  # of BOTTOM, the legend's row below the labels
# The y axis of durations: round spans a reader knows, about evenly spaced on the log scale.
LOG_TICKS = (
    (1.0, "1 min"),
    (10.0, "10 min"),
    (60.0, "1 h"),
    (360.0, "6 h"),
    (1440.0, "1 d"),
    (10080.0, "1 wk"),
    (43200.0, "30 d"),
    (525600.0, "1 yr"),
)
# The widest slot of one period or one category: with a single period a bar spanning the whole
# plot reads as a block, not as a bar.
MAX_SLOT, MAX_CATEGORY_SLOT = 64.0, 160.0


@dataclass(frozen=True)
class Series:
    """One stacked layer (or one group) of bars."""

    name: str
    css: str  # a class such as pmkb-fill-sev1
    values: tuple[float, ...]


@dataclass(frozen=True)
class Tick:
    """A grid line across the plot and its value on the y axis."""

    y: str
    text_y: str
    text: str


@dataclass(frozen=True)
class Bar:
    """One drawn bar, with the tooltip that names its value."""

    css: str
    x: str
    y: str
    width: str
    height: str
    title: str


@dataclass(frozen=True)
class TextLine:
    """One line of an x-axis label, `dy` below the line before it."""

    dy: int
    text: str


@dataclass(frozen=True)
class Slot:
    """The bars of one period or category, and its label (no lines when thinned out)."""

    bars: tuple[Bar, ...]
    x: str  # the label's centre
    lines: tuple[TextLine, ...]


@dataclass(frozen=True)
class Key:
    """One series in the legend: a swatch and its name."""

    css: str
    x: int
    text_x: int
    name: str


@dataclass(frozen=True)
class BarChart:
    """A bar chart's geometry; the `bar_chart` macro of templates/_charts.j2 draws it as SVG.

    Coordinates that are not whole numbers come as text, with the one decimal the SVG carries:
    formatting them here is three times as fast as a Jinja filter per attribute.
    """

    id: str
    title: str
    description: str
    height: int
    axis_y: int
    label_y: int
    ticks: tuple[Tick, ...]
    slots: tuple[Slot, ...]
    legend: tuple[Key, ...]
    legend_y: int
    legend_text_y: int
    width: int = WIDTH
    left: int = LEFT
    right: int = WIDTH - RIGHT
    tick_x: int = LEFT - 6


@dataclass(frozen=True)
class DataTable:
    """A chart's numbers as a table, for screen readers and for copying."""

    caption: str
    header: Sequence[str]
    rows: Sequence[Sequence[object]]


@dataclass(frozen=True)
class Figure:
    """A chart framed with its caption and, when it has one, its data table; or, when there is
    nothing to chart, the sentence that says what is missing and how to record it."""

    chart: BarChart | None
    caption: str
    table: DataTable | None = None

    @classmethod
    def empty(cls, sentence: str) -> Figure:
        """No chart, only `sentence`: an empty frame with one tick tells a reader nothing."""
        return cls(None, sentence)


@dataclass(frozen=True)
class _Plot:
    """The plot area of one chart: its height, the width given to each label, its value scale."""

    height: int
    slot: float
    top: float  # the value at the top of the y axis
    log_minutes: bool

    def share(self, value: float) -> float:
        """How far up the plot `value` reaches, from 0 at the axis to 1 at the top."""
        if self.log_minutes:
            return _log_scale(value) / _log_scale(self.top)
        return value / self.top

    def y(self, value: float) -> float:
        return TOP + self.height - self.share(value) * self.height


def coord(value: float) -> str:
    """A coordinate as the SVG carries it, with one decimal."""
    return f"{value:.1f}"


def _wrap(label: str) -> list[str]:
    """A long label on two lines, split at the space nearest its middle."""
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    if not spaces:
        return [label]
    cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return [label[:cut], label[cut + 1 :]]


def _wraps(label: str, slot: float) -> bool:
    """Whether a category label is too wide for its slot, and goes on two lines (see `_wrap`)."""
    return " " in label and len(label) * CHAR_WIDTH > slot * 0.95


def _nice_max(value: float) -> float:
    """The top of the y axis: four steps of a round size."""
    for step in (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000):
        if value <= step * 4:
            return float(step * 4)
    return float(value)


def _log_scale(minutes: float) -> float:
    return math.log10(1.0 + max(minutes, 0.0))


def _log_top(value: float) -> float:
    """The top of a duration axis: the first tick at or above `value`, at least 1 hour."""
    return next((t for t, _ in LOG_TICKS if t >= max(value, 60.0)), value)


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
    top: float | None = None,
) -> BarChart:
    """A bar chart (stacked or grouped), with a title and description for screen readers.

    With `log_minutes` the values are durations in minutes on a logarithmic axis: incident
    durations span minutes to days, and on a linear axis one long incident flattens all the others.
    `top` fixes the top of the y axis (100 for percentages), else it is the data's, rounded up.
    """
    combine: Callable[[list[float]], float] = sum if stacked else lambda v: max(v, default=0)
    totals = [combine([s.values[i] for s in series]) for i in range(len(labels))]
    highest = max(totals, default=0)
    widest = MAX_CATEGORY_SLOT if categories else MAX_SLOT
    plot = _Plot(
        height=height - TOP - BOTTOM,
        slot=min((WIDTH - LEFT - RIGHT) / max(len(labels), 1), widest),
        top=top or (_log_top(highest) if log_minutes else _nice_max(highest)),
        log_minutes=log_minutes,
    )
    legend = _legend(series)
    if not legend:
        # The legend's row would be a blank band between the chart and its caption; two-line
        # category labels keep part of it.
        two_lines = categories and any(_wraps(label, plot.slot) for label in labels)
        height -= LEGEND_ROW - (LINE_HEIGHT - 7 if two_lines else 0)
    return BarChart(
        id=chart_id,
        title=title,
        description=description,
        height=height,
        axis_y=TOP + plot.height,
        label_y=TOP + plot.height + 16,
        ticks=_ticks(plot, unit),
        slots=_slots(plot, labels, series, stacked=stacked, unit=unit, categories=categories),
        legend=legend,
        legend_y=height - 16,
        legend_text_y=height - 7,
    )


def _ticks(plot: _Plot, unit: str) -> tuple[Tick, ...]:
    """The y axis: round durations on a logarithmic axis, else four equal steps."""
    if plot.log_minutes:
        values = [(t, text) for t, text in LOG_TICKS if t <= plot.top]
        if values[-1][0] < plot.top:  # beyond the last round span: the top is labelled as it is
            values.append((plot.top, duration(round(plot.top))))
    else:
        step = plot.top / 4
        values = [(step * i, _fmt(step * i) + unit) for i in range(5)]
    return tuple(Tick(coord(plot.y(t)), coord(plot.y(t) + 4), text) for t, text in values)


def _slots(
    plot: _Plot,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool,
    unit: str,
    categories: bool,
) -> tuple[Slot, ...]:
    """Each label's bars and x-axis label.

    Periods are thinned out until their labels fit; category labels all show, on two lines if long.
    """
    slot = plot.slot
    widest = max((len(label) for label in labels), default=0) * CHAR_WIDTH
    every = 1 if categories else max(1, round(max(len(labels), 1) / 12), math.ceil(widest / slot))
    width = max(1.0, slot * (0.7 if stacked else 0.8) / (1 if stacked else max(len(series), 1)))
    slots = []
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + slot * (0.15 if stacked else 0.1)
        bars = _bars(plot, x0, width, label, [(s, s.values[i]) for s in series], stacked, unit)
        lines: list[str] = []
        if i % every == 0:
            lines = _wrap(label) if categories and _wraps(label, slot) else [label]
        text_lines = tuple(TextLine(0 if k == 0 else LINE_HEIGHT, t) for k, t in enumerate(lines))
        slots.append(Slot(bars, coord(LEFT + i * slot + slot / 2), text_lines))
    return tuple(slots)


def _bars(
    plot: _Plot,
    x0: float,
    width: float,
    label: str,
    values: list[tuple[Series, float]],
    stacked: bool,
    unit: str,
) -> tuple[Bar, ...]:
    """One label's bars: stacked from the axis up, or side by side from `x0`."""
    bars = []
    base = 0.0
    for k, (s, value) in enumerate(values):
        if value <= 0:
            continue
        if stacked:
            h = (plot.share(base + value) - plot.share(base)) * plot.height
            y = plot.y(base + value)
            x = x0
            base += value
        else:
            h = plot.share(value) * plot.height
            y = TOP + plot.height - h
            x = x0 + k * width
        amount = duration(round(value)) if plot.log_minutes else f"{_fmt(value)}{unit}"
        title = f"{label}: {amount} {s.name}"
        bars.append(Bar(s.css, coord(x), coord(y), coord(width), coord(h), title))
    return tuple(bars)


def _legend(series: Sequence[Series]) -> tuple[Key, ...]:
    """A swatch and name per series, in one row; none for a single series."""
    if len(series) < 2:
        return ()
    keys = []
    x = LEFT
    for s in series:
        keys.append(Key(s.css, x, x + 14, s.name))
        x += 22 + 7 * len(s.name)
    return tuple(keys)
