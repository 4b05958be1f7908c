"""Dates and times as archives write them, read into the forms pmkb's front matter takes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from .mapping import ImportMapping


def to_datetime(value: Any, mapping: ImportMapping) -> datetime | None:
    """A date-time with a zone: ISO 8601, or one of the mapping's formats; a time written without
    a zone is in the mapping's `time_zone`. None for anything else, a date alone included."""
    when: datetime | None = None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        when = _parsed(value.strip(), mapping, need_time=True)
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=mapping.time_zone)
    return when


def to_date(value: Any, mapping: ImportMapping) -> date | None:
    """The day a date or date-time falls on in the mapping's `time_zone`."""
    if isinstance(value, datetime):
        return value.astimezone(mapping.time_zone).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    parsed = _parsed(value.strip(), mapping, need_time=False)
    if isinstance(parsed, datetime):
        return to_date(parsed, mapping)
    return parsed


def _parsed(text: str, mapping: ImportMapping, *, need_time: bool) -> datetime | None:
    """`text` read as ISO 8601 first, then by each of the mapping's formats in turn."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is not None and (not need_time or _has_time(text)):
        return when
    for form in mapping.date_formats:
        try:
            when = datetime.strptime(text, form)
        except ValueError:
            continue
        if need_time and not any(code in form for code in ("%H", "%I")):
            continue
        return when
    return None


def _has_time(text: str) -> bool:
    """Whether an ISO 8601 text gives a time of day, not a date alone."""
    return len(text) > 10


def shown(when: datetime) -> str:
    """A time as pmkb's front matter has it: `Z` for UTC, else its offset."""
    if when.utcoffset() == UTC.utcoffset(None):
        when = when.astimezone(UTC)
        text = when.isoformat()
        return text.removesuffix("+00:00") + "Z"
    return when.isoformat()
