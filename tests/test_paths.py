"""Where files are read from and pages are written to: linked catalogs, the postmortems folder
inside docs_dir, pages that would be one file of the site, ids Windows cannot use as file names,
and hidden files.

Front-matter line numbers refer to helpers' FRONT: an `id:` added by `with_id` stands on line 8.
"""

from __future__ import annotations

import inspect
from datetime import date
from pathlib import Path

import pytest
import yaml

from helpers import (
    FACTORS,
    SERVICES,
    VALID,
    A,
    Runner,
    build,
    catalog_text,
    make_project,
    option_at,
    postmortem,
    read,
    symlink,
    with_keys,
)
from pmkb import plugin
from pmkb.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from pmkb.read.knowledge import load
from pmkb.settings import SettingsError, load_settings, with_docs_dir
from pmkb.urls import Site, unusable_id

SECRET = "hunter2-do-not-print"

# The plugin reads docs_dir through `with_docs_dir` once plugin.py's on_config calls it; until
# then the build cannot refuse a postmortems folder inside docs_dir nor see docs_dir's files.
PLUGIN_KNOWS_DOCS_DIR = "with_docs_dir" in inspect.getsource(plugin)
needs_docs_dir = pytest.mark.skipif(
    not PLUGIN_KNOWS_DOCS_DIR, reason="plugin.py's on_config does not call with_docs_dir yet"
)


def with_id(ident: str) -> str:
    """A valid postmortem whose `id:` stands on line 8, column 5."""
    return with_keys(f"id: {ident}\n")


# 1. Catalogs that are symbolic links are refused unread.


@pytest.mark.parametrize("name", ["services.yml", "factors.yml"])
def test_symlinked_catalog_is_refused_unread(tmp_path: Path, check_json: Runner, name: str) -> None:
    make_project(tmp_path, files={A: VALID, "outside/secret.yml": f"{SECRET}:\n  name: {SECRET}\n"})
    catalog = tmp_path / "postmortems" / name
    catalog.unlink()
    symlink(catalog, tmp_path / "outside" / "secret.yml")
    result = check_json()
    found = dict(zip(result.found, result.messages, strict=True))
    assert "symbolic link" in found[(f"postmortems/{name}", 1, 1, "PMK507", "error")]
    assert "PMK010" not in result.out  # reported once, as a catalog
    assert SECRET not in result.out + result.err
    assert result.code == EXIT_FINDINGS


def test_symlinked_catalog_named_by_option_is_refused(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path,
        files={A: VALID, "outside/secret.yml": f"{SECRET}: {{name: x}}\n"},
        options={"services_file": "catalogs/services.yml"},
    )
    (tmp_path / "catalogs").mkdir()
    symlink(tmp_path / "catalogs" / "services.yml", tmp_path / "outside" / "secret.yml")
    result = check_json()
    assert ("catalogs/services.yml", 1, 1, "PMK507", "error") in result.found
    assert SECRET not in result.out


def test_dangling_catalog_link_is_refused(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: VALID})
    (tmp_path / "postmortems" / "factors.yml").unlink()
    symlink(tmp_path / "postmortems" / "factors.yml", tmp_path / "nowhere.yml")
    result = check_json()
    assert ("postmortems/factors.yml", 1, 1, "PMK507", "error") in result.found


def test_build_does_not_publish_or_log_a_linked_catalog(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "services.yml").write_text(
        yaml.safe_dump({"checkout": {"name": SECRET, "owner": SECRET}}),
        encoding="utf-8",
        newline="\n",
    )
    root = make_project(tmp_path / "p", {"a.md": postmortem("A", "2024-01-01")}, site=True)
    (root / "postmortems" / "services.yml").unlink()
    symlink(root / "postmortems" / "services.yml", outside / "services.yml")
    result = build(root)
    assert "postmortems/services.yml:1:1: error PMK507" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    for page in (root / "site").rglob("*"):
        if page.is_file():
            assert SECRET.encode() not in page.read_bytes(), page


# 2. The postmortems folder inside MkDocs' docs_dir.


