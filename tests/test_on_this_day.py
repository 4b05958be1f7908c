"""The "on this day" block: incidents of this week in earlier years and the open action items of
the most-linked postmortems, placed by a marker in a site's own page, on real builds."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page

from helpers import BODY_TEMPLATE, BUILD_EPOCH, Runner, build, make_project, postmortem, read
from pmkb.analyse.resurfacing import anniversaries
from pmkb.model import Postmortem
from pmkb.site.blocks import Rendered
from pmkb.site.pages.on_this_day import place, places, week_label

# helpers.build's SOURCE_DATE_EPOCH: 2025-11-25. This week is 22 to 28 November.
TODAY = date(2025, 11, 25)
HOME = """\
# Home

## On this day

<!-- pmkb:on-this-day -->

## Placing it

Write the marker on a line of its own:

```markdown
<!-- pmkb:on-this-day -->
```
"""


def _items(*items: tuple[str, str]) -> dict[str, Any]:
    return {
        "action_items": [
            {"title": title, "owner": "team-payments", "status": status, "due": date(2025, 1, 10)}
            for title, status in items
        ]
    }


def _knowledge_base() -> dict[str, str]:
    """Incidents around this week in earlier years and this year, a draft and one in review of
    this week, and a postmortem many others relate to, with open and done action items."""
    return {
        "last-year.md": postmortem("Checkout slow a year ago", "2024-11-27", services=["checkout"]),
        "edge.md": postmortem(
            "Search down two years ago",
            "2023-11-22",
            services=["search"],
            factors=["traffic-surge"],
        ),
        "script.md": postmortem("<script>alert(1)</script> in a title", "2024-11-26"),
        "other-week.md": postmortem("Payments failed in another week", "2024-11-29"),
        "this-year.md": postmortem("Checkout errors this week", "2025-11-24"),
        "canary.md": postmortem("Canary draft of this week", "2024-11-25", status="draft"),
        "reviewing.md": postmortem(
            "Canary in review of this week", "2024-11-24", status="in-review"
        ),
        # Only these name payments and a missing alert: each spoke relates to the hub.
        "hub.md": postmortem(
            "Config pushed to every store",
            "2025-03-03",
            services=["payments"],
            factors=["missing-alert"],
            extra=_items(("Stage config rollouts", "open"), ("Alert on config errors", "done")),
        ),
        **{
            f"spoke-{n}.md": postmortem(
                f"Spoke {n}", f"2025-0{n}-10", services=["payments"], factors=["missing-alert"]
            )
            for n in range(4, 8)
        },
    }


def _site(root: Path, postmortems: dict[str, str], **options: Any) -> Path:
    return make_project(
        root, postmortems, site=True, files={"docs/index.md": HOME}, options=options
    )


def _built(root: Path, **env: str) -> str:
    result = build(root, strict=True, env=env or None)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return read(root, "index.html")


def _block(html: str) -> str:
    """The home page from the block's first heading to the next level-2 heading."""
    start = html.index('id="this-week-in-earlier-years"')
    return html[start : html.index("<h2", start)]


def _anniversary_titles(block: str) -> list[str]:
    part = block.split('class="pmkb-anniversaries"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="incidents/[^"]+/">(.*?)</a>', part)


def test_this_weeks_incidents_of_earlier_years_are_listed_with_year_and_link(
    tmp_path: Path,
) -> None:
    root = _site(tmp_path, _knowledge_base())
    block = _block(_built(root))
    assert "3 incidents of 22 to 28 November in earlier years, as of 2025-11-25." in block
    # The most recent year first; two years ago at the week's first day.
    assert _anniversary_titles(block) == [
        "&lt;script&gt;alert(1)&lt;/script&gt; in a title",
        "Checkout slow a year ago",
        "Search down two years ago",
    ]
    assert '<strong>2024</strong> <span class="pmkb-muted">2024-11-27 · 1 year ago</span>' in block
    assert '<strong>2023</strong> <span class="pmkb-muted">2023-11-22 · 2 years ago</span>' in block
    assert '<a href="incidents/last-year/">Checkout slow a year ago</a>' in block
    assert (root / "site" / "incidents" / "last-year" / "index.html").is_file()
    # Another week, this year's incident of the week, a draft and one in review: none of them.
    for absent in ("another week", "this week", "Canary", "<script>alert"):
        assert absent not in block
    # The faceted search finds those incidents on their own pages, not on the home page that
    # lists them this week.
    found = [
        json.loads(p.read_text("utf-8"))
        for p in (root / "site" / "search" / "index" / "d").glob("*.json")
    ]
    home = next(page for page in found if page["url"] == "./")
    assert "Checkout slow a year ago" not in home["text"]
    assert any(page["title"] == "Checkout slow a year ago" for page in found)


