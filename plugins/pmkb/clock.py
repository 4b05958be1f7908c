"""The build's notion of today, reproducible through SOURCE_DATE_EPOCH."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime

from .findings import finding
from .settings import SettingsError

# The last second Python's dates can hold: 9999-12-31T23:59:59Z.
MAX_EPOCH = 253_402_300_799
_DIGITS = re.compile(r"[0-9]+")


class ClockError(SettingsError):
    """`SOURCE_DATE_EPOCH` is set but unusable. Its one finding (PMK020) quotes the value.

    A SettingsError, so `pmkb` prints it and exits with status 2 like any configuration problem;
    `str()` is the finding's line, ready for a PluginError.
    """

    def __init__(self, value: str, problem: str) -> None:
        shown = value if len(value) <= 40 else value[:37] + "..."
        message = (
            f"SOURCE_DATE_EPOCH `{shown}` {problem}; set it to the seconds since 1970-01-01 UTC "
            "in digits, such as `1764028800`, or unset it to use today's date"
        )
        super().__init__([finding("SOURCE_DATE_EPOCH", 1, 1, "PMK020", message)])
        self.value, self.problem = value, problem

    def __reduce__(self) -> tuple[type[ClockError], tuple[str, str]]:
        # Raised in a worker process too; Exception's default pickling would lose the finding.
        return ClockError, (self.value, self.problem)


def build_date() -> date:
    """Today in UTC, or the date of `SOURCE_DATE_EPOCH` when it is set (reproducible builds).

    An unusable value raises ClockError rather than falling back to today: the variable is set
    to make the output reproducible, and a build dated by the wall clock silently is not.
    Empty (or blank) counts as unset, as shells and CI files commonly write it.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    epoch = raw.strip()
    if not epoch:
        return datetime.now(UTC).date()
    # ASCII digits only: str.isdigit() also accepts digits int() refuses, such as "²".
    if not _DIGITS.fullmatch(epoch):
        raise ClockError(raw, "is not a number of seconds")
    # Compared as text first: int() of thousands of digits is slow, then refused.
    if len(epoch.lstrip("0")) > len(str(MAX_EPOCH)) or int(epoch) > MAX_EPOCH:
        raise ClockError(raw, f"is out of range (the latest is {MAX_EPOCH}, in 9999)")
    return datetime.fromtimestamp(int(epoch), UTC).date()
