"""The incidents table split into pages: real MkDocs builds, read back from the HTML.

Past `listing_page_size` incidents the table is pages of that many rows, newest first; the first
stays at `incidents/`. These builds set a page size of 3, so that a few incidents make pages.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from helpers import SITE_SERVICES, Runner, build, make_project, postmortem, read
from pmkb.read.knowledge import load
from pmkb.settings import load_settings
from pmkb.site.pages.base import PageContext
from pmkb.site.pages.incidents import page_numbers
from pmkb.urls import Site

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Eight published incidents over three years, newest first as the table lists them, and a draft.
DAYS = [
    ("2026-02-01", "payments"),
    ("2025-11-20", "checkout"),
    ("2025-06-02", "search"),
    ("2025-06-01", "checkout"),
    ("2025-01-05", "payments"),
    ("2024-12-31", "search"),
    ("2024-03-03", "checkout"),
    ("2024-01-01", "payments"),
]
NEWEST_FIRST = [f"{day}-{service}" for day, service in DAYS]
DASH = "\u2013"  # between the first and last row's numbers in a page's lead


def _postmortems() -> dict[str, str]:
    files = {
        f"{day[:4]}/{day}-{service}.md": postmortem(
            f"Incident of {day}", day, services=[service], severity="SEV3"
        )
        for day, service in DAYS
    }
    files["2025/2025-07-01-draft.md"] = postmortem("A draft", "2025-07-01", status="draft")
    return files


@dataclass
class Listing:
    """What one listing page shows: its incidents, navigations and filter form."""

    path: str  # in the site, as `read` takes it
    title: str = ""
    lead: str = ""
    incidents: list[str] = field(default_factory=list)  # hrefs, in table order
    row_ids: dict[str, str] = field(default_factory=dict)  # a row's id: its incident's href
    # Per navigation (by aria-label): its links as (text, href, attributes).
    navs: dict[str, list[tuple[str, str, dict[str, str]]]] = field(default_factory=dict)
    form: dict[str, str] | None = None  # the filter form's attributes
    options: dict[str, list[str]] = field(default_factory=dict)  # per select, option values
    form_text: str = ""


class _Reader(HTMLParser):
    def __init__(self, listing: Listing) -> None:
        super().__init__()
        self.out = listing
        self.nav: str | None = None
        self.link: tuple[str, dict[str, str]] | None = None
        self.text: list[str] = []
        self.row: str | None = None  # the id of the row being read, "" for none
        self.in_title = self.in_lead = self.in_form = False
        self.select = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "h1":
            self.in_title = True
        elif tag == "p" and "pmkb-lead" in a.get("class", ""):
            self.in_lead = True
        elif tag == "nav" and a.get("aria-label", "").startswith(("Incidents pages", "Jump")):
            self.nav = a["aria-label"]
            self.out.navs[self.nav] = []
        elif tag == "a" and self.nav is not None:
            self.link, self.text = (a["href"], a), []
        elif tag == "tr":
            self.row = a.get("id", "")
        elif tag == "a" and self.row is not None and "pmkb-chip" not in a.get("class", ""):
            self.out.incidents.append(a["href"])
            if self.row:
                self.out.row_ids[self.row] = a["href"]
        elif tag == "form":
            self.out.form, self.in_form = a, True
        elif tag == "select":
            self.select = a["name"]
            self.out.options[self.select] = []
        elif tag == "option" and a["value"]:
            self.out.options[self.select].append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self.in_title = False
        elif tag == "p":
            self.in_lead = False
        elif tag == "nav":
            self.nav = None
        elif tag == "a" and self.link is not None and self.nav is not None:
            href, attrs = self.link
            self.out.navs[self.nav].append(("".join(self.text).strip(), href, attrs))
            self.link = None
        elif tag == "tr":
            self.row = None
        elif tag == "form":
            self.in_form = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.out.title += data.replace("¶", "")
        if self.in_lead:
            self.out.lead += data
        if self.link is not None:
            self.text.append(data)
        if self.in_form and not self.select:
            self.out.form_text += data


def listing(root: Path, path: str) -> Listing:
    out = Listing(path)
    _Reader(out).feed(read(root, path))
    return out


def target(root: Path, page: str, href: str) -> str:
    """The site file a link of `page` leads to, checked to exist."""
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), href.split("#")[0]))
    file = joined + "/index.html" if href.split("#")[0].endswith("/") else joined
    assert (root / "site" / file).is_file(), f"{page}: {href} leads to no file"
    return file


def pages_in_order(root: Path, first: str) -> list[Listing]:
    """The listing pages, from the first by the pagination's `Next` links."""
    found = [listing(root, first)]
    while True:
        nxt = [href for text, href, _ in found[-1].navs["Incidents pages"] if text == "Next"]
        if not nxt:
            return found
        found.append(listing(root, target(root, found[-1].path, nxt[0])))


