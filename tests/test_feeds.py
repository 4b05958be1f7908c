"""Atom feeds: built by MkDocs and read back as a feed reader reads them, checked against the
elements RFC 4287 requires; drafts and postmortems in review never in them; the same bytes from
the same postmortems whatever the build date; hostile text escaped."""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from mkdocs.commands.build import build as build_site
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig

from helpers import BUILD_EPOCH, Runner, build, make_project, postmortem, read
from pmkb.model import Catalog, Factor, Postmortem, Service
from pmkb.settings import load_settings
from pmkb.site.feeds import FEED_ENTRIES, NO_ENTRY, FeedSite, atoms, feeds
from pmkb.urls import Site

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ATOM = "{http://www.w3.org/2005/Atom}"
SITE_URL = "https://kb.example.com/team/"
# RFC 3339's date-time, as RFC 4287 (3.3) requires it.
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
# Words of postmortems that must stay out of every feed: a draft (published on the site here,
# through `publish_drafts`) and one in review.
CANARIES = ("Zanzibar", "Quokka", "2025-04-01-secret-draft", "Wombat", "2024-09-01-search-empty")


def _postmortems() -> dict[str, str]:
    return {
        "2024/2024-01-10-checkout-down.md": postmortem(
            "Checkout down after a config push", "2024-01-10",
            services=["checkout", "payments"], factors=["config-change", "missing-alert"], severity="SEV1",
            summary="A config push set a **timeout** to zero. See [the runbook](https://runbooks.example/x).",
            extra={"authors": ["Ana Ruiz", "Bo Chen"]},
        ),
        "2024/2024-02-01-checkout-slow.md": postmortem(
            "Checkout slow during a sale", "2024-02-01", services=["checkout"], factors=["traffic-surge"], severity="SEV3",
        ),
        "2024/2024-09-01-search-empty.md": postmortem(
            "Wombat search returned nothing", "2024-09-01", services=["search"], factors=["config-change"],
            status="in-review", summary="Wombat words still in review.",
        ),
        "2025/2025-03-01-payments-alert.md": postmortem(
            "Payments errors went unnoticed", "2025-03-01", services=["payments"], factors=["missing-alert"], severity="SEV4",
        ),
        "2025/2025-04-01-secret-draft.md": postmortem(
            "Zanzibar secret draft title", "2025-04-01", services=["checkout"], factors=["config-change"],
            status="draft", summary="Quokka draft text that must never leak.",
        ),
    }  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kb")
    make_project(
        root,
        _postmortems(),
        options={"publish_drafts": True},
        mkdocs={"site_url": SITE_URL},
        site=True,
    )
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": BUILD_EPOCH})
    assert result.returncode == 0, result.stderr
    return root


def _feeds_in(site_dir: Path) -> dict[str, bytes]:
    """The feeds of a built site, by file name."""
    return {p.name: p.read_bytes() for p in sorted(site_dir.glob("feed*.xml"))}


def _feed_files(root: Path) -> dict[str, bytes]:
    return _feeds_in(root / "site")


def _text(element: ET.Element, name: str) -> str:
    found = element.findall(ATOM + name)
    assert len(found) == 1, f"exactly one atom:{name} in {element.tag}"
    return found[0].text or ""


def _absolute(iri: str) -> bool:
    parts = urlsplit(iri)
    return bool(parts.scheme) and (parts.scheme == "tag" or bool(parts.netloc))


