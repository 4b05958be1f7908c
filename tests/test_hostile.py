"""Hostile input: arbitrary files never crash pmkb, user text is escaped, nothing leaves the site."""

from __future__ import annotations

import filecmp
import os
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import SITE_FACTORS, SITE_SERVICES, build, make_project, postmortem, read, symlink
from pmkb.read.knowledge import load
from pmkb.settings import load_settings
from pmkb.site.blocks import front_matter_block
from pmkb.site.render import Renderer
from pmkb.urls import Site

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _kb_root(tmp: Path) -> Path:
    return make_project(tmp / "kb", services=SITE_SERVICES, factors=SITE_FACTORS)


def _load_and_render(root: Path) -> None:
    """Check and render a knowledge base the way `pmkb check` and the plugin do; assert the invariants."""
    settings_ = load_settings({}, root)
    kb = load(settings_)
    files = sorted((root / "postmortems").rglob("*.md"))
    accounted = {pm.path for pm in kb.postmortems} | {s.path for s in kb.unreadable}
    assert accounted == set(files), "every Markdown file is either checked or reported"
    for f in kb.all_findings:
        assert f.path and f.line >= 1 and f.col >= 1
    for source in kb.unreadable:
        assert source.findings, f"{source.display} was dropped without a finding"
    renderer = Renderer(kb, Site(settings_), date(2026, 11, 25))
    renderer.pages()
    # What MkDocs reads of an incident page whose HTML is put in as the theme builds it: the
    # front matter its text opens with, made alone.
    for source in renderer.incident_sources():
        assert source.head() == front_matter_block(source.text().markdown)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(tmp_path: Path, data: bytes) -> None:
    root = _kb_root(tmp_path)
    (root / "postmortems" / "x.md").write_bytes(data)
    _load_and_render(root)


@FUZZ
@given(data=st.binary(max_size=500))
def test_arbitrary_bytes_after_front_matter_never_crash(tmp_path: Path, data: bytes) -> None:
    root = _kb_root(tmp_path)
    (root / "postmortems" / "x.md").write_bytes(b"---\n" + data + b"\n---\n## Summary\n")
    _load_and_render(root)


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
    st.dates(), st.datetimes(),
)  # fmt: skip
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["title", "date", "severity", "status", "services", "contributing_factors", "id", "authors",
     "started", "detected", "mitigated", "resolved", "action_items", "other"]
)  # fmt: skip


@FUZZ
@given(meta=st.dictionaries(_keys, _values, max_size=10), body=st.text(max_size=400))
def test_arbitrary_front_matter_and_body_never_crash(
    tmp_path: Path, meta: dict[str, object], body: str
) -> None:
    root = _kb_root(tmp_path)
    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body
    (root / "postmortems" / "x.md").write_text(text, encoding="utf-8", newline="\n")
    _load_and_render(root)


@FUZZ
@given(body=st.text(alphabet=st.sampled_from("## -*`<>[]()!:/\\\n\tabc019&;\"'ðŸ"), max_size=300))
def test_arbitrary_markdown_bodies_render(tmp_path: Path, body: str) -> None:
    root = _kb_root(tmp_path)
    (root / "postmortems" / "x.md").write_text(
        postmortem("T", "2024-01-01", body=body), encoding="utf-8", newline="\n"
    )
    _load_and_render(root)


HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    services = {
        "checkout": {
            "name": f"Checkout {HOSTILE}",
            "owner": f"team {HOSTILE}",
            "description": f"desc {HOSTILE}",
        }
    }
    factors = {
        "config-change": {
            "name": f"Config {HOSTILE}",
            "category": f"Change {HOSTILE}",
            "description": f"d {HOSTILE}",
        }
    }
    body = f"""
## Summary

Summary {HOSTILE} and [click](javascript:alert(1)).

## Impact

Impact.

## Timeline

- 10:00 UTC — {HOSTILE}
- 10:05 UTC — fixed

## Contributing factors

Factors.

## Lessons learned

Lessons.
"""
    make_project(
        root,
        {
            "a.md": postmortem(
                f"Title {HOSTILE}", "2024-01-01", body=body,
                extra={"authors": [f"Author {HOSTILE}"], "action_items": [
                    {"title": f"Item {HOSTILE}", "owner": f"Owner {HOSTILE}", "status": "open", "due": "2024-02-01"},
                    {"title": "Bad link", "owner": "x", "status": "open", "link": "javascript:alert(1)"},
                ]},
            ),
            "b.md": postmortem("Second", "2024-03-01"),
        },
        services=services, factors=factors, site=True,
    )  # fmt: skip
    result = build(root)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return root