def incident_ids(page: Listing, root: Path) -> list[str]:
    return [posixpath.basename(target(root, page.path, h).removesuffix("/index.html")).removesuffix(".html") for h in page.incidents]  # fmt: skip


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pages of 3, with the faceted search (the default)."""
    root = make_project(
        tmp_path_factory.mktemp("paged"),
        _postmortems(),
        site=True,
        options={"listing_page_size": 3},
    )
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pages of 3, Material's search only (no search page) and `use_directory_urls: false`."""
    root = make_project(
        tmp_path_factory.mktemp("flat"),
        _postmortems(),
        site=True,
        options={"listing_page_size": 3, "search": "full"},
        mkdocs={"use_directory_urls": False},
    )
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    return root


@pytest.mark.parametrize(
    ("fixture", "files"),
    [
        ("paged", ["incidents/index.html", "incidents/page/2/index.html", "incidents/page/3/index.html"]),
        ("flat", ["incidents/index.html", "incidents/page/2.html", "incidents/page/3.html"]),
    ],
)  # fmt: skip
def test_every_incident_is_on_exactly_one_page_newest_first(
    fixture: str, files: list[str], request: pytest.FixtureRequest
) -> None:
    root: Path = request.getfixturevalue(fixture)
    pages = pages_in_order(root, "incidents/index.html")
    assert [p.path for p in pages] == files
    listed = [ident for page in pages for ident in incident_ids(page, root)]
    assert listed == NEWEST_FIRST  # each once, none missing, the draft on none
    assert [len(p.incidents) for p in pages] == [3, 3, 2]
    assert not (root / "site/incidents/page/4").exists()
    assert not (root / "site/incidents/page/4.html").exists()


def test_each_page_says_which_incidents_it_holds(paged: Path) -> None:
    pages = pages_in_order(paged, "incidents/index.html")
    assert [p.title for p in pages] == ["Incidents", "Incidents, page 2 of 3", "Incidents, page 3 of 3"]  # fmt: skip
    assert [" ".join(p.lead.split()) for p in pages] == [
        f"Incidents 1{DASH}3 of 8, newest first: from 2026-02-01 back to 2025-06-02.",
        f"Incidents 4{DASH}6 of 8, newest first: from 2025-06-01 back to 2024-12-31.",
        f"Incidents 7{DASH}8 of 8, newest first: from 2024-03-03 back to 2024-01-01.",
    ]


@pytest.mark.parametrize("fixture", ["paged", "flat"])
def test_the_pagination_leads_to_every_page(fixture: str, request: pytest.FixtureRequest) -> None:
    root: Path = request.getfixturevalue(fixture)
    pages = pages_in_order(root, "incidents/index.html")
    files = [p.path for p in pages]
    for number, page in enumerate(pages, 1):
        for label in ("Incidents pages", "Incidents pages, after the table"):
            links = page.navs[label]
            numbered = [(text, target(root, page.path, href)) for text, href, _ in links if text.isdigit()]  # fmt: skip
            assert numbered == [(str(n), f) for n, f in enumerate(files, 1)]
            current = [text for text, _, attrs in links if attrs.get("aria-current") == "page"]
            assert current == [str(number)]
            rel = {attrs["rel"]: target(root, page.path, href) for _, href, attrs in links if "rel" in attrs}  # fmt: skip
            expected = {}
            if number > 1:
                expected["prev"] = files[number - 2]
            if number < len(files):
                expected["next"] = files[number]
            assert rel == expected


def test_jump_to_year_leads_to_the_newest_incident_of_each_year(paged: Path) -> None:
    pages = {p.path: p for p in pages_in_order(paged, "incidents/index.html")}
    for page in pages.values():
        years = page.navs["Jump to year"]
        assert [text for text, _, _ in years] == ["2026", "2025", "2024"]
        for year, href, _ in years:
            shown = pages[target(paged, page.path, href)]
            anchor = href.split("#")[1]
            newest = next(i for i in NEWEST_FIRST if i.startswith(year))
            assert anchor == f"year-{year}"
            assert newest in shown.row_ids[anchor]