def checked(document: bytes) -> ET.Element:
    """The feed's root, once it is shown to hold what RFC 4287 requires of a feed and its
    entries (4.1.1, 4.1.2): ids that are absolute IRIs, titles, RFC 3339 dates, a self link,
    authors for every entry, and an alternate link or content for every entry."""
    root = ET.fromstring(document)
    assert root.tag == ATOM + "feed"
    assert _absolute(_text(root, "id"))
    assert _text(root, "title").strip()
    assert DATE_TIME.fullmatch(_text(root, "updated"))
    links = root.findall(ATOM + "link")
    assert all(link.get("href") for link in links)
    selves = [link for link in links if link.get("rel") == "self"]
    assert len(selves) == 1 and _absolute(selves[0].get("href", ""))
    feed_authors = root.findall(ATOM + "author")
    assert all(_text(a, "name").strip() for a in feed_authors)
    ids = []
    for entry in root.findall(ATOM + "entry"):
        ids.append(_text(entry, "id"))
        assert _absolute(ids[-1])
        assert _text(entry, "title").strip()
        assert DATE_TIME.fullmatch(_text(entry, "updated"))
        authors = entry.findall(ATOM + "author")
        assert feed_authors or authors
        assert all(_text(a, "name").strip() for a in authors)
        alternates = [
            link
            for link in entry.findall(ATOM + "link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert alternates or entry.findall(ATOM + "content")
        assert len(entry.findall(ATOM + "summary")) <= 1
    assert len(ids) == len(set(ids))
    return root


def parsed(document: bytes) -> feedparser.FeedParserDict:
    """The feed as feedparser, the reference feed parser of Python, reads it: without a complaint."""
    feed = feedparser.parse(document)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_the_site_has_a_feed_and_one_per_service_and_factor(site: Path) -> None:
    assert set(_feed_files(site)) == {
        "feed.xml",
        "feed-service-checkout.xml",
        "feed-service-payments.xml",
        "feed-service-search.xml",
        "feed-factor-config-change.xml",
        "feed-factor-missing-alert.xml",
        "feed-factor-traffic-surge.xml",
    }
    for document in _feed_files(site).values():
        checked(document)
        parsed(document)


def test_the_site_feed_lists_published_postmortems_newest_first(site: Path) -> None:
    feed = parsed(_feed_files(site)["feed.xml"])
    assert feed.feed.title == "Test KB: All postmortems"
    assert feed.feed.id == SITE_URL + "feed.xml"
    assert [link.href for link in feed.feed.links] == [
        SITE_URL + "feed.xml",
        SITE_URL + "incidents/",
    ]
    assert feed.feed.updated == "2025-03-01T00:00:00Z"  # the newest entry's date, not the build's
    assert [e.title for e in feed.entries] == [
        "Payments errors went unnoticed",
        "Checkout slow during a sale",
        "Checkout down after a config push",
    ]
    first = feed.entries[2]
    assert first.id == first.link == SITE_URL + "incidents/2024-01-10-checkout-down/"
    assert first.updated == "2024-01-10T00:00:00Z"
    assert [a.name for a in first.authors] == ["Ana Ruiz", "Bo Chen"]
    assert [(t.term, t.label) for t in first.tags] == [
        ("checkout", "Checkout"),
        ("payments", "Payments"),
        ("config-change", "Configuration change"),
        ("missing-alert", "Missing alert"),
    ]
    # The summary section as plain text: link text kept, Markdown marks dropped.
    assert first.summary == (
        "SEV1 · Checkout, Payments. A config push set a timeout to zero. See the runbook."
    )
    # Each entry's page is the page the site has.
    assert (site / "site/incidents/2024-01-10-checkout-down/index.html").is_file()


def test_service_and_factor_feeds_hold_their_own_postmortems(site: Path) -> None:
    files = _feed_files(site)
    checkout = parsed(files["feed-service-checkout.xml"])
    assert checkout.feed.title == "Test KB: Postmortems of service Checkout"
    assert checkout.feed.link == SITE_URL + "services/checkout/"
    assert [e.title for e in checkout.entries] == [
        "Checkout slow during a sale",
        "Checkout down after a config push",
    ]
    alert = parsed(files["feed-factor-missing-alert.xml"])
    assert alert.feed.title == "Test KB: Postmortems with contributing factor Missing alert"
    assert [e.title for e in alert.entries] == [
        "Payments errors went unnoticed",
        "Checkout down after a config push",
    ]


def test_a_feed_with_nothing_published_yet_is_valid_and_dated_by_no_clock(site: Path) -> None:
    # Search's one postmortem is in review: its team can subscribe before anything is published.
    document = _feed_files(site)["feed-service-search.xml"]
    root = checked(document)
    assert root.findall(ATOM + "entry") == []
    assert _text(root, "updated") == NO_ENTRY
    assert parsed(document).feed.title == "Test KB: Postmortems of service Product search"


def test_drafts_and_postmortems_in_review_are_in_no_feed(site: Path) -> None:
    # Both are on the site (a draft through publish_drafts), so the feeds left them out.
    assert "Zanzibar" in read(site, "incidents/2025-04-01-secret-draft/index.html")
    assert "Wombat" in read(site, "incidents/2024-09-01-search-empty/index.html")
    for name, document in _feed_files(site).items():
        text = document.decode("utf-8")
        for canary in CANARIES:
            assert canary not in text, (name, canary)


def test_every_page_announces_the_site_feed_and_its_own(site: Path) -> None:
    def announced(page: str) -> dict[str, str]:
        html = read(site, page)
        head = html[: html.index("</head>")]
        links = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*>', head)
        found = {}
        for link in links:
            title = re.search(r'title="([^"]*)"', link)
            href = re.search(r'href="([^"]*)"', link)
            assert title and href
            # The address is relative to the page, and names a feed the site has.
            url = urljoin(SITE_URL + page, href[1])
            assert (site / "site" / url.removeprefix(SITE_URL)).is_file(), url
            found[title[1]] = url.removeprefix(SITE_URL)
        assert len(found) == len(links)
        return found

    every = {"All postmortems (Atom)": "feed.xml"}
    assert announced("index.html") == every
    assert announced("incidents/index.html") == every
    assert announced("trends/index.html") == every
    assert announced("services/checkout/index.html") == {
        **every,
        "Postmortems of service Checkout (Atom)": "feed-service-checkout.xml",
    }
    assert announced("factors/traffic-surge/index.html") == {
        **every,
        "Postmortems with contributing factor Traffic surge (Atom)": "feed-factor-traffic-surge.xml",
    }
    assert announced("incidents/2024-02-01-checkout-slow/index.html") == {
        **every,
        "Postmortems of service Checkout (Atom)": "feed-service-checkout.xml",
        "Postmortems with contributing factor Traffic surge (Atom)": "feed-factor-traffic-surge.xml",
    }


def test_service_factor_and_incidents_pages_link_to_their_feed(site: Path) -> None:
    for page, feed, what in (
        ("services/payments/index.html", "feed-service-payments.xml", "service"),
        (
            "factors/config-change/index.html",
            "feed-factor-config-change.xml",
            "contributing factor",
        ),
    ):
        html = read(site, page)
        link = re.search(
            r'<p class="pmkb-feed"><a href="([^"]+)" type="application/atom\+xml">([^<]+)</a></p>',
            html,
        )
        assert link, page
        assert urljoin(SITE_URL + page, link[1]) == SITE_URL + feed
        assert link[2] == f"Subscribe to new postmortems of this {what} (Atom feed)"
    # The incidents table links to the site's feed.
    html = read(site, "incidents/index.html")
    link = re.search(r'<p class="pmkb-feed"><a href="([^"]+)" type="application/atom\+xml">', html)
    assert link and urljoin(SITE_URL + "incidents/", link[1]) == SITE_URL + "feed.xml"


def test_feeds_are_the_same_bytes_whatever_the_build_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    made = []
    for epoch in (BUILD_EPOCH, "1900000000", None):  # None: today, by the wall clock
        root = make_project(
            tmp_path / f"kb{epoch}", _postmortems(), mkdocs={"site_url": SITE_URL}, site=True
        )
        result = build(root, env=None if epoch is None else {"SOURCE_DATE_EPOCH": epoch})
        assert result.returncode == 0, result.stderr
        made.append(_feed_files(root))
    assert made[0] and made[0] == made[1] == made[2]


def test_a_feed_carries_the_latest_postmortems_only(tmp_path: Path) -> None:
    count = FEED_ENTRIES + 5
    postmortems = {
        f"pm-{i:02d}.md": postmortem(
            f"Incident number {i}", f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}"
        )
        for i in range(count)
    }
    root = make_project(tmp_path / "kb", postmortems, mkdocs={"site_url": SITE_URL}, site=True)
    result = build(root)
    assert result.returncode == 0, result.stderr
    feed = parsed(_feed_files(root)["feed.xml"])
    assert [e.title for e in feed.entries] == [
        f"Incident number {i}" for i in range(count - 1, count - 1 - FEED_ENTRIES, -1)
    ]


HOSTILE_TITLE = 'Tricky ]]> <script>alert("t")</script> & \x0b title'
HOSTILE_SUMMARY = (
    "Ends early ]]> then <script>alert(1)</script> and <img src=x onerror=alert(2)> \x01 done."
)


def test_hostile_text_is_escaped_and_the_feed_still_parses(tmp_path: Path) -> None:
    root = make_project(
        tmp_path / "kb",
        {
            "hostile.md": postmortem(
                HOSTILE_TITLE,
                "2024-05-01",
                summary=HOSTILE_SUMMARY,
                extra={"authors": ["<b>Eve</b> & \x0c Mallory"]},
            )
        },
        services={"checkout": {"name": "Check<out> ]]> & \x02", "owner": "x"}},
        mkdocs={"site_url": SITE_URL, "site_name": "KB <script>x</script> ]]>"},
        site=True,
    )
    result = build(root)
    assert result.returncode == 0, result.stderr
    files = _feed_files(root)
    for name, document in files.items():
        checked(document)
        parsed(document)
        text = document.decode("utf-8")
        assert "<script" not in text and "<img" not in text and "<b>" not in text, name
    entry = checked(files["feed.xml"]).findall(ATOM + "entry")
    assert len(entry) == 1
    # Readers show the text as written, the characters XML cannot hold replaced.
    assert _text(entry[0], "title").startswith('Tricky ]]> <script>alert("t")</script> & ')
    summary = _text(entry[0], "summary")
    assert (
        "]]> then <script>alert(1)</script> and <img src=x onerror=alert(2)> \ufffd done."
        in summary
    )
    assert summary.startswith("SEV2 · Check<out> ]]> & \ufffd. Ends early")
    author = _text(entry[0].findall(ATOM + "author")[0], "name")
    assert author.startswith("<b>Eve</b> & ") and author.endswith(" Mallory")
    service = parsed(files["feed-service-checkout.xml"])
    assert (
        service.feed.title
        == "KB <script>x</script> ]]>: Postmortems of service Check<out> ]]> & \ufffd"
    )
    # The page's <link> title is escaped too.
    html = read(root, "services/checkout/index.html")
    assert 'title="Postmortems of service Check&lt;out&gt; ]]&gt; &amp; ' in html


def test_without_site_url_there_is_no_feed_and_the_build_says_why(tmp_path: Path) -> None:
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    assert "no Atom feeds: they need the site's address, which `site_url` sets" in result.stderr
    assert _feed_files(root) == {}
    for page in (
        "index.html",
        "services/checkout/index.html",
        "incidents/2024-02-01-checkout-slow/index.html",
    ):
        html = read(root, page)
        assert "application/atom+xml" not in html and "pmkb-feed" not in html


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [
        (None, None),
        ("", None),
        ("/relative/", None),
        ("ftp://kb.example.com/", None),
        ("https://kb.example.com", "https://kb.example.com/"),
        ("https://kb.example.com/a b/?q=1#x", "https://kb.example.com/a%20b/"),
    ],
)
def test_feeds_need_an_absolute_web_address(site_url: str | None, expected: str | None) -> None:
    found = FeedSite.of(site_url, "KB")
    assert (found.url if found else None) == expected