def test_markup_in_every_field_is_escaped_in_every_page(hostile_site: Path) -> None:
    pages = [p for p in (hostile_site / "site").rglob("*.html")]
    assert len(pages) > 8
    for page in pages:
        html = page.read_text(encoding="utf-8").lower()
        assert "<script>alert(" not in html, page
        assert "<img src=x" not in html, page
        assert 'href="javascript:' not in html and "onerror=alert(1)>" not in html, page


def test_escaped_text_is_still_visible(hostile_site: Path) -> None:
    html = read(hostile_site, "incidents/a/index.html")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html  # title, authors, items
    assert "&lt;script&gt;alert(" in html and "Item &lt;script&gt;" in html


def test_javascript_link_in_action_item_is_rejected(hostile_site: Path) -> None:
    result = build(hostile_site)
    assert "PMK205 action item link `javascript:alert(1)` is not an http(s) URL" in result.stderr


@pytest.mark.parametrize("ident", ["../x", "/etc/passwd", "..%2fx", "a/b", "A", "x\\y", ".hidden"])
def test_ids_that_try_to_leave_the_site_are_rejected(tmp_path: Path, ident: str) -> None:
    make_project(
        tmp_path, {"evil.md": postmortem("Evil", "2024-01-01", extra={"id": ident})}, site=True
    )
    result = build(tmp_path)
    assert f"error PMK113 id `{ident}` must be a lowercase slug" in result.stderr
    site = (tmp_path / "site").resolve()
    written = {p.resolve() for p in site.rglob("*")}
    assert all(p.is_relative_to(site) for p in written)
    assert (site / "incidents" / "evil" / "index.html").exists()  # published under its file name


def test_ids_differing_by_case_collide_and_one_is_withheld(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "2024/outage.md": postmortem("Lower", "2024-01-01"),
            "2025/Outage.md": postmortem("Upper", "2025-01-01"),
        },
        site=True,
    )
    result = build(tmp_path)
    assert "postmortems/2025/Outage.md:1:1: error PMK113" in result.stderr
    assert (
        "postmortems/2025/Outage.md:1:1: error PMK112 id `outage` is already used by postmortems/2024/outage.md"
        in result.stderr
    )
    assert "Lower" in read(tmp_path, "incidents/outage/index.html")
    assert "Upper" not in read(tmp_path, "incidents/index.html")


def test_symlink_outside_the_knowledge_base_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(
        postmortem("Outside secret", "2024-01-01"), encoding="utf-8", newline="\n"
    )
    make_project(tmp_path / "p", {"a.md": postmortem("Inside", "2024-01-01")}, site=True)
    symlink(tmp_path / "p" / "postmortems" / "link", outside)
    symlink(tmp_path / "p" / "postmortems" / "file.md", outside / "secret.md")
    result = build(tmp_path / "p")
    assert (
        "postmortems/link:1:1: warning PMK010 symbolic link to a folder: not followed"
        in result.stderr
    )
    assert "postmortems/file.md:1:1: warning PMK010 symbolic link: not followed" in result.stderr
    for page in (tmp_path / "p" / "site").rglob("*"):
        if page.is_file():
            assert b"Outside secret" not in page.read_bytes()


