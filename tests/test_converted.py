"""Incident pages converted ahead on several CPUs build the site MkDocs builds one page at a time."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown import Extension
from mkdocs.config import load_config

from sites import in_fresh_process, make_project, postmortem

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HOOK = """
def on_page_markdown(markdown, page, **kwargs):
    if page.file.src_uri == "incidents/pm-9998.md":
        return markdown + "\\n\\nChanged by a hook after pmkb generated the page.\\n"
    return None
"""


def _build(root: Path, ahead: bool) -> dict[str, Any]:
    """Build `root` with two CPUs, pmkb's pages converted ahead with their HTML held out of the
    parser, or the plain MkDocs way (in order, whole); what a user would see."""
    import logging
    import os

    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort

    from pmkb import converted, held, parallel

    os.cpu_count = lambda: 2
    os.environ["SOURCE_DATE_EPOCH"] = "1764000000"  # the theme stamps the build time otherwise
    converted.FORK = ahead
    if not ahead:
        held.hold = lambda markdown: (markdown, [])
    workers: list[int] = []
    start = parallel.Shared.__init__

    def counted(shared: parallel.Shared[Any, Any], *args: Any, **kwargs: Any) -> None:
        workers.append(kwargs["workers"])
        start(shared, *args, **kwargs)

    parallel.Shared.__init__ = counted  # type: ignore[method-assign]
    from_conversion: list[str] = []
    in_a_worker: list[str] = []
    converting: list[str] = []
    convert = converted.Page.render

    def counted_convert(page: converted.Page, *args: Any) -> None:
        converting.append(page.file.src_uri)
        convert(page, *args)

    read = converted.PmkbPage.read_source

    def counted_read(page: converted.PmkbPage, *args: Any) -> None:
        read(page, *args)
        if page.converted is not None:
            in_a_worker.append(page.file.src_uri)

    render = converted.PmkbPage.render

    def counted_render(page: converted.PmkbPage, *args: Any) -> None:
        converting.clear()
        render(page, *args)
        if not converting:  # MkDocs' Markdown conversion did not run for this page
            from_conversion.append(page.file.src_uri)

    converted.Page.render = counted_convert  # type: ignore[method-assign]
    converted.PmkbPage.read_source = counted_read  # type: ignore[method-assign]
    converted.PmkbPage.render = counted_render  # type: ignore[method-assign]
    warnings: list[str] = []

    class Kept(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            warnings.append(record.getMessage())

    logging.getLogger("mkdocs").addHandler(Kept(logging.WARNING))
    site = root / ("site-ahead" if ahead else "site-in-order")
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(site), strict=True)
    try:
        build(config)
        aborted = False
    except Abort:
        aborted = True
    return {
        "aborted": aborted,
        "warnings": warnings,
        "workers": workers,
        "from_conversion": from_conversion,
        "in_a_worker": in_a_worker,
        "files": {
            p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*"))
            if p.is_file()
        },
    }


def test_pages_converted_ahead_build_the_same_site_with_the_same_warnings(
    tmp_path: Path,
) -> None:
    from pmkb.parallel import PARALLEL_FROM

    count = PARALLEL_FROM + 10
    files: dict[str, str | bytes] = {
        f"{2000 + i % 20}/pm-{i:04d}.md": postmortem(
            f"Incident {i}",
            f"{2000 + i % 20}-0{1 + i % 9}-{1 + i % 28:02d}",
            factors=[("config-change", "missing-alert", "traffic-surge")[i % 3]],
        )
        for i in range(count)
    }
    # The oldest incidents come last, in the pages a worker converts.
    files["1999/pm-9999.md"] = postmortem(
        "Runbook link", "1999-01-01", summary="The [runbook](../../runbooks/missing.md) was stale."
    )
    files["1999/pm-9998.md"] = postmortem("Changed by a hook", "1999-01-02")
    # An HTML block like pmkb's own inside a fenced code block: shown as code, not held.
    fenced = '```html\n<p>first</p>\n\n<div class="pmkb-card">card</div>\n\n```'
    files["2003/pm-9997.md"] = postmortem(
        "HTML in code", "2003-05-05", summary="Pasted from the status page:\n\n" + fenced
    )
    root = make_project(tmp_path, files, theme="mkdocs")
    (root / "hooks.py").write_text(HOOK)
    config = yaml.safe_load((root / "mkdocs.yml").read_text())
    extensions = [*config["markdown_extensions"], "md_in_html", "pymdownx.superfences"]
    (root / "mkdocs.yml").write_text(
        yaml.safe_dump({**config, "hooks": ["hooks.py"], "markdown_extensions": extensions})
    )

    ahead = in_fresh_process(_build, root, True)
    in_order = in_fresh_process(_build, root, False)

    # One worker process rendered and converted pmkb's pages from the last one down until it met
    # MkDocs, which did the earlier ones; each of the worker's but the one the hook changed took
    # its conversion.
    assert (ahead["workers"], in_order["workers"]) == ([1], [])
    later = ahead["in_a_worker"]
    assert {"incidents/pm-9999.md", "incidents/pm-9998.md", "incidents/index.md"} <= set(later)
    assert 50 < sum(uri.startswith("incidents/pm-") for uri in later) < count - 50
    assert ahead["from_conversion"] == [uri for uri in later if uri != "incidents/pm-9998.md"]
    assert in_order["from_conversion"] == in_order["in_a_worker"] == []
    assert ahead["files"] == in_order["files"]
    code = (root / "site-ahead" / "incidents" / "pm-9997" / "index.html").read_text()
    assert "pmkb-card" in code and '<div class="pmkb-card">card</div>' not in code  # shown as code
    changed = (root / "site-ahead" / "incidents" / "pm-9998" / "index.html").read_text()
    assert "Changed by a hook after pmkb generated the page." in changed
    # MkDocs' warning about the broken link, logged where MkDocs logs it, fails --strict.
    broken = [w for w in ahead["warnings"] if "runbooks/missing.md" in w]
    assert broken and all("incidents/pm-9999" in w for w in broken)
    assert ahead["warnings"] == in_order["warnings"]
    assert ahead["aborted"] and in_order["aborted"]


class _Remembers(Extension):
    """An extension from outside the known stateless packages, as a plugin would add one."""


@pytest.mark.parametrize(
    ("extensions", "stateless"),
    [
        (["toc", "admonition", "md_in_html", "pymdownx.superfences", "pymdownx.details"], True),
        (["markdown.extensions.tables", "material.extensions.emoji"], True),
        (["toc", "my_company.markdown_glossary"], False),
        (["toc", _Remembers()], False),
    ],
)
def test_pages_convert_ahead_only_with_extensions_known_to_keep_no_state(
    tmp_path: Path, extensions: list[Any], stateless: bool
) -> None:
    from pmkb.converted import stateless_extensions

    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    config = load_config(str(tmp_path / "mkdocs.yml"))
    config.markdown_extensions = extensions
    assert stateless_extensions(config) is stateless


WATCHER = """
import json, pathlib