def test_no_character_a_postmortem_holds_makes_a_feed_unreadable(tmp_path: Path) -> None:
    # Every character XML cannot hold, as they could reach the model from any reader of files.
    odd = "".join(map(chr, range(0x20))) + "\ud800\udfff\ufffe\uffff ]]> <x> &amp;"
    pm = Postmortem(
        id="odd",
        path=tmp_path / "odd.md",
        display="odd.md",
        title="Title" + odd,
        date=date(2024, 1, 1),
        severity="SEV1" + odd,
        status="published",
        services=("svc",),
        factors=("fac",),
        authors=("Author" + odd,),
        summary="Summary" + odd,
    )
    catalog = Catalog(
        {"svc": Service("svc", "Service" + odd)}, {"fac": Factor("fac", "F" + odd, "c")}
    )
    site = Site(load_settings({}, tmp_path))
    made = feeds([pm], catalog, site)
    assert [len(feed.postmortems) for feed in made] == [1, 1, 1]
    for written in atoms(made, catalog, site, FeedSite(SITE_URL, "KB" + odd)):
        document = written.encode("utf-8")
        entry = checked(document).findall(ATOM + "entry")[0]
        assert _text(entry, "title").startswith("Title\ufffd")
        assert _text(entry, "title").endswith(" ]]> <x> &amp;")
        # White space in an attribute is written as references: a parser keeps it as it was,
        # where it would turn a tab or a line break written as such into a space.
        labels = [c.get("label", "") for c in entry.findall(ATOM + "category")]
        assert [label.partition("\ufffd")[0] for label in labels] == ["Service", "F"]
        assert all("\t\n\ufffd\ufffd\r" in label for label in labels)
        assert parsed(document).entries[0].title.startswith("Title")


