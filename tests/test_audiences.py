"""Audiences: a site for one audience holds the postmortems visible to it and nothing of the
others. Real builds with canaries compared byte for byte with builds without them; the public
page's sections; the checks, `pmkb check --format json` and `pmkb stats --audience`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import (
    BODY,
    BUILD_EPOCH,
    SERVICES_FILE,
    SITE_FACTORS,
    SITE_SERVICES,
    VALID,
    A,
    Runner,
    build,
    catalog_text,
    make_project,
    postmortem,
    read,
    with_keys,
)
from helpers import SERVICES as SERVICES_FOR_CHECK

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SITE_URL = "https://kb.example.com/"

# `checkout` is public; `payments` and `search` internal (the default); `vault` is used only by
# the canaries, and stays in the catalog of both builds: its page must count none of them.
SERVICES: dict[str, Any] = {
    **SITE_SERVICES,
    "checkout": {**SITE_SERVICES["checkout"], "visibility": "public"},
    "vault": {"name": "Vault", "owner": "team-security", "description": "Keys and secrets."},
}
FACTORS: dict[str, Any] = {
    **SITE_FACTORS,
    "leaked-key": {"name": "Leaked key", "category": "Security", "description": "A key got out."},
}

EXTERNAL = """
## External summary

Between 10:00 and 10:30 UTC some customers could not place orders. Orders are flowing again.

## Summary

{summary}

## Impact

Internal figures: {impact}

## Timeline

- 10:00 UTC — Deploy starts.
- 10:05 UTC — Alert fires.
- 10:30 UTC — Rolled back.

## Contributing factors

The configuration system accepted a value in the wrong unit.

## Lessons learned

