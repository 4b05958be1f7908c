"""The faceted search's index format: words split into small files a browser fetches per query.

A browser search that downloads its whole index first (Material's, lunr's) costs megabytes at a
few thousand incidents. Here each query fetches the manifest (the word prefixes that name the
chunk files, a few kB), the chunk of each word typed, and one document file per result shown;
a filter fetches that facet's file. Pagefind has the same layout and a maintained indexer, but
it holds every indexed word in memory, about 330 bytes each: 1.5 GB at 5,000 incidents, five
times the build's own peak, and linear in the words. This index keeps two small integers per
word and page (array-backed) and is written in one pass.

The files, under `search/index/` of the site:
- `index.json`: `{"version", "docs", "keys"}`: the chunk keys, sorted; every indexed word is in
  the chunk whose key is its longest prefix among the keys;
- `w/<hex of key>.json`: `{word: [doc delta, score, doc delta, score, ...]}`: each word's pages
  by ascending number, with a BM25 score (title words count more) scaled to an integer;
- `d/<doc>.json`: a result's URL, title, metadata, facets and text (for the excerpt);
- `f/<facet>.json`: `{value: [doc delta, ...]}`.
Documents are numbered in the order given (pmkb gives incidents newest first), so a listing
without words is the documents in ascending number.

Words are split and folded the same way here and in pmkb-search.js: Unicode letters, digits and
the underscore (`\\w`), compatibility-decomposed, marks removed, lower-cased.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..digests import digest

FORMAT = 1
WORD = re.compile(r"\w+")
CHUNK_BYTES = 24_000  # a chunk above this is split by one more letter of its words
LONGEST_KEY = 16
# Longer words (a hash, a base64 blob) are indexed by their beginning: what a reader types.
LONGEST_WORD = 64
TEXT_LIMIT = 20_000  # characters of a document kept for excerpts; every word is indexed anyway
TITLE_WEIGHT = 5  # a title word counts as this many occurrences
K1, B = 1.2, 0.75  # BM25's usual constants
SCALE = 20  # scores are kept as integers: score * SCALE, at least 1


@dataclass(frozen=True)
class Document:
    """One page to index: its text, and what a result shows of it."""

    url: str
    title: str
    text: str
    extra: str = ""  # words findable but not shown (names, aliases)
    meta: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@cache
def _no_marks() -> dict[int, None]:
    # Built once, and only for text that is not ASCII: every combining mark, to be deleted.
    return {cp: None for cp in range(0x110000) if unicodedata.category(chr(cp)).startswith("M")}


def fold(text: str) -> str:
    """Text as words are compared: decomposed, without marks, lower-cased."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text).translate(_no_marks()).lower()


def words(text: str) -> list[str]:
    """The words of `text`, folded; a very long one cut to its first `LONGEST_WORD` characters."""
    found = WORD.findall(fold(text))
    if any(len(w) > LONGEST_WORD for w in found):
        return [w[:LONGEST_WORD] for w in found]
    return found


@dataclass(frozen=True)
class Counted:
    """A document with its words counted: what `Indexer.add` takes, and what `mkdocs serve`
    keeps for the pages a rebuild did not write again."""

    document: Document
    counts: Mapping[str, int]


def counted(document: Document) -> Counted:
    """`document` with each of its words counted, a title word `TITLE_WEIGHT` times."""
    counts: Counter[str] = Counter(words(document.text))
    counts.update(words(document.extra))
    for word in words(document.title):
        counts[word] += TITLE_WEIGHT
    return Counted(document, counts)


class Indexer:
    """Collects documents one at a time; `write` puts the index in a folder."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[array[int], array[int]]] = {}  # word: (docs, counts)
        self.lengths = array("I")
        self.documents: list[dict[str, object]] = []
        self.facets: dict[str, dict[str, array[int]]] = {}

    def add(self, page: Document | Counted) -> None:
        counts = (page if isinstance(page, Counted) else counted(page)).counts
        document = page.document if isinstance(page, Counted) else page
        number = len(self.documents)
        self.lengths.append(sum(counts.values()))
        for word, count in counts.items():
            found = self.pages.get(word)
            if found is None:
                found = self.pages[word] = (array("I"), array("I"))
            found[0].append(number)
            found[1].append(count)
        for name, values in document.filters.items():
            facet = self.facets.setdefault(name, {})
            for value in values:
                facet.setdefault(value, array("I")).append(number)
        text = " ".join(document.text.split())
        self.documents.append(
            {
                "url": document.url,
                "title": document.title,
                "meta": dict(document.meta),
                "filters": {k: list(v) for k, v in document.filters.items()},
                "text": text[:TEXT_LIMIT],
            }
        )

    def write(self, folder: Path) -> int:
        """Write the index into `folder` (made empty first by the caller); the bytes written."""
        files: dict[str, bytes] = {}
        chunks = _chunks({w: self._scored(w) for w in sorted(self.pages)})
        for key, chunk in chunks.items():
            files[f"w/{key.encode('utf-8').hex()}.json"] = chunk
        for number, document in enumerate(self.documents):
            files[f"d/{number}.json"] = _json(document)
        for name, values in sorted(self.facets.items()):
            files[f"f/{name}.json"] = _json({v: _deltas(d) for v, d in sorted(values.items())})
        # The version changes with any file: a browser never mixes files of two builds.
        version = digest(*(part for item in sorted(files.items()) for part in item))[:16]
        manifest = {
            "format": FORMAT,
            "version": version,
            "docs": len(self.documents),
            "keys": sorted(chunks),
        }
        files["index.json"] = _json(manifest)
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return sum(len(data) for data in files.values())

    def _scored(self, word: str) -> list[int]:
        docs, counts = self.pages[word]
        total = len(self.lengths)
        average = sum(self.lengths) / total if total else 1.0
        idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
        out: list[int] = []
        previous = 0
        for number, count in zip(docs, counts, strict=True):
            norm = K1 * (1 - B + B * self.lengths[number] / average)
            score = idf * count * (K1 + 1) / (count + norm)
            out += (number - previous, max(1, round(score * SCALE)))
            previous = number
        return out


def _deltas(numbers: Iterable[int]) -> list[int]:
    out, previous = [], 0
    for number in numbers:
        out.append(number - previous)
        previous = number
    return out


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _chunks(scored: Mapping[str, list[int]]) -> dict[str, bytes]:
    """The words grouped by prefix, a group split by one more letter while it is too large."""
    out: dict[str, bytes] = {}
    pending: list[tuple[int, list[str]]] = [(2, list(scored))]
    while pending:
        length, group = pending.pop()
        by_key: dict[str, list[str]] = {}
        for word in group:
            by_key.setdefault(word[:length], []).append(word)
        for key, members in by_key.items():
            data = _json({w: scored[w] for w in members})
            # A group of one word, or of words no longer than the key, cannot split further.
            if len(data) > CHUNK_BYTES and length < LONGEST_KEY and len(members) > 1:
                pending.append((length + 1, members))
            else:
                out[key] = data
    return out
