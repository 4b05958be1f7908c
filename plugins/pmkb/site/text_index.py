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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..digests import digest

FORMAT = 1
WORD = re.compile(r"\w+")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
CHUNK_BYTES = 24_000  # a chunk above this is split by one more letter of its words
LONGEST_KEY = 16
# Longer words (a hash, a base64 blob) are indexed by their beginning: what a reader types.
LONGEST_WORD = 64
TEXT_LIMIT = 20_000  # characters of a document kept for excerpts; every word is indexed anyway
TITLE_WEIGHT = 5  # a title word counts as this many occurrences
K1, B = 1.2, 0.75  # BM25's usual constants
SCALE = 20  # scores are kept as integers: score * SCALE, at least 1
_POSTING_BYTES = 6  # a page's delta and score in a word file, about: "12,34,"


@dataclass(frozen=True)
class Document:
    """One page to index: its text, and what a result shows of it."""

    url: str
    title: str
    text: str
    extra: str = ""  # words findable but not shown (names, aliases)
    meta: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def fold(text: str) -> str:
    """Text as words are compared: decomposed, without marks, lower-cased."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    # The marks this text holds, looked for among its few characters that are not ASCII: one
    # class of every mark of Unicode made the deletion the slowest step of the index.
    marks = {c for c in set(_NOT_ASCII.findall(text)) if unicodedata.category(c).startswith("M")}
    if marks:
        text = re.sub("[" + "".join(sorted(marks)) + "]+", "", text)
    return text.lower()


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
    """Writes an index into `folder`: each page's file as it is added, the word and facet files
    by `finish`. Holds two small integers per word and page, not the pages' text."""

    def __init__(self, folder: Path, first: int = 0) -> None:
        self.folder = folder
        self.first = first  # the number of the first page added: a part of the pages starts later
        self.pages: dict[str, tuple[array[int], array[int]]] = {}  # word: (docs, counts)
        self.lengths = array("I")
        self.facets: dict[str, dict[str, array[int]]] = {}
        self.written: list[tuple[str, str]] = []  # each file's name and digest, for the version
        self.bytes = 0

    @property
    def documents(self) -> int:
        return len(self.lengths)

    def add(self, page: Document | Counted) -> None:
        counts = (page if isinstance(page, Counted) else counted(page)).counts
        document = page.document if isinstance(page, Counted) else page
        number = self.first + len(self.lengths)
        self.lengths.append(sum(counts.values()))
        found = self.pages.get
        for word, count in counts.items():
            postings = found(word)
            if postings is None:
                postings = self.pages[word] = (array("I"), array("I"))
            postings[0].append(number)
            postings[1].append(count)
        for name, values in document.filters.items():
            facet = self.facets.setdefault(name, {})
            for value in values:
                facet.setdefault(value, array("I")).append(number)
        record = {
            "url": document.url,
            "title": document.title,
            "meta": dict(document.meta),
            "filters": {k: list(v) for k, v in document.filters.items()},
            "text": " ".join(document.text.split())[:TEXT_LIMIT],
        }
        self._write(f"d/{number}.json", _json(record))

    def join(self, part: Indexer) -> None:
        """Take in the pages `part` added, which follow this one's (`part.first` is the number
        after this one's last): an index made in parts is the index made in one."""
        if part.first != self.first + len(self.lengths):
            raise ValueError(
                f"part starts at page {part.first}, not {self.first + len(self.lengths)}"
            )
        for word, (docs, counts) in part.pages.items():
            mine = self.pages.get(word)
            if mine is None:
                self.pages[word] = (docs, counts)
            else:
                mine[0].extend(docs)
                mine[1].extend(counts)
        self.lengths.extend(part.lengths)
        for name, values in part.facets.items():
            facet = self.facets.setdefault(name, {})
            for value, docs in values.items():
                facet.setdefault(value, array("I")).extend(docs)
        self.written.extend(part.written)
        self.bytes += part.bytes

    def finish(self) -> int:
        """Write the word and facet files and the manifest; the bytes of every file written."""
        keys = []
        for key, chunk in _chunks(self.pages, self._scorer()):
            keys.append(key)
            self._write(f"w/{key.encode('utf-8').hex()}.json", chunk)
        for name, values in sorted(self.facets.items()):
            facet = {value: _deltas(docs) for value, docs in sorted(values.items())}
            self._write(f"f/{name}.json", _json(facet))
        # The version changes with any file: a browser never mixes files of two builds.
        version = digest(*(part for item in sorted(self.written) for part in item))[:16]
        manifest = {
            "format": FORMAT,
            "version": version,
            "docs": len(self.lengths),
            "keys": sorted(keys),
        }
        self._write("index.json", _json(manifest))
        return self.bytes

    def _write(self, name: str, data: bytes) -> None:
        path = self.folder / name
        try:
            path.write_bytes(data)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        self.written.append((name, digest(data)))
        self.bytes += len(data)

    def _scorer(self) -> Callable[[str], list[int]]:
        """A word's pages as [delta, score, ...]: BM25, scaled to integers."""
        total = len(self.lengths)
        average = sum(self.lengths) / total if total else 1.0
        norms = [K1 * (1 - B + B * n / average) for n in self.lengths]

        def scored(word: str) -> list[int]:
            docs, counts = self.pages[word]
            idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
            weight = idf * (K1 + 1) * SCALE
            out = [0] * (2 * len(docs))
            out[0::2] = _deltas(docs)
            out[1::2] = [
                max(1, round(weight * c / (c + norms[d])))
                for d, c in zip(docs, counts, strict=True)
            ]
            return out

        return scored


def _deltas(numbers: Iterable[int]) -> list[int]:
    out, previous = [], 0
    for number in numbers:
        out.append(number - previous)
        previous = number
    return out


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _chunks(
    pages: Mapping[str, tuple[array[int], array[int]]], scored: Callable[[str], list[int]]
) -> Iterator[tuple[str, bytes]]:
    """The words grouped by prefix, a group split by one more letter while it is too large;
    each chunk serialized once, when it is final (sizes are estimated from the postings)."""
    pending: list[tuple[int, list[str]]] = [(2, sorted(pages))]
    while pending:
        length, group = pending.pop()
        by_key: dict[str, list[str]] = {}
        for word in group:
            by_key.setdefault(word[:length], []).append(word)
        for key, members in by_key.items():
            size = sum(len(w) + 4 + _POSTING_BYTES * len(pages[w][0]) for w in members)
            # A group of one word, or of words no longer than the key, cannot split further.
            if size > CHUNK_BYTES and length < LONGEST_KEY and len(members) > 1:
                pending.append((length + 1, members))
            else:
                yield key, _json({w: scored(w) for w in members})
