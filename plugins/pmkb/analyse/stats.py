"""Headline figures for `pmkb stats`: the same computations as the trend and action-item pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..findings import printable
from ..read.knowledge import KnowledgeBase
from .analysis import Analysis
from .index import Index
from .trends import MEASURES


def headline_figures(kb: KnowledgeBase, today: date) -> dict[str, Any]:
    """The knowledge base in numbers, as plain data."""
    index = Index(kb.published)
    analysis = Analysis(index, kb.settings, today)
    incidents = index.incidents
    days = [pm.date for pm in incidents if pm.date]
    overall = analysis.overall()
    statuses = {status: len(items) for status, items in analysis.by_status()}
    return {
        "as_of": today.isoformat(),
        "postmortems": kb.file_count,
        "published": len(incidents),
        "drafts_held_back": len(kb.drafts),
        "first": min(days).isoformat() if days else None,
        "last": max(days).isoformat() if days else None,
        "by_severity": {
            s: sum(pm.severity == s for pm in incidents) for s in kb.settings.severities
        },
        "minutes": {
            name: {
                "count": overall[name].count,
                "median": overall[name].median,
                "p90": overall[name].p90,
            }
            for name, _ in MEASURES
        },
        "top_factors": [{"id": f, "incidents": n} for f, n in index.factor_counts(incidents)[:5]],
        "top_services": [{"id": s, "incidents": n} for s, n in index.service_counts(incidents)[:5]],
        "recurring_factors": [
            {
                "id": r.factor,
                "incidents": len(r.incidents),
                "first": r.first.isoformat(),
                "last": r.last.isoformat(),
            }
            for r in analysis.recurring
        ],
        "action_items": {
            **statuses,
            "total": len(analysis.items),
            "overdue": len(analysis.overdue()),
        },
    }


def format_figures(figures: dict[str, Any]) -> str:
    """The figures as a few aligned lines of text, with any control character escaped."""

    def minutes(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f} min"

    lines = [
        f"Published incidents  {figures['published']} of {figures['postmortems']} postmortems"
        + (f" ({figures['first']} to {figures['last']})" if figures["first"] else "")
        + f", {figures['drafts_held_back']} draft(s) held back",
        "By severity          " + ", ".join(f"{s} {n}" for s, n in figures["by_severity"].items()),
    ]
    for name, d in figures["minutes"].items():
        lines.append(
            f"Time to {name:<9}    median {minutes(d['median'])}, p90 {minutes(d['p90'])} (n={d['count']})"
        )
    lines.append(
        "Top factors          "
        + ", ".join(f"{f['id']} {f['incidents']}" for f in figures["top_factors"])
    )
    lines.append(
        "Top services         "
        + ", ".join(f"{s['id']} {s['incidents']}" for s in figures["top_services"])
    )
    recurring = figures["recurring_factors"]
    lines.append(
        "Recurring factors    "
        + (
            ", ".join(
                f"{r['id']} ({r['incidents']} from {r['first']} to {r['last']})" for r in recurring
            )
            or "none"
        )
    )
    a = figures["action_items"]
    lines.append(
        f"Action items         {a['total']}: {a['open']} open, {a['in-progress']} in progress, {a['done']} done, "
        f"{a['wont-do']} won't do; {a['overdue']} overdue as of {figures['as_of']}"
    )
    # Severities come from the options and ids from the catalogs: shown, never run by the terminal.
    return "\n".join(printable(line) for line in lines)
