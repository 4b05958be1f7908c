"""The published example site in a real browser: filters, search, links, charts and scripts.

Run alone with `pytest tests/browser`. Screenshots of every page type, in the light and the dark
scheme, land in tests/artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import pytest
import yaml

from .served import REPO, VIEWPORT, Site

with contextlib.suppress(ImportError):  # without Playwright, the `browser` fixture says why
    from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

PAGES = {
    "home": "",
    "incidents": "incidents/",
    "incident": "incidents/2025-04-15-notifications-push-retry-amplification/",
    "services": "services/",
    "service": "services/checkout/",
    "factors": "factors/",
    "factor": "factors/retry-storm/",
    "trends": "trends/",
    "action-items": "action-items/",
}
FILTERS = [
    ("service", "checkout"),
    ("factor", "config-change"),
    ("severity", "SEV1"),
    ("year", "2025"),
]
SCHEMES = {"light": "default", "dark": "slate"}  # preferred colour scheme -> Material's scheme
CATALOG = {
    kind: yaml.safe_load((REPO / "postmortems" / f"{kind}.yml").read_text(encoding="utf-8"))
    for kind in ("services", "factors")
}


# --- The incidents table as the HTML file has it, without any JavaScript -----------------------


@dataclass(frozen=True)
class Row:
    href: str  # as written in incidents/index.html
    title: str
    data: dict[str, str]  # data-service, data-factor, ... without the data- prefix

    @property
    def path(self) -> str:
        return urljoin("/incidents/", self.href)

    def matches(self, wanted: dict[str, str]) -> bool:
        for name, value in wanted.items():
            cell = self.data.get(name, "")
            if name in ("service", "factor"):
                if value not in cell.split():
                    return False
            elif cell != value:
                return False
        return True


class _RowParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self._data: dict[str, str] | None = None
        self._href: str | None = None
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-service" in attributes:
            self._data = {k[5:]: v for k, v in attributes.items() if k.startswith("data-")}
            self._href, self._title = None, []
        elif tag == "a" and self._data is not None and self._href is None:
            self._href, self._in_title = attributes["href"], True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_title = False
        elif tag == "tr" and self._data is not None:
            assert self._href is not None
            self.rows.append(Row(self._href, "".join(self._title).strip(), self._data))
            self._data = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)


@pytest.fixture(scope="module")
def rows(site: Site) -> list[Row]:
    parser = _RowParser()
    parser.feed((site.root / "incidents" / "index.html").read_text(encoding="utf-8"))
    assert len(parser.rows) > 20
    return parser.rows


def visible_rows(page: Page) -> list[str]:
    return page.locator("[data-pmkb-table] tbody tr").evaluate_all(
        "rows => rows.filter(r => r.checkVisibility())"
        ".map(r => new URL(r.querySelector('td.pmkb-incident-title a').href).pathname)"
    )


def assert_filtered(page: Page, rows: list[Row], wanted: dict[str, str]) -> None:
    """The page shows exactly the rows whose data attributes match, and says so everywhere."""
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 0))")  # let `reset` settle
    expected = [row.path for row in rows if row.matches(wanted)]
    shown = visible_rows(page)
    assert shown == expected, (
        f"filter {wanted}: the table shows {len(shown)} rows, "
        f"the data attributes match {len(expected)}"
    )
    output = page.locator("[data-pmkb-filters] output").text_content()
    assert output == f"{len(expected)} of {len(rows)} incidents"
    selects = page.locator("[data-pmkb-filters] select").evaluate_all(
        "selects => Object.fromEntries(selects.map(s => [s.name, s.value]))"
    )
    assert {k: v for k, v in selects.items() if v} == wanted
    query = parse_qs(urlsplit(page.url).query)
    assert query == {name: [value] for name, value in wanted.items()}


# --- The incidents table filters -------------------------------------------------------------


def test_each_filter_select_shows_the_matching_rows_and_updates_the_url(
    page: Page, site: Site, rows: list[Row]
) -> None:
    page.goto(site.url + "incidents/")
    assert_filtered(page, rows, {})
    for name, value in FILTERS:
        assert 0 < sum(row.matches({name: value}) for row in rows) < len(rows), (name, value)
        page.select_option(f"[data-pmkb-filters] select[name={name}]", value)
        assert_filtered(page, rows, {name: value})
        page.select_option(f"[data-pmkb-filters] select[name={name}]", "")
        assert_filtered(page, rows, {})


def test_filtered_url_opens_filtered_and_clear_filters_shows_every_row(
    page: Page, site: Site, rows: list[Row]
) -> None:
    wanted = {"factor": "config-change", "service": "checkout"}
    page.goto(site.url + "incidents/?factor=config-change&service=checkout")
    assert 0 < sum(row.matches(wanted) for row in rows) < sum(row.matches({"factor": "config-change"}) for row in rows)  # fmt: skip
    assert_filtered(page, rows, wanted)
    page.select_option("[data-pmkb-filters] select[name=severity]", "SEV2")
    assert_filtered(page, rows, {**wanted, "severity": "SEV2"})
    page.get_by_role("button", name="Clear filters").click()
    assert_filtered(page, rows, {})


def test_the_filter_check_catches_a_filter_that_does_not_filter(
    page: Page, site: Site, rows: list[Row]
) -> None:
    """A test of the tests: with matching disabled in pmkb.js, `assert_filtered` must fail."""
    script = (site.root / "assets" / "pmkb" / "pmkb.js").read_text(encoding="utf-8")
    broken = script.replace("if (!select.value) return true;", "return true;")
    assert broken != script
    page.route(
        "**/assets/pmkb/pmkb.js",
        lambda route: route.fulfill(body=broken, content_type="text/javascript"),
    )
    page.goto(site.url + "incidents/?service=checkout")
    expect(page.locator("[data-pmkb-filters]")).to_be_visible()  # the broken script did run
    with pytest.raises(AssertionError, match=f"the table shows {len(rows)} rows"):
        assert_filtered(page, rows, {"service": "checkout"})


# --- Search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "kind", "ident"), [
    ("Retry amplification", "factor", "retry-storm"),
    ("Courier dispatch", "service", "dispatch"),
])  # fmt: skip
def test_search_finds_incidents_by_factor_and_service_name(
    page: Page, site: Site, rows: list[Row], query: str, kind: str, ident: str
) -> None:
    # The header's box leads to the faceted search page, which finds incidents by the names of
    # their factors and services.
    page.goto(site.url)
    search = page.locator("input.md-search__input")
    search.click()
    search.fill(query)
    search.press("Enter")
    page.wait_for_url("**/search/?query=*")
    results = page.locator(".pmkb-result__title")
    expect(results.first).to_be_visible()
    found = {
        urlsplit(href).path for href in results.evaluate_all("links => links.map(a => a.href)")
    }
    tagged = {row.path for row in rows if row.matches({kind: ident})}
    assert len(tagged) >= 2
    assert found & tagged, f"search for {query!r} lists no incident tagged {ident}: {found}"
    for path in found:
        assert page.request.get(site.url + path.lstrip("/")).status == 200, path


# --- Following links from an incident page ---------------------------------------------------


@pytest.mark.parametrize(("selector", "section"), [
    (".pmkb-card a.pmkb-chip--service", "services"),
    (".pmkb-card a.pmkb-chip--factor", "factors"),
    ("ul.pmkb-related a", "incidents"),
])  # fmt: skip
def test_incident_page_links_lead_to_the_right_page(
    page: Page, site: Site, rows: list[Row], selector: str, section: str
) -> None:
    start = site.url + PAGES["incident"]
    page.goto(start)
    link = page.locator(selector).first
    target = urljoin(start, link.get_attribute("href"))
    parts = urlsplit(target).path.strip("/").split("/")
    assert parts[0] == section and len(parts) == 2, target
    if section == "incidents":
        titles = {row.path.strip("/").split("/")[-1]: row.title for row in rows}
        heading = titles[parts[1]]
    else:
        heading = CATALOG[section][parts[1]]["name"]
    assert link.inner_text().strip() == heading
    link.click()
    page.wait_for_url(target)
    expect(page.locator("article h1")).to_have_text(heading)


# --- Trend charts in both colour schemes -----------------------------------------------------

# Where each drawn part of a chart is, relative to the chart's top left corner, in CSS pixels.
SHAPES_JS = """svg => {
  const origin = svg.getBoundingClientRect();
  const box = (e, extra) => {
    const r = e.getBoundingClientRect();
    return {x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height, ...extra};
  };
  return {
    width: origin.width, height: origin.height,
    texts: [...svg.querySelectorAll("text")].map(t => box(t, {label: t.textContent})),
    bars: [...svg.querySelectorAll("rect[class*=pmkb-fill]")].map(r => box(r, {label: r.getAttribute("class")})),
  };
}"""
TEXT_CONTRAST = 4.5  # WCAG AA for normal text
BAR_CONTRAST = 1.5  # far below WCAG's 3:1 for graphics: only "can one see the bar at all"


def _luminance(rgb: tuple[int, ...]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _colours(image: Any) -> list[tuple[int, tuple[int, ...]]]:
    return sorted(image.getcolors(image.width * image.height), reverse=True)


Picture = tuple[str, Any, dict[str, Any]]  # a chart's title, screenshot and shapes


def chart_pictures(page: Page) -> list[Picture]:
    """(title, screenshot as a Pillow image, shapes) of each trend chart on the page."""
    from PIL import Image

    charts = page.locator("svg.pmkb-svg")
    pictures = []
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        image = Image.open(io.BytesIO(chart.screenshot(animations="disabled"))).convert("RGB")
        title = chart.locator("title").first.text_content() or f"chart {index + 1}"
        pictures.append((title, image, chart.evaluate(SHAPES_JS)))
    return pictures


def _crop(image: Any, shape: dict[str, Any], inset: int = 0) -> Any | None:
    left, top = round(shape["x"]) + inset, round(shape["y"]) + inset
    right = min(round(shape["x"] + shape["w"]) - inset, image.width)
    bottom = min(round(shape["y"] + shape["h"]) - inset, image.height)
    if right - left < 1 or bottom - top < 1:
        return None
    return image.crop((max(left, 0), max(top, 0), right, bottom))


def chart_problems(pictures: list[Picture]) -> list[str]:
    """Each chart text and bar colour that does not stand out from the chart's background."""
    problems: list[str] = []
    for title, image, shapes in pictures:
        background = _colours(image)[0][1]
        worst_text: tuple[float, str] = (99.0, "")
        for shape in shapes["texts"]:
            crop = _crop(image, shape)
            if crop is not None:
                ink = max(contrast(colour, background) for _, colour in _colours(crop))
                worst_text = min(worst_text, (ink, shape["label"]))
        if worst_text[0] < TEXT_CONTRAST:
            problems.append(
                f"{title}: text {worst_text[1]!r} has contrast {worst_text[0]:.2f} "
                f"against the background {background} (needs {TEXT_CONTRAST})"
            )
        by_class: dict[str, float] = {}
        for shape in shapes["bars"]:
            crop = _crop(image, shape, inset=1)
            if crop is not None:
                fill = _colours(crop)[0][1]
                by_class[shape["label"]] = min(
                    by_class.get(shape["label"], 99.0), contrast(fill, background)
                )
        problems += [
            f"{title}: bars {name} have contrast {value:.2f} against the background "
            f"{background} (needs {BAR_CONTRAST})"
            for name, value in sorted(by_class.items())
            if value < BAR_CONTRAST
        ]
    return problems