def test_the_open_action_items_of_the_most_linked_postmortems_are_listed(tmp_path: Path) -> None:
    root = _site(tmp_path, _knowledge_base())
    block = _block(_built(root))
    linked = block.split('id="open-action-items-of-the-most-linked-postmortems"', 1)[1]
    # Every spoke lists the hub as related; the spokes have no action items.
    assert '<a href="incidents/hub/">Config pushed to every store</a>' in linked
    assert "2025-03-03 · related to 4 incidents" in linked
    assert "Stage config rollouts" in linked
    assert "overdue" in linked  # due 2025-01-10, open on 2025-11-25
    assert "Alert on config errors" not in linked  # done
    assert "Spoke" not in linked


def test_with_nothing_this_week_the_block_says_so_and_still_lists_the_action_items(
    tmp_path: Path,
) -> None:
    kb = {k: v for k, v in _knowledge_base().items() if k not in ("last-year.md", "edge.md")}
    del kb["script.md"]
    root = _site(tmp_path, kb)
    block = _block(_built(root))
    assert (
        "No incident in this week of earlier years (22 to 28 November), as of 2025-11-25." in block
    )
    assert "Stage config rollouts" in block


def test_a_long_history_lists_the_most_recent_of_this_week(tmp_path: Path) -> None:
    kb = {
        f"y{year}.md": postmortem(f"Incident of {year}", f"{year}-11-25", services=["search"])
        for year in range(2000, 2025)
    }
    block = _block(_built(_site(tmp_path, kb, earliest_year=1990)))
    assert "25 incidents of 22 to 28 November in earlier years, as of 2025-11-25; the 20" in block
    assert _anniversary_titles(block) == [f"Incident of {year}" for year in range(2024, 2004, -1)]


def test_the_same_block_whatever_the_hash_seed(tmp_path: Path) -> None:
    root = _site(tmp_path, _knowledge_base())
    assert _block(_built(root, PYTHONHASHSEED="1")) == _block(_built(root, PYTHONHASHSEED="2"))


def test_broken_postmortems_published_by_a_lenient_build_break_nothing(tmp_path: Path) -> None:
    broken = (
        "---\ntitle: No date\ndate: someday\nseverity: SEV2\nstatus: published\n"
        "services: [payments]\ncontributing_factors: [missing-alert]\n"
        "action_items: [{title: Untitled owner, status: open}, 12]\n---\n\n## Summary\n\nText.\n"
    )
    root = _site(tmp_path, _knowledge_base() | {"broken.md": broken})
    result = build(root)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert (root / "site" / "incidents" / "broken" / "index.html").is_file()
    block = _block(read(root, "index.html"))
    assert "Checkout slow a year ago" in block and "No date" not in block


def test_nothing_open_and_nothing_related(tmp_path: Path) -> None:
    near_miss = {"kind": "near-miss"}
    root = _site(tmp_path, {"a.md": postmortem("Alone", "2024-11-25", extra=near_miss)})
    block = _block(_built(root))
    assert '<span class="pmkb-kind pmkb-kind--near-miss">Near miss</span> <a' in block
    assert ">Alone</a>" in block
    assert "No open action items on the postmortems other incidents list as related." in block


def test_drafts_and_postmortems_in_review_change_nothing_of_the_block(tmp_path: Path) -> None:
    """A canary draft of this week in an earlier year, with many others relating to it and an
    open action item, previewed through `publish_drafts`: the block is the one built without it."""
    kb = _knowledge_base()
    canary = postmortem(
        "Canary hub draft",
        "2024-11-25",
        services=["payments"],
        factors=["missing-alert"],
        status="draft",
        extra=_items(("Canary open item", "open")),
    )
    with_canary = _block(
        _built(_site(tmp_path / "with", {**kb, "canary-hub.md": canary}, publish_drafts=True))
    )
    without = {k: v for k, v in kb.items() if k not in ("canary.md", "reviewing.md")}
    assert with_canary == _block(_built(_site(tmp_path / "without", without, publish_drafts=True)))
    assert "Canary" not in with_canary