Validate units at the edge.
"""


def _public(title: str, day: str, summary: str, impact: str, **kw: Any) -> str:
    return postmortem(
        title,
        day,
        extra={"visibility": "public", "authors": ["Ines Okafor"]},
        body=EXTERNAL.format(summary=summary, impact=impact),
        **kw,
    )


# Every output of a site is made from these, with or without the canaries.
BASE: dict[str, str] = {
    "2025/2025-03-01-checkout-down.md": _public(
        "Checkout down after a config push",
        "2025-03-01",
        "A config push broke card payments in checkout.",
        "4,210 orders failed.",
        factors=["config-change", "missing-alert"],
        severity="SEV1",
    ),
    "2025/2025-03-20-checkout-slow.md": _public(
        "Checkout slow during a sale",
        "2025-03-20",
        "Checkout slowed under sale traffic.",
        "p99 of 9 s.",
        factors=["traffic-surge"],
        severity="SEV3",
    ),
    "2025/2025-03-10-payments-retries.md": postmortem(
        "Payments retried twice",
        "2025-03-10",
        services=["payments", "checkout"],
        factors=["config-change"],
        extra={"authors": ["Tom Berg"]},
    ),
    "2025/2025-04-02-search-empty.md": postmortem(
        "Search returned nothing",
        "2025-04-02",
        services=["search"],
        factors=["missing-alert"],
        status="in-review",
    ),
}


def _canaries(visibility: str) -> dict[str, str]:
    """Postmortems whose every word, id, author, action item, service and factor is unique to
    them, close in time to the others and sharing services and factors with them, so that any
    related list, count or chart that saw them would change."""
    return {
        f"2025/canary-{visibility}-{n}.md": postmortem(
            f"Wombatcanary{n} {visibility} incident title",
            f"2025-03-0{n + 2}",
            services=["checkout", "vault", "payments"],
            factors=["config-change", "leaked-key", "missing-alert"],
            severity="SEV1",
            summary=f"Platypuscanary{n} body words nobody else writes.",
            extra={
                "id": f"zebracanary-{visibility}-{n}",
                "visibility": visibility,
                "authors": [f"Quetzalcanary{n} Author"],
                "action_items": [
                    {
                        "title": f"Rotate the okapicanary{n} signing key",
                        "owner": f"team-narwhalcanary{n}",
                        "status": "open",
                        "due": "2025-04-01",
                        "link": f"https://tracker.example/SEC-90{n}",
                    }
                ],
            },
        )
        for n in (1, 2)
    }


# Every canary word above holds the first; no other text of a site does.
CANARY_WORDS = [b"anary", b"SEC-90"]


def _site(root: Path, postmortems: dict[str, str], audience: str) -> Path:
    make_project(
        root,
        postmortems,
        services=SERVICES,
        factors=FACTORS,
        options={"audience": audience},
        mkdocs={"site_url": SITE_URL},
        site=True,
    )
    result = build(root, strict=audience == "public")
    assert result.returncode == 0, result.stderr
    return root / "site"


def _files(site: Path) -> dict[str, bytes]:
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize(
    ("audience", "hidden"),
    [("internal", ["restricted"]), ("public", ["internal", "restricted"])],
)
def test_a_site_with_canaries_its_audience_may_not_see_is_byte_identical_to_one_without(
    tmp_path: Path, audience: str, hidden: list[str]
) -> None:
    without = _files(_site(tmp_path / "without", BASE, audience))
    canaries = {name: text for v in hidden for name, text in _canaries(v).items()}
    with_canaries = _files(_site(tmp_path / "with", {**BASE, **canaries}, audience))
    assert sorted(with_canaries) == sorted(without)
    changed = [name for name in without if with_canaries[name] != without[name]]
    assert changed == []
    # The comparison covers every kind of output a canary could reach.
    for expected in (
        "incidents/index.html",
        "incidents/2025-03-01-checkout-down/index.html",
        "services/checkout/index.html",
        "factors/config-change/index.html",
        "trends/index.html",
        "action-items/index.html",
        "incidents.json",
        "incidents.csv",
        "action-items.csv",
        "feed.xml",
        "feed-service-checkout.xml",
        "feed-factor-leaked-key.xml",
        "sitemap.xml",
        "search/index/index.json",
    ):
        assert expected in without, expected
    # The canaries' own service is internal: an internal site has its page (counting none of
    # them, as the comparison shows), a public site nothing of it.
    words = [*CANARY_WORDS, *([b"Vault", b"vault"] if audience == "public" else [])]
    for name, data in with_canaries.items():
        for word in words:
            assert word not in data, f"{word!r} in {name}"


def test_no_file_of_a_public_site_holds_the_internal_part_of_a_public_postmortem(
    tmp_path: Path,
) -> None:
    site = _files(_site(tmp_path, BASE, "public"))
    internal = [
        b"A config push broke card payments",  # the summary, which feeds and descriptions quote
        b"4,210 orders failed",  # the impact
        b"Ines Okafor",  # an author
        b"wrong unit",  # the contributing factors
    ]
    for name, data in site.items():
        for words in internal:
            assert words not in data, f"{words!r} in {name}"
    # What it does show: the external summary, in the page, the feed and the search index.
    external = b"some customers could not place orders"
    for name in ("incidents/2025-03-01-checkout-down/index.html", "feed.xml"):
        assert external in site[name], name
    assert any(external in data for name, data in site.items() if name.startswith("search/"))


def test_the_sites_do_show_what_their_audience_may_see(tmp_path: Path) -> None:
    """The leak test's sites are not empty by accident: each shows its audience's postmortems."""
    canaries = {**_canaries("internal"), **_canaries("restricted")}
    for audience, shown, hidden in (
        ("restricted", ["zebracanary-internal-1", "zebracanary-restricted-1"], []),
        ("internal", ["zebracanary-internal-1", "2025-03-10-payments-retries"], ["restricted"]),
        ("public", ["2025-03-01-checkout-down"], ["zebracanary-internal-1", "payments-retries"]),
    ):
        site = _site(tmp_path / audience, {**BASE, **canaries}, audience)
        listing = (site / "incidents/index.html").read_text(encoding="utf-8")
        for ident in shown:
            assert (site / f"incidents/{ident}/index.html").is_file(), (audience, ident)
            assert f"{ident}/" in listing
        for word in hidden:
            assert word not in listing, (audience, word)
    # Services: a public site has the public ones only.
    public = _site(tmp_path / "public", {**BASE, **canaries}, "public")
    assert (public / "services/checkout/index.html").is_file()
    assert not (public / "services/payments").exists()
    assert not (public / "services/vault").exists()
    assert "Payments" not in (public / "services/index.html").read_text(encoding="utf-8")


# ---- The public page ---------------------------------------------------------------------------


def test_a_public_page_shows_the_external_summary_and_the_public_sections_only(
    tmp_path: Path,
) -> None:
    postmortems = {"2025/2025-03-01-checkout-down.md": BASE["2025/2025-03-01-checkout-down.md"]}
    pages = {}
    for audience in ("public", "internal"):
        root = make_project(
            tmp_path / audience,
            postmortems,
            services=SERVICES,
            factors=FACTORS,
            options={"audience": audience, "public_sections": ["Timeline"]},
            site=True,
        )
        result = build(root, strict=True)
        assert result.returncode == 0, result.stderr
        pages[audience] = read(root, "incidents/2025-03-01-checkout-down/index.html")
    public, internal = pages["public"], pages["internal"]
    assert "some customers could not place orders" in public
    assert "10:05 UTC" in public and 'id="timeline"' in public
    for internal_only in ("4,210 orders failed", "wrong unit", "Validate units", "Ines Okafor"):
        assert internal_only not in public
        assert internal_only in internal
    # The external summary leads the public page, under no heading of its own; on the internal
    # site it is a section like the others.
    assert 'id="external-summary"' not in public
    assert public.index("could not place orders") < public.index('id="timeline"')
    assert 'id="external-summary"' in internal
    # No action items on the public page: not even the line saying none were recorded.
    assert 'id="action-items"' not in public and "pmkb-empty" not in public.split("Related")[0]
    assert 'id="action-items"' in internal
    # The page's description is the external summary's first sentence.
    assert '<meta name="description" content="Between 10:00 and 10:30 UTC' in public


# ---- pmkb check and pmkb stats ----------------------------------------------------------------

CHECK_SERVICES = {**SERVICES, "checkout": {"name": "Checkout", "visibility": "public"}}


def test_check_reports_a_mistyped_visibility_with_a_suggestion(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(tmp_path, {"a.md": with_keys("visibility: pubic\n")}, services=CHECK_SERVICES)
    result = check_json()
    assert result.found == [(A, 8, 13, "PMK118", "error")]
    assert result.messages == [
        "`visibility: pubic` is not one of public, internal, restricted (did you mean `public`?); "
        "read as `restricted` until corrected"
    ]
    (listed,) = result.data["postmortems"]
    assert listed == {"path": A, "id": "a", "visibility": "restricted", "audiences": ["restricted"]}


def test_check_errs_on_a_public_postmortem_of_an_internal_service(
    tmp_path: Path, check_json: Runner
) -> None:
    body = "\n## External summary\n\nCustomers saw errors.\n" + BODY
    text = with_keys("visibility: public\n", body).replace(
        "services: [checkout]", "services: [checkout, payments]"
    )
    make_project(tmp_path, {"a.md": text}, services=CHECK_SERVICES)
    result = check_json()
    assert result.found == [(A, 6, 22, "PMK119", "error")]
    assert result.messages == [
        "service `payments` is internal in the services catalog and the postmortem public: it is "
        "published only where the service is, on the internal and restricted sites; make the "
        "service `visibility: public` or the postmortem `visibility: internal`"
    ]
    assert result.data["postmortems"][0]["audiences"] == ["internal", "restricted"]


def test_check_warns_of_a_public_postmortem_without_an_external_summary(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(tmp_path, {"a.md": with_keys("visibility: public\n")}, services=CHECK_SERVICES)
    result = check_json()
    assert result.found == [(A, 8, 13, "PMK120", "warning")]
    assert "no `## External summary` section, or an empty one" in result.messages[0]
    # An empty one is none.
    empty = with_keys("visibility: public\n", "\n## External summary\n\n" + BODY)
    make_project(tmp_path, {"a.md": empty}, services=CHECK_SERVICES)
    assert check_json().found == [(A, 8, 13, "PMK120", "warning")]
    assert result.data["postmortems"][0] == {
        "path": A,
        "id": "a",
        "visibility": "public",
        "audiences": ["public", "internal", "restricted"],
    }


def test_check_reads_a_services_mistyped_visibility_as_restricted(
    tmp_path: Path, check_json: Runner
) -> None:
    services = catalog_text(SERVICES_FOR_CHECK) + "search:\n  name: Search\n  visibility: publik\n"
    make_project(tmp_path, {"a.md": VALID}, services=services)
    result = check_json()
    assert result.found == [(SERVICES_FILE, 9, 15, "PMK503", "error")]
    assert result.messages == [
        "`search.visibility: publik` is not one of public, internal, restricted (did you mean "
        "`public`?); the service is read as `restricted`"
    ]


def test_check_lists_where_each_postmortem_lands(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path,
        {
            "a.md": VALID,
            "b.md": with_keys("visibility: restricted\n"),
            "c.md": with_keys("visibility: internal\n").replace("published", "draft"),
        },
        services=CHECK_SERVICES,
        options={"default_visibility": "internal"},
    )
    listed = {p["id"]: (p["visibility"], p["audiences"]) for p in check_json().data["postmortems"]}
    assert listed == {
        "a": ("internal", ["internal", "restricted"]),
        "b": ("restricted", ["restricted"]),
        "c": ("internal", []),
    }


def test_stats_for_the_public_count_only_public_postmortems(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, BASE, services=SERVICES, factors=FACTORS)
    internal = run("stats", "--format", "json").data
    public = run("stats", "--format", "json", "--audience", "public").data
    assert (internal["published"], public["published"]) == (4, 2)
    assert public["by_severity"] == {"SEV1": 1, "SEV2": 0, "SEV3": 1, "SEV4": 0}
    assert [s["id"] for s in public["top_services"]] == ["checkout"]
    # What only staff may read is not counted either: a public page quoting the figures says
    # nothing of how many postmortems it leaves out.
    assert public["postmortems"] == 2 < internal["postmortems"]
    assert run("stats", "--audience", "everyone").code == 2


# ---- Two sites from one repository -------------------------------------------------------------

INTERNAL_CONFIG = """\
site_name: Test KB
site_url: https://kb.internal.example/
theme: {name: material}
markdown_extensions: [admonition, tables, toc]
plugins:
  search: {}
  pmkb:
    public_sections: [Timeline]
