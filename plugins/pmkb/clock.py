"""The build's notion of today, reproducible through SOURCE_DATE_EPOCH."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime


def build_date() -> date:
    """Today in UTC, or the date of `SOURCE_DATE_EPOCH` when it is set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).date()
    return datetime.now(UTC).date()
