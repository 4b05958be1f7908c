"""The line a build ends pmkb's part of its log with: what was found, and what to do about errors."""

from __future__ import annotations

import logging

from ..read.knowledge import KnowledgeBase


def summary_line(kb: KnowledgeBase, strict: bool) -> tuple[int, str]:
    """The log level and text of the build's summary line.

    A build without `--strict` publishes postmortems with errors, each with a box listing them,
    and the errors scroll by above this line: so the line says how many published pages show
    errors, as a warning, and that CI should build with `--strict` (which fails on them).
    """
    errors = sum(1 for pm in kb.postmortems if pm.errors) + len(kb.unreadable)
    drafts = len(kb.drafts)
    line = f"{kb.file_count} postmortems found, {len(kb.published)} published, "
    # Those the site's audience may not see: counted, or the numbers would not add up.
    kept = sum(1 for pm in kb.postmortems if kb.is_publishable(pm) and not kb.is_published(pm))
    if kept:
        line += f"{kept} not for this site's audience ({kb.settings.audience}), "
    line += f"{drafts} drafts held back, {errors} with errors"
    # The findings of postmortems not final (in review, or drafts shown as previews) are info
    # (`pmkb check` fails on them, not the build): the line says how many, so that the gaps
    # are not missed.
    shown = sum(1 for pm in kb.published if pm.errors and pm.status == "published")
    unfinished = sum(1 for pm in kb.published if pm.errors and pm.status != "published")
    if unfinished:
        line += (
            f", {unfinished} of them not final (their findings are info here; "
            "pmkb check lists them)"
        )
    if not shown or strict:
        return logging.INFO, line
    which = "postmortem has" if shown == 1 else "postmortems have"
    return (
        logging.WARNING,
        f"{line}; {shown} published {which} errors; CI should build with --strict",
    )