@pytest.mark.parametrize(
    ("catalog", "expected"),
    [
        (None, "postmortems/services.yml:1:1: error PMK501 cannot read the catalog"),
        ("", "postmortems/services.yml:1:1: error PMK502 the catalog is empty"),
        ("checkout: [\n", "postmortems/services.yml:2:1: error PMK502 invalid YAML"),
        (
            "- checkout\n",
            "postmortems/services.yml:1:1: error PMK502 the catalog must map ids to details",
        ),
    ],
)
def test_broken_catalogs_give_one_clear_message(
    tmp_path: Path, catalog: str | None, expected: str
) -> None:
    make_project(tmp_path, {"a.md": postmortem("A", "2024-01-01")}, site=True, services=catalog)
    result = build(tmp_path)
    assert result.returncode == 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_factor_category_is_reported(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("A", "2024-01-01")},
        options={"factor_categories": ["Change", "Detection"]},
        site=True,
        # Keys sorted, lists in block style: `traffic-surge` stands on line 11.
        factors=yaml.safe_dump(SITE_FACTORS),
    )
    result = build(tmp_path)
    assert (
        "postmortems/factors.yml:11:1: error PMK504 `traffic-surge` has category `Capacity`"
        in result.stderr
    )


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "PMK002"),
        (b"\x00\x01binary", "PMK001"),
        (b"---\ntitle: [\n---\n", "PMK005"),
        (b"---\n- a\n- b\n---\n", "PMK006"),
        (b"---\njust text\n---\n", "PMK006"),
        (b"---\na: &a [*a, *a]\nb: &b [*a, *a]\n---\n", "PMK013"),
        (b"---\n" + b"a: " + b"[" * 500 + b"]" * 500 + b"\n---\n", "PMK013"),
        (b"\xff\xfe" + "---\n".encode("utf-16-le"), "PMK001"),
        (b"x" * (1024 * 1024 + 1), "PMK007"),
    ],
)
def test_hostile_files_build_with_one_finding_each(
    tmp_path: Path, content: bytes, code: str
) -> None:
    make_project(
        tmp_path, {"ok.md": postmortem("Fine", "2024-01-01"), "bad.md": content}, site=True
    )
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "postmortems/bad.md" in line]
    assert len(lines) == 1 and code in lines[0], lines
    assert "Traceback" not in result.stderr
    assert "1 postmortems found" not in result.stderr
    assert "2 postmortems found, 1 published, 0 drafts held back, 1 with errors" in result.stderr


def test_non_markdown_files_are_listed_once(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"a.md": postmortem("A", "2024-01-01"), "graph.png": b"\x89PNG", "notes.txt": "x"},
        site=True,
    )
    result = build(tmp_path)
    lines = [line for line in result.stderr.splitlines() if "PMK011" in line]
    assert lines == [
        "INFO    -  pmkb: postmortems:1:1: info PMK011 ignored 2 file(s) that are not postmortems: postmortems/graph.png, postmortems/notes.txt"
    ]


def test_builds_are_reproducible(tmp_path: Path) -> None:
    make_project(tmp_path, {
        "2024/a.md": postmortem("A", "2024-01-01", factors=["config-change", "missing-alert"]),
        "2024/b.md": postmortem("B", "2024-02-01", services=["payments"]),
        "2025/c.md": postmortem("C", "2025-03-01", extra={"action_items": [{"title": "x", "owner": "y", "status": "open", "due": "2025-04-01"}]}),
    }, site=True)  # fmt: skip
    first = build(tmp_path)
    assert first.returncode == 0, first.stderr
    os.rename(tmp_path / "site", tmp_path / "site-1")
    # A different file order on disk must not change anything either.
    (tmp_path / "postmortems" / "2024" / "a.md").rename(tmp_path / "postmortems" / "2024" / "a2.md")
    (tmp_path / "postmortems" / "2024" / "a2.md").rename(tmp_path / "postmortems" / "2024" / "a.md")
    second = build(tmp_path)
    assert second.returncode == 0, second.stderr
    comparison = filecmp.dircmp(tmp_path / "site-1", tmp_path / "site")
    differing: list[str] = []

    def walk(c: filecmp.dircmp[str], prefix: str = "") -> None:
        differing.extend(prefix + name for name in c.diff_files + c.left_only + c.right_only)
        for name, sub in c.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(comparison)
    assert differing == []
    for name in (
        "incidents/a/index.html",
        "trends/index.html",
        "incidents.json",
        "sitemap.xml",
        "search/search_index.json",
    ):
        assert (tmp_path / "site-1" / name).read_bytes() == (tmp_path / "site" / name).read_bytes()
