"""New postmortems: the file name and the starting text, with guidance to be replaced."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import yaml

from ..model import KINDS
from ..read.schema import TIME_FIELDS
from ..settings import Settings

GUIDANCE_TEXT = {
    "summary": "Two or three sentences: what users saw, for how long, and what ended it.",
    "impact": "Who was affected and how much: customers, requests, orders, minutes, regions. Numbers beat adjectives.",
    "timeline": "One list item per event, each starting with its time: `- 14:02 UTC — Checkout error alert fires`. "
    "Note what responders knew at each point, not only what they did.",
    "contributing factors": "The conditions that made the incident possible: gaps in tooling, signals, process or design. "
    "Describe what the system allowed or made hard, not who did what; ask why each action made sense at the time.",
    "lessons learned": "What surprised you, what went well, and what the organisation will do differently. "
    "Each action item in the front matter should trace back to something here.",
}
# A near miss reached no user: its sections tell what would have happened and what stopped it.
NEAR_MISS_GUIDANCE = {
    **GUIDANCE_TEXT,
    "summary": "Two or three sentences: what almost happened, how it was caught, and what kept it from reaching users.",
    "impact": "None reached users: say what would have happened, to whom, had it not been caught.",
    "timeline": "One list item per event, each starting with its time: `- 06:00 UTC — Expiry alert pages the on-call`. "
    "Note how it was noticed and what people knew at each point.",
}
GENERIC_GUIDANCE = "Replace this with the section's content."


def slugify(title: str, limit: int = 60) -> str:
    """A lowercase ASCII slug for file names: `Checkout errors after failover` -> `checkout-errors-after-failover`."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "incident"


def new_path(settings: Settings, title: str, day: date) -> Path:
    """Where `pmkb new` puts a postmortem: `<postmortems_dir>/<year>/<date>-<slug>.md`."""
    return settings.postmortems_dir / f"{day.year}" / f"{day.isoformat()}-{slugify(title)}.md"


# What a blank custom field's comment says it takes, by its type.
_CUSTOM_HINTS = {
    "text": "text",
    "number": "a number",
    "date": "YYYY-MM-DD",
    "list": "[..., ...]",
}


def custom_lines(settings: Settings) -> str:
    """The knowledge base's custom fields, blank, each with a comment saying what it takes and
    from which status it is required: the author sees them, and a blank one counts as unset."""
    lines = []
    for field in settings.custom_fields:
        hint = " | ".join(field.values) if field.type == "enum" else _CUSTOM_HINTS[field.type]
        needed = f"; required from {field.required_from}" if field.required_from else ""
        lines.append(f"{field.name}:  # {hint}{needed}\n")
    return "".join(lines)


def render_new(
    settings: Settings,
    title: str,
    day: date,
    severity: str,
    services: list[str],
    factors: list[str],
    authors: list[str],
    *,
    status: str = "draft",
    kind: str = KINDS[0],
    times: Mapping[str, str] | None = None,
) -> str:
    """The text of a new postmortem: complete front matter, every section its kind and severity
    require (`Settings.sections_required`) with guidance.

    `times` are the incident's times known already, as written (`2026-03-12T14:02:00Z`); the
    others are left blank with a comment showing the format. A near miss, which has no impact
    to time, gets only the times given, and `kind: near-miss`; an incident, the default kind,
    no `kind` line.
    """
    near_miss = kind == "near-miss"
    meta: dict[str, object] = {
        "title": title,
        "date": day,
        **({"kind": kind} if near_miss else {}),
        "severity": severity,
        "status": status,
        "services": services,
        "contributing_factors": factors,
        "authors": authors,
        "started": None,
        "detected": None,
        "mitigated": None,
        "resolved": None,
        "action_items": [],
    }
    if near_miss:
        for name in TIME_FIELDS:
            if name not in (times or {}):
                del meta[name]
    front = yaml.safe_dump(
        meta, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )
    # Written unquoted, as people write them (a dumped string would be quoted, a dumped datetime
    # spelt with a space); each is made by `pmkb new` from a parsed time, so needs no quoting.
    for name, value in (times or {}).items():
        front = front.replace(f"\n{name}: null\n", f"\n{name}: {value}\n")
    front = front.replace(": null\n", ":  # YYYY-MM-DDTHH:MM:SSZ\n")
    front = front.replace(
        "action_items: []\n",
        "action_items: []\n# - {title: ..., owner: team-..., status: open, due: YYYY-MM-DD, link: https://...}\n",
    )
    front = front.replace("action_items: []\n", custom_lines(settings) + "action_items: []\n", 1)
    parts = [f"---\n{front}---\n"]
    texts = NEAR_MISS_GUIDANCE if near_miss else GUIDANCE_TEXT
    for section in settings.sections_required(kind, severity):
        guidance = texts.get(section.lower(), GENERIC_GUIDANCE)
        parts.append(f"\n## {section}\n\n> **Guidance:** {guidance}\n")
    return "".join(parts)
