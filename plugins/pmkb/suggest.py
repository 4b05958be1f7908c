"""Did-you-mean suggestions for misspelt ids and keys."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to `word`, if any is near enough to be a likely typo."""
    pool = list(candidates)
    match = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if match:
        return match[0]
    lowered = {c.lower(): c for c in pool}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean `x`?)` suffix for a message, or nothing."""
    match = closest(word, candidates)
    return f" (did you mean `{match}`?)" if match else ""