@pytest.mark.parametrize(
    ("mkdocs", "folder", "docs"),
    [
        ({}, "docs/postmortems", "docs"),
        ({"docs_dir": "site-src"}, "site-src/kb", "site-src"),
        ({"docs_dir": "kb"}, "kb", "kb"),
    ],
)
def test_postmortems_inside_docs_dir_is_refused(
    tmp_path: Path, run: Runner, mkdocs: dict[str, str], folder: str, docs: str
) -> None:
    make_project(
        tmp_path,
        files={
            f"{folder}/a.md": VALID,
            f"{folder}/services.yml": catalog_text(SERVICES),
            f"{folder}/factors.yml": catalog_text(FACTORS),
        },
        options={"postmortems_dir": folder},
        mkdocs=mkdocs,
    )
    result = run("check")
    assert result.code == EXIT_USAGE
    (line,) = result.err.splitlines()
    assert line.startswith("mkdocs.yml:1:1: error PMK602 ")
    assert f"`{folder}`" in line and f"docs_dir `{docs}`" in line


def test_postmortems_beside_docs_dir_are_fine(tmp_path: Path) -> None:
    settings = load_settings({"postmortems_dir": "postmortems"}, tmp_path)
    placed = with_docs_dir(settings, "docs", directory_urls=False)
    assert placed.docs_dir == (tmp_path / "docs").resolve()
    assert placed.directory_urls is False


def test_with_docs_dir_raises_the_finding_the_plugin_shows(tmp_path: Path) -> None:
    settings = load_settings({"postmortems_dir": "docs/pm"}, tmp_path)
    with pytest.raises(SettingsError) as caught:
        with_docs_dir(settings, tmp_path / "docs", source="site.yml")
    (found,) = caught.value.findings
    assert (found.path, found.line, found.code) == ("site.yml", 1, "PMK602")
    assert "`docs/pm`" in str(caught.value) and "`docs`" in str(caught.value)


def test_link_in_docs_dir_to_the_postmortems_folder_is_reported(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(tmp_path, files={A: VALID}, options={})
    (tmp_path / "docs").mkdir()
    symlink(tmp_path / "docs" / "kb", tmp_path / "postmortems")
    result = check_json()
    found = dict(zip(result.found, result.messages, strict=True))
    assert "`postmortems`" in found[("docs/kb", 1, 1, "PMK602", "error")]


@needs_docs_dir
def test_build_refuses_postmortems_inside_docs_dir(tmp_path: Path) -> None:
    root = make_project(tmp_path, {}, options={"postmortems_dir": "docs/postmortems"}, site=True)
    (root / "docs" / "postmortems").mkdir()
    (root / "docs" / "postmortems" / "draft.md").write_text(
        postmortem(SECRET, "2024-01-01", status="draft"), encoding="utf-8", newline="\n"
    )
    result = build(root)
    assert result.returncode != 0
    assert "PMK602" in result.stderr and "`docs/postmortems`" in result.stderr
    assert not (root / "site" / "postmortems" / "draft").exists()


# 3. Pages that would be one file of the site.


def test_postmortem_id_index_is_refused(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: with_id("index")})
    result = check_json()
    assert result.found == [(A, 8, 5, "PMK116", "error")]
    assert "id `index` cannot name a page" in result.messages[0]


@pytest.mark.parametrize("catalog", ["services", "factors"])
def test_catalog_id_index_is_refused(tmp_path: Path, check_json: Runner, catalog: str) -> None:
    text = catalog_text(SERVICES if catalog == "services" else FACTORS)
    extra = "index:\n  name: Index\n" + ("  category: Change\n" if catalog == "factors" else "")
    make_project(tmp_path, files={A: VALID, f"postmortems/{catalog}.yml": text + extra})
    result = check_json()
    line = text.count("\n") + 1
    assert result.found == [(f"postmortems/{catalog}.yml", line, 1, "PMK508", "error")]
    assert "id `index`" in result.messages[0]


