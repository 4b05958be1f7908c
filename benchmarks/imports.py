"""`pmkb import` of a big archive: N source files in a foreign shape, imported and checked, timed.

    .venv/bin/python benchmarks/imports.py [N] [--seed 1] [--keep DIR]
    .venv/bin/python benchmarks/imports.py --archive DIR --mapping FILE [--options YAML]

Writes N files (5,000 by default) into a temporary folder in the shape of a public archive of
YAML-front-matter postmortems (icco/postmortems: `company`, `categories`, `start_time`,
`end_time`, `summary`, extra keys) with an SRE-book body (a `Root Causes` section, an
`Action Items` table, a `Timeline` table), starts a knowledge base there with `pmkb init`, and
times `pmkb import` in a subprocess, as a user runs it: once into an empty knowledge base, and
once again (every file found imported before). The figures are printed; nothing is kept unless
`--keep` names a folder.

With `--archive`, a real archive (a clone of a public one, kept outside this repository) is
imported instead, by the mapping given (docs/adopting.md ships two), into a knowledge base with
the pmkb options given (`--options '{required_sections: [Summary]}'`), and the report's counts
and `pmkb check`'s findings by code are printed.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import replace_section

BIN = Path(sys.executable).parent
CPU_SECONDS: list[float] = []
FINDING = re.compile(r":\d+:\d+: (error|warning|info) (PMK\d+) ")
HEADING = "## Importing an archive"
COMPANIES = ["Checkout", "Payments", "Search", "Identity", "Storage", "Edge", "Email", "Billing"]
CATEGORIES = ["config-change", "cloud", "automation", "capacity", "hardware", "security"]
MAPPING = """\
fields:
  title: [title, product]
  date: start_time
  started: start_time
  resolved: end_time
  services: company
  contributing_factors: categories
field_sections:
  Summary: summary
defaults:
  severity: SEV3
sections:
  Contributing factors: [Root Causes]
action_items:
  section: [Action Items]
  columns: {title: [Action Item], owner: [Owner], link: [Bug]}
  statuses: {todo: open, done: done}
"""


def source(n: int, rng: random.Random) -> str:
    """One archive file: YAML front matter in the archive's keys, an SRE-book body."""
    start = datetime(2019, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(3_500_000))
    end = start + timedelta(minutes=rng.randrange(5, 600))
    company = rng.choice(COMPANIES)
    meta = {
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "url": f"https://status.example/incidents/{n}",
        "title": f"{company} errors after change {n}",
        "categories": rng.sample(CATEGORIES, rng.randint(1, 3)),
        "keywords": ["latency", "errors", f"change-{n}"],
        "company": company,
        "product": f"{company} API",
        "start_time": start,
        "end_time": end,
        "summary": f"Requests to the {company} API failed for {int((end - start).seconds / 60)} minutes.",
    }
    rows = [
        f"| {(start + timedelta(minutes=m)).strftime('%H:%M')} | Event {m} of incident {n} |"
        for m in sorted(rng.sample(range(int((end - start).seconds / 60) + 1), 4))
    ]
    body = f"""
The {company} API returned errors after change {n} reached every region at once.

## Impact

About {rng.randrange(100, 100_000)} requests failed.

## Root Causes

The change had no staged rollout, and the alert waited for five minutes of errors.

## Action Items

| Action Item | Owner | Bug |
| ----------- | ----- | --- |
| Roll changes out one region at a time | team-{company.lower()} | [OPS-{n}](https://tracker.example/OPS-{n}) **TODO** |
| Page on errors above 2% for two minutes | team-{company.lower()} | n/a **DONE** |

## Timeline

| Time | Event |
| ---- | ----- |
{chr(10).join(rows)}

## Lessons Learned

A staged rollout limits how far a bad change travels.
"""
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n{body}"


