"""`search: faceted` (what `auto` chooses): the built site carries pmkb's index of every
published word, with facets pmkb takes from the front matter, never from a page's own HTML;
drafts stay out.

The index is read back from its files (pmkb/site/text_index.py): each page's file holds its URL,
title, metadata, facets and text, which is what the search page shows; the word chunks hold each
word's pages. Finding a word through the search page runs in the browser tests
(tests/browser/test_search.py).
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from helpers import BODY_TEMPLATE, build, in_fresh_process, make_project, postmortem, search_docs
from pmkb import parallel
from pmkb.settings import load_settings
from pmkb.site import text_index
from pmkb.site.search_index import Entry, SearchPlan, write_index
from pmkb.site.text_index import Document, Indexer, fold, words
from pmkb.urls import Site

TIMELINE_WORD = "zanzibarquux"  # only in one incident's timeline
DRAFT_WORD = "draftonlyxyzzy"

SUMMARY = "A short summary of what happened."
TIMELINE_BODY = BODY_TEMPLATE.format(summary=SUMMARY).replace(
    "- 10:05 UTC — Alert fires.", f"- 10:05 UTC — The {TIMELINE_WORD} sidecar rejects every token."
)
HOSTILE_BODY = BODY_TEMPLATE.format(
    summary=SUMMARY
    + """

<div data-pagefind-filter="service:forged" DATA-PAGEFIND-META="title:Pwned">Forged text</div>

<span data-pagefind-filter="severity">SEV0</span>

<div data-pagefind-ignore="all">Still indexed words</div>
"""
)


def fragments(site: Path) -> dict[str, dict[str, Any]]:
    """Every page of the site's search index, by URL."""
    pages = {}
    for path in sorted((site / "search" / "index" / "d").glob("*.json")):
        page = json.loads(path.read_text(encoding="utf-8"))
        pages[page["url"]] = page
    return pages


def indexed_words(folder: Path) -> dict[str, list[int]]:
    """Every word of an index with its pages' numbers (the chunks hold deltas and scores)."""
    out = {}
    manifest = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    for key in manifest["keys"]:
        chunk = json.loads((folder / "w" / f"{key.encode().hex()}.json").read_text("utf-8"))
        for word, postings in chunk.items():
            assert word.startswith(key) or word == key
            docs, doc = [], 0
            for delta in postings[::2]:
                doc += delta
                docs.append(doc)
            out[word] = docs
    return out


def project(root: Path, **options: Any) -> Path:
    make_project(
        root,
        {
            "timeline.md": postmortem(
                "Token sidecar rejects tokens",
                "2024-03-02",
                services=["payments", "checkout"],
                factors=["config-change"],
                severity="SEV1",
                body=TIMELINE_BODY,
            ),
            "review.md": postmortem(
                "Search slow after reindex",
                "2023-07-09",
                services=["search"],
                factors=["traffic-surge"],
                status="in-review",
                severity="SEV3",
            ),
            "hostile.md": postmortem("Quiet hostile incident", "2024-05-01", body=HOSTILE_BODY),
            "draft.md": postmortem(
                "Unfinished draft",
                "2024-06-01",
                status="draft",
                summary=f"The {DRAFT_WORD} broke.",
            ),
        },
        files={"docs/guide.md": "# Guide\n\nHow to write a runbook for the pager.\n"},
        options={"search": "auto", **options},
        site=True,
    )
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    assert "Search index: 11 pages indexed" in result.stderr
    return root / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Drafts are published for preview here: even so, they are never indexed.
    return project(tmp_path_factory.mktemp("search"), publish_drafts=True)