def test_with_the_search_page_the_filters_search_every_incident(paged: Path) -> None:
    for page in pages_in_order(paged, "incidents/index.html"):
        assert page.form is not None
        assert page.form["method"] == "get" and "hidden" not in page.form
        assert target(paged, page.path, page.form["action"]) == "search/index.html"
        # The search page's parameters and values: catalog names, severities, years, labels.
        assert page.options == {
            "service": sorted(SITE_SERVICES[s]["name"] for s in ("checkout", "payments", "search")),
            "factor": ["Configuration change"],
            "severity": ["SEV1", "SEV2", "SEV3", "SEV4"],
            "year": ["2026", "2025", "2024"],
            "status": ["Published"],
        }
        assert "Filter all 8 incidents" in " ".join(page.form_text.split())
        # The rows carry nothing for a script to filter.
        assert "data-pmkb-table" not in read(paged, page.path)


def test_without_a_search_page_the_filters_say_they_see_one_page(flat: Path) -> None:
    for page in pages_in_order(flat, "incidents/index.html"):
        assert page.form is not None and "action" not in page.form
        assert "data-pmkb-filters" in page.form and "hidden" in page.form
        assert page.options["service"] == ["checkout", "payments", "search"]  # the rows' keys
        shown = len(page.incidents)
        text = " ".join(page.form_text.split())
        assert f"These filters see this page's {shown} incidents only, not all 8." in text
        assert len(re.findall(r"<tr[^>]* data-service=", read(flat, page.path))) == shown


def test_an_incident_named_page_keeps_its_page(tmp_path: Path) -> None:
    files = _postmortems()
    files["2023/page.md"] = postmortem("Paging broke", "2023-05-05")
    root = make_project(tmp_path, files, site=True, options={"listing_page_size": 3})
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    assert "Paging broke" in read(root, "incidents/page/index.html")
    pages = pages_in_order(root, "incidents/index.html")
    assert [p.path for p in pages][1:] == ["incidents/page/2/index.html", "incidents/page/3/index.html"]  # fmt: skip
    assert incident_ids(pages[-1], root)[-1] == "page"


def test_a_table_that_fits_one_page_is_not_split(tmp_path: Path) -> None:
    files = {
        f"2024/2024-0{n}-01-x.md": postmortem(f"Incident {n}", f"2024-0{n}-01") for n in (1, 2)
    }
    root = make_project(tmp_path, files, site=True)
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    page = listing(root, "incidents/index.html")
    assert page.title == "Incidents" and len(page.incidents) == 2
    assert page.navs == {} and not (root / "site/incidents/page").exists()
    # Filtered in the page, by the script, as before the table could be split.
    assert page.form is not None and "data-pmkb-filters" in page.form
    assert " ".join(page.lead.split()) == "2 published incidents, from 2024-01-01 to 2024-02-01, newest first."  # fmt: skip


def test_the_lead_gives_the_dates_of_the_dated_incidents(tmp_path: Path) -> None:
    # A postmortem without its date is published, with the error, and sorted last.
    undated = "".join(
        line
        for line in postmortem("No date", "2024-03-01").splitlines(keepends=True)
        if not line.startswith("date:")
    )
    files = {
        "a.md": postmortem("First", "2024-01-01"),
        "b.md": postmortem("Second", "2024-02-01"),
        "c.md": undated,
    }
    root = make_project(tmp_path, files, site=True)
    assert build(root).returncode == 0
    lead = " ".join(listing(root, "incidents/index.html").lead.split())
    assert lead == "3 published incidents, from 2024-01-01 to 2024-02-01 and 1 undated, newest first."  # fmt: skip