def test_a_public_site_shows_public_incidents_and_no_action_items(tmp_path: Path) -> None:
    public = {"visibility": "public"}
    body = BODY_TEMPLATE.format(summary="What happened.") + "\n## External summary\n\nSlow.\n"
    kb = {
        "shown.md": postmortem("Public last year", "2024-11-25", extra=public, body=body),
        "internal.md": postmortem("Internal last year", "2024-11-25"),
    }
    services = {"checkout": {"name": "Checkout", "visibility": "public"}}
    root = make_project(
        tmp_path,
        kb,
        site=True,
        services=services,
        files={"docs/index.md": HOME},
        options={"audience": "public"},
    )
    block = _block(_built(root))
    assert "Public last year" in block
    assert "Internal last year" not in block
    assert "action items" not in block.lower()


# A postmortem whose body holds the marker: an author's text, which places nothing.
MARKED = {
    "marked.md": postmortem(
        "Marked", "2025-02-02", summary="Before.\n\n<!-- pmkb:on-this-day -->\n\nAfter."
    )
}


def test_the_marker_is_placed_only_on_a_line_of_its_own_outside_code(tmp_path: Path) -> None:
    root = _site(tmp_path, _knowledge_base() | MARKED)
    html = _built(root)
    assert html.count('id="this-week-in-earlier-years"') == 1
    # The example in the fenced block is shown as written.
    assert "&lt;!-- pmkb:on-this-day --&gt;" in html
    # Only the site's own pages place it.
    marked = read(root, "incidents/marked/index.html")
    assert "Before." in marked and "After." in marked
    assert "This week in earlier years" not in marked


def test_the_block_follows_the_build_date(tmp_path: Path) -> None:
    root = _site(tmp_path, _knowledge_base())
    # 2025-11-30: this week is 27 November to 3 December.
    block = _block(_built(root, SOURCE_DATE_EPOCH="1764460800"))
    assert "27 November to 3 December" in block
    assert _anniversary_titles(block) == [
        "Checkout slow a year ago",
        "Payments failed in another week",
    ]


def test_a_cached_build_shows_what_changed_since(tmp_path: Path) -> None:
    """The conversion cache keeps the home page's conversion nowhere it could go stale."""
    kb = _knowledge_base()
    root = _site(tmp_path, kb)
    assert "A new one of this week" not in _block(_built(root))
    (root / "postmortems" / "new.md").write_text(
        postmortem("A new one of this week", "2024-11-28"), encoding="utf-8", newline="\n"
    )
    assert "A new one of this week" in _block(_built(root))