def test_incident_text_is_indexed_with_its_facets(site: Path) -> None:
    pages = fragments(site)
    page = pages["incidents/timeline/"]
    assert TIMELINE_WORD in page["text"]
    # The facets come from the front matter and the catalogs, with the catalog's names.
    assert page["filters"] == {
        "kind": ["Incident"],
        "service": ["Payments", "Checkout"],
        "factor": ["Configuration change"],
        "severity": ["SEV1"],
        "year": ["2024"],
        "status": ["Published"],
        "review": [],
    }
    assert page["meta"] == {
        "title": "Token sidecar rejects tokens",
        "date": "2024-03-02",
        "severity": "SEV1",
        "severity_rank": "1",
        "status": "published",
    }
    # The factor's alias finds it too, but is not shown; the header card's labels are not the
    # incident's text, nor are the related incidents.
    found = indexed_words(site / "search" / "index")
    assert "misconfiguration" not in page["text"]
    # Numbered newest first: hostile and timeline have the factor, review has not; then the
    # factor's own page, which lists the alias.
    assert found["misconfiguration"][:3] == [0, 1, 8]
    assert "Time to detect" not in page["text"]
    assert "¶" not in page["text"]
    assert page["text"].startswith("Token sidecar rejects tokens Summary A short summary")
    review = pages["incidents/review/"]
    assert review["filters"]["status"] == ["In review"]
    assert review["filters"]["service"] == ["Product search"]


def test_drafts_are_not_indexed_even_when_published(site: Path) -> None:
    assert (site / "incidents" / "draft" / "index.html").is_file()  # published...
    pages = fragments(site)
    assert "incidents/draft/" not in pages  # ...but not indexed
    assert not any(DRAFT_WORD in p["text"] for p in pages.values())
    every_file = b"".join(p.read_bytes() for p in (site / "search").rglob("*") if p.is_file())
    assert TIMELINE_WORD.encode() in every_file
    assert DRAFT_WORD.encode() not in every_file


def test_docs_and_catalog_pages_are_indexed_as_pages(site: Path) -> None:
    pages = fragments(site)
    assert "runbook" in pages["guide/"]["text"]
    assert pages["guide/"]["title"] == "Guide"  # from its heading
    assert pages["guide/"]["filters"] == {"kind": ["Page"]}
    assert pages["services/checkout/"]["filters"] == {"kind": ["Page"]}
    assert pages["factors/config-change/"]["filters"] == {"kind": ["Page"]}
    # Listings, the search page itself and the 404 page are not results. Incidents come first,
    # newest first: a listing without words is the pages in their order.
    ordered = [
        json.loads((site / "search" / "index" / "d" / f"{n}.json").read_text("utf-8"))["url"]
        for n in range(len(pages))
    ]
    assert ordered[:3] == ["incidents/hostile/", "incidents/timeline/", "incidents/review/"]
    assert sorted(ordered[3:]) == [
        "./",
        "factors/config-change/",
        "factors/missing-alert/",
        "factors/traffic-surge/",
        "guide/",
        "services/checkout/",
        "services/payments/",
        "services/search/",
    ]


def test_material_search_leaves_pmkb_pages_to_the_faceted_index(site: Path) -> None:
    locations = {doc["location"].split("#")[0] for doc in search_docs(site.parent)}
    assert locations == {"", "guide/"}


def test_search_page_and_assets_are_published(site: Path) -> None:
    page = (site / "search" / "index.html").read_text(encoding="utf-8")
    assert 'id="pmkb-search"' in page
    assert "assets/pmkb/pmkb-search.js" in page
    script = (site / "assets" / "pmkb" / "pmkb-search.js").read_text(encoding="utf-8")
    assert 'new URL("search/", root)' in script
    assert "__PMKB_" not in script
    # The filters are listed from the build, with counts of indexed pages: the draft's not.
    facets = json.loads(re.search(r"const FACETS = (.*);", script)[1])  # type: ignore[index]
    assert facets[:3] == [
        ["kind", "Kind", [["Incident", 3], ["Page", 8]]],
        ["service", "Service", [["Checkout", 2], ["Payments", 1], ["Product search", 1]]],
        [
            "factor",
            "Contributing factor",
            [["Configuration change", 2], ["Traffic surge", 1]],
        ],
    ]
    assert facets[4] == ["year", "Year", [["2024", 2], ["2023", 1]]]
    assert 'Index(new URL("search/index/", root))' in script


@pytest.mark.parametrize("trust_html", [False, True])
def test_a_page_cannot_forge_facets_or_metadata(tmp_path: Path, trust_html: bool) -> None:
    # Sanitizing drops the attributes; with `trust_html` it does not, and pmkb still does.
    site = project(tmp_path, trust_html=trust_html)
    page = fragments(site)["incidents/hostile/"]
    assert page["title"] == page["meta"]["title"] == "Quiet hostile incident"
    assert page["filters"]["service"] == ["Checkout"]
    assert page["filters"]["severity"] == ["SEV2"]
    assert "Still indexed words" in page["text"]
    every = [v for p in fragments(site).values() for vs in p["filters"].values() for v in vs]
    assert "forged" not in every
    assert "SEV0" not in every