@pytest.mark.parametrize(
    ("options", "quoted"),
    [
        ({"services_path": "incidents"}, "`services_path` is `incidents`, as is `incidents_path`"),
        ({"trends_path": "factors/"}, "`trends_path` is `factors`, as is `factors_path`"),
        ({"action_items_path": "./trends"}, "`action_items_path` is `trends`"),
        ({"incidents_path": "."}, "`incidents_path` is '.'"),
        ({"factors_path": "./"}, "`factors_path` is './'"),
        # One folder on macOS and Windows.
        (
            {"action_items_path": "Services"},
            "`action_items_path` is `Services` and `services_path` is `services`: where file "
            "names ignore case (macOS, Windows), the action-items page and the services listing "
            "would both be `services/index.md`",
        ),
        # The clash is with an option left at its default: reported where the other one is.
        (
            {"incidents_path": "Services"},
            "`services_path` is `services` and `incidents_path` is `Services`",
        ),
    ],
)
def test_listing_paths_that_collide_are_refused(
    tmp_path: Path, run: Runner, options: dict[str, str], quoted: str
) -> None:
    make_project(tmp_path, files={A: VALID}, options=options)
    result = run("check")
    assert result.code == EXIT_USAGE
    (line,) = result.err.splitlines()
    assert line.startswith(f"{option_at(tmp_path, next(iter(options)))}: error PMK603 ")
    assert quoted in line


def test_build_refuses_listings_on_one_path(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"a.md": postmortem("A", "2024-01-01")},
        options={"services_path": "incidents"},
        site=True,
    )
    result = build(root)
    assert result.returncode != 0
    assert (
        f"{option_at(root, 'services_path')}: error PMK603 option `services_path` is `incidents`"
    ) in result.stderr


NESTED = {"incidents_path": "kb", "trends_path": "kb/trends"}


def test_incident_page_on_a_listing_is_withheld(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: VALID, "postmortems/trends.md": VALID}, options=NESTED)
    result = check_json()
    assert result.found == [("postmortems/trends.md", 1, 1, "PMK603", "error")]
    (message,) = result.messages
    assert "the incident page of postmortems/trends.md (`kb/trends.md`)" in message
    assert "the trends page (`kb/trends/index.md`)" in message
    assert "`kb/trends/index.html`" in message and "not published" in message
    kb = load(load_settings(NESTED, tmp_path))
    assert [pm.id for pm in kb.published] == ["a"]


def test_catalog_page_on_a_listing_is_reported(tmp_path: Path, check_json: Runner) -> None:
    options = {"services_path": "kb", "trends_path": "kb/checkout"}
    make_project(tmp_path, files={A: VALID}, options=options)
    result = check_json()
    assert result.found == [("postmortems/services.yml", 1, 1, "PMK603", "error")]
    assert "service `checkout` (`kb/checkout.md`)" in result.messages[0]


def test_without_directory_urls_the_nested_pages_do_not_collide(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(
        tmp_path,
        files={A: VALID, "postmortems/trends.md": VALID},
        options=NESTED,
        mkdocs={"use_directory_urls": False},
    )
    result = check_json()
    assert result.found == []


def test_build_logs_and_withholds_the_colliding_incident(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"a.md": postmortem("Fine", "2024-01-01"), "trends.md": postmortem("Clash", "2024-02-01")},
        options=NESTED,
        site=True,
    )
    result = build(root)
    assert result.returncode == 0, result.stderr
    assert "postmortems/trends.md:1:1: error PMK603 the incident page of" in result.stderr
    assert "Clash" not in read(root, "kb/trends/index.html")
    assert "Clash" not in read(root, "kb/index.html")


@pytest.mark.parametrize(
    ("docs_file", "page"),
    [
        ("incidents/index.md", "the incidents listing (`incidents/index.md`)"),
        ("incidents.md", "the incidents listing (`incidents/index.md`)"),
        ("services/README.md", "the services listing (`services/index.md`)"),
        ("incidents/a/index.md", "the incident page of postmortems/a.md (`incidents/a.md`)"),
        ("factors/config-change.md", "the page of factor `config-change`"),
        ("incidents.json", "pmkb's export `incidents.json`"),
        ("assets/pmkb/pmkb.css", "pmkb's asset `pmkb.css`"),
    ],
)
def test_docs_file_on_a_generated_page_is_reported(
    tmp_path: Path, check_json: Runner, docs_file: str, page: str
) -> None:
    make_project(tmp_path, files={A: VALID, f"docs/{docs_file}": "# Mine\n"}, options={})
    result = check_json()
    assert result.found == [(f"docs/{docs_file}", 1, 1, "PMK604", "error")]
    assert f"`{docs_file}` and {page}" in result.messages[0]
    assert result.code == EXIT_FINDINGS


