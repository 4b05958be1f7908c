"""Real MkDocs builds of small knowledge bases: the pages a reader sees, read back from the HTML."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from helpers import BUILD_EPOCH, build, make_project, postmortem, read, search_docs
from pmkb.analyse.index import NEIGHBOURS, NO_DATE, Index
from pmkb.model import Postmortem
from pmkb.site.pages.shared import LIST_LIMIT

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kb")
    make_project(
        root,
        {
            "2024/2024-01-10-checkout-down.md": postmortem(
                "Checkout down after a config push", "2024-01-10",
                services=["checkout", "payments"], factors=["config-change", "missing-alert"], severity="SEV1",
                extra={"authors": ["Ana Ruiz"], "action_items": [
                    {"title": "Validate units", "owner": "team-payments", "status": "open", "due": "2024-03-01", "link": "https://tracker.example/PAY-1"},
                    {"title": "Add alert", "owner": "team-payments", "status": "done"},
                ]},
            ),
            "2024/2024-02-01-checkout-slow.md": postmortem(
                "Checkout slow during a sale", "2024-02-01", services=["checkout"], factors=["traffic-surge", "config-change"], severity="SEV3",
            ),
            "2024/2024-09-01-search-empty.md": postmortem(
                "Search returned nothing", "2024-09-01", services=["search"], factors=["config-change"], status="in-review", severity="SEV2",
            ),
            "2025/2025-03-01-payments-alert.md": postmortem(
                "Payments errors went unnoticed", "2025-03-01", services=["payments"], factors=["missing-alert"], severity="SEV4",
            ),
            "2025/2025-04-01-secret-draft.md": postmortem(
                "Zanzibar secret draft title", "2025-04-01", services=["checkout"], factors=["config-change"], status="draft",
                summary="Quokka draft text that must never leak.",
            ),
        },
        site=True,
    )  # fmt: skip
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    return root


def rows(html: str) -> list[str]:
    return re.findall(r"<tr data-service=[^>]*>", html)


def test_every_published_incident_has_a_page(site: Path) -> None:
    for ident in (
        "2024-01-10-checkout-down",
        "2024-02-01-checkout-slow",
        "2024-09-01-search-empty",
        "2025-03-01-payments-alert",
    ):
        assert "<h1" in read(site, f"incidents/{ident}/index.html")
    assert not (site / "site/incidents/2025-04-01-secret-draft").exists()


def test_incident_header_card_shows_facts_and_links(site: Path) -> None:
    html = read(site, "incidents/2024-01-10-checkout-down/index.html")
    assert '<span class="pmkb-sev pmkb-sev--1">SEV1</span>' in html
    assert "<dt>Duration</dt><dd>1 h 00 min</dd>" in html
    assert "<dt>Time to detect</dt><dd>5 min</dd>" in html
    assert "<dt>Time to mitigate</dt><dd>30 min</dd>" in html
    assert 'href="../../services/checkout/"' in html
    assert 'href="../../factors/config-change/"' in html
    assert ">Configuration change</a>" in html
    assert "Ana Ruiz" in html


def test_card_shows_a_dash_for_no_known_service_or_factor(tmp_path: Path) -> None:
    # The catalogs know neither: each is reported (PMK109, PMK110), and the card lists none.
    text = postmortem("Unknown names", "2024-01-10", services=["nowhere"], factors=["no-such"])
    root = make_project(tmp_path, {"2024/2024-01-10-x.md": text}, site=True)
    assert build(root).returncode == 0
    html = read(root, "incidents/2024-01-10-x/index.html")
    assert "<dt>Services</dt><dd>—</dd><dt>Contributing factors</dt><dd>—</dd>" in html


def test_action_items_table_marks_overdue_items(site: Path) -> None:
    html = read(site, "incidents/2024-01-10-checkout-down/index.html")
    overdue = re.search(r'<li class="pmkb-overdue">(.*?)</li>', html, re.S)
    assert overdue is not None and "Validate units" in overdue.group(1)
    assert '<a href="https://tracker.example/PAY-1">PAY-1</a>' in overdue.group(1)
    assert html.count('class="pmkb-overdue"') == 1


def test_edit_link_opens_the_postmortem_file(site: Path) -> None:
    html = read(site, "incidents/2024-01-10-checkout-down/index.html")
    assert (
        'href="https://github.com/example/kb/edit/main/postmortems/2024/2024-01-10-checkout-down.md"'
        in html
    )


def test_in_review_incident_has_a_banner(site: Path) -> None:
    assert "In review</p>" in read(site, "incidents/2024-09-01-search-empty/index.html")
    assert "In review</p>" not in read(site, "incidents/2024-01-10-checkout-down/index.html")


def test_incidents_table_lists_published_newest_first_with_filter_data(site: Path) -> None:
    html = read(site, "incidents/index.html")
    found = rows(html)
    assert len(found) == 4
    assert 'data-year="2025"' in found[0] and 'data-severity="SEV4"' in found[0]
    assert found[1].startswith(
        '<tr data-service=" search " data-factor=" config-change " data-severity="SEV2" data-year="2024" data-status="in-review"'
    )
    assert 'data-service=" checkout payments "' in found[3]
    assert '<option value="config-change">Configuration change</option>' in html
    assert '<option value="2024">2024</option>' in html
    assert "pmkb.js" in html


def test_service_page_counts_and_factors(site: Path) -> None:
    html = read(site, "services/checkout/index.html")
    assert "team-payments" in html
    assert html.count('href="../../incidents/2024-') == 2
    counts = re.search(r'class="pmkb-sevcounts">(.*?)</dd>', html, re.S)
    assert counts is not None
    assert re.sub(r"<[^>]+>", "", counts.group(1)).split() == [
        "SEV1",
        "1",
        "SEV2",
        "0",
        "SEV3",
        "1",
        "SEV4",
        "0",
    ]
    factors = re.search(r'<ul class="pmkb-counts">(.*?)</ul>', html, re.S)
    assert factors is not None
    assert re.findall(r">([^<>]+)</a> <span class=\"pmkb-count\">(\d+)", factors.group(1)) == [
        ("Configuration change", "2"), ("Missing alert", "1"), ("Traffic surge", "1"),
    ]  # fmt: skip


def test_factor_page_lists_services_and_cooccurring_factors(site: Path) -> None:
    html = read(site, "factors/config-change/index.html")
    assert "also written <code>misconfiguration</code>" in html
    lists = re.findall(r'<ul class="pmkb-counts">(.*?)</ul>', html, re.S)
    services = re.findall(r">([^<>]+)</a> <span class=\"pmkb-count\">(\d+)", lists[0])
    assert services == [("Checkout", "2"), ("Payments", "1"), ("Product search", "1")]
    cooccurring = re.findall(r">([^<>]+)</a> <span class=\"pmkb-count\">(\d+)", lists[1])
    assert cooccurring == [("Missing alert", "1"), ("Traffic surge", "1")]


def test_service_and_factor_pages_list_the_latest_incidents_and_link_to_the_rest(
    tmp_path: Path,
) -> None:
    limit = LIST_LIMIT
    days = [date(2020, 1, 1) + timedelta(days=7 * n) for n in range(limit + 3)]
    make_project(
        tmp_path, {f"{d}.md": postmortem(f"Incident of {d}", d.isoformat(), factors=["missing-alert"]) for d in days},
        site=True,
    )  # fmt: skip
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    for page, query in (
        ("services/checkout", "service=checkout"),
        ("factors/missing-alert", "factor=missing-alert"),
    ):
        html = read(tmp_path, f"{page}/index.html")
        listed = re.findall(r'<td class="pmkb-nowrap">([\d-]+)</td>', html)
        assert listed == [d.isoformat() for d in reversed(days)][:limit], page
        assert f"The latest {limit} of {limit + 3} incidents." in html
        assert f'href="../../incidents/?{query}">See all of them' in html
    # The incidents table itself holds every one of them.
    assert len(re.findall(r"<tr data-service", read(tmp_path, "incidents/index.html"))) == limit + 3


def test_factors_index_groups_by_category(site: Path) -> None:
    html = read(site, "factors/index.html")
    headings = re.findall(r"<h2[^>]*>(\w+)", html)
    assert headings == ["Capacity", "Change", "Detection"]


def test_related_incidents_ranked_by_shared_factors_services_and_time(site: Path) -> None:
    html = read(site, "incidents/2024-01-10-checkout-down/index.html")
    related = re.search(r'<ul class="pmkb-related">(.*?)</ul>', html, re.S)
    assert related is not None
    titles = re.findall(r'<li><a href="[^"]+">([^<]+)</a>', related.group(1))
    # slow: factor+service, 22 days (3+2+2); payments: factor+service, 416 days (3+2); search: factor, 235 days (3)
    assert titles == [
        "Checkout slow during a sale",
        "Payments errors went unnoticed",
        "Search returned nothing",
    ]
    assert "same factor: Configuration change; same service: Checkout; 22 days apart" in re.sub(
        r"<[^>]+>", "", related.group(1)
    )


@pytest.mark.parametrize("seed", range(40))
def test_related_incidents_are_the_best_by_score_then_days_then_id(seed: int) -> None:
    """Index.related keeps only the best few candidates as it goes: the ones it keeps are those
    of ranking every incident that shares a service or factor by (-score, days apart, id), ties
    included (the same score, the same days, no date). Fewer incidents than NEIGHBOURS: every
    one sharing a list is a candidate."""
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    made = [
        Postmortem(
            id=f"pm-{n:02d}",
            path=Path(f"/kb/{n}.md"),
            display=f"postmortems/{n}.md",
            title=f"Incident {n}",
            date=None if rng.random() < 0.2 else start + timedelta(days=rng.randint(0, 60) * 7),
            severity="SEV2",
            status="published",
            services=tuple(rng.choice("abc") for _ in range(rng.randint(0, 2))),
            factors=tuple(rng.choice("xyz") for _ in range(rng.randint(0, 2))),
        )
        for n in rng.sample(range(NEIGHBOURS), rng.randint(0, NEIGHBOURS - 1))
    ]
    incidents = sorted(made, key=lambda pm: pm.sort_key, reverse=True)  # as the index takes them
    index = Index(incidents)

    def ranked(pm: Postmortem) -> list[tuple[str, float, int | None]]:
        keyed = []
        for other in incidents:
            shared_factors = {*pm.factors} & {*other.factors}
            shared_services = {*pm.services} & {*other.services}
            if other is pm or not (shared_factors or shared_services):
                continue
            days = abs((pm.date - other.date).days) if pm.date and other.date else None
            near = 0 if days is None else 2 if days <= 30 else 1 if days <= 180 else 0
            score = 3 * len(shared_factors) + 2 * len(shared_services) + near
            keyed.append((-score, NO_DATE if days is None else days, other.id, days))
        keyed.sort()
        return [(ident, float(-negative), days) for negative, _, ident, days in keyed]

    for pm in incidents:
        for limit in (1, 3, 50):
            found = [(r.incident.id, r.score, r.days_apart) for r in index.related(pm, limit)]
            assert found == ranked(pm)[:limit]


def test_listing_pages_join_the_navigation_but_incidents_do_not(site: Path) -> None:
    html = read(site, "index.html")
    nav = re.search(r'<nav class="md-nav md-nav--primary"(.*?)</nav>', html, re.S)
    assert nav is not None
    assert (
        "Incidents" in nav.group(1)
        and "Services" in nav.group(1)
        and "Contributing factors" in nav.group(1)
    )
    assert "Checkout down after a config push" not in nav.group(1)


def test_search_finds_incidents_by_factor_and_service_names_and_ids(site: Path) -> None:
    # The faceted index (`search: auto`): names are words of the incident, ids are not shown.
    index = site / "site" / "search" / "index"
    pages = {}
    for path in (index / "d").glob("*.json"):
        page = json.loads(path.read_text("utf-8"))
        pages[page["url"]] = page
    incident = pages["incidents/2024-01-10-checkout-down/"]
    assert incident["filters"]["service"] == ["Checkout", "Payments"]
    assert incident["filters"]["factor"] == ["Configuration change", "Missing alert"]
    assert "Date 2024-01-10" not in incident["text"]  # the card is left to the page
    manifest = json.loads((index / "index.json").read_text("utf-8"))
    chunk = json.loads((index / "w" / f"{b'al'.hex()}.json").read_text("utf-8"))
    assert "al" in manifest["keys"]
    numbers = [
        url for url, page in pages.items() if "Missing alert" in page["filters"].get("factor", [])
    ]
    assert len(chunk["alert"]) // 2 >= len(numbers) == 2
    assert "incidents/" not in pages and "services/" not in pages


def test_draft_leaks_into_no_output_file(site: Path) -> None:
    for path in (site / "site").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (b"Zanzibar", b"Quokka", b"2025-04-01-secret-draft"):
                assert secret not in data, f"{secret!r} leaked into {path}"


def test_strict_build_fails_on_invalid_postmortem_and_names_it(tmp_path: Path) -> None:
    make_project(
        tmp_path, {"bad.md": postmortem("Bad", "2024-01-01", services=["chekout"])}, site=True
    )
    result = build(tmp_path, strict=True)
    assert result.returncode == 1
    assert (
        "postmortems/bad.md:7:3: error PMK109 unknown service `chekout` (did you mean `checkout`?)"
        in result.stderr
    )


def test_non_strict_build_publishes_invalid_postmortem_with_its_problems(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"bad.md": postmortem("Bad but visible", "2024-01-01", factors=["config-chnage"])},
        site=True,
    )
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    # The build's last pmkb line says so, and what CI should do.
    assert (
        "WARNING -  pmkb: 1 postmortems found, 1 published, 0 drafts held back, 1 with errors; "
        "1 published postmortem has errors; CI should build with --strict"
    ) in result.stderr
    html = read(tmp_path, "incidents/bad/index.html")
    assert "This postmortem has 1 problem</p>" in html
    assert (
        "unknown contributing factor <code>config-chnage</code>" not in html
    )  # message text is escaped, not markup
    assert "unknown contributing factor `config-chnage`" in html


def test_a_configuration_read_from_standard_input_finds_the_project_in_the_working_folder(
    tmp_path: Path,
) -> None:
    # `mkdocs build -f -`: MkDocs gives the configuration's path as "", and reads its relative
    # paths from the working folder; pmkb looked one folder up, found no postmortems there, and
    # kept its cache beside the project.
    root = make_project(
        tmp_path / "kb", {"a.md": postmortem("Read from stdin", "2024-01-01")}, site=True
    )
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "-"],
        input=(root / "mkdocs.yml").read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": BUILD_EPOCH},
        cwd=root,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Read from stdin" in read(root, "incidents/a/index.html")
    assert (root / ".cache" / "pmkb").is_dir() and not (tmp_path / ".cache").exists()


EXCLUDING_HOOK = """
from mkdocs.plugins import event_priority
from mkdocs.structure.files import InclusionLevel


