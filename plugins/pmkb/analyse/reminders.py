"""What `pmkb actions` reports: action items to follow up, and postmortems stuck before review.

Action items come from the postmortems the site publishes that are `in-review` or `published`;
a draft's action items are not reminded of (nobody has agreed to them yet), and a draft only
ever appears in the stuck list. The Markdown form is written for a GitHub issue, which may be
read by more people than the repository's drafts: there a draft is named by its path alone, and
every text from a postmortem is escaped so that it cannot mention people, reference other
issues or carry HTML.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..findings import printable, shorten
from ..model import ActionItem, Postmortem, visible_to
from ..read.knowledge import KnowledgeBase
from ..site.pages.text import ticket

OPEN = ("open", "in-progress")
REMINDED = ("in-review", "published")  # the statuses whose action items are listed
STUCK = ("draft", "in-review")
# GitHub refuses an issue body over 65,536 characters: rows past this many characters are
# counted, not shown.
MARKDOWN_LIMIT = 60_000
TITLE_LIMIT = 200  # characters of a title in Markdown: a table row stays readable


@dataclass(frozen=True)
class Filters:
    """Which action items to list. Empty filters list every open or in-progress item."""

    overdue: bool = False
    due_within: int | None = None  # days from today
    owners: tuple[str, ...] = ()  # matched case-insensitively
    services: tuple[str, ...] = ()
    every_status: bool = False  # done and won't-do items too


@dataclass(frozen=True)
class Reminder:
    """One action item to follow up, with its incident."""

    item: ActionItem
    incident: Postmortem
    days_overdue: int | None  # None: not overdue


@dataclass(frozen=True)
class Stuck:
    """A postmortem still in draft or in review long after its incident."""

    incident: Postmortem
    days: int  # since the incident's date


@dataclass(frozen=True)
class Report:
    """What `pmkb actions` prints."""

    today: date
    stuck_after_days: int
    items: list[Reminder] = field(default_factory=list)
    stuck: list[Stuck] = field(default_factory=list)


def reminded(kb: KnowledgeBase) -> list[Postmortem]:
    """The postmortems whose action items are listed: published by the site, and not drafts
    even when `publish_drafts` shows drafts on a preview site."""
    return [pm for pm in kb.published if pm.status in REMINDED]


def owners(kb: KnowledgeBase) -> list[str]:
    """Every owner of a listed postmortem's action items, sorted."""
    return sorted({a.owner for pm in reminded(kb) for a in pm.action_items}, key=str.lower)


def report(kb: KnowledgeBase, today: date, filters: Filters, *, stuck: bool = True) -> Report:
    """The action items `filters` select, most overdue first, and the stuck postmortems."""
    wanted_owners = {o.casefold() for o in filters.owners}
    horizon = _later(today, filters.due_within) if filters.due_within is not None else None
    items: list[Reminder] = []
    for pm in reminded(kb):
        if not _names_service(pm, filters.services):
            continue
        for item in pm.action_items:
            if not filters.every_status and item.status not in OPEN:
                continue
            if wanted_owners and item.owner.casefold() not in wanted_owners:
                continue
            overdue = item.is_overdue(today)
            # --overdue and --due-within are either-or: "overdue, or due in the next N days".
            if filters.overdue or horizon is not None:
                upcoming = (
                    horizon is not None
                    and item.status in OPEN
                    and item.due is not None
                    and today <= item.due <= horizon
                )
                if not ((filters.overdue and overdue) or upcoming):
                    continue
            days = (today - item.due).days if overdue and item.due else None
            items.append(Reminder(item, pm, days))
    items.sort(key=_order)
    found = stuck_postmortems(kb, today, filters.services) if stuck else []
    return Report(today, kb.settings.stuck_after_days, items, found)


def _later(today: date, days: int) -> date:
    # A period reaching past 9999-12-31 (a late SOURCE_DATE_EPOCH) reaches to it: no overflow.
    try:
        return today + timedelta(days=days)
    except OverflowError:
        return date.max