def test_near_misses_are_counted_marked_and_filtered_apart(tmp_path: Path) -> None:
    files = {
        "a.md": postmortem("An outage", "2024-01-01"),
        "b.md": postmortem("Caught in canary", "2024-02-01", extra={"kind": "near-miss"}),
    }
    root = make_project(tmp_path, files, site=True)
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    page = listing(root, "incidents/index.html")
    lead = " ".join(page.lead.split())
    assert lead == "1 published incident and 1 near miss, from 2024-01-01 to 2024-02-01, newest first."  # fmt: skip
    html = read(root, "incidents/index.html")
    assert re.findall(r'<tr data-[^>]*data-kind="([^"]+)"', html) == ["near-miss", "incident"]
    assert html.count('<span class="pmkb-kind pmkb-kind--near-miss">Near miss</span>') == 1
    kinds = re.search(r'<select name="kind">(.*?)</select>', html, re.S)
    assert kinds is not None and re.findall(r'<option value="([^"]*)">([^<]*)<', kinds[1]) == [
        ("", "All"),
        ("incident", "Incident"),
        ("near-miss", "Near miss"),
    ]
    # A table of incidents alone offers no kind to choose.
    alone = make_project(
        tmp_path / "alone", {"a.md": postmortem("An outage", "2024-01-01")}, site=True
    )
    assert build(alone, strict=True).returncode == 0
    assert 'name="kind"' not in read(alone, "incidents/index.html")


def test_names_in_the_search_filters_are_escaped(tmp_path: Path) -> None:
    services = {**SITE_SERVICES, "checkout": {**SITE_SERVICES["checkout"], "name": 'Check "out" <b>&'}}  # fmt: skip
    root = make_project(tmp_path, _postmortems(), services=services, site=True, options={"listing_page_size": 3})  # fmt: skip
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    page = listing(root, "incidents/page/2/index.html")
    assert 'Check "out" <b>&' in page.options["service"]
    assert "<b>&" not in read(root, "incidents/page/2/index.html")


@pytest.mark.parametrize(
    ("current", "count", "shown"),
    [
        (1, 1, [1]),
        (1, 20, [1, 2, 3, None, 20]),
        (4, 20, [1, 2, 3, 4, 5, 6, None, 20]),
        (10, 20, [1, None, 8, 9, 10, 11, 12, None, 20]),
        (20, 20, [1, None, 18, 19, 20]),
        (3, 6, [1, 2, 3, 4, 5, 6]),
    ],
)
def test_page_numbers_leave_out_the_far_pages(current: int, count: int, shown: list[int | None]) -> None:  # fmt: skip
    assert page_numbers(current, count) == shown


def test_only_the_first_page_is_in_the_navigation(paged: Path) -> None:
    home = read(paged, "index.html")  # Material writes the whole navigation into every page
    assert 'href="incidents/"' in home and "incidents/page/" not in home
    page = read(paged, "incidents/page/2/index.html")
    outside = re.sub(r'<nav class="pmkb-(?:pages|years)".*?</nav>', "", page, flags=re.S)
    assert "incidents/page/" not in outside


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # Split, with the search page: filtered there, by names, with no script needed.
        ({"listing_page_size": 3}, "../../search/?service=Payments&year=2025&kind=Near+miss"),
        # One page: the table's script filters it, by ids.
        ({}, "../../incidents/?service=payments&year=2025&kind=near-miss"),
        # Split, without the search page: the table, as before.
        (
            {"listing_page_size": 3, "search": "full"},
            "../../incidents/?service=payments&year=2025&kind=near-miss",
        ),
    ],
)
def test_links_to_filtered_incidents_work_without_a_script(
    tmp_path: Path, options: dict[str, object], expected: str
) -> None:
    root = make_project(tmp_path, _postmortems(), options=options)
    settings = load_settings(options, root)
    ctx = PageContext(load(settings), Site(settings), date(2026, 3, 1))
    link = ctx.listed("services/payments.md", kind="near-miss", year="2025", service="payments")
    assert link == expected


def test_generated_pages_keep_the_tables_pages_out_of_the_navigation(
    tmp_path: Path, run: Runner
) -> None:
    root = make_project(tmp_path / "kb", _postmortems(), options={"listing_page_size": 3})
    assert run("generate", "--out", str(tmp_path / "out"), cwd=root).code == 0
    result = build(tmp_path / "out", strict=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "site" / "incidents" / "page" / "3" / "index.html").is_file()
    assert "page/2" not in result.stderr  # MkDocs names pages left out of the navigation
    # The faceted search comes along, and finds the incidents of every page.
    index = tmp_path / "out" / "site" / "search" / "index" / "d"
    urls = [json.loads(p.read_text("utf-8"))["url"] for p in index.glob("*.json")]
    assert sorted(u for u in urls if u.startswith("incidents/")) == sorted(
        f"incidents/{i}/" for i in NEWEST_FIRST
    )