@event_priority(-50)
def on_files(files, config):
    # As mkdocs-exclude listed after pmkb: a generated page taken out of the site; and one
    # excluded, as `exclude_docs` would a file of docs_dir.
    files.remove(files.get_file_from_path("trends/index.md"))
    files.get_file_from_path("factors/index.md").inclusion = InclusionLevel.EXCLUDED
    return files
"""


def test_a_listing_page_another_plugin_takes_out_leaves_the_navigation(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("Kept out of trends", "2024-01-01")},
        site=True,
        mkdocs={"hooks": ["exclude.py"]},
        files={"exclude.py": EXCLUDING_HOOK},
    )
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "site" / "trends").exists()
    assert not (tmp_path / "site" / "factors" / "index.html").exists()
    home = read(tmp_path, "index.html")
    assert 'href="incidents/"' in home
    assert 'href="trends/"' not in home and 'href="factors/"' not in home


def test_plain_mkdocs_theme_builds(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("Plain theme incident", "2024-01-01")},
        theme="mkdocs",
        site=True,
    )
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    assert "Plain theme incident" in read(tmp_path, "incidents/a/index.html")
    assert "pmkb-card" in read(tmp_path, "incidents/a/index.html")
    assert 'href="../services/checkout/"' in read(tmp_path, "incidents/index.html")


def test_explicit_nav_is_respected_and_missing_listings_appended(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("Nav incident", "2024-01-01")},
        nav=[
            {"Home": "index.md"},
            {"All incidents": "incidents/index.md"},
            {"The one incident": "incidents/a.md"},
        ],
        site=True,
    )
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    nav = re.search(
        r'<nav class="md-nav md-nav--primary"(.*?)</nav>', read(tmp_path, "index.html"), re.S
    )
    assert nav is not None
    labels = re.findall(r'<span class="md-ellipsis">\s*([^<]+?)\s*</span>', nav.group(1))
    # The titles `nav` gives pmkb's pages are theirs, as any page's.
    assert labels[:5] == [
        "Home", "All incidents", "The one incident", "Services", "Contributing factors"
    ]  # fmt: skip


def test_no_directory_urls_links_resolve(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("Flat urls", "2024-01-01")},
        mkdocs={"use_directory_urls": False},
        site=True,
    )
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    html = read(tmp_path, "incidents/a.html")
    assert 'href="../services/checkout.html"' in html
    assert (tmp_path / "site/services/checkout.html").exists()


@pytest.mark.parametrize("directory_urls", [True, False])
def test_every_chip_links_to_its_service_or_factor_page(
    tmp_path: Path, directory_urls: bool
) -> None:
    """Header cards, tables, count lists and related incidents: each chip is a link, relative to
    its page, to the page of its service or factor, with and without directory URLs."""
    make_project(
        tmp_path,
        {
            "a.md": postmortem("A", "2024-01-10", services=["checkout", "payments"], factors=["config-change"]),
            "b.md": postmortem("B", "2024-02-01", services=["checkout"], factors=["config-change", "missing-alert"]),
        },
        mkdocs={"use_directory_urls": directory_urls},
        site=True,
    )  # fmt: skip
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "site"
    folder = {"service": "services", "factor": "factors"}
    chip = re.compile(r'<a class="pmkb-chip pmkb-chip--(\w+)" href="([^"]+)"[^>]*>([^<]+)</a>')
    chips: dict[str, list[tuple[str, str, str]]] = {}
    for html_file in sorted(out.rglob("*.html")):
        found = chip.findall(html_file.read_text(encoding="utf-8"))
        if found:
            chips[html_file.relative_to(out).as_posix()] = found
        for kind, href, _ in found:
            target = (html_file.parent / href).resolve()
            target = target / "index.html" if href.endswith("/") else target
            assert target.is_file(), f"{html_file}: {href}"
            assert target.relative_to(out).parts[0] == folder[kind], f"{html_file}: {href}"

    def page(path: str) -> str:
        return f"{path}/index.html" if directory_urls else f"{path}.html"

    def url(kind: str, ident: str) -> str:
        up = "../../" if directory_urls else "../"
        return (
            f"{up}{folder[kind]}/{ident}/" if directory_urls else f"{up}{folder[kind]}/{ident}.html"
        )

    assert set(chips) >= {
        page("incidents/a"),  # header card, related incidents
        page("incidents/b"),
        "incidents/index.html",  # the incidents table
        page("services/checkout"),  # the factors seen with the service, the incidents table
        page("factors/config-change"),
        "trends/index.html",
    }
    # Incident A: the card's chips, then the factor and service it shares with B.
    assert chips[page("incidents/a")] == [
        ("service", url("service", "checkout"), "Checkout"),
        ("service", url("service", "payments"), "Payments"),
        ("factor", url("factor", "config-change"), "Configuration change"),
        ("factor", url("factor", "config-change"), "Configuration change"),
        ("service", url("service", "checkout"), "Checkout"),
    ]


def test_markup_in_titles_and_catalog_names_is_escaped(tmp_path: Path) -> None:
    services = {"checkout": {"name": "<img src=x onerror=alert(1)>", "owner": "<b>team</b>"}}
    make_project(
        tmp_path, {"x.md": postmortem("<script>alert('t')</script> & more", "2024-01-01", extra={"authors": ["<i>Eve</i>"]})},
        services=services, site=True,
    )  # fmt: skip
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    for page in (
        "incidents/x/index.html",
        "incidents/index.html",
        "services/checkout/index.html",
        "services/index.html",
    ):
        html = read(tmp_path, page)
        assert "<script>alert(" not in html, page
        assert "<img src=x" not in html, page
        assert "<i>Eve</i>" not in html and "<b>team</b>" not in html, page
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; &amp; more" in read(
        tmp_path, "incidents/x/index.html"
    )


def test_invalid_plugin_option_is_one_clear_message(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("A", "2024-01-01")},
        options={"blame_language": "loud"},
        site=True,
    )
    result = build(tmp_path)
    assert result.returncode == 1
    assert (
        "PMK601 option `blame_language` must be one of error, warn, off, not 'loud'"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def _incident_entries(root: Path, ident: str) -> list[str]:
    return sorted(
        d["location"] for d in search_docs(root) if d["location"].startswith(f"incidents/{ident}/")
    )


@pytest.mark.parametrize(("mode", "compact"), [("compact", True), ("full", False)])
def test_search_modes_index_incidents_fully_or_by_summary(
    tmp_path: Path, mode: str, compact: bool
) -> None:
    make_project(
        tmp_path, {"a.md": postmortem("Compact <incident>", "2024-01-01", services=["checkout", "payments"], factors=["missing-alert"], summary="Quick summary.", extra={"authors": ["Ana Ruiz"]})},
        options={"search": mode}, site=True,
    )  # fmt: skip
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    entries = _incident_entries(tmp_path, "a")
    page = next(d for d in search_docs(tmp_path) if d["location"] == "incidents/a/")
    assert page["tags"] == ["checkout", "missing-alert", "payments"]
    # The header card reads as text in a search result, whichever way incidents are indexed:
    # labels and values apart, each row's names joined by commas, not run together.
    assert (
        "Date 2024-01-01 · Duration 1 h 00 min · Time to detect 5 min · Time to mitigate 30 min"
        " · SEV2 · Services: Checkout, Payments · Contributing factors: Missing alert"
        " · Authors: Ana Ruiz"
    ) in page["text"]
    html = read(tmp_path, "incidents/a/index.html")
    assert page["title"] == "Compact \u2039incident\u203a"  # as the page's title everywhere
    if compact:
        # One entry an incident: title, facts, services, factors and the summary's opening.
        assert entries == ["incidents/a/"]
        assert "Quick summary." in page["text"]
        assert "Timeline" not in page["text"]
    else:
        assert "incidents/a/#timeline" in entries and "incidents/a/#action-items" in entries
        summary = next(d for d in search_docs(tmp_path) if d["location"] == "incidents/a/#summary")
        assert summary["text"] == "<p>Quick summary.</p>"
    # The page itself is whole either way: the same body, headings and anchors.
    assert 'id="timeline"' in html and "<p>Quick summary.</p>" in html
    # Only the card's parts are left out of the index, for its line of text; never the body.
    assert re.findall(r'<(\w+) class="([^"]+)" data-search-exclude', html) == [
        ("p", "pmkb-card__badges"),
        ("dl", "pmkb-facts"),
        ("dl", "pmkb-card__rows"),
    ]
    assert html.count("data-search-exclude") == 3


def test_compact_search_works_with_mkdocs_own_search_and_theme(tmp_path: Path) -> None:
    make_project(
        tmp_path, {"a.md": postmortem("A", "2024-01-01", summary="Quick summary.")},
        theme="mkdocs", options={"search": "compact"}, site=True,
    )  # fmt: skip
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    assert _incident_entries(tmp_path, "a") == ["incidents/a/"]
    page = next(d for d in search_docs(tmp_path) if d["location"] == "incidents/a/")
    assert "Quick summary." in page["text"] and "Checkout" in page["text"]
    assert 'id="timeline"' in read(tmp_path, "incidents/a/index.html")


# What another plugin (a hook here) finds in an incident page's `page.content`, event by event:
# whether it is the whole page (its header card), and how long it is.
CONTENT_HOOK = """
import json
from pathlib import Path