@pytest.fixture(scope="module")
def trend_charts(
    site: Site, context_for: Callable[[str], BrowserContext]
) -> Callable[[str], list[Picture]]:
    """The trend charts as drawn in a colour scheme; the trends page is loaded once per scheme."""
    drawn: dict[str, list[Picture]] = {}

    def charts(scheme: str) -> list[Picture]:
        if scheme not in drawn:
            page = context_for(scheme).new_page()
            try:
                page.goto(site.url + "trends/")
                body = page.locator("body").get_attribute("data-md-color-scheme")
                assert body == SCHEMES[scheme], f"the {scheme} scheme shows Material's {body}"
                drawn[scheme] = chart_pictures(page)
            finally:
                page.close()
        return drawn[scheme]

    return charts


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_trend_charts_are_drawn(trend_charts: Callable[[str], list[Picture]], scheme: str) -> None:
    pictures = trend_charts(scheme)
    assert len(pictures) == 6
    for title, image, shapes in pictures:
        assert shapes["width"] > 300 and shapes["height"] > 100, title
        assert len(shapes["texts"]) >= 5, title
        assert len([bar for bar in shapes["bars"] if bar["h"] >= 1 and bar["w"] >= 1]) >= 3, title
        painted = image.width * image.height - _colours(image)[0][0]
        assert painted > 0.02 * image.width * image.height, f"{title} is (almost) blank"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_trend_chart_text_and_bars_stand_out_from_the_background(
    trend_charts: Callable[[str], list[Picture]], scheme: str
) -> None:
    problems = chart_problems(trend_charts(scheme))
    assert not problems, "\n".join(problems)