def test_pmkb_generate_places_the_block_in_the_project_pages(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _site(tmp_path / "kb", _knowledge_base())
    out = tmp_path / "out"
    assert run("generate", "--out", str(out), cwd=root).code == 0
    home = (out / "docs" / "index.md").read_text(encoding="utf-8")
    assert "### This week in earlier years" in home
    assert '<a href="incidents/last-year/">Checkout slow a year ago</a>' in home
    assert "Stage config rollouts" in home
    assert "pmkb-block-" not in home  # the blocks are inline
    assert home.count("<!-- pmkb:on-this-day -->") == 1  # the fenced example


# ---- serve --dirty ------------------------------------------------------------------------------


def _config(root: Path, site: Path) -> MkDocsConfig:
    return load_config(str(root / "mkdocs.yml"), site_dir=str(site))


def test_serve_dirty_rebuilds_the_placing_page_when_what_it_shows_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _site(tmp_path / "kb", _knowledge_base())
    # A page that shows the marker in a code block places nothing, and is not built again.
    (root / "docs" / "quoting.md").write_text(
        HOME.split("## Placing it")[1], encoding="utf-8", newline="\n"
    )
    out = tmp_path / "served"
    converted: list[str] = []
    render = Page.render

    def counted(page: Page, config: MkDocsConfig, files: object) -> None:
        converted.append(page.file.src_uri)
        render(page, config, files)  # type: ignore[arg-type]

    monkeypatch.setattr(Page, "render", counted)
    config = _config(root, out)
    config.plugins.on_startup(command="serve", dirty=True)
    mkdocs_build(config, dirty=True)
    assert "index.md" in converted

    def rebuild() -> list[str]:
        converted.clear()
        mkdocs_build(_config(root, out), dirty=True)
        return list(converted)

    assert rebuild() == []  # nothing changed
    folder = root / "postmortems"
    (folder / "new.md").write_text(
        postmortem("Added this week", "2024-11-28"), encoding="utf-8", newline="\n"
    )
    made = rebuild()
    assert "index.md" in made
    assert "quoting.md" not in made
    assert "Added this week" in _block((out / "index.html").read_text(encoding="utf-8"))

    # An edit the block does not show (another week's incident) leaves the home page alone.
    other = folder / "other-week.md"
    other.write_text(
        other.read_text(encoding="utf-8").replace("another week", "some other week"),
        encoding="utf-8",
        newline="\n",
    )
    assert "index.md" not in rebuild()

    # The hub renamed: the links are those counted before, the title today's.
    hub = folder / "hub.md"
    hub.write_text(
        hub.read_text(encoding="utf-8").replace("pushed to every store", "pushed everywhere"),
        encoding="utf-8",
        newline="\n",
    )
    assert "index.md" in rebuild()
    assert ">Config pushed everywhere</a>" in _block((out / "index.html").read_text("utf-8"))

    # An action item done: it leaves the block.
    hub.write_text(
        hub.read_text(encoding="utf-8").replace("status: open", "status: done"),
        encoding="utf-8",
        newline="\n",
    )
    assert "index.md" in rebuild()
    assert "Stage config rollouts" not in (out / "index.html").read_text(encoding="utf-8")

    # The next day: the week moves.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(BUILD_EPOCH) + 5 * 86400))
    assert "index.md" in rebuild()
    block = _block((out / "index.html").read_text(encoding="utf-8"))
    assert "Payments failed in some other week" in block
    assert "Search down two years ago" not in block


# ---- Units --------------------------------------------------------------------------------------


def _pm(ident: str, day: date) -> Postmortem:
    return Postmortem(ident, Path(f"{ident}.md"), ident, ident, day, "SEV2", "published", (), ())


@pytest.mark.parametrize(
    ("today", "day", "years_ago"),
    [
        (date(2025, 11, 25), date(2024, 11, 22), 1),
        (date(2025, 11, 25), date(2024, 11, 28), 1),
        (date(2025, 11, 25), date(2024, 11, 21), None),
        (date(2025, 11, 25), date(2024, 11, 29), None),
        (date(2025, 11, 25), date(2025, 11, 24), None),  # this year's
        (date(2025, 11, 25), date(2026, 11, 25), None),  # a later year's
        (date(2025, 11, 25), date(2015, 11, 25), 10),
        # Across the turn of a year: 2 January's week starts in December.
        (date(2026, 1, 2), date(2024, 12, 30), 1),
        (date(2026, 1, 2), date(2025, 12, 31), None),  # this week, not an earlier year's
        (date(2025, 12, 31), date(2025, 1, 2), 1),
        # 29 February falls on the 28th in other years.
        (date(2028, 2, 29), date(2027, 3, 3), 1),
        (date(2028, 2, 29), date(2027, 3, 4), None),
        (date(2027, 2, 28), date(2024, 2, 29), 3),
    ],
)
def test_this_week_in_earlier_years(today: date, day: date, years_ago: int | None) -> None:
    found = anniversaries([_pm("a", day)], today)
    assert [a.years_ago for a in found] == ([] if years_ago is None else [years_ago])


def test_week_labels() -> None:
    assert week_label(date(2025, 11, 25)) == "22 to 28 November"
    assert week_label(date(2026, 12, 2)) == "29 November to 5 December"


def test_place_renders_the_block_once_for_every_marker_line_and_never_without_one() -> None:
    calls: list[int] = []

    def block() -> Rendered:
        calls.append(1)
        return Rendered("### Heading\n\nTOKEN\n", ("<p>block</p>",))

    assert place("# Page\n\n<!-- pmkb:on-this-day --> text\n", block) is None
    assert place("    <!-- pmkb:on-this-day -->\n", block) is None  # indented code
    assert place("~~~~\n<!-- pmkb:on-this-day -->\n~~~\n", block) is None  # unclosed fence
    assert calls == []
    placed = place(
        "A\n<!--pmkb:on-this-day-->\n```\n<!-- pmkb:on-this-day -->\n```\n<!-- pmkb:on-this-day -->\r\n",
        block,
    )
    assert placed is not None
    assert calls == [1]
    assert placed.markdown == (
        "A\n\n### Heading\n\nTOKEN\n\n```\n<!-- pmkb:on-this-day -->\n```\n\n### Heading\n\nTOKEN\n\n"
    )
    assert placed.blocks == ("<p>block</p>",)
    assert places("x\n<!-- pmkb:on-this-day -->\n")
    assert not places("```\n<!-- pmkb:on-this-day -->\n```\n")