def test_words_are_folded_alike_in_any_script() -> None:
    # pmkb-search.js folds a query the same way (tests/browser/test_search.py checks it).
    assert words("Café TIMEOUT_ms, naïve 10.0.0.1 Straße ÉCLAIR x²") == [
        "cafe",
        "timeout_ms",
        "naive",
        "10",
        "0",
        "0",
        "1",
        "straße",
        "eclair",
        "x2",
    ]
    assert fold("ΣΊΣΥΦΟΣ") == "σισυφος"


def test_large_chunks_are_split_by_longer_prefixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_index, "CHUNK_BYTES", 2_000)
    indexer = Indexer(tmp_path)
    for n in range(400):
        text = " ".join(f"connection{n}x conn{n % 7} contract{n}" for _ in range(2))
        indexer.add(Document(f"p{n}/", f"Page {n}", text))
    indexer.finish()
    manifest = json.loads((tmp_path / "index.json").read_text("utf-8"))
    keys = manifest["keys"]
    assert "co" not in keys and any(k.startswith("conn") for k in keys)
    for chunk in (tmp_path / "w").iterdir():
        assert chunk.stat().st_size <= 2_000 or len(json.loads(chunk.read_bytes())) == 1
    found = indexed_words(tmp_path)
    assert found["connection17x"] == [17]
    assert found["conn3"] == [n for n in range(400) if n % 7 == 3]
    assert found["page"] == list(range(400))


def test_the_same_pages_give_the_same_files(tmp_path: Path) -> None:
    def index(folder: Path) -> dict[str, bytes]:
        indexer = Indexer(folder)
        for n in range(30):
            indexer.add(
                Document(f"p{n}/", f"Page {n}", f"text {n} of page", filters={"kind": ("Page",)})
            )
        indexer.finish()
        return {
            str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()
        }

    assert index(tmp_path / "a") == index(tmp_path / "b")


@pytest.mark.parametrize("search", ["full", "compact"])
def test_material_search_options_leave_the_faceted_index_out(tmp_path: Path, search: str) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("An incident", "2024-01-02")},
        options={"search": search},
        site=True,
    )
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert not (site / "search" / "index").exists()
    assert not (site / "search" / "index.html").exists()
    assert not (site / "assets" / "pmkb" / "pmkb-search.js").exists()
    assert "incidents/a/" in {doc["location"] for doc in search_docs(tmp_path)}


def test_file_urls_when_directory_urls_are_off(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("An incident", "2024-01-02")},
        mkdocs={"use_directory_urls": False},
        site=True,
    )
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert "incidents/a.html" in fragments(site)
    script = (site / "assets" / "pmkb" / "pmkb-search.js").read_text(encoding="utf-8")
    assert 'new URL("search/index.html", root)' in script
    assert (site / "search" / "index.html").is_file()


def test_near_misses_are_their_own_kind_in_the_facets_and_exports(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "a.md": postmortem("An incident", "2024-01-02"),
            "b.md": postmortem("A near miss", "2024-02-03", extra={"kind": "near-miss"}),
        },
        site=True,
    )
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    pages = fragments(site)
    assert pages["incidents/b/"]["filters"]["kind"] == ["Near miss"]
    assert pages["incidents/a/"]["filters"]["kind"] == ["Incident"]
    script = (site / "assets" / "pmkb" / "pmkb-search.js").read_text(encoding="utf-8")
    facets = json.loads(re.search(r"const FACETS = (.*);", script)[1])  # type: ignore[index]
    assert facets[0][2][:2] == [["Incident", 1], ["Near miss", 1]]  # then "Page"
    exported = json.loads((site / "incidents.json").read_text(encoding="utf-8"))
    kinds = {r["id"]: r["kind"] for r in exported["incidents"]}
    assert kinds == {"a": "incident", "b": "near-miss"}
    assert "kind" in (site / "incidents.csv").read_text(encoding="utf-8").splitlines()[0]