def overlapping_labels(pictures: list[Picture]) -> list[str]:
    """Pairs of chart texts drawn over each other."""
    found = []
    for title, _, shapes in pictures:
        texts = shapes["texts"]
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                wide = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
                high = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
                if wide > 1 and high > 1:
                    found.append(
                        f"{title}: {a['label']!r} overlaps {b['label']!r} by {wide:.0f} px"
                    )
    return found


def test_trend_chart_labels_do_not_overlap(trend_charts: Callable[[str], list[Picture]]) -> None:
    overlaps = overlapping_labels(trend_charts("light"))
    assert not overlaps, "\n".join(overlaps)


def test_the_contrast_check_catches_invisible_chart_text(page: Page, site: Site) -> None:
    """A test of the tests: chart text painted in the background colour must be reported."""
    page.goto(site.url + "trends/")
    page.add_style_tag(content=".pmkb-svg { color: var(--md-default-bg-color) !important; }")
    problems = chart_problems(chart_pictures(page))
    assert len([p for p in problems if ": text " in p]) == 6, problems


# Text that pmkb styles, on the page types that show it, with the colour it is drawn in and the
# backgrounds behind it, innermost first, down to the first opaque one.
TEXT_JS = """els => els.filter(e => e.checkVisibility()).map(e => {
  const layers = [];
  for (let back = e; back; back = back.parentElement) {
    const bg = getComputedStyle(back).backgroundColor;
    if (!/^rgba\\(.*, 0\\)$/.test(bg)) layers.push(bg);
    if (/^rgb\\(/.test(bg)) break;
  }
  return {text: e.textContent.trim().slice(0, 40), fg: getComputedStyle(e).color, layers: layers};
})"""
PMKB_TEXT = {
    "incident": [".pmkb-card dd", ".pmkb-card__rows dt", ".pmkb-card a.pmkb-chip", ".pmkb-why",
                 ".pmkb-actions .pmkb-muted"],
    "incidents": [".pmkb-lead", ".pmkb-filters label", ".pmkb-filters select", "table.pmkb-table th"],
}  # fmt: skip
TEXT_READABLE = 3.0  # WCAG's minimum for large text; normal text should reach 4.5


