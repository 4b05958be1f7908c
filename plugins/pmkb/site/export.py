"""`incidents.json` and `incidents.csv`: one record per published incident."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

from ..analyse.trends import elapsed, start_of
from ..model import ActionItem, CustomValue, Postmortem
from ..read.custom_fields import CustomField
from ..urls import Site

FIELDS = (
    "id",
    "title",
    "date",
    "kind",
    "severity",
    "status",
    "services",
    "contributing_factors",
    "authors",
    "reviewers",
    "reviewed",
    "started",
    "detected",
    "mitigated",
    "resolved",
    "minutes_to_detect",
    "minutes_to_mitigate",
    "minutes_to_resolve",
    "minutes_from",
    "action_items",
    "action_items_open",
    "action_items_overdue",
    "url",
)


def columns(custom: tuple[CustomField, ...]) -> tuple[str, ...]:
    """The exports' columns: pmkb's, then the custom fields the site shows, as declared."""
    return (*FIELDS, *(f.name for f in custom))


def record(
    pm: Postmortem, site: Site, today: date, custom: tuple[CustomField, ...] = ()
) -> dict[str, Any]:
    """The export record of one incident; times in ISO 8601, durations in whole minutes from
    `minutes_from` (`started`, else `detected`; time to detect only from `started`); then the
    `custom` fields, None where it sets none."""
    return {
        "id": pm.id,
        "title": pm.title,
        "date": _iso(pm.date),
        "kind": pm.kind,
        "severity": pm.severity,
        "status": pm.status,
        "services": list(pm.services),
        "contributing_factors": list(pm.factors),
        "authors": list(pm.authors),
        "reviewers": list(pm.reviewers),
        "reviewed": _iso(pm.reviewed),
        "started": _iso(pm.started),
        "detected": _iso(pm.detected),
        "mitigated": _iso(pm.mitigated),
        "resolved": _iso(pm.resolved),
        "minutes_to_detect": elapsed(pm, "detected"),
        "minutes_to_mitigate": elapsed(pm, "mitigated"),
        "minutes_to_resolve": elapsed(pm, "resolved"),
        "minutes_from": start_of(pm),
        "action_items": len(pm.action_items),
        "action_items_open": sum(a.status in ("open", "in-progress") for a in pm.action_items),
        "action_items_overdue": sum(a.is_overdue(today) for a in pm.action_items),
        "url": site.url(site.incident(pm.id)),
        **{f.name: _exported(pm.custom_value(f.name)) for f in custom},
    }


def _exported(value: CustomValue | None) -> Any:
    """A custom field's value as JSON holds it: a list as a list, a date in ISO 8601."""
    if isinstance(value, tuple):
        return list(value)
    return value.isoformat() if isinstance(value, date) else value


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


ACTION_FIELDS = (
    "incident",
    "incident_title",
    "incident_date",
    "title",
    "owner",
    "status",
    "due",
    "overdue",
    "link",
    "url",
)


def action_items_csv(items: list[tuple[Postmortem, ActionItem]], site: Site, today: date) -> str:
    """Every action item of the published incidents, one row each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ACTION_FIELDS)
    for pm, item in items:
        overdue = "yes" if item.is_overdue(today) else "no"
        incident = [pm.id, pm.title, _iso(pm.date)]
        action = [item.title, item.owner, item.status, _iso(item.due), overdue, item.link]
        row = [*incident, *action, site.url(site.incident(pm.id))]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def to_json(records: list[dict[str, Any]]) -> str:
    """`{"version": 1, "incidents": [...]}` with one incident a line: readable and diffable, and
    written by json's C encoder (`indent=` switches to the pure-Python one, 10 times slower)."""
    lines = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    return '{"version": 1, "incidents": [\n' + lines + ("\n" if lines else "") + "]}\n"


def to_csv(records: list[dict[str, Any]], names: tuple[str, ...] = FIELDS) -> str:
    """The records as CSV, one column per name of `names` (`columns`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for r in records:
        writer.writerow([_cell(r[f]) for f in names])
    return out.getvalue()


# Spreadsheets run a cell that starts with one of these as a formula (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Within a joined cell, a part after a separator (and any blanks) becomes a cell of its own once
# the cell is split (Text to Columns, a split formula), and may then start a formula as well.
# A separator, then spaces, then a formula sign; possessive, so that a long run of blanks is
# passed over once (`[,;\t\r\n]\s*` retried the run from each of its characters).
_PART_FORMULA = re.compile(r"((?:[,;]|(?<!\s)(?=[^\S\t\r\n]*+[\t\r\n]))\s*+)([=+\-@])")


def _cell(value: Any) -> str:
    """A CSV cell no spreadsheet runs as a formula, neutralised the OWASP way: with a leading `'`.

    Text that starts like a formula gets one; in a list, so does each item and each part of an
    item after a separator, as in `Ann, =HYPERLINK(...)`.
    """
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(_PART_FORMULA.sub(r"\1'\2", _neutral(str(item))) for item in value)
    # Numbers too: counts and minutes are never negative, and the rule is simplest with no exception.
    return _neutral(str(value))


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text