def run(command: list[str], cwd: Path) -> tuple[float, str]:
    """The command's wall-clock seconds and output; its processor seconds go to CPU_SECONDS, a
    figure that other work on a shared machine disturbs less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stdout


def init(kb: Path, options: dict[str, object] | None = None) -> None:
    """A knowledge base from `pmkb init`, with these pmkb options if any."""
    subprocess.run(
        [str(BIN / "pmkb"), "init", str(kb), "--yes", "--name", "Import benchmark"],
        capture_output=True, check=True,
    )  # fmt: skip
    if options:
        config = {
            "site_name": "Imported archive",
            "theme": {"name": "material"},
            "plugins": ["search", {"pmkb": options}],
        }
        (kb / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    for example in (kb / "postmortems").rglob("*-example-config-change.md"):
        example.unlink()


def real_archive(archive: Path, mapping: Path, options: str, keep: Path | None) -> int:
    """Import a real archive into a new knowledge base; print what the report says."""
    work = keep or Path(tempfile.mkdtemp(prefix="pmkb-import-"))
    try:
        kb = work / "kb"
        init(kb, yaml.safe_load(options))
        command = [str(BIN / "pmkb"), "import", str(archive), "--mapping", str(mapping)]
        seconds, report = run([*command, "--add-to-catalog"], kb)
        lines = report.splitlines()
        codes = Counter(m.groups() for line in lines if (m := FINDING.search(line)))
        print(f"pmkb import: {seconds:.2f} s")
        for (level, code), count in sorted(codes.items(), key=lambda c: c[0][1]):
            print(f"  on the sources: {code} ({level}) x{count}")
        start = next(i for i, line in enumerate(lines) if line.startswith("Read "))
        for line in lines[start:]:
            print(line)
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write here instead of a temporary folder")
    parser.add_argument("--archive", type=Path, help="import this archive instead")
    parser.add_argument("--mapping", type=Path, help="the mapping for --archive")
    parser.add_argument("--options", default="{}", help="pmkb options for --archive, as YAML")
    parser.add_argument(
        "--output", type=Path, help="also write the figures into this page (docs/performance.md)"
    )
    args = parser.parse_args(argv)
    if args.archive:
        return real_archive(args.archive.resolve(), args.mapping.resolve(), args.options, args.keep)
    work = args.keep or Path(tempfile.mkdtemp(prefix="pmkb-import-"))
    try:
        archive, kb = work / "archive", work / "kb"
        archive.mkdir(parents=True)
        rng = random.Random(args.seed)
        for n in range(args.count):
            (archive / f"{n:05d}.md").write_text(source(n, rng), encoding="utf-8")
        (work / "mapping.yml").write_text(MAPPING, encoding="utf-8")
        init(kb)
        command = [str(BIN / "pmkb"), "import", "../archive", "--mapping", "../mapping.yml"]
        first, report = run([*command, "--add-to-catalog"], kb)
        again, _ = run(command, kb)
        written = sum(1 for _ in (kb / "postmortems").rglob("*.md"))
        print(f"files:                {args.count:,}")
        print(f"written:              {written:,}")
        cpu_first, cpu_again = CPU_SECONDS[-2:]
        print(
            f"pmkb import:          {first:.2f} s ({args.count / first:,.0f} files/s),"
            f" {cpu_first:.2f} s of processor time"
        )
        print(f"again (none written): {again:.2f} s, {cpu_again:.2f} s of processor time")
        print("report's last lines:")
        for line in report.splitlines()[-6:]:
            print(f"  {line}")
        if args.output:
            replace_section(
                args.output,
                HEADING,
                "\n".join(
                    [
                        HEADING,
                        "",
                        "Measured by `benchmarks/imports.py` (`make bench` runs it): "
                        f"{args.count:,} source files in a foreign shape (YAML front matter, an "
                        "SRE-book body), imported into a new knowledge base and checked, as a "
                        "user runs `pmkb import`.",
                        "",
                        "| | wall | processor |",
                        "|---|---|---|",
                        f"| `pmkb import`, {written:,} written | {first:.1f} s | {cpu_first:.1f} s |",
                        f"| again, every file found imported before | {again:.1f} s "
                        f"| {cpu_again:.1f} s |",
                        "",
                    ]
                ),
            )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