from mkdocs.plugins import event_priority

seen = {}
pages = []


def _note(event, page, content=None):
    if page.file.src_uri == "incidents/a.md":
        content = page.content or "" if content is None else content
        seen[event] = ["pmkb-card" in content, len(content)]


def on_page_content(html, page, config, files):
    _note("on_page_content", page, html)  # MkDocs sets page.content to what this returns
    pages.append(page)
    return html


def on_env(env, config, files):
    for page in pages:
        _note("on_env", page)
    return env


@event_priority(50)
def on_page_context(context, page, config, nav):
    _note("on_page_context", page)
    return context


def on_post_page(output, page, config):
    _note("on_post_page", page)
    return output


def on_post_build(config):
    for page in pages:
        _note("on_post_build", page)
    Path(config.site_dir, "seen.json").write_text(json.dumps(seen))
"""


def test_other_plugins_see_an_incident_page_whole_while_it_is_converted_and_built(
    tmp_path: Path,
) -> None:
    root = make_project(
        tmp_path,
        {"2024/a.md": postmortem("Queue stalled", "2024-03-05")},
        mkdocs={"hooks": ["content.py"]},
        files={"content.py": CONTENT_HOOK},
        site=True,
    )
    result = build(root)
    assert result.returncode == 0, result.stderr
    events = json.loads((root / "site" / "seen.json").read_text())
    # In between too (`on_env`): pmkb holds the HTML as bytes there only when no other plugin
    # handles the event. Once the page is built, pmkb lets it go.
    for event in ("on_page_content", "on_env", "on_page_context", "on_post_page"):
        assert events[event][0], event
    assert events["on_post_build"] == [False, 0]


# A hook that reads an incident page's table of contents before pmkb's own `on_page_context`
# (priority 100), where pmkb puts in the HTML of a page it converts as the theme builds it.
EARLY_CONTEXT_HOOK = """
from mkdocs.plugins import event_priority