def _rgba(css: str) -> tuple[float, ...]:
    """rgb()/rgba() with 0-255 channels, or color(srgb ...) with 0-1 channels (from color-mix)."""
    srgb = re.fullmatch(r"color\(srgb ([\d. ]+?)(?: / ([\d.]+))?\)", css)
    if srgb:
        channels = [255 * float(v) for v in srgb.group(1).split()]
        return (*channels, float(srgb.group(2) or 1))
    values = re.fullmatch(r"rgba?\((.*)\)", css)
    assert values is not None, f"not an rgb() colour: {css}"
    numbers = [float(v) for v in values.group(1).replace("/", ",").split(",")]
    return tuple(numbers) if len(numbers) == 4 else (*numbers, 1.0)


def _over(top: tuple[float, ...], below: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(t * top[3] + b * (1 - top[3]) for t, b in zip(top[:3], below[:3], strict=True))


def text_problems(page: Page, selectors: list[str]) -> list[str]:
    problems = []
    for selector in selectors:
        found = page.locator(selector).evaluate_all(TEXT_JS)
        assert found, f"nothing visible matches {selector}"
        for item in found:
            bg: tuple[float, ...] = (255, 255, 255)  # the canvas
            for layer in reversed(item["layers"]):
                bg = _over(_rgba(layer), bg)
            shown = _over(_rgba(item["fg"]), bg)
            ratio = contrast(tuple(round(v) for v in shown), tuple(round(v) for v in bg))
            if ratio < TEXT_READABLE:
                layers = " over ".join(item["layers"]) or "the canvas"
                problems.append(
                    f"{selector} {item['text']!r}: {item['fg']} on {layers}, contrast {ratio:.2f}"
                )
                break  # one example per selector is enough
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pmkb_text_is_readable_in_both_schemes(page: Page, site: Site, scheme: str) -> None:
    problems = []
    for kind, selectors in PMKB_TEXT.items():
        page.goto(site.url + PAGES[kind])
        problems += [f"{kind}: {problem}" for problem in text_problems(page, selectors)]
    assert not problems, "\n".join(problems)


# --- Every page type: no JavaScript error, and a screenshot ----------------------------------

SCREENSHOT_HEIGHT = 6000  # the action items page is 20,000 px tall: its top is enough to look at


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_page_has_no_javascript_error(
    page: Page,
    site: Site,
    console_errors: list[str],
    screenshots: Path,
    kind: str,
    scheme: str,
) -> None:
    page.goto(site.url + PAGES[kind])
    assert page.locator("body").get_attribute("data-md-color-scheme") == SCHEMES[scheme]
    expect(page.locator("article h1")).to_be_visible()
    height = min(page.evaluate("document.documentElement.scrollHeight"), SCREENSHOT_HEIGHT)
    page.screenshot(
        path=screenshots / f"{kind}-{scheme}.png",
        full_page=True,
        animations="disabled",
        clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height},
    )
    assert not console_errors, "\n".join(console_errors)


