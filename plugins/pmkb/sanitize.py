"""Making a postmortem's Markdown body safe to publish company-wide.

Postmortems come from many authors through pull requests. Raw HTML in the body and links with
script schemes are neutralised, so that no author can run script on every reader's page; code
spans and fenced code are left exactly as written.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.*?[^`])?\1(?!`)")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^<>\s]*>|<!--(?:(?!-->).)*-->")
_BAD_SCHEME = re.compile(
    r"(?i)(\]\(\s*<?|^\s{0,3}\[[^\]]+\]:\s*<?)\s*(?:javascript|vbscript|data|file):"
)


def _neutralise(text: str) -> str:
    # Keep autolinks such as <https://example.com> and one-line comments; escape every other tag opener.
    pieces: list[str] = []
    last = 0
    for link in _AUTOLINK.finditer(text):
        pieces.append(_TAG_START.sub("&lt;", text[last : link.start()]))
        pieces.append(link.group(0))
        last = link.end()
    pieces.append(_TAG_START.sub("&lt;", text[last:]))
    return _BAD_SCHEME.sub(lambda m: m.group(1) + "#unsafe-link-removed:", "".join(pieces))


def safe_markdown(body: str) -> str:
    """The body with raw HTML shown as text and script links disabled, code untouched."""
    out: list[str] = []
    fence = ""
    for line in body.split("\n"):
        if fence:
            out.append(line)
            if line.strip().startswith(fence):
                fence = ""
            continue
        match = _FENCE.match(line)
        if match:
            fence = match.group(1)[0] * 3
            out.append(line)
            continue
        if line.startswith(("    ", "\t")) and (
            not out or not out[-1].strip() or out[-1].startswith(("    ", "\t"))
        ):
            out.append(line)  # indented code
            continue
        if "<" not in line and "](" not in line and "]:" not in line:
            out.append(line)  # no tag, link or link definition: nothing to neutralise
            continue
        pieces: list[str] = []
        last = 0
        for span in _CODE_SPAN.finditer(line):
            pieces.append(_neutralise(line[last : span.start()]))
            pieces.append(span.group(0))
            last = span.end()
        pieces.append(_neutralise(line[last:]))
        out.append("".join(pieces))
    return "\n".join(out)
