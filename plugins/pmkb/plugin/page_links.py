"""Where the links of a page's Markdown to other pages of the site lead, for `serve --dirty`.

A postmortem's body may link to another page by its file (`[the May outage](2024-05-outage.md)`).
When that page comes or goes, the linking page's Markdown stays the same but its HTML does not:
the link resolves, or stops resolving. `serve --dirty` tells a changed page by what pmkb gives
MkDocs for it, so that includes where each such link leads.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from mkdocs.structure.files import Files

# A run of characters that can be part of a link's target: everything but white space and the
# characters Markdown puts around a target. Each character is read once (no backtracking).
_TARGET = re.compile(r"[^\s()<>\[\]\"'`]+")


def link_targets(markdown: str, src_uri: str, files: Files) -> list[str]:
    """Each relative link of `markdown`, a page at `src_uri`, to a Markdown file, with the URL of
    the page it leads to now (empty: none), as `path -> URL`, sorted."""
    if ".md" not in markdown:
        return []
    folder = posixpath.dirname(src_uri)
    found: set[str] = set()
    for match in _TARGET.finditer(markdown):
        target = match.group()
        if ".md" not in target or "://" in target:
            continue
        path = unquote(target.partition("#")[0].partition("?")[0])  # as MkDocs reads it
        if not path.endswith(".md"):
            continue
        # As MkDocs resolves it: from the site's root when it starts with a slash.
        where = path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path)
        where = posixpath.normpath(where)
        file = files.get_file_from_path(where)
        found.add(f"{where} -> {file.url if file is not None else ''}")
    return sorted(found)