def test_docs_files_mkdocs_leaves_out_are_not_reported(tmp_path: Path, check_json: Runner) -> None:
    files = {A: VALID, "docs/.incidents.json": "x", "docs/templates/incidents.json": "x"}
    make_project(tmp_path, files=files, options={}, mkdocs={"use_directory_urls": False})
    (tmp_path / "docs" / "incidents.md").write_text(
        "# Not incidents/index.html\n", encoding="utf-8", newline="\n"
    )
    assert check_json().found == []


@needs_docs_dir
def test_build_reports_a_docs_file_on_a_generated_page(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"a.md": postmortem("A", "2024-01-01")}, site=True)
    (root / "docs" / "incidents.md").write_text("# My incidents\n", encoding="utf-8", newline="\n")
    result = build(root)
    assert "docs/incidents.md:1:1: error PMK604 `incidents.md` and the incidents listing" in (
        result.stderr
    )


def test_every_rendered_page_is_claimed(tmp_path: Path) -> None:
    # The collision check lists pmkb's pages itself; it must know every page the renderer makes.
    from pmkb.site.pages.assets import asset_pages
    from pmkb.site.render import Renderer

    make_project(tmp_path, files={A: VALID, "postmortems/b.md": swap_status(VALID, "draft")})
    settings = load_settings({"publish_drafts": True}, tmp_path)
    kb = load(settings)
    site = Site(settings)
    renderer = Renderer(kb, site, date(2026, 6, 1))
    rendered = {p.src for p in renderer.pages() + asset_pages(site)}
    claimed = {c.src for c in site.fixed_claims()}
    claimed |= {site.incident(pm.id) for pm in kb.postmortems}
    claimed |= {site.service(i) for i in kb.catalog.services}
    claimed |= {site.factor(i) for i in kb.catalog.factors}
    assert rendered <= claimed


def swap_status(text: str, status: str) -> str:
    return text.replace("status: published", f"status: {status}")


# 4. Ids that Windows cannot use as file names.


@pytest.mark.parametrize(
    "ident",
    ["con", "prn", "aux", "nul", "com1", "com9", "lpt1", "lpt0", "con.txt", "nul.tar.gz", "a."],
)
def test_windows_device_names_are_refused_as_ids(
    tmp_path: Path, check_json: Runner, ident: str
) -> None:
    make_project(tmp_path, files={A: with_id(ident)})
    result = check_json()
    assert result.found == [(A, 8, 5, "PMK116", "error")]
    assert f"id `{ident}` cannot name a page" in result.messages[0]


@pytest.mark.parametrize(
    "ident", ["console", "com10", "lpt", "icon", "nullable", "auxiliary", "a.b"]
)
def test_names_that_only_look_like_devices_are_fine(
    tmp_path: Path, check_json: Runner, ident: str
) -> None:
    make_project(tmp_path, files={A: with_id(ident)})
    assert check_json().found == []


@pytest.mark.parametrize(
    ("name", "code", "published_as"),
    [("aux.md", "PMK116", "postmortem-aux"), ("CON.md", "PMK113", "postmortem-con")],
)
def test_file_named_after_a_device_is_published_under_another_id(
    tmp_path: Path, check_json: Runner, name: str, code: str, published_as: str
) -> None:
    make_project(tmp_path, files={f"postmortems/{name}": VALID})
    result = check_json()
    assert result.found == [(f"postmortems/{name}", 1, 1, code, "error")]
    assert f"`{name.removesuffix('.md')}`" in result.messages[0]
    kb = load(load_settings({}, tmp_path))
    assert [pm.id for pm in kb.published] == [published_as]


@pytest.mark.parametrize("ident", ["com1", "lpt9.x", "nul"])
def test_windows_device_names_are_refused_in_catalogs(
    tmp_path: Path, check_json: Runner, ident: str
) -> None:
    factors = catalog_text(FACTORS) + f"{ident}:\n  name: Device\n  category: Change\n"
    make_project(tmp_path, files={A: VALID}, factors=factors)
    result = check_json()
    assert result.found == [("postmortems/factors.yml", 8, 1, "PMK508", "error")]
    assert f"id `{ident}`" in result.messages[0]


def test_unusable_ids() -> None:
    assert unusable_id("index") and unusable_id("COM3") and unusable_id("Nul.txt")
    assert unusable_id("x.") and unusable_id("x ")
    assert unusable_id("indexes") is None and unusable_id("index.md") is None