def test_entries_are_written_again_when_their_postmortem_catalog_or_site_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from pmkb.site import feeds as feeds_module

    written: list[str] = []
    entry = feeds_module._entry

    def counted(pm: Postmortem, *args: object) -> str:
        written.append(pm.id)
        return entry(pm, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds_module, "_entry", counted)
    one, two = (
        Postmortem(
            id=ident, path=tmp_path / f"{ident}.md", display=f"{ident}.md", title=f"Title {ident}",
            date=date(2024, 1, day), severity="SEV2", status="published", services=("svc",),
            factors=("fac",), summary="What happened.",
        )
        for ident, day in (("one", 1), ("two", 2))
    )  # fmt: skip
    catalog = Catalog({"svc": Service("svc", "Checkout")}, {"fac": Factor("fac", "Load", "c")})
    site, at = Site(load_settings({}, tmp_path)), FeedSite(SITE_URL, "KB")

    def documents(pms: list[Postmortem], catalog: Catalog = catalog, at: FeedSite = at) -> str:
        written.clear()
        return "".join(atoms(feeds(pms, catalog, site), catalog, site, at))

    first = documents([one, two])
    assert sorted(written) == ["one", "two"]  # each once, though each is in three feeds
    assert documents([one, two]) == first and written == []
    edited = replace(two, summary="Orders queued behind a slow lock.")
    assert "Orders queued behind a slow lock." in documents([one, edited])
    assert written == ["two"]
    renamed = Catalog({"svc": Service("svc", "Payments")}, catalog.factors)
    assert 'label="Payments"' in documents([one, edited], renamed)
    assert sorted(written) == ["one", "two"]
    assert "https://example.org/" in documents(
        [one, edited], renamed, FeedSite("https://example.org/", "KB")
    )
    assert sorted(written) == ["one", "two"]


