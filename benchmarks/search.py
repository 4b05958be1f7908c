"""Search at scale: what the faceted index costs the build and a reader's browser.

    .venv/bin/python benchmarks/search.py                   # sizes 1000 and 5000
    .venv/bin/python benchmarks/search.py --sizes 1000 --no-browser

For each size N, generate.py's knowledge base is built twice, each in its own process: with
`search: compact` (Material's index, incidents by summary) and with `search: auto` (pmkb's
faceted index). The report gives, for the faceted build: the seconds its indexing step logged
and their share of the build, the peak memory of the two builds (the index is written in the
build's process, so its cost is the difference), the index's size on disk, and the largest
page of the incidents listing. Then Chromium (Playwright, the system's browser, as the browser
tests use) opens the search page for a few queries typed by readers and counts the bytes it
received for each: the search script and the index files, from a server that does not
compress. The section "Search at scale" of docs/performance.md is replaced with the results.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate
from run import BIN, REPO, SOURCE_DATE_EPOCH, WORK, Sample, measure, replace_section

sys.path.insert(0, str(REPO / "tests"))
from browser.conftest import find_chromium
from browser.served import served

QUERIES = ("timeout", "checkout", "kafka", "connection pool", "dns resolution failed")
HEADING = "## Search at scale"
_LOGGED = re.compile(r"Search index: (\d+) pages indexed in ([\d.]+) s")


def build(root: Path, search: str, site_dir: str, env: dict[str, str]) -> tuple[Sample, float]:
    """Build `root` with the `search` option into `site_dir`; the sample and the seconds the
    faceted index took by the build's own log (0 without it)."""
    config = root / "mkdocs.yml"
    text = re.sub(r"search: \w+", f"search: {search}", config.read_text("utf-8"))
    text = re.sub(r"(?m)^site_dir: .*\n", "", text) + f"site_dir: {site_dir}\n"
    config.write_text(text, encoding="utf-8")
    sample = measure([str(BIN / "mkdocs"), "build"], root, env)
    found = _LOGGED.search(sample.stderr)
    return sample, float(found.group(2)) if found else 0.0


def first_query_bytes(site: Path) -> dict[str, int]:
    """Bytes Chromium received for the search page's first query, per query: the search
    script and the index files (the page itself, the theme and fonts are any page's)."""
    from playwright.sync_api import sync_playwright

    out: dict[str, int] = {}
    with served(site) as served_site, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium())
        try:
            for query in QUERIES:
                context = browser.new_context()  # an empty cache for each query
                page = context.new_page()
                got: list[int] = []

                def counted(response: object, got: list[int] = got) -> None:
                    url = response.url  # type: ignore[attr-defined]
                    if "/search/index/" in url or url.endswith("pmkb-search.js"):
                        got.append(len(response.body()))  # type: ignore[attr-defined]

                page.on("response", counted)
                page.goto(served_site.url + "search/?query=" + query.replace(" ", "+"))
                page.wait_for_selector(".pmkb-result, .pmkb-search__status:text('0 results')")
                page.wait_for_load_state("networkidle")
                out[query] = sum(got)
                context.close()
        finally:
            browser.close()
    return out


def listing_bytes(site: Path) -> int:
    """The largest page of the incidents listing (its first page and the pages after it)."""
    pages = [site / "incidents" / "index.html", *(site / "incidents" / "page").rglob("*.html")]
    return max(p.stat().st_size for p in pages if p.is_file())


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _mb(kib: int) -> str:
    return f"{kib / 1024:.0f} MB"


def _kb(n: int) -> str:
    return f"{n / 1000:.0f} kB" if n < 1e6 else f"{n / 1e6:.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="What the faceted search costs, at scale.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000], metavar="N")
    parser.add_argument("--no-browser", action="store_true", help="skip the bytes per query")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "performance.md")
    args = parser.parse_args(argv)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    rows: dict[str, list[str]] = {}
    # At the largest size: (figure, measured, target, met).
    targets: list[tuple[str, str, str, bool]] = []

    def row(label: str, value: str) -> None:
        rows.setdefault(label, []).append(value)

    for n in args.sizes:
        root = WORK / f"search-{n}"
        generate(root, n)
        print(f"[{time.strftime('%H:%M:%S')}] N={n}: building", flush=True)
        compact, _ = build(root, "compact", "site-compact", env)
        faceted, indexing = build(root, "auto", "site", env)
        site = root / "site"
        row("build, `search: compact` (wall)", f"{compact.seconds:.1f} s")
        row("build, `search: auto` (wall)", f"{faceted.seconds:.1f} s")
        row(
            "of which indexing (share of the build)",
            f"{indexing:.1f} s ({indexing / faceted.seconds:.0%})",
        )
        row(
            "peak memory, compact build / faceted build",
            f"{_mb(compact.peak_kib)} / {_mb(faceted.peak_kib)}",
        )
        row("the index on disk, never downloaded whole", _kb(folder_bytes(site / "search")))
        listing = listing_bytes(site)
        row("largest page of the incidents listing", _kb(listing))
        added = max(0, faceted.peak_kib - compact.peak_kib)
        targets = [
            ("time indexing adds to the build", f"{indexing / faceted.seconds:.0%}", "≤ 15 %",
             indexing <= 0.15 * faceted.seconds),
            ("memory indexing adds to the build's peak (the build's own)",
             f"{_mb(added)} ({_mb(compact.peak_kib)})", "≤ the build's own", added <= compact.peak_kib),
            ("largest listing page", _kb(listing), "≤ 500 kB", listing <= 500_000),
        ]  # fmt: skip
        if not args.no_browser:
            got = first_query_bytes(site)
            row(
                "bytes of a first query (" + ", ".join(f"`{q}`" for q in QUERIES) + ")",
                f"{_kb(min(got.values()))} to {_kb(max(got.values()))}",
            )
            most = max(got.values())
            targets.append(("bytes of a first query", _kb(most), "≤ 300 kB", most <= 300_000))
    header = "| | " + " | ".join(f"{n:,} incidents" for n in args.sizes) + " |"
    lines = [
        HEADING,
        "",
        "Measured by `benchmarks/search.py` (`make bench` runs it after `benchmarks/run.py`) on "
        f"the benchmark's synthetic knowledge bases, on {os.cpu_count()} CPUs; what the figures "
        "mean is in its docstring "
        "and in the reference's [Search](reference.md#search).",
        "",
        header,
        "|---|" + "---|" * len(args.sizes),
        *(f"| {label} | " + " | ".join(values) + " |" for label, values in rows.items()),
        "",
        f"Targets, at {args.sizes[-1]:,} incidents: every word of an incident's body findable "
        "(tests/browser/test_search.py finds a word of one timeline among 1,000), and:",
        "",
        "| figure | measured | target | |",
        "|---|---|---|---|",
        *(f"| {f} | {m} | {t} | {'**met**' if ok else 'not met'} |" for f, m, t, ok in targets),
        "",
    ]
    section = "\n".join(lines)
    replace_section(args.output, HEADING, section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
