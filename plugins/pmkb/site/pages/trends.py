"""The trends page: incident volume, time to detect and recover, time to review, recurring
factors, services, and the near misses, counted apart."""

from __future__ import annotations

from ...analyse.analysis import Analysis
from ...analyse.trends import MEASURES, Distribution, Period, from_detection
from ..charts import DataTable, Figure, Series, bar_chart
from .base import GeneratedPage, PageContext
from .text import front_matter, num, plural, span


def trends_page(ctx: PageContext) -> GeneratedPage:
    """The trends page of the published incidents."""
    a = ctx.analysis
    # Near misses are counted apart, in a section of their own: every figure is of incidents.
    incidents = a.incidents
    period_name = "quarter" if a.periods and a.periods[0].quarterly else "month"
    time_table = a.time_table()
    overall = a.overall()
    meta = front_matter("Trends", search={"exclude": True}, hide=["navigation"])
    return ctx.page(
        "trends.md.j2",
        ctx.site.trends(),
        "listing",
        meta,
        in_nav=True,
        count=len(incidents),
        left_out=a.left_out,
        first=min((pm.date for pm in incidents if pm.date), default=None),
        last=max((pm.date for pm in incidents if pm.date), default=None),
        period_name=period_name,
        volume_chart=_volume_figure(ctx, period_name),
        time_charts=[_time_figure(overall[name], name, time_table) for name, _ in MEASURES],
        # Quarters without incidents would be rows of dashes: the tables list only the others.
        time_table=[(q, d) for q, d in time_table if a.by_quarter[q]]
        if any(d.count for d in overall.values())
        else [],
        # A measure no incident recorded would be a column of zeros and dashes.
        measures=[m for m, _ in MEASURES if overall[m].count],
        from_detection=from_detection(incidents),
        review_chart=_review_figure(a),
        reviewed=a.review_overall().count,
        published=sum(pm.status == "published" for pm in incidents),
        recurring=a.recurring,
        settings=ctx.kb.settings,
        factors_by_quarter=[(q, a.top_factors(q)) for q in a.quarters if a.by_quarter[q]],
        incident_counts={q: len(a.by_quarter[q]) for q in a.quarters},
        services_chart=_services_figure(ctx),
        pairs=a.pairs,
        near_misses=a.near_misses,
    )


# What a time chart lacks when no incident records its times, and how to record them.
NO_TIMES = {
    "detect": "No incident records both when impact started and when it was detected: add"
    " started and detected to a postmortem's front matter to chart the time to detect.",
    "mitigate": "No incident records when it was mitigated along with when it started or was"
    " detected: add mitigated, and started or detected, to chart the time to mitigate.",
    "resolve": "No incident records when it was resolved along with when it started or was"
    " detected: add resolved, and started or detected, to chart the time to resolve.",
}


def _volume_figure(ctx: PageContext, period_name: str) -> Figure:
    """Incidents per month (or quarter), stacked by severity."""
    a = ctx.analysis
    severities = ctx.kb.settings.severities
    series = [
        Series(
            s,
            f"pmkb-fill-sev{min(i + 1, 4)}",
            tuple(float(a.severity_counts(p)[i]) for p in a.periods),
        )
        for i, s in enumerate(severities)
    ]
    if not a.periods:
        return Figure.empty(
            "No published incidents yet: they are counted here by month or quarter once a"
            " postmortem's status is published."
        )
    chart = bar_chart(
        "volume",
        f"Incidents per {period_name} by severity",
        _volume_description(a, period_name),
        [p.label for p in a.periods],
        series,
    )
    header = [period_name.capitalize(), *severities, "Total"]
    rows = [(p.label, *a.severity_counts(p), sum(a.severity_counts(p))) for p in a.periods]
    caption = f"Published incidents per {period_name}, stacked by severity."
    return Figure(chart, caption, DataTable("Data", header, rows))


def _volume_description(a: Analysis, period_name: str) -> str:
    """The volume chart in words: the total and the busiest periods."""
    busiest = sorted(a.periods, key=lambda p: (-len(a.by_period[p]), p.start))[:3]
    total = sum(len(v) for v in a.by_period.values())
    text = f"{total} incidents over {len(a.periods)} {period_name}s."
    if busiest and a.by_period[busiest[0]]:
        text += (
            " Busiest: "
            + ", ".join(f"{p.label} ({len(a.by_period[p])})" for p in busiest if a.by_period[p])
            + "."
        )
    return text


