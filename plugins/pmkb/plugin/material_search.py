"""Material's search index after a `serve --dirty` rebuild, made the same as a clean build's.

Under a dirty reload, Material's search plugin keeps the previous build's index and replaces the
entries of one page, the first it indexes this time: it expects a rebuild to build one page. A
pmkb rebuild builds the edited incident and the listing, service and factor pages it appears on,
whose entries then came twice, and a page the edit took away (a postmortem drafted, renamed or
deleted) kept its entries. The index is written again with each page's latest entries, for the
pages of the site only; the order of entries does not matter to the search.
"""

from __future__ import annotations

import json
from pathlib import Path


def mended(path: Path, pages: set[str]) -> None:
    """Rewrite the search index at `path` with each page's last run of entries (a page's entries
    come one after another, and Material appends this build's after the previous build's), and
    with no entries of a page not in `pages` (URLs); left alone if it is not such an index."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        docs = data["docs"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    if not isinstance(docs, list) or not all(isinstance(entry, dict) for entry in docs):
        return
    runs: list[tuple[str, list[object]]] = []
    for entry in docs:
        page = str(entry.get("location", "")).partition("#")[0]
        if runs and runs[-1][0] == page:
            runs[-1][1].append(entry)
        else:
            runs.append((page, [entry]))
    latest = dict(runs)  # a page's later run replaces its earlier one
    kept = [entry for page, entries in latest.items() if page in pages for entry in entries]
    if len(kept) != len(docs):
        data["docs"] = kept
        # As Material writes it.
        path.write_text(json.dumps(data, separators=(",", ":"), default=str), encoding="utf-8")