# 5. Hidden files and folders.


def test_hidden_markdown_file_is_reported(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path,
        files={
            A: VALID,
            "postmortems/.hidden.md": VALID,
            "postmortems/2025/.outage.markdown": VALID,
            "postmortems/.gitkeep": "",
        },
    )
    result = check_json()
    assert result.found == [
        ("postmortems/.hidden.md", 1, 1, "PMK014", "info"),
        ("postmortems/2025/.outage.markdown", 1, 1, "PMK014", "info"),
    ]
    assert "hidden file" in result.messages[0]
    # Info: a hidden file is a note, not a problem, and does not fail even `--strict`.
    assert check_json("--strict").code == EXIT_OK


def test_hidden_folder_with_markdown_is_reported_once(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path,
        files={
            A: VALID,
            "postmortems/.drafts/one.md": VALID,
            "postmortems/.drafts/deep/two.md": VALID,
            "postmortems/.cache/data.bin": b"x",
            "postmortems/.git/notes.md": "x",
        },
    )
    result = check_json()
    assert result.found == [("postmortems/.drafts", 1, 1, "PMK014", "info")]
    assert "hidden folder with Markdown files" in result.messages[0]


def test_build_logs_hidden_files(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"a.md": postmortem("A", "2024-01-01"), ".b.md": postmortem("B", "2024-01-02")},
        site=True,
    )
    result = build(root)
    assert result.returncode == 0, result.stderr
    assert "INFO    -  pmkb: postmortems/.b.md:1:1: info PMK014 hidden file" in result.stderr


# A file in a linked folder gets what the whole check says of the folder.
@pytest.mark.parametrize(
    ("named", "shown"),
    [
        ("postmortems/link.md", "postmortems/link.md"),
        ("postmortems/linked/a.md", "postmortems/linked"),
    ],
)
def test_a_link_named_on_the_command_line_is_not_followed(
    tmp_path: Path, check_json: Runner, named: str, shown: str
) -> None:
    secret = VALID.replace("title:", f"{SECRET}: 1\ntitle:", 1)
    make_project(tmp_path, files={A: VALID, "outside/a.md": secret})
    symlink(tmp_path / "postmortems" / "link.md", tmp_path / "outside" / "a.md")
    symlink(tmp_path / "postmortems" / "linked", tmp_path / "outside")
    result = check_json(named)
    assert result.found == [(shown, 1, 1, "PMK010", "warning")]
    assert SECRET not in result.out + result.err


@pytest.mark.parametrize(
    ("where", "shown"),
    [
        ("kb/postmortems/2024/a.md", "postmortems/2024/a.md"),  # inside the project
        ("elsewhere/a.md", None),  # outside it: the whole path
        ("kb-other/a.md", None),  # a sibling whose name starts with the project's
        ("kb", "."),  # the project itself
    ],
)
def test_findings_show_paths_relative_to_the_project_when_inside_it(
    tmp_path: Path, where: str, shown: str | None
) -> None:
    root = tmp_path / "kb"
    root.mkdir()
    settings = load_settings({}, root)
    path = tmp_path / where
    assert settings.display_path(path) == (path.as_posix() if shown is None else shown)


# The edit button of an incident page leads to its postmortem where the repository holds it.
EDIT_LINK = 'href="https://github.com/example/kb/edit/main/postmortems/2024/2024-01-10-down.md"'


def _one_incident(root: Path) -> Path:
    return make_project(
        root, {"2024/2024-01-10-down.md": postmortem("Down", "2024-01-10")}, site=True
    )


def _edit_link_leads_to_the_postmortem(root: Path) -> None:
    result = build(root)
    assert result.returncode == 0, result.stderr
    assert EDIT_LINK in read(root, "incidents/2024-01-10-down/index.html")


def test_edit_link_is_right_when_the_project_is_reached_through_a_link(tmp_path: Path) -> None:
    # macOS reaches /tmp and /var through links: pmkb resolves its folders, MkDocs does not.
    symlink(tmp_path / "link", _one_incident(tmp_path / "real"))
    _edit_link_leads_to_the_postmortem(tmp_path / "link")