def _names_service(pm: Postmortem, services: Collection[str]) -> bool:
    return not services or any(s in services for s in pm.services)


def _order(r: Reminder) -> tuple[date, str, str, str]:
    # Soonest due first (so the longest overdue leads); items without a due date last.
    return (r.item.due or date.max, r.incident.id, r.item.owner.lower(), r.item.title)


def stuck_postmortems(kb: KnowledgeBase, today: date, services: Collection[str]) -> list[Stuck]:
    """Postmortems in draft or in review more than `stuck_after_days` after their incident,
    longest stuck first. Withheld files (duplicate ids, bad status) are `pmkb check`'s to report,
    and a postmortem without a date cannot be measured: neither is listed."""
    limit = kb.settings.stuck_after_days
    found = [
        Stuck(pm, (today - pm.date).days)
        for pm in kb.postmortems
        if pm.status in STUCK
        and pm.display not in kb.rejected
        and pm.date is not None
        and (today - pm.date).days > limit
        and _names_service(pm, services)
        # As its action items are: only what the settings' audience may read.
        and visible_to(pm.visibility, kb.settings.audience)
    ]
    return sorted(found, key=lambda s: (-s.days, s.incident.display))


# ---- JSON ---------------------------------------------------------------------------------------


def to_json(r: Report) -> dict[str, Any]:
    """The report as plain data: every field, drafts' titles included (for local use)."""
    return {
        "as_of": r.today.isoformat(),
        "action_items": [
            {
                "title": x.item.title,
                "owner": x.item.owner,
                "status": x.item.status,
                "due": x.item.due.isoformat() if x.item.due else None,
                "days_overdue": x.days_overdue,
                "link": x.item.link or None,
                "incident": {
                    "id": x.incident.id,
                    "title": x.incident.title,
                    "path": x.incident.display,
                    "status": x.incident.status,
                },
            }
            for x in r.items
        ],
        "stuck_after_days": r.stuck_after_days,
        "stuck": [
            {
                "path": s.incident.display,
                "title": s.incident.title,
                "status": s.incident.status,
                "date": s.incident.date.isoformat() if s.incident.date else None,
                "days": s.days,
            }
            for s in r.stuck
        ],
    }


# ---- Text ---------------------------------------------------------------------------------------


def format_text(r: Report) -> str:
    """One line per action item, then the stuck postmortems, then a summary line."""
    lines: list[str] = []
    for x in r.items:
        due = x.item.due.isoformat() if x.item.due else "no due date"
        state = f"overdue {x.days_overdue}d" if x.days_overdue is not None else x.item.status
        lines.append(
            printable(f"{due:<11}  {state:<12}  {x.item.owner}: {x.item.title} [{x.incident.id}]")
        )
    if r.stuck:
        if lines:
            lines.append("")
        lines.append(f"Stuck more than {r.stuck_after_days} days after the incident:")
        for s in r.stuck:
            lines.append(
                printable(
                    f"  {s.incident.display}  {s.incident.status}, {s.days} days: {s.incident.title}"
                )
            )
    overdue = sum(x.days_overdue is not None for x in r.items)
    if lines:
        lines.append("")
    lines.append(
        f"As of {r.today.isoformat()}: {len(r.items)} action item(s), {overdue} overdue;"
        f" {len(r.stuck)} postmortem(s) stuck."
    )
    return "\n".join(lines)


# ---- Markdown for a GitHub issue ---------------------------------------------------------------

_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Characters that would make Markdown of a text: emphasis, code, links, tables, escapes.
_MARKUP = re.compile(r"([\\`*_\[\]|~])")
ZWSP = "\u200b"


