"""The example knowledge base on other site engines than MkDocs 1.x with the plugin.

- ProperDocs (a maintained MkDocs 1.x fork) runs the pmkb plugin itself;
- `pmkb generate --out DIR` writes plain pages that Zensical and MkDocs without the plugin build.

Each engine lives in its own virtualenv under .engines/<name>, made on first use with
`python -m venv` and `pip install`. When that install fails, the tests skip with the reason, unless
the `CI` environment variable is set: then they fail, so CI cannot pass by skipping.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import BUILD_EPOCH, build, make_project, postmortem
from pmkb.site.text_index import words

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

REPO = Path(__file__).resolve().parents[1]
ENGINES = REPO / ".engines"
SOURCE_DATE_EPOCH = BUILD_EPOCH  # 2025-11-25: the same "today" for every build compared here
GENERATED = ("incidents", "services", "factors", "trends", "action-items")
ENV = {
    **os.environ,
    "NO_MKDOCS_2_WARNING": "1",
    "DISABLE_MKDOCS_2_WARNING": "true",
    "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
}
# What each engine's virtualenv gets installed; the stamp file remembers it.
PACKAGES = {
    "properdocs": ["properdocs", "mkdocs-material", "-e", str(REPO)],
    "zensical": ["zensical"],
}
# Pages of the example looked at closely.
INCIDENT = "incidents/2024-03-12-gateway-certificate-expired/index.html"
INCIDENT_SOURCE = "postmortems/2024/2024-03-12-gateway-certificate-expired.md"
SERVICE = "services/checkout/index.html"
FACTOR = "factors/config-change/index.html"


@dataclass(frozen=True)
class Engine:
    name: str
    bin: Path

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return _run([str(_program(self.bin, args[0])), *args[1:]], cwd=cwd)


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=ENV, cwd=cwd, check=False)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)")
    pytest.skip(reason)


def _engine(name: str, command: str) -> Engine:
    """The engine's virtualenv, installed on first use (again when PACKAGES changed)."""
    venv = ENGINES / name
    stamp = venv / ".pmkb-installed"
    # pmkb's own dependencies change with pyproject.toml: an editable install needs them again.
    wanted = " ".join(PACKAGES[name]) + "\n" + (REPO / "pyproject.toml").read_text(encoding="utf-8")
    # A virtualenv's programs: bin/NAME, or Scripts\NAME.exe on Windows.
    binary = venv / ("Scripts" if sys.platform == "win32" else "bin")
    if (
        stamp.is_file()
        and stamp.read_text(encoding="utf-8") == wanted
        and _program(binary, command).exists()
    ):
        return Engine(name, binary)
    shutil.rmtree(venv, ignore_errors=True)
    ENGINES.mkdir(exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(_program(binary, "python")), "-m", "pip", "install", "--quiet", *PACKAGES[name]],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            _unavailable(
                f"could not install {name} into {venv}: `{' '.join(step)}` failed:\n{tail}"
            )
    if not _program(binary, command).exists():
        _unavailable(f"{name} installed into {venv}, but {_program(binary, command)} is missing")
    stamp.write_text(wanted, encoding="utf-8", newline="\n")
    return Engine(name, binary)


def _program(folder: Path, name: str) -> Path:
    return folder / (f"{name}.exe" if sys.platform == "win32" else name)


@pytest.fixture(scope="session")
def properdocs() -> Engine:
    return _engine("properdocs", "properdocs")


@pytest.fixture(scope="session")
def zensical() -> Engine:
    return _engine("zensical", "zensical")


def _nav_targets(nav: Any) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [t for item in nav for t in _nav_targets(item)]
    if isinstance(nav, dict):
        return [t for value in nav.values() for t in _nav_targets(value)]
    return []


def _prune_nav(nav: Any, docs: Path) -> Any:
    """The nav without entries for project pages missing from docs/ (pages being written)."""
    if isinstance(nav, str):
        keep = (docs / nav).exists() or "://" in nav or nav.split("/")[0] in GENERATED
        return nav if keep else None
    if isinstance(nav, list):
        kept = [_prune_nav(item, docs) for item in nav]
        return [item for item in kept if item not in (None, [], {})]
    if isinstance(nav, dict):
        kept = {key: _prune_nav(value, docs) for key, value in nav.items()}
        return {key: value for key, value in kept.items() if value not in (None, [], {})}
    return nav


