"""Headline figures for `pmkb stats`: the same computations as the trend and action-item pages."""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any

from ..findings import printable
from ..model import visible_to
from ..read.knowledge import KnowledgeBase
from .analysis import Analysis
from .index import Index
from .trends import MEASURES

WIDTH = 100  # columns of `pmkb stats` text
LABEL_WIDTH = 21  # "Recurring factors    "
RECURRING_SHOWN = 5  # the most recent episodes in the text; JSON has them all


def headline_figures(kb: KnowledgeBase, today: date) -> dict[str, Any]:
    """The knowledge base in numbers, as plain data."""
    audience = kb.settings.audience
    index = Index(list(kb.published))
    analysis = Analysis(index, kb.settings, today)
    # Near misses are counted apart: every other figure is of incidents.
    incidents = analysis.incidents
    days = [pm.date for pm in incidents if pm.date]
    overall = analysis.overall()
    statuses = {status: len(items) for status, items in analysis.by_status()}
    return {
        "as_of": today.isoformat(),
        "postmortems": _seen(kb),
        "published": len(incidents),
        "near_misses": len(analysis.near_misses),
        "drafts_held_back": sum(visible_to(pm.visibility, audience) for pm in kb.drafts),
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


def _seen(kb: KnowledgeBase) -> int:
    """How many postmortems the site for the settings' audience is made from: those visible to
    it, and, but on the public site, the files that could not be read (whose visibility is not
    known). Figures meant for a public page must not count what only staff may read."""
    audience = kb.settings.audience
    visible = sum(visible_to(pm.visibility, audience) for pm in kb.postmortems)
    return visible + (len(kb.unreadable) if audience != "public" else 0)


def format_figures(figures: dict[str, Any]) -> str:
    """The figures as a few aligned lines of text, with any control character escaped."""

    def minutes(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f} min"

    lines = [
        f"Published incidents  {figures['published']} of {figures['postmortems']} postmortems"
        + (f" ({figures['first']} to {figures['last']})" if figures["first"] else "")
        + _near_misses(figures["near_misses"])
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
    episodes = [
        f"{r['id']} ({r['incidents']} from {r['first']} to {r['last']})"
        for r in recurring[:RECURRING_SHOWN]
    ]
    if len(recurring) > RECURRING_SHOWN:
        episodes.append(f"and {len(recurring) - RECURRING_SHOWN} more (--format json lists all)")
    listing = _listing("Recurring factors    ", [printable(e) for e in episodes] or ["none"])
    a = figures["action_items"]
    lines.append(
        f"Action items         {a['total']}: {a['open']} open, {a['in-progress']} in progress, {a['done']} done, "
        f"{a['wont-do']} won't do; {a['overdue']} overdue as of {figures['as_of']}"
    )
    # Severities come from the options and ids from the catalogs: shown, never run by the terminal.
    text = [_wrapped(printable(line)) for line in lines]
    return "\n".join([*text[:-1], listing, text[-1]])


def _near_misses(count: int) -> str:
    """`, 1 near miss`, `, 2 near misses`, or nothing in a knowledge base that records none."""
    return f", {count} near miss{'' if count == 1 else 'es'}" if count else ""


def _listing(label: str, items: list[str]) -> str:
    """`label` and the items joined by commas, folded between items, never inside one."""
    lines: list[str] = []
    current, fresh = label, True
    for i, item in enumerate(items):
        text = item + ("," if i < len(items) - 1 else "")
        if not fresh and len(current) + 1 + len(text) > WIDTH:
            lines.append(current)
            current, fresh = " " * LABEL_WIDTH, True
        current += text if fresh else " " + text
        fresh = False
    return "\n".join([*lines, current])


def _wrapped(line: str) -> str:
    """A line folded at WIDTH columns, its continuation lines under the value's first column."""
    return textwrap.fill(
        line,
        WIDTH,
        subsequent_indent=" " * LABEL_WIDTH,
        break_long_words=False,
        break_on_hyphens=False,
    )
