"""Real archives: a public postmortem archive turned into a pmkb knowledge base, checked and built.

    .venv/bin/python benchmarks/archives.py ARCHIVE_DIR [--out DIR] [--outliers 2]

ARCHIVE_DIR is a local copy of an archive (for example a clone of dfds/postmortems: one Markdown
file per incident, a `# Title` heading and a timeline table whose rows start with
`YYYY-MM-DD HH:MM`). Files that already have front matter keep the keys pmkb knows. Each file
becomes a postmortem with the title, the incident's date, `detected` from the first timeline row
and `resolved` from the last; the archive's text is kept as the body. With `--outliers N`, N
postmortems get a mistyped year (year 1, 1999, ...), as hand-kept archives have.

Then `pmkb check` and `mkdocs build` run on it, and the report gives files found, published and
held back, findings by code, build time and site size. Nothing of the archive is kept in this
repository: the archive and the knowledge base stay where they are given.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
HEADING = re.compile(r"^#\s+(.+?)\s*$", re.M)
ROW = re.compile(r"^\|\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2})[:.](\d{2})\s*\|", re.M)
KNOWN = ("title", "date", "severity", "status", "services", "contributing_factors", "authors")
MISTYPED_YEARS = ("0001", "1999", "1970", "2052")


def postmortem(path: Path) -> tuple[dict[str, object], str] | None:
    """Front matter and body for one archive file; None when it records no time at all."""
    text = path.read_text(encoding="utf-8", errors="replace")
    meta: dict[str, object] = {}
    if text.startswith("---\n") and "\n---\n" in text[4:]:
        head, text = text[4:].split("\n---\n", 1)
        found = yaml.safe_load(head)
        if isinstance(found, dict):
            meta = {k: v for k, v in found.items() if k in KNOWN}
    heading = HEADING.search(text)
    if "title" not in meta:
        meta["title"] = heading.group(1) if heading else path.stem
    if heading and heading.start() == 0:
        text = text[heading.end() :].lstrip("\n")
    times = [f"{d}T{int(h):02d}:{m}:00+00:00" for d, h, m in ROW.findall(text)]
    if not times and "date" not in meta:
        return None
    meta.setdefault("date", times[0][:10] if times else "")
    meta.setdefault("severity", "SEV2")
    meta.setdefault("status", "published")
    meta.setdefault("services", ["platform"])
    meta.setdefault("contributing_factors", ["unclassified"])
    if times:
        meta["detected"] = times[0]
        if max(times) > times[0]:
            meta["resolved"] = max(times)
    return meta, text


def convert(archive: Path, out: Path, outliers: int) -> tuple[int, int]:
    """Write the knowledge base; how many files were read and how many became postmortems."""
    shutil.rmtree(out, ignore_errors=True)
    folder = out / "postmortems"
    folder.mkdir(parents=True)
    (out / "docs").mkdir()
    (out / "docs" / "index.md").write_text(f"# {archive.name}\n", encoding="utf-8")
    files = sorted(p for p in archive.rglob("*.md") if p.name.lower() not in ("readme.md",))
    written = 0
    for path in files:
        found = postmortem(path)
        if found is None:
            continue
        meta, body = found
        if written < outliers:  # a mistyped year, the kind a long history carries
            year = MISTYPED_YEARS[written % len(MISTYPED_YEARS)]
            meta["date"] = year + str(meta["date"])[4:]
            if isinstance(meta.get("detected"), str):
                meta["detected"] = year + str(meta["detected"])[4:]
            meta.pop("resolved", None)
        written += 1
        name = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:60] or f"pm-{written}"
        head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
        (folder / f"{name}.md").write_text(f"---\n{head}---\n\n{body}", encoding="utf-8")
    catalogs = {
        "services.yml": {"platform": {"name": "Platform"}},
        "factors.yml": {"unclassified": {"name": "Not yet classified", "category": "Other"}},
    }
    for name, catalog in catalogs.items():
        (folder / name).write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    config = {
        "site_name": f"{archive.name} (converted)",
        "theme": {"name": "material"},
        # An archive written to another template: only a summary is asked of it.
        "plugins": ["search", {"pmkb": {"required_sections": ["Summary"]}}],
        "markdown_extensions": ["tables", "admonition", "toc"],
    }
    (out / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return len(files), written


def measure(out: Path) -> dict[str, object]:
    """What pmkb check finds, and what a build takes and makes."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    check = subprocess.run(
        [str(BIN / "pmkb"), "check", "--format", "json"],
        cwd=out, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    findings = json.loads(check.stdout)["findings"]
    started = time.perf_counter()
    build = subprocess.run(
        [str(BIN / "mkdocs"), "build", "--quiet"],
        cwd=out, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in (out / "site").rglob("*") if p.is_file())
    pages = sum(1 for _ in (out / "site" / "incidents").glob("*/index.html"))
    return {
        "findings": dict(sorted(Counter(f"{f['level']} {f['code']}" for f in findings).items())),
        "build_exit": build.returncode,
        "build_seconds": round(seconds, 2),
        "site_bytes": size,
        "incident_pages": pages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/work/archive"))
    parser.add_argument("--outliers", type=int, default=0, help="postmortems given a wrong year")
    args = parser.parse_args(argv)
    read, written = convert(args.archive, args.out, args.outliers)
    report = {"files": read, "postmortems": written, **measure(args.out)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