def test_javascript_error_check_catches_an_error(
    page: Page, site: Site, console_errors: list[str]
) -> None:
    page.goto(site.url)
    page.evaluate(
        "() => { setTimeout(() => { throw new Error('boom') }, 0); console.error('bad') }"
    )
    page.wait_for_timeout(50)
    assert len(console_errors) == 2, console_errors


# --- Links: every page of the built site, without a browser ----------------------------------


class _LinkParser(HTMLParser):
    """The links of one page (a href, link href, script src, img src) and its element ids."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attributes.get(name):
                self.ids.add(str(attributes[name]))
        attribute = {"a": "href", "link": "href", "script": "src", "img": "src"}.get(tag)
        if attribute and attributes.get(attribute):
            self.links.append(str(attributes[attribute]))


def broken_links(root: Path) -> list[str]:
    """'page: link (why)' for each link between pages of the site that leads nowhere."""
    base = "http://site.invalid/"
    pages: dict[Path, _LinkParser] = {}
    for path in sorted(root.rglob("*.html")):
        parser = _LinkParser()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path] = parser

    def target_of(url: str) -> Path | None:
        parts = urlsplit(url)
        path = root / unquote(parts.path).lstrip("/")
        if parts.path.endswith("/") or path.is_dir():
            path = path / "index.html"
        return path if path.is_file() else None

    broken = []
    for path, parser in pages.items():
        source = path.relative_to(root).as_posix()
        for link in parser.links:
            url = urljoin(base + source, link)
            if not url.startswith(base):
                continue  # another site, mailto:, javascript:
            target = target_of(url)
            fragment = unquote(urlsplit(url).fragment)
            if target is None:
                broken.append(f"{source}: {link} (no such file)")
            elif fragment and target in pages and fragment not in pages[target].ids:
                broken.append(f"{source}: {link} (no element with id {fragment!r})")
    return broken


def test_no_broken_internal_link(built_site: Path) -> None:
    assert len(list(built_site.rglob("*.html"))) > 60
    broken = broken_links(built_site)
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken)


def test_link_check_catches_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text(
        '<h2 id="x">A</h2><a href="#x">ok</a>', encoding="utf-8", newline="\n"
    )
    (tmp_path / "index.html").write_text(
        '<a href="a/">ok</a> <a href="a/#x">ok</a> <a href="https://example.com/">other site</a>'
        ' <a href="b/">missing page</a> <a href="a/#y">missing anchor</a>',
        encoding="utf-8",
        newline="\n",
    )
    assert broken_links(tmp_path) == [
        "index.html: b/ (no such file)",
        "index.html: a/#y (no element with id 'y')",
    ]
