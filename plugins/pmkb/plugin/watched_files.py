"""The site's files, noting which of them converting a page looked up.

Converting a page, MkDocs looks up the target of each of its relative links among the site's
files (`Files.get_file_from_path`) to write the link's URL, and to warn of a target that is
missing or excluded; what the page's HTML owes to the other files is those answers and nothing
else. A conversion the cache keeps holds its answers, and is used again only where each look-up
still gets the same answer: adding, removing or renaming a postmortem converts again the pages
that link to it, not the whole site.
"""

from __future__ import annotations

from collections.abc import Iterable

from mkdocs.structure.files import File, Files

# A look-up and its answer: the path looked up, and the target's URL and inclusion level, or
# None and None when no file has that path.
Lookup = tuple[str, str | None, int | None]


class WatchedFiles(Files):
    """A build's files; while `looked_up` is a list, each look-up by path is added to it."""

    def __init__(self, files: Iterable[File]) -> None:
        super().__init__(files)
        self.looked_up: list[Lookup] | None = None

    def get_file_from_path(self, path: str) -> File | None:
        found = super().get_file_from_path(path)
        if self.looked_up is not None:
            self.looked_up.append(answer(path, found))
        return found

    def watching(self) -> None:
        """Note the look-ups from now on, those before forgotten."""
        self.looked_up = []

    def watched(self) -> list[Lookup]:
        """The look-ups since `watching`; none are noted any more."""
        found, self.looked_up = self.looked_up or [], None
        return found


def answer(path: str, found: File | None) -> Lookup:
    return (path, None, None) if found is None else (path, found.url, found.inclusion.value)


def same_answers(files: Files, lookups: Iterable[Lookup]) -> bool:
    """Whether `files` answers each of `lookups` as it was answered."""
    # The look-up of Files itself: checking an entry is not a conversion's look-up.
    return all(
        answer(path, Files.get_file_from_path(files, path)) == (path, url, inclusion)
        for path, url, inclusion in lookups
    )