def example_copy(root: Path, config_name: str = "mkdocs.yml") -> Path:
    """A copy of the repository's example knowledge base, its configuration as `config_name`."""
    for folder in ("docs", "postmortems"):
        shutil.copytree(REPO / folder, root / folder)
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    if "nav" in config:
        pruned = _prune_nav(config["nav"], root / "docs")
        if pruned != config["nav"]:
            config["nav"] = pruned
            text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    (root / config_name).write_text(text, encoding="utf-8", newline="\n")
    return root


def generate(root: Path) -> Path:
    """`pmkb generate --out OUT` in a copy of the example; returns OUT."""
    project = example_copy(root / "project")
    out = root / "out"
    result = _run([sys.executable, "-m", "pmkb.cli", "generate", "--out", str(out)], cwd=project)
    assert result.returncode == 0, result.stderr
    return out


def read(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def _exists(site: Path, page: str, href: str) -> bool:
    """Whether a relative link on `page` (a path under the site) leads to a built page or file."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), href.split("#")[0]))
    if target.startswith(".."):
        return False
    path = site / target
    return (path / "index.html").is_file() if href.endswith("/") else path.is_file()


def check_key_pages(site: Path) -> None:
    """The pages a reader lands on, as the plugin builds them, in a site built by any engine."""
    html = read(site, INCIDENT)
    assert '<h1 class="pmkb-title">Public API unreachable after gateway TLS certificate' in html
    assert '<span class="pmkb-sev pmkb-sev--1">SEV1</span>' in html
    assert "<dt>Duration</dt><dd>4 h 18 min</dd>" in html
    assert "<dt>Time to detect</dt><dd>29 min</dd>" in html
    chips = re.findall(r'<a class="pmkb-chip pmkb-chip--(service|factor)" href="([^"]+)"', html)
    assert ("service", "../../services/api-gateway/") in chips
    assert ("factor", "../../factors/certificate-expiry/") in chips
    for _, href in chips:
        assert _exists(site, INCIDENT, href), href
    assert "assets/pmkb/pmkb.css" in html and (site / "assets/pmkb/pmkb.css").is_file()

    listing = read(site, "incidents/index.html")
    rows = re.findall(r"<tr data-service=[^>]*>", listing)
    incidents = sorted(p.parent.name for p in (site / "incidents").glob("*/index.html"))
    assert len(rows) == len(incidents) == 34
    assert rows[0] == (
        '<tr data-service=" event-bus dispatch order-routing "'
        ' data-factor=" third-party-outage single-point-of-failure "'
        ' data-severity="SEV1" data-year="2026" data-status="published" data-kind="incident"'
        ' data-review="reviewed" data-customer_impact="some">'
    )
    assert 'data-severity="SEV1" data-year="2024"' in listing
    assert "data-pmkb-filters" in listing and "data-pmkb-table" in listing
    assert '<option value="config-change">Configuration change</option>' in listing
    assert "assets/pmkb/pmkb.js" in listing and (site / "assets/pmkb/pmkb.js").is_file()
    for href in re.findall(r'<td><a href="([^"]+)"', listing):
        assert _exists(site, "incidents/index.html", href), href

    service = read(site, SERVICE)
    assert "Checkout" in service and "team-" in service
    assert 'class="pmkb-sevcounts"' in service
    linked = re.findall(r'href="(\.\./\.\./incidents/[^"]+/)"', service)
    assert linked and all(_exists(site, SERVICE, href) for href in linked)

    factor = read(site, FACTOR)
    assert "Configuration change" in factor and '<ul class="pmkb-counts">' in factor
    assert all(
        _exists(site, FACTOR, href) for href in re.findall(r'href="(\.\./\.\./[^"#]+/)"', factor)
    )

    trends = read(site, "trends/index.html")
    assert trends.count("<svg") >= 5


# ---- ProperDocs runs the plugin ----------------------------------------------------------------


@pytest.fixture(scope="module")
def properdocs_site(properdocs: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # ProperDocs reads properdocs.yml first (mkdocs.yml too, with a note to rename it), and finds
    # plugins under both the `properdocs.plugins` and the `mkdocs.plugins` entry points.
    root = example_copy(tmp_path_factory.mktemp("properdocs"), "properdocs.yml")
    result = properdocs.run("properdocs", "build", "--strict", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "pmkb: 38 postmortems found, 34 published" in result.stderr
    return root / "site"


def test_properdocs_builds_the_plugin_pages(properdocs_site: Path) -> None:
    check_key_pages(properdocs_site)
    # The plugin sets each incident's "edit this page" link to its postmortem file.
    assert f"/edit/main/{INCIDENT_SOURCE}" in read(properdocs_site, INCIDENT)


# ---- `pmkb generate`: plain pages for engines that run no plugins --------------------------------


@pytest.fixture(scope="module")
def zensical_site(zensical: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = generate(tmp_path_factory.mktemp("zensical"))
    result = zensical.run("zensical", "build", "--strict", "-f", str(out / "mkdocs.yml"), cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "site"


@pytest.fixture(scope="module")
def generated_mkdocs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = generate(tmp_path_factory.mktemp("generated-mkdocs"))
    result = build(out, strict=True, env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH})
    assert result.returncode == 0, result.stderr
    assert "pmkb" not in yaml.safe_load(read(out, "mkdocs.yml"))["plugins"]
    return out / "site"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = example_copy(tmp_path_factory.mktemp("plugin"))
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH})
    assert result.returncode == 0, result.stderr
    return root / "site"


def test_zensical_builds_the_generated_pages(zensical_site: Path) -> None:
    check_key_pages(zensical_site)
    assert "assets/pmkb/pmkb.js" in read(zensical_site, INCIDENT)
    # Zensical writes its own search index, and the project's own link to an incident still works.
    assert (zensical_site / "search.json").is_file()
    home = read(zensical_site, "index.html")
    assert 'href="incidents/2026-03-10-orders-db-failover-connection-storm/"' in home


def test_mkdocs_without_the_plugin_builds_the_generated_pages(generated_mkdocs_site: Path) -> None:
    check_key_pages(generated_mkdocs_site)
    home = read(generated_mkdocs_site, "index.html")
    assert 'href="incidents/2026-03-10-orders-db-failover-connection-storm/"' in home


_ARTICLE = re.compile(r'<article class="md-content__inner md-typeset">(.*?)</article>', re.S)
_EDIT = re.compile(r'<a href="[^"]*"[^>]*rel="edit">.*?</a>', re.S)


def article(site: Path, page: str) -> str:
    """A page's main article, without the "edit this page" button (its target differs).

    Without a button, the template still leaves the blank lines around it: they are stripped.
    """
    found = _ARTICLE.search(read(site, page))
    assert found is not None, page
    return _EDIT.sub("", found.group(1)).strip()


class _Document(HTMLParser):
    """An HTML fragment as the browser's document sees it: elements, attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[object] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A bare attribute and an empty one are the same to the browser.
        self.items.append((tag, sorted((name, value or "") for name, value in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.items.append("/" + tag)

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.items.append(" ".join(data.split()))


def _document(fragment: str) -> list[object]:
    parser = _Document()
    parser.feed(fragment)
    parser.close()
    # Void elements written `<br />` end themselves; `<br>` has no end tag either way.
    return [i for i in parser.items if i not in ("/br", "/img", "/input", "/hr")]


def test_generated_pages_carry_the_plugin_pages_content(
    plugin_site: Path, generated_mkdocs_site: Path
) -> None:
    pages = sorted(
        path.relative_to(plugin_site).as_posix()
        for folder in GENERATED
        for path in (plugin_site / folder).rglob("index.html")
    )
    generated = sorted(
        path.relative_to(generated_mkdocs_site).as_posix()
        for folder in GENERATED
        for path in (generated_mkdocs_site / folder).rglob("index.html")
    )
    assert pages == generated
    assert len(pages) == 34 + 1 + 16 + 17 + 1 + 1
    assert all("<h1" in article(plugin_site, p) for p in pages)
    # The plugin's pages come out of the sanitizer, which writes `¶` for `&para;` and `<br>` for
    # `<br />`: the same document, which is what is compared.
    different = [
        p
        for p in pages
        if _document(article(plugin_site, p)) != _document(article(generated_mkdocs_site, p))
    ]
    assert different == []
    for name in ("incidents.csv", "incidents.json"):
        assert read(plugin_site, name) == read(generated_mkdocs_site, name)


def test_generate_writes_pages_as_folder_indexes_and_relinks_project_pages(
    tmp_path: Path,
) -> None:
    # Zensical resolves links against the source file's folder, pmkb's against the page's URL:
    # as `<id>/index.md` both are the same folder. The project's links follow the pages.
    root = make_project(
        tmp_path / "project",
        {"2024/2024-01-10-checkout-down.md": postmortem("Checkout down", "2024-01-10")},
        site=True,
    )
    (root / "docs" / "guide").mkdir()
    (root / "docs" / "guide" / "read.md").write_text(
        "# Read\n\n[one](../incidents/2024-01-10-checkout-down.md#summary), "
        "[all](../incidents/index.md), [svc][s], [away](https://x.example/incidents/a.md)\n\n"
        "[s]: ../services/checkout.md",
        encoding="utf-8",
        newline="\n",
    )
    (root / "docs" / "incidents").mkdir()
    (root / "docs" / "incidents" / "2024-01-10-checkout-down.md").write_text(
        "# Replaced\n", encoding="utf-8", newline="\n"
    )
    out = tmp_path / "out"
    result = _run([sys.executable, "-m", "pmkb.cli", "generate", "--out", str(out)], cwd=root)
    assert result.returncode == 0, result.stderr
    docs = out / "docs"
    assert (docs / "incidents/2024-01-10-checkout-down/index.md").is_file()
    assert not (docs / "incidents/2024-01-10-checkout-down.md").exists()
    assert (docs / "services/checkout/index.md").is_file()
    assert (docs / "incidents/index.md").is_file()
    assert (docs / "guide/read.md").read_text(encoding="utf-8") == (
        "# Read\n\n[one](../incidents/2024-01-10-checkout-down/index.md#summary), "
        "[all](../incidents/index.md), [svc][s], [away](https://x.example/incidents/a.md)\n\n"
        "[s]: ../services/checkout/index.md"
    )
    config = yaml.safe_load((out / "mkdocs.yml").read_text(encoding="utf-8"))
    assert "/incidents/*/index.md" in config["not_in_nav"].splitlines()
    built = build(out, strict=True)
    assert built.returncode == 0, built.stderr
    assert 'href="../../incidents/2024-01-10-checkout-down/#summary"' in read(
        out / "site", "guide/read/index.html"
    )


def _search_pages(site: Path) -> dict[str, dict[str, object]]:
    pages = {}
    for path in (site / "search" / "index" / "d").glob("*.json"):
        page = json.loads(path.read_text("utf-8"))
        pages[page["url"]] = page
    return pages


def test_generated_pages_carry_the_faceted_search(
    plugin_site: Path, generated_mkdocs_site: Path
) -> None:
    # The engine copies the index pmkb wrote; the search page and its script come with it.
    assert 'id="pmkb-search"' in read(generated_mkdocs_site, "search/index.html")
    assert "assets/pmkb/pmkb-search.js" in read(generated_mkdocs_site, INCIDENT)
    ours, theirs = _search_pages(plugin_site), _search_pages(generated_mkdocs_site)
    incidents = sorted(url for url in ours if url.startswith("incidents/"))
    assert len(incidents) == 34
    assert sorted(url for url in theirs if url.startswith("incidents/")) == incidents
    for url in incidents:
        mine, other = ours[url], theirs[url]
        assert (mine["title"], mine["meta"], mine["filters"]) == (
            other["title"],
            other["meta"],
            other["filters"],
        ), url
        assert words(str(mine["text"])) == words(str(other["text"])), url
    # Each result's address is a page the engine built.
    for url in theirs:
        assert (generated_mkdocs_site / str(url) / "index.html").is_file(), url
