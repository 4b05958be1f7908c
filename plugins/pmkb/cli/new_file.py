"""New postmortems: the file name and the starting text, with guidance to be replaced."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import yaml

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
    times: Mapping[str, str] | None = None,
) -> str:
    """The text of a new postmortem: complete front matter, every required section with guidance.

    `times` are the incident's times known already, as written (`2026-03-12T14:02:00Z`); the
    others are left blank with a comment showing the format.
    """
    meta = {
        "title": title,
        "date": day,
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
    parts = [f"---\n{front}---\n"]
    for section in settings.required_sections:
        guidance = GUIDANCE_TEXT.get(section.lower(), GENERIC_GUIDANCE)
        parts.append(f"\n## {section}\n\n> **Guidance:** {guidance}\n")
    return "".join(parts)
