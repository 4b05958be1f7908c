"""The action items page: what is overdue, completion over time, follow-through, owners."""

from __future__ import annotations

from typing import Any

from ...analyse.analysis import Analysis, FollowThrough
from ..charts import DataTable, Figure, Series, bar_chart
from .base import GeneratedPage, PageContext
from .shared import PER_FACTOR_LIMIT
from .text import front_matter


def action_items_page(ctx: PageContext) -> GeneratedPage:
    """The action items of the published incidents."""
    a = ctx.analysis
    meta = front_matter("Action items", search={"exclude": True}, hide=["navigation"])
    return ctx.page(
        "action_items.md.j2",
        ctx.site.action_items(),
        "listing",
        meta,
        in_nav=True,
        total=len(a.items),
        overdue=a.overdue(),
        by_status=a.by_status(),
        by_owner=a.by_owner(),
        completion_chart=_completion_figure(a),
        **_follow_through(a.follow_through()),
    )


def _completion_figure(a: Analysis) -> Figure:
    """The share of each quarter's action items that are done (won't-do excluded)."""
    completion = a.completion()
    if not any(total for _, _, total in completion):
        return Figure.empty(
            "Every action item is marked won't do: none counts towards the share done."
            if a.items
            else "No action items yet: list the follow-up work of a postmortem under"
            " action_items in its front matter, and the share done per quarter shows here."
        )
    rates = tuple(round(100.0 * done / total, 1) if total else 0.0 for _, done, total in completion)
    described = ", ".join(f"{q.label}: {done} of {total}" for q, done, total in completion if total)
    chart = bar_chart(
        "completion",
        "Action items done, by quarter of the incident",
        "Share of action items done (won't-do excluded) per quarter of the incident: "
        + described
        + ".",
        [q.label for q, _, _ in completion],
        [Series("% done", "pmkb-fill-sev4ok", rates)],
        unit="%",
        height=200,
        top=100.0,
    )
    rows = [
        (q.label, done, total, f"{100.0 * done / total:.0f}%" if total else "—")
        for q, done, total in completion
    ]
    return Figure(
        chart,
        "Share of each quarter's action items that are done (won't-do items excluded).",
        DataTable("Data", ["Quarter", "Done", "Counted", "% done"], rows),
    )


def _follow_through(found: list[FollowThrough]) -> dict[str, Any]:
    """The latest comebacks of each factor (at most PER_FACTOR_LIMIT), in the order found."""
    by_factor: dict[str, list[FollowThrough]] = {}
    for ft in found:
        by_factor.setdefault(ft.factor, []).append(ft)
    shown = [ft for items in by_factor.values() for ft in items[-PER_FACTOR_LIMIT:]]
    return {"follow_through": shown, "follow_through_total": len(found)}