def md_text(text: str) -> str:
    """`text` as inert Markdown for a GitHub issue, shown as written.

    - `<`, `>` and `&` become entities: no HTML element, comment or entity from the text;
    - `@` and `#` are followed by a zero-width space: GitHub links `@name` and `#123` (and
      `org/repo#123`) after rendering, in the text itself, so backslashes and entities do not
      stop it; a mention in a reminder would ping people who never agreed to be, and a
      reference would post to another issue's timeline;
    - Markdown's punctuation is backslash-escaped, `|` included (a table cell stays one);
    - line breaks and control characters become one space: a row stays one line.
    """
    text = _BREAKS.sub(" ", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKUP.sub(r"\\\1", text)
    return text.replace("@", "@" + ZWSP).replace("#", "#" + ZWSP)


def _md_link(url: str) -> str:
    """A Markdown link to an action item's ticket, named as the pages name it (`org/repo#123`).

    The URL is an http(s) one (`pmkb check` sees to it); percent-encoding whatever could end the link's
    destination keeps a crafted URL from adding Markdown or HTML after it.
    """
    safe = "".join(
        c
        if c.isascii() and c.isprintable() and c not in " <>()[]|\\`\"'"
        else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
        for c in url
    )
    return f"[{md_text(ticket(url))}](<{safe}>)"


def format_markdown(r: Report) -> str:
    """A GitHub issue body: a table of the action items, the stuck postmortems, a summary.

    Drafts are listed by path only: their title is unreviewed wording (a customer's name, a
    guess at the cause), and an issue may be read, and notified, more widely than the files.
    Rows that would take the body past MARKDOWN_LIMIT are counted instead of shown.
    """
    lines = [
        f"Action items as of {r.today.isoformat()}, from the postmortems in review or published.",
        "",
    ]
    budget = MARKDOWN_LIMIT - 1000  # the headings, notes and summary fit in the rest
    rows: list[str] = []
    for x in r.items:
        due = x.item.due.isoformat() if x.item.due else "none"
        if x.days_overdue is not None:
            due += f" ({x.days_overdue} day{'' if x.days_overdue == 1 else 's'} overdue)"
        elif x.item.status not in OPEN:
            due += f" ({x.item.status})"
        title = md_text(shorten(x.item.title, TITLE_LIMIT))
        if x.item.link:
            title += " " + _md_link(x.item.link)
        incident = md_text(f"{shorten(x.incident.title, TITLE_LIMIT)} ({x.incident.display})")
        row = f"| {due} | {md_text(shorten(x.item.owner, TITLE_LIMIT))} | {title} | {incident} |"
        if len(row) + 1 > budget:
            break
        rows.append(row)
        budget -= len(row) + 1
    if rows:
        lines += ["| Due | Owner | Action item | Postmortem |", "| --- | --- | --- | --- |", *rows]
        if len(rows) < len(r.items):
            lines += ["", f"{len(r.items) - len(rows)} more not shown: run `pmkb actions`."]
    else:
        lines.append("No action items to list.")
    stuck: list[str] = []
    for s in r.stuck:
        line = f"- {md_text(s.incident.display)}: {s.incident.status}, {s.days} days"
        if s.incident.status != "draft":
            line += f": {md_text(shorten(s.incident.title, TITLE_LIMIT))}"
        if len(line) + 1 > budget:
            break
        stuck.append(line)
        budget -= len(line) + 1
    if r.stuck:
        lines += [
            "",
            f"Postmortems still in draft or in review {r.stuck_after_days} days after the"
            " incident (drafts by path only):",
            "",
            *stuck,
        ]
        if len(stuck) < len(r.stuck):
            lines.append(f"- and {len(r.stuck) - len(stuck)} more")
    overdue = sum(x.days_overdue is not None for x in r.items)
    lines += [
        "",
        f"{len(r.items)} action item(s), {overdue} overdue; {len(r.stuck)} postmortem(s) stuck."
        " Written by `pmkb actions`: edit the postmortems, not this issue.",
    ]
    return "\n".join(lines)