def test_edit_link_is_right_when_docs_dir_is_written_through_a_link(tmp_path: Path) -> None:
    # docs_dir given as an absolute path through a link, the configuration read by its own path.
    real = _one_incident(tmp_path / "real")
    symlink(tmp_path / "link", real)
    config = real / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        f"docs_dir: {(tmp_path / 'link' / 'docs').as_posix()}\n" + text, "utf-8", newline="\n"
    )
    _edit_link_leads_to_the_postmortem(real)


def test_edit_link_is_right_when_docs_dir_is_in_a_folder_that_is_a_link(tmp_path: Path) -> None:
    # `docs_dir: site-src/docs`, where site-src leads to build/src: the repository holds
    # site-src/docs, which `edit_uri` names.
    root = _one_incident(tmp_path)
    (root / "build" / "src").mkdir(parents=True)
    (root / "docs").rename(root / "build" / "src" / "docs")
    symlink(root / "site-src", root / "build" / "src")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8").replace("edit/main/docs/", "edit/main/site-src/docs/")
    config.write_text("docs_dir: site-src/docs\n" + text, encoding="utf-8", newline="\n")
    _edit_link_leads_to_the_postmortem(root)


def test_edit_link_is_right_when_mkdocs_yml_is_a_link_to_another_folder(tmp_path: Path) -> None:
    # MkDocs reads docs_dir from the folder the link is in; pmkb reads its folders from the
    # configuration's own (resolved) folder: `conf/` here, hence `../postmortems`.
    root = _one_incident(tmp_path)
    (root / "conf").mkdir()
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("- pmkb: {}", "- pmkb:\n    postmortems_dir: ../postmortems")
    assert "../postmortems" in config
    (root / "conf" / "mkdocs.yml").write_text(config, encoding="utf-8", newline="\n")
    (root / "mkdocs.yml").unlink()
    symlink(root / "mkdocs.yml", root / "conf" / "mkdocs.yml")
    _edit_link_leads_to_the_postmortem(root)


def test_edit_link_is_right_when_docs_dir_is_a_link_to_another_folder(tmp_path: Path) -> None:
    # The repository holds docs/ where mkdocs.yml says, whatever folder the link leads to.
    root = _one_incident(tmp_path)
    content = root / "site-src" / "content"
    content.parent.mkdir()
    (root / "docs").rename(content)
    symlink(root / "docs", content)
    _edit_link_leads_to_the_postmortem(root)


def test_no_edit_link_from_docs_dir_on_another_drive(monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows: no relative path joins two drives (a mapped drive resolves to its share's path).
    import ntpath

    monkeypatch.setattr(plugin.os.path, "relpath", ntpath.relpath)
    assert plugin._relative_folder("Z:\\kb\\postmortems\\2024", "C:\\kb\\docs") is None


def test_configuration_on_another_drive_is_shown_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmkb.read import project

    config = tmp_path / "kb" / "mkdocs.yml"
    config.parent.mkdir()
    config.write_text("site_name: [unclosed\n", encoding="utf-8", newline="\n")

    def across_drives(path: str, start: str | None = None) -> str:
        raise ValueError("path is on mount 'D:', start on mount 'C:'")

    monkeypatch.setattr(project.os.path, "relpath", across_drives)
    with pytest.raises(SettingsError) as raised:
        project.load_project(config, tmp_path / "elsewhere")
    assert [f.path for f in raised.value.findings] == [config.as_posix()]


@pytest.mark.parametrize(
    ("docs_file", "page", "held_as"),
    [
        ("Services.md", "the services listing (`services/index.md`)", "services/index.html"),
        ("Incidents.md", "the incidents listing (`incidents/index.md`)", "incidents/index.html"),
    ],
)
def test_docs_file_on_a_generated_page_but_for_case_is_reported(
    tmp_path: Path, check_json: Runner, docs_file: str, page: str, held_as: str
) -> None:
    # macOS and Windows keep the two as one file: a site built there loses one of the pages.
    make_project(tmp_path, files={A: VALID, f"docs/{docs_file}": "# Mine\n"}, options={})
    result = check_json()
    assert result.found == [(f"docs/{docs_file}", 1, 1, "PMK604", "error")]
    assert (
        f"`{docs_file}` and {page} would both be the site's `{held_as}` where file names ignore "
        "case (macOS, Windows)"
    ) in result.messages[0]