def _time_figure(
    overall: Distribution, name: str, time_table: list[tuple[Period, dict[str, Distribution]]]
) -> Figure:
    """Median and 90th percentile minutes to `name` (detect, mitigate, resolve) per quarter;
    `overall` is the distribution over every incident."""
    if not overall.count:
        return Figure.empty(NO_TIMES[name])
    title = f"Time to {name} per quarter"
    description = (
        f"Median and 90th percentile minutes to {name} per quarter. Over all incidents: "
        f"median {num(overall.median)}, 90th percentile {num(overall.p90)} minutes, "
        f"from {plural(overall.count, 'incident')}."
    )
    medians = tuple(d[name].median or 0.0 for _, d in time_table)
    p90s = tuple(d[name].p90 or 0.0 for _, d in time_table)
    chart = bar_chart(
        f"time-{name}",
        title,
        description,
        [q.label for q, _ in time_table],
        [
            Series("median", "pmkb-fill-accent", medians),
            Series("90th percentile", "pmkb-fill-muted", p90s),
        ],
        stacked=False,
        height=200,
        log_minutes=True,
    )
    caption = (
        f"{title}: median and 90th percentile, on a logarithmic scale. All incidents: median "
        f"{span(overall.median)}, 90th percentile {span(overall.p90)}"
        f" ({plural(overall.count, 'incident')})."
    )
    return Figure(chart, caption)


def _review_figure(a: Analysis) -> Figure:
    """Median and 90th percentile days from incident to published review, per quarter."""
    overall = a.review_overall()
    if not overall.count:
        return Figure.empty(
            "No published incident records when it was reviewed: add reviewers and reviewed to"
            " a postmortem's front matter to chart the time from incident to review."
        )
    table = a.review_table()
    title = "Days from incident to published review per quarter"
    summary = (
        f"median {_days(overall.median)}, 90th percentile {_days(overall.p90)}"
        f" ({plural(overall.count, 'incident')})"
    )
    chart = bar_chart(
        "time-review",
        title,
        f"Median and 90th percentile days from incident to published review per quarter. Over "
        f"all reviewed incidents: {summary}.",
        [q.label for q, _ in table],
        [
            Series("median", "pmkb-fill-accent", tuple(d.median or 0.0 for _, d in table)),
            Series("90th percentile", "pmkb-fill-muted", tuple(d.p90 or 0.0 for _, d in table)),
        ],
        stacked=False,
        height=200,
        unit=" d",
    )
    caption = (
        f"{title}, by the quarter of the incident; quarters without a reviewed incident are left "
        f"out. All reviewed incidents: {summary}."
    )
    rows = [(q.label, d.count, _days(d.median), _days(d.p90)) for q, d in table]
    header = ["Quarter", "Reviewed incidents", "Median", "90th percentile"]
    return Figure(chart, caption, DataTable("Data", header, rows))


def _days(value: float | None) -> str:
    """`1 day`, `7 days`, `7.5 days` (a median between two), or a dash."""
    if value is None:
        return "—"
    shown = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return f"{shown} day{'' if value == 1 else 's'}"


def _services_figure(ctx: PageContext) -> Figure:
    """The ten services with the most incidents."""
    top = ctx.index.service_counts(ctx.analysis.incidents)[:10]
    if not top:
        return Figure.empty("No published incidents yet, so no service has any.")
    rows = [(ctx.kb.catalog.services[s].name, count) for s, count in top]
    names = [name for name, _ in rows]
    chart = bar_chart(
        "services",
        "Incidents per service",
        "Services with the most incidents: " + ", ".join(f"{n}: {c}" for n, c in rows) + ".",
        names,
        [Series("incidents", "pmkb-fill-accent", tuple(float(c) for _, c in rows))],
        height=230,
        categories=True,
    )
    caption = "The services with the most incidents (an incident can touch several)."
    return Figure(chart, caption, DataTable("Data", ["Service", "Incidents"], rows))