@event_priority(200)
def on_page_context(context, page, config, nav):
    if page.file.src_uri.startswith("incidents/") and page.file.src_uri != "incidents/index.md":
        page.meta["description"] = "Sections: " + ", ".join(i.title for i in page.toc.items)
    return context
"""


def test_a_plugin_that_reads_a_page_before_pmkb_puts_its_html_in_sees_its_contents(
    tmp_path: Path,
) -> None:
    root = make_project(
        tmp_path,
        {"2024/a.md": postmortem("Queue stalled", "2024-03-05")},
        mkdocs={"hooks": ["early.py"]},
        files={"early.py": EARLY_CONTEXT_HOOK},
        site=True,
    )
    assert build(root).returncode == 0
    page = read(root, "incidents/a/index.html")
    assert '<meta name="description" content="Sections: Summary, Impact, Timeline,' in page


# A hook (or a plugin listed after pmkb) that puts an incident in the navigation after pmkb's
# own `on_nav` has run.
FEATURED_HOOK = """
from mkdocs.structure.pages import Page


def on_nav(nav, config, files):
    file = files.get_file_from_path("incidents/a.md")
    page = file.page if file.page is not None else Page(None, file, config)
    nav.items.append(page)
    nav.pages.append(page)
    return nav
"""


@pytest.mark.parametrize("listed_by", ["nav", "hook"])
def test_a_theme_that_shows_every_pages_contents_in_its_sidebar_shows_an_incidents(
    tmp_path: Path, listed_by: str
) -> None:
    body = "## Summary\n\nShort.\n\n### What broke\n\nA queue.\n\n## Impact\n\nSome.\n"
    by_hook = listed_by == "hook"
    root = make_project(
        tmp_path,
        {"2024/a.md": postmortem("Queue stalled", "2024-03-05", body=body)},
        theme="readthedocs",
        mkdocs={
            "theme": {"name": "readthedocs", "collapse_navigation": False},
            **({"hooks": ["featured.py"]} if by_hook else {}),
        },
        nav=None if by_hook else ["index.md", {"The queue incident": "incidents/a.md"}],
        files={"featured.py": FEATURED_HOOK} if by_hook else None,
        site=True,
    )
    assert build(root).returncode == 0
    # The home page is built before the incident's: its sidebar lists the incident's sections.
    assert 'href="incidents/a/#what-broke">What broke</a>' in read(root, "index.html")
