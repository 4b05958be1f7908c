"""The search index a `--dirty` build writes, made the same as a clean build's.

A `mkdocs build --dirty` builds the pages whose files changed, and the theme's search plugin
writes their entries alone: the site's search finds nothing else (with pmkb's faceted search,
which indexes pmkb's pages itself, the theme's index was left empty). Under a dirty reload,
Material's search plugin keeps the previous build's index and takes out the entries of the
first page it indexes this time (every entry whose location starts with that page's: for the
home page, all of them), expecting a rebuild to build one page; MkDocs' own search plugin keeps
nothing of the previous build. A pmkb rebuild builds the edited incident and
the listing, service and factor pages it appears on, and may take pages away (a postmortem
drafted, renamed or deleted). So the index is put together here: the previous rebuild's entries
of every page not built again and still in the site, and the new entries of the pages built, in
the order of the site's pages, as a clean build writes them: the index is then the same, byte
for byte, and so is the order of results the search scores alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mkdocs.plugins import get_plugin_logger

from ..kept import write_whole

log = get_plugin_logger(__name__)

Entry = dict[str, Any]


def mended(
    path: Path, pages: Sequence[str], built: Mapping[str, bool], previous: list[Entry] | None
) -> tuple[list[Entry] | None, bool]:
    """Rewrite the search index at `path`, written by a build of the pages `built` (URLs, each
    with whether the search indexes it: a page excluded has no entries this build, and Material
    keeps its old ones) of a site of `pages` (in the order MkDocs builds them), given the entries
    the previous build's index ended with (None: this is the first build); return the entries it
    should hold, and whether it does: it may not be written (on Windows, while another program,
    an antivirus say, has it open), which is a warning. An index of another shape is left alone
    (None)."""
    found = _read(path)
    if found is None:
        return None, True
    data, docs = found
    # A page's entries come one after another, and this build's after any kept from the
    # previous one: a page's last run of entries is its newest.
    runs: list[tuple[str, list[Entry]]] = []
    for entry in docs:
        page = _page(entry)
        if runs and runs[-1][0] == page:
            runs[-1][1].append(entry)
        else:
            runs.append((page, [entry]))
    newest = dict(runs)
    order = {page: at for at, page in enumerate(pages)}
    if previous is None:
        kept = [entry for page, entries in newest.items() if page in order for entry in entries]
    else:
        kept = [e for e in previous if (page := _page(e)) in order and page not in built]
        kept += [e for page, entries in newest.items() if built.get(page) for e in entries]
    # Stable: a page's entries keep their order. An entry of a page the site's files do not list
    # (another plugin's, written its own way) stays, after the others, as it did before.
    kept.sort(key=lambda entry: order.get(_page(entry), len(order)))
    if kept != docs:
        data["docs"] = kept
        # As Material writes it; whole or not at all, should the build be stopped here.
        text = json.dumps(data, separators=(",", ":"), default=str).encode("utf-8")
        if not write_whole(path, text):
            log.warning(
                f"{path} could not be written: the search finds only the pages this build built; "
                "the next build indexes every page again"
            )
            return kept, False
    return kept, True


def previous_entries(path: Path) -> list[Entry] | None:
    """The entries of the search index at `path`, as a build before this one wrote it (None:
    there is none, or not of the theme's shape)."""
    found = _read(path)
    return None if found is None else found[1]


def _read(path: Path) -> tuple[dict[str, Any], list[Entry]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        docs = data["docs"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    if not isinstance(docs, list) or not all(isinstance(entry, dict) for entry in docs):
        return None
    return data, docs


def _page(entry: Entry) -> str:
    return str(entry.get("location", "")).partition("#")[0]