"""
PUBLIC_CONFIG = """\
INHERIT: mkdocs.yml
site_url: https://status.example.com/postmortems/
site_dir: site-public
plugins:
  pmkb:
    audience: public
"""


def test_a_public_config_inheriting_the_internal_one_keeps_its_pmkb_options(
    tmp_path: Path, run: Runner
) -> None:
    root = make_project(
        tmp_path,
        BASE,
        services=SERVICES,
        factors=FACTORS,
        files={
            "mkdocs.yml": INTERNAL_CONFIG,
            "mkdocs.public.yml": PUBLIC_CONFIG,
            "docs/index.md": "# Home\n",
        },
    )
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": BUILD_EPOCH}
    for config in ("mkdocs.yml", "mkdocs.public.yml"):
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", config],
            cwd=root,
            capture_output=True,
            text=True,
            env=environment,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    internal, public = root / "site", root / "site-public"
    assert (internal / "incidents/2025-03-10-payments-retries/index.html").is_file()
    assert not (public / "incidents/2025-03-10-payments-retries").exists()
    # The public site has the inherited `public_sections`, and its own address in its feed.
    page = (public / "incidents/2025-03-01-checkout-down/index.html").read_text(encoding="utf-8")
    assert 'id="timeline"' in page and "4,210 orders failed" not in page
    feed = (public / "feed.xml").read_text(encoding="utf-8")
    assert "https://status.example.com/postmortems/incidents/2025-03-01-checkout-down/" in feed
    assert "kb.internal.example" not in feed
    # pmkb's commands read the public config as MkDocs does.
    stats = run("stats", "--format", "json", "--config", "mkdocs.public.yml", cwd=root).data
    assert stats["published"] == 2
    assert run("stats", "--format", "json", cwd=root).data["published"] == 4
    # And so does `pmkb generate`: the public site's pages, for another engine, with its address.
    out = tmp_path / "public-out"
    assert run("generate", "--config", "mkdocs.public.yml", "--out", str(out), cwd=root).code == 0
    assert (out / "docs/incidents/2025-03-01-checkout-down/index.md").is_file()
    assert not (out / "docs/incidents/2025-03-10-payments-retries").exists()
    generated = (out / "mkdocs.yml").read_text(encoding="utf-8")
    assert "status.example.com" in generated and "kb.internal.example" not in generated
    assert "site_name: Test KB" in generated  # inherited


def test_a_config_inheriting_a_missing_file_is_a_finding(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={"mkdocs.public.yml": "INHERIT: nowhere.yml\n"})
    result = run("check", "--config", "mkdocs.public.yml")
    assert result.code == 2
    assert result.err.startswith("mkdocs.public.yml:1:1: error PMK601 cannot read `INHERIT: ")


def test_default_visibility_sets_postmortems_and_services_alike(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(tmp_path, {"a.md": VALID}, options={"default_visibility": "public"})
    result = check_json()
    # Public, as is its service: only the missing external summary is reported.
    assert result.found == [(A, 1, 1, "PMK120", "warning")]
    assert result.data["postmortems"][0]["audiences"] == ["public", "internal", "restricted"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"audience": "everyone"}, "option `audience` must be one of public, internal, restricted"),
        ({"default_visibility": "secret"}, "option `default_visibility` must be one of public,"),
        ({"external_summary_section": " "}, "option `external_summary_section` must not be empty"),
        ({"public_sections": "Timeline"}, "option `public_sections` must be a list, not str"),
    ],
)
def test_audience_options_are_checked(
    tmp_path: Path, run: Runner, options: dict[str, Any], message: str
) -> None:
    make_project(tmp_path, {"a.md": VALID}, options=options)
    result = run("check")
    assert result.code == 2
    assert f"error PMK601 {message}" in result.err
