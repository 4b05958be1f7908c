"""The incidents-per-quarter chart of a service's or a factor's page."""

from __future__ import annotations

from ...analyse.trends import per_period
from ...model import Postmortem
from ..charts import DataTable, Figure, Series, bar_chart
from .base import PageContext


def history_chart(
    ctx: PageContext, chart_id: str, name: str, incidents: list[Postmortem]
) -> Figure | None:
    """Incidents per quarter over the knowledge base's time axis; none when none of `incidents`
    falls on it (the page notes those outside it, see `left_out`)."""
    charted = ctx.analysis.charted(incidents)
    if not charted:
        return None
    quarters = ctx.quarters
    groups = per_period(charted, quarters)
    title = f"Incidents per quarter: {name}"
    described = ", ".join(f"{q.label}: {len(groups[q])}" for q in quarters if groups[q])
    chart = bar_chart(
        chart_id,
        title,
        f"{len(charted)} incidents. {described}.",
        [q.label for q in quarters],
        [Series("incidents", "pmkb-fill-accent", tuple(float(len(groups[q])) for q in quarters))],
        height=170,
    )
    rows = [(q.label, len(groups[q])) for q in quarters]
    return Figure(chart, title, DataTable("Data", ["Quarter", "Incidents"], rows))