def _served(root: Path, out: Path) -> MkDocsConfig:
    """A `mkdocs serve --dirty` session and its first build into `out`."""
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(out))
    config.plugins.on_startup(command="serve", dirty=True)
    build_site(config, dirty=True)
    return config


def test_serve_dirty_writes_again_only_the_feeds_an_edit_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), mkdocs={"site_url": SITE_URL}, site=True)
    out = tmp_path / "served"
    _served(root, out)
    names = sorted(_feeds_in(out))
    assert len(names) == 7

    def rebuild(old: str, new: str) -> list[str]:
        """The feeds written again after an edit of one postmortem."""
        for path in out.glob("feed*.xml"):
            os.utime(path, ns=(0, 0))
        edited = root / "postmortems/2024/2024-02-01-checkout-slow.md"
        text = edited.read_text(encoding="utf-8")
        assert old in text
        edited.write_text(text.replace(old, new), encoding="utf-8", newline="\n")
        build_site(load_config(str(root / "mkdocs.yml"), site_dir=str(out)), dirty=True)
        return [n for n in names if (out / n).stat().st_mtime_ns != 0]

    # The body outside the summary shows in no feed.
    assert rebuild("Customers could not check out", "Shoppers could not check out") == []
    written = rebuild("A short summary of what happened.", "Orders queued behind a slow lock.")
    assert written == ["feed-factor-traffic-surge.xml", "feed-service-checkout.xml", "feed.xml"]
    assert "Orders queued behind a slow lock." in (out / "feed.xml").read_text("utf-8")
    # What the session left is what a clean build makes.
    result = build(root)
    assert result.returncode == 0, result.stderr
    clean = _feed_files(root)
    assert _feeds_in(out) == clean


def test_pmkb_generate_writes_the_feeds_the_plugin_makes(
    site: Path, tmp_path: Path, run: Runner
) -> None:
    result = run("generate", "--out", str(tmp_path / "out"), cwd=site)
    assert result.code == 0, result.err
    docs = tmp_path / "out" / "docs"
    made = {p.name: p.read_bytes() for p in sorted(docs.glob("feed*.xml"))}
    assert made == _feed_files(site)
    page = (tmp_path / "out/docs/services/checkout/index.md").read_text(encoding="utf-8")
    assert 'href="../../feed-service-checkout.xml" type="application/atom+xml"' in page


def test_pmkb_generate_reads_the_site_address_from_the_environment_as_mkdocs_does(
    site: Path, tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `pmkb init` writes `site_url: !ENV SITE_URL`; the generated mkdocs.yml keeps the tag.
    project = tmp_path / "project"
    shutil.copytree(site, project, ignore=shutil.ignore_patterns("site"))
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    written = re.sub(
        r"(?m)^site_url: .*$", "site_url: !ENV [PMKB_TEST_SITE_URL, KB_URL, null]", text
    )
    assert written != text
    config.write_text(written, encoding="utf-8", newline="\n")
    monkeypatch.delenv("PMKB_TEST_SITE_URL", raising=False)
    monkeypatch.setenv("KB_URL", "https://kb.example/incidents/")
    result = run("generate", "--out", str(tmp_path / "out"), cwd=project)
    assert result.code == 0, result.err
    feed = (tmp_path / "out" / "docs" / "feed.xml").read_text(encoding="utf-8")
    assert "https://kb.example/incidents/" in feed
    generated = (tmp_path / "out" / "mkdocs.yml").read_text(encoding="utf-8")
    assert "site_url: !ENV\n- PMKB_TEST_SITE_URL\n- KB_URL\n- null\n" in generated  # whole
