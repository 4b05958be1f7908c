"""`search: pagefind`: the built site carries a Pagefind index of every published word, with
facets pmkb takes from the front matter, never from a page's own HTML; drafts stay out.

The index is read back from the files Pagefind wrote: each page's fragment (gzip, then
`pagefind_dcd` and JSON) holds the page's URL, its indexed text, its filters and its metadata,
which is what the search page shows. Finding a word through Pagefind's own search runs in the
browser tests (tests/browser/test_search.py).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpers import BODY_TEMPLATE, build, make_project, postmortem, search_docs
from pmkb.site.search_index import Entry, index_document

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
    """Every page of the site's Pagefind index, by URL."""
    pages = {}
    for path in sorted((site / "pagefind" / "fragment").glob("*.pf_fragment")):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        page = json.loads(data[len(b"pagefind_dcd") :])
        pages[page["url"]] = page
    return pages


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
        options={"search": "pagefind", **options},
        site=True,
    )
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    assert "Search index: 11 pages indexed by Pagefind" in result.stderr
    return root / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Drafts are published for preview here: even so, they are never indexed.
    return project(tmp_path_factory.mktemp("search"), publish_drafts=True)


def test_incident_text_is_indexed_with_its_facets(site: Path) -> None:
    pages = fragments(site)
    page = pages["/incidents/timeline/"]
    assert TIMELINE_WORD in page["content"]
    # The facets come from the front matter and the catalogs, with the catalog's names.
    assert page["filters"] == {
        "kind": ["Incident"],
        "service": ["Payments", "Checkout"],
        "factor": ["Configuration change"],
        "severity": ["SEV1"],
        "year": ["2024"],
        "status": ["Published"],
    }
    assert page["meta"] == {
        "title": "Token sidecar rejects tokens",
        "date": "2024-03-02",
        "severity": "SEV1",
        "severity_rank": "1",
        "status": "published",
    }
    # The factor's alias finds it too; the header card's labels are not the incident's text.
    assert "misconfiguration" in page["content"]
    assert "Time to detect" not in page["content"]
    assert "¶" not in page["content"]
    review = pages["/incidents/review/"]
    assert review["filters"]["status"] == ["In review"]
    assert review["filters"]["service"] == ["Product search"]


def test_drafts_are_not_indexed_even_when_published(site: Path) -> None:
    assert (site / "incidents" / "draft" / "index.html").is_file()  # published...
    pages = fragments(site)
    assert "/incidents/draft/" not in pages  # ...but not indexed
    assert not any(DRAFT_WORD in p["content"] for p in pages.values())
    # The word index (gzip, then the words as text): the timeline's word is in, the draft's not.
    words = b"".join(
        gzip.decompress(p.read_bytes()) for p in (site / "pagefind" / "index").iterdir()
    )
    assert TIMELINE_WORD.encode() in words
    assert DRAFT_WORD.encode() not in words


def test_docs_and_catalog_pages_are_indexed_as_pages(site: Path) -> None:
    pages = fragments(site)
    assert "runbook" in pages["/guide/"]["content"]
    assert pages["/guide/"]["filters"] == {"kind": ["Page"]}
    assert pages["/services/checkout/"]["filters"] == {"kind": ["Page"]}
    assert pages["/factors/config-change/"]["filters"] == {"kind": ["Page"]}
    # Listings, the search page itself and the 404 page are not results.
    assert sorted(pages) == [
        "/",
        "/factors/config-change/",
        "/factors/missing-alert/",
        "/factors/traffic-surge/",
        "/guide/",
        "/incidents/hostile/",
        "/incidents/review/",
        "/incidents/timeline/",
        "/services/checkout/",
        "/services/payments/",
        "/services/search/",
    ]


def test_material_search_leaves_pmkb_pages_to_pagefind(site: Path) -> None:
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
    assert (site / "pagefind" / "pagefind.js").is_file()


@pytest.mark.parametrize("trust_html", [False, True])
def test_a_page_cannot_forge_facets_or_metadata(tmp_path: Path, trust_html: bool) -> None:
    # Sanitizing drops the attributes; with `trust_html` it does not, and pmkb still does.
    site = project(tmp_path, trust_html=trust_html)
    page = fragments(site)["/incidents/hostile/"]
    assert page["meta"]["title"] == "Quiet hostile incident"
    assert page["filters"]["service"] == ["Checkout"]
    assert page["filters"]["severity"] == ["SEV2"]
    assert "Still indexed words" in page["content"]
    every = [v for p in fragments(site).values() for vs in p["filters"].values() for v in vs]
    assert "forged" not in every
    assert "SEV0" not in every


def test_index_document_neutralizes_pagefind_attributes_in_any_case() -> None:
    html = (
        '<html><body><article class="md-content__inner md-typeset">'
        '<p Data-PageFind-Filter="service:x">a</p><p data-pagefind-body>b</p></article></body></html>'
    )
    entry = Entry("a/index.html", "a/", "A", {"kind": ("Incident",)}, {"title": "A <b>"})
    document = index_document(html, entry, "en")
    assert document.lower().count("data-pagefind") == 3  # pmkb's kind, title and ignore
    assert '<span data-pagefind-meta="title">A &lt;b&gt;</span>' in document


def test_other_search_options_leave_pagefind_out(tmp_path: Path) -> None:
    make_project(tmp_path, {"a.md": postmortem("An incident", "2024-01-02")}, site=True)
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert not (site / "pagefind").exists()
    assert not (site / "search" / "index.html").exists()
    assert not (site / "assets" / "pmkb" / "pmkb-search.js").exists()
    assert "incidents/a/" in {doc["location"] for doc in search_docs(tmp_path)}


def test_file_urls_when_directory_urls_are_off(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("An incident", "2024-01-02")},
        options={"search": "pagefind"},
        mkdocs={"use_directory_urls": False},
        site=True,
    )
    result = build(tmp_path, strict=True)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert "/incidents/a.html" in fragments(site)
    script = (site / "assets" / "pmkb" / "pmkb-search.js").read_text(encoding="utf-8")
    assert 'new URL("search/index.html", root)' in script
    assert (site / "search" / "index.html").is_file()