def _index_files(copy: Path, plan: SearchPlan, jobs: int) -> dict[str, bytes]:
    """In a fresh process (one thread: pmkb starts workers only then): the index written with
    `jobs` processes, its files."""
    parallel.PARALLEL_FROM = 2  # the test site is small
    assert parallel.runs_in_parallel(len(plan.entries), jobs) == (jobs > 1)
    write_index(copy, plan, jobs=jobs)
    folder = copy / "search" / "index"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}


def test_an_index_made_in_processes_is_the_index_made_in_one(site: Path, tmp_path: Path) -> None:
    pages = fragments(site)
    plan = SearchPlan(
        tuple(
            Entry(
                Site(load_settings({}, site)).output(posixpath.join(url, "index.md")),
                url,
                str(page["title"]),
                {k: tuple(v) for k, v in page["filters"].items()},
                page["meta"],
                incident=url.startswith("incidents/"),
            )
            for url, page in sorted(pages.items())
            if url != "./"
        )
    )
    made = []
    for jobs in (1, 2):
        copy = tmp_path / f"site{jobs}"
        shutil.copytree(site, copy)
        made.append(in_fresh_process(_index_files, copy, plan, jobs))
    assert len(made[0]) > len(pages)
    assert made[0] == made[1]


def _built_with_search_reading(root: str, site_dir: str, cut: bool) -> dict[str, str]:
    """In a fresh process: build `root` into `site_dir`, with the tables Material's search leaves
    out cut from what it reads of service and factor pages, or not; what it read of those."""
    import os

    from material.plugins.search.plugin import SearchPlugin
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    import pmkb.plugin

    if not cut:
        pmkb.plugin.unsearched = lambda blocks: ()  # type: ignore[attr-defined]
    read: dict[str, str] = {}
    original = SearchPlugin.on_page_context

    def reading(self: SearchPlugin, context: Any, *, page: Any, **kwargs: Any) -> Any:
        if page.file.src_uri.startswith(("services/", "factors/")) and page.file.name != "index":
            read[page.file.src_uri] = page.content
        return original(self, context, page=page, **kwargs)

    SearchPlugin.on_page_context = reading  # type: ignore[method-assign]
    os.environ.update(SOURCE_DATE_EPOCH="1764028800", NO_MKDOCS_2_WARNING="1")
    os.chdir(root)
    config = load_config(os.path.join(root, "mkdocs.yml"), site_dir=site_dir)
    config.plugins.on_startup(command="build", dirty=False)
    mkdocs_build(config)
    return read


@pytest.mark.parametrize("search", ["full", "compact"])
def test_catalog_pages_are_indexed_alike_without_the_tables_the_search_leaves_out(
    tmp_path: Path, search: str
) -> None:
    # Material's search drops every element marked `data-search-exclude`, after parsing it:
    # handed a service's page without its incident table, it makes the same entries sooner.
    make_project(
        tmp_path,
        {
            f"pm-{i}.md": postmortem(
                f"Incident {i}",
                f"2024-01-{i + 1:02d}",
                services=["payments"],
                factors=["config-change"],
            )
            for i in range(3)
        },
        options={"search": search},
        site=True,
    )
    cut = in_fresh_process(_built_with_search_reading, str(tmp_path), str(tmp_path / "a"), True)
    whole = in_fresh_process(_built_with_search_reading, str(tmp_path), str(tmp_path / "b"), False)
    assert cut.keys() == whole.keys() and len(cut) > 2
    for src in ("services/payments.md", "factors/config-change.md"):
        assert "Incident 2" in whole[src] and "data-search-exclude" in whole[src]  # in the table
        assert "Incident 2" not in cut[src] and "data-search-exclude" not in cut[src]
        assert "Most frequent" in cut[src] or "Services" in cut[src]
    index_a = (tmp_path / "a" / "search" / "search_index.json").read_bytes()
    assert index_a == (tmp_path / "b" / "search" / "search_index.json").read_bytes()
    assert b"payments" in index_a
    page = (tmp_path / "a" / "services" / "payments" / "index.html").read_text(encoding="utf-8")
    assert "Incident 2" in page and "data-search-exclude" in page  # published whole