seen = {}

def on_files(files, **kwargs):
    file = files.get_file_from_path("incidents/pm-0001.md")
    seen["file text in on_files"] = file.content_string

def on_page_markdown(markdown, page, **kwargs):
    seen.setdefault(page.file.src_uri, {})["markdown"] = markdown

def on_page_content(html, page, **kwargs):
    seen.setdefault(page.file.src_uri, {})["content"] = len(page.markdown)

def on_post_page(output, page, **kwargs):
    seen[page.file.src_uri]["post_page"] = len(page.markdown)
    seen[page.file.src_uri]["title"] = page.title

def on_post_build(config, **kwargs):
    pathlib.Path(config.config_file_path).with_name("seen.json").write_text(json.dumps(seen))
"""


def test_plugins_see_a_generated_page_text_from_on_files_and_its_markdown_until_on_page_content(
    tmp_path: Path,
) -> None:
    from sites import build

    root = make_project(tmp_path, {"2024/pm-0001.md": postmortem("Cache stampede", "2024-03-01")})
    (root / "hooks.py").write_text(WATCHER)
    config = yaml.safe_load((root / "mkdocs.yml").read_text())
    (root / "mkdocs.yml").write_text(yaml.safe_dump({**config, "hooks": ["hooks.py"]}))
    done = build(root, strict=True)
    assert done.returncode == 0, done.stderr
    seen = json.loads((root / "seen.json").read_text())
    # Hand-written pages keep theirs; pmkb's own intermediate Markdown is let go after every
    # plugin's on_page_content, and the page keeps its title.
    assert seen["index.md"]["content"] == seen["index.md"]["post_page"] > 0
    incident = seen["incidents/pm-0001.md"]
    assert incident["content"] > 0 and incident["post_page"] == 0
    assert incident["title"] == "Cache stampede"
    # An incident page's text is rendered when it is read; a plugin reading it early gets it too.
    text = seen["file text in on_files"]
    assert "Cache stampede" in text and text.endswith(incident["markdown"])
