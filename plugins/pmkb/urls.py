"""Where each generated page lives, and the relative links between pages."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

from .findings import Finding, finding
from .settings import LISTING_OPTIONS, Settings

# The files pmkb adds beside its pages (site/pages/assets.py writes them under these names).
ASSETS = ("pmkb.css", "pmkb.js")
EXPORTS = ("incidents.json", "incidents.csv", "action-items.csv")
# The folder, under `incidents_path`, of the incidents table's pages after the first.
LISTING_PAGES = "page"
# What MkDocs reads as a page (mkdocs.utils.markdown_extensions); it compares them case-sensitively.
PAGE_EXTENSIONS = (".markdown", ".mdown", ".mkdn", ".mkd", ".md")
# Windows reserves these names in every folder, with any extension: `nul.md` is `nul` there.
_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", *(f"com{d}" for d in range(10)), *(f"lpt{d}" for d in range(10))]
)


def unusable_id(ident: str) -> str | None:
    """Why an id (of a postmortem, service or factor) cannot name its page's file, or None."""
    if ident == "index":
        return "`index.md` is the listing page of the folder the page would share"
    if ident.endswith((".", " ")):
        return "Windows drops a trailing dot or space from a file name, so it names another file"
    device = ident.split(".", 1)[0].rstrip(" ").lower()
    if device in _DEVICES:
        return f"`{device}` is a device name on Windows, which no file may have, with any extension"
    return None


@dataclass(frozen=True)
class Site:
    """The site's layout: page source paths to URLs, as MkDocs maps them."""

    settings: Settings
    directory_urls: bool = True

    def incident(self, ident: str) -> str:
        return f"{self.settings.incidents_path}/{ident}.md"

    def incidents(self) -> str:
        return f"{self.settings.incidents_path}/index.md"

    def incidents_page(self, number: int) -> str:
        """Page `number` (from 1) of the incidents table; the first is the listing itself.

        The later pages sit a folder below the incident pages: an id is a slug, which holds no
        `/`, so no incident's page can be one of them (an incident `page` is `page/index.html`
        or `page.html`, never `page/2/index.html`).
        """
        if number == 1:
            return self.incidents()
        return f"{self.settings.incidents_path}/{LISTING_PAGES}/{number}.md"

    def service(self, ident: str) -> str:
        return f"{self.settings.services_path}/{ident}.md"

    def services(self) -> str:
        return f"{self.settings.services_path}/index.md"

    def factor(self, ident: str) -> str:
        return f"{self.settings.factors_path}/{ident}.md"

    def factors(self) -> str:
        return f"{self.settings.factors_path}/index.md"

    def trends(self) -> str:
        return f"{self.settings.trends_path}/index.md"

    def action_items(self) -> str:
        return f"{self.settings.action_items_path}/index.md"

    def asset(self, name: str) -> str:
        return f"assets/pmkb/{name}"

    def output(self, src: str) -> str:
        """The file MkDocs writes for a source file, relative to the site folder (its dest_uri)."""
        if not src.endswith(PAGE_EXTENSIONS):
            return src
        # String operations, not posixpath's: asked for every incident of a `pmkb check FILE`.
        # A name that is all extension (`.md`) keeps it, as posixpath.splitext has it.
        folder, _, name = src.rpartition("/")
        dot = name.rfind(".")
        stem = name[:dot] if name[:dot].strip(".") else name
        stem = "index" if stem == "README" else stem
        prefix = f"{folder}/" if folder else ""
        if stem == "index" or not self.directory_urls:
            return f"{prefix}{stem}.html"
        return f"{prefix}{stem}/index.html"

    def url(self, src: str) -> str:
        """The URL path (relative to the site root) MkDocs gives a source file."""
        if not src.endswith(".md"):
            return src
        stem = src[:-3]
        folder, name = posixpath.split(stem)
        if name == "index":
            return f"{folder}/" if folder else ""
        if self.directory_urls:
            return f"{stem}/"
        return f"{stem}.html"

    def link(self, from_src: str, to_src: str) -> str:
        """A relative link from one page (or asset) to another: up to the site root, then down."""
        target = self.url(to_src)
        if not self.directory_urls and (target.endswith("/") or not target):
            target += "index.html"
        return self.root(from_src) + target or "./"

    def root(self, from_src: str) -> str:
        """The relative path from a page up to the site root: `../../` or empty."""
        source = self.url(from_src)
        folder = source if source.endswith("/") or not source else posixpath.dirname(source) + "/"
        return "../" * folder.count("/")

    def fixed_claims(self) -> list[Claim]:
        """The pages and files pmkb adds whatever the knowledge base holds."""
        s = self.settings
        pages = [(getattr(s, name), label) for name, label in LISTING_OPTIONS.items()]
        claims = [Claim(f"{path}/index.md", f"the {label}", "") for path, label in pages]
        claims.extend(Claim(self.asset(name), f"pmkb's asset `{name}`", "") for name in ASSETS)
        claims.extend(Claim(name, f"pmkb's export `{name}`", "") for name in EXPORTS)
        return claims


SEARCH_PAGE = "search/index.md"  # the faceted search's page (`search: auto`)


def listing_pages(incidents: int, page_size: int) -> int:
    """How many pages the incidents table takes: at least one, which says there are none."""
    return max(1, -(-incidents // page_size))


@dataclass(frozen=True)
class Claim:
    """A source file that becomes a file of the built site, and where a finding about it goes."""

    src: str  # relative to docs_dir, as MkDocs names it
    what: str  # how messages name it
    display: str  # the file a finding about it is reported on
    line: int = 1
    col: int = 1
    in_docs: bool = False  # a file of docs_dir rather than a page pmkb generates


def collisions(site: Site, claims: Iterable[Claim]) -> list[tuple[Claim, Finding]]:
    """Claims on a site file that an earlier claim holds, each with its finding.

    Earlier claims keep the file: pass pmkb's fixed pages first and docs_dir's files last, so a
    finding lands on the later, more specific claim. Two files of docs_dir are MkDocs' concern.
    """
    # By the name folded to one case: macOS and Windows keep `Services/index.html` and
    # `services/index.html` as one file, and the site built there would lose one of the pages.
    held: dict[str, Claim] = {}
    found: list[tuple[Claim, Finding]] = []
    for claim in claims:
        dest = site.output(claim.src)
        first = held.setdefault(dest.casefold(), claim)
        if first is claim or (claim.in_docs and first.in_docs):
            continue
        held_as = site.output(first.src)
        where = (
            f"`{dest}`"
            if held_as == dest
            else f"`{held_as}` where file names ignore case (macOS, Windows)"
        )
        if claim.in_docs:
            message = (
                f"`{claim.src}` and {first.what} (`{first.src}`) would both be the site's "
                f"{where}; only one can be published: move or rename this file"
            )
            found.append((claim, finding(claim.display, claim.line, claim.col, "PMK604", message)))
        else:
            message = (
                f"{claim.what} (`{claim.src}`) and {first.what} (`{first.src}`) would both be "
                f"the site's {where}"
            )
            found.append((claim, finding(claim.display, claim.line, claim.col, "PMK603", message)))
    return found
