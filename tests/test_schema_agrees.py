"""`pmkb schema` and `pmkb check` agree: over a corpus of front matter, valid and broken, the
schema accepts exactly the files the check passes without an error.

Each case is one front matter, written as YAML text the way people write it (an editor reads
the same text through the schema). All cases are checked in one project and one `pmkb check`
run, and each is validated against the schema `pmkb schema` prints for that project.

What a JSON Schema cannot say is left out of the corpus on purpose: times in order (PMK106),
times plausible against the build date (PMK207, PMK208), ids unique across files (PMK112), ids
that name no page (PMK116); and the body, which the schema does not cover. Unknown keys count
as failures of the check, though it only warns of them (see UNKNOWN_KEYS).
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import jsonschema
import pytest

from helpers import BODY, FRONT, as_json, make_project
from pmkb import cli
from pmkb.read.yamlread import load_located

# Lines added to a valid front matter (title, date, severity, status, services, factors).
BASE = FRONT.removeprefix("---\n").removesuffix("---\n")
ITEM = "action_items:\n  - title: Stage config rollouts\n    owner: team-web\n    status: open\n"


# Unknown keys are warnings of the check (a key of a newer pmkb, or a team's own, is not an
# error) but the schema forbids them (`additionalProperties: false`): it has no warnings, and
# an editor's mark on a misspelt key is the point of it. They count as failures here.
UNKNOWN_KEYS = ("PMK103", "PMK206")


def link(value: str) -> str:
    return ITEM + f"    link: {value}\n"


# name: (lines added to BASE, or the whole front matter when it starts with "!", valid?)
CORPUS: dict[str, tuple[str, bool]] = {
    # Action-item links: what the two used to disagree on.
    "link-https": (link("https://tracker.example/OPS-12"), True),
    "link-http": (link("http://tracker.example/OPS-12"), True),
    "link-uppercase-scheme": (link("HTTPS://tracker.example/OPS-12"), True),
    "link-port-query-fragment": (link("https://git.example:8443/a/b/-/issues/7?x=1#note"), True),
    "link-github-pr": (link("https://github.com/example/shop/pull/4123"), True),
    "link-jira": (link("https://example.atlassian.net/browse/OPS-1234"), True),
    "link-percent-encoded": (link("https://wiki.example/Post%20mortem%20(2026)"), True),
    "link-host-only": (link("https://tracker.example"), True),
    "link-unicode-path": (link("https://wiki.example/Störung"), True),
    "link-quoted-with-spaces-around": (link('"  https://tracker.example/OPS-12  "'), True),
    "link-null": (link(""), True),
    "link-javascript": (link("javascript:alert(1)"), False),
    "link-data": (link("'data:text/html,<b>x</b>'"), False),
    "link-ftp": (link("ftp://files.example/log.txt"), False),
    "link-mailto": (link("mailto:ops@example.com"), False),
    "link-no-scheme": (link("tracker.example/OPS-12"), False),
    "link-no-host": (link("https:///OPS-12"), False),
    "link-scheme-only": (link("'https://'"), False),
    "link-one-slash": (link("https:/tracker.example/OPS-12"), False),
    "link-space-inside": (link("'https://tracker.example/OPS 12'"), False),
    "link-space-in-host": (link("'https://tracker .example/OPS-12'"), False),
    "link-tab-inside": (link('"https://tracker.example/\\tOPS-12"'), False),
    "link-newline-at-end": (link('"https://tracker.example/OPS-12\\n"'), False),
    "link-no-break-space": (link('"https://tracker.example/OPS\\u00a012"'), False),
    "link-double-quote": (link("'https://tracker.example/a\"b'"), False),
    "link-single-quote": (link('"https://tracker.example/a\'b"'), False),
    "link-angle-bracket": (link("'https://tracker.example/<script>'"), False),
    "link-backslash": (link("'https://tracker.example\\\\@evil.example/'"), False),
    "link-backquote": (link("'https://tracker.example/`x`'"), False),
    "link-ipv6-unclosed": (link("'http://[::1/x'"), False),
    "link-ipv6": (link("'http://[::1]/x'"), False),
    "link-non-ascii-host": (link("https://bücher.example/x"), False),
    "link-full-width-hash-in-host": (link("https://a\uff03b.example/x"), False),
    "link-number": (link("12"), False),
    "link-list": (link("[https://tracker.example/OPS-12]"), False),
    "link-true": (link("true"), False),
    # The rest of an action item.
    "item-complete": (ITEM + "    due: 2026-04-30\n", True),
    "item-due-quoted": (ITEM + "    due: '2026-04-30'\n", True),
    "item-due-impossible": (ITEM + "    due: 2026-02-30\n", False),
    "item-due-words": (ITEM + "    due: next week\n", False),
    "item-status-unknown": (ITEM.replace("status: open", "status: closed"), False),
    "item-no-owner": (ITEM.replace("    owner: team-web\n", ""), False),
    "item-owner-number": (ITEM.replace("owner: team-web", "owner: 5"), False),
    "item-blank-title": (ITEM.replace("title: Stage config rollouts", "title: ' '"), False),
    "item-unknown-key": (ITEM + "    assignee: x\n", False),
    "item-not-a-mapping": ("action_items:\n  - stage config rollouts\n", False),
    "items-not-a-list": ("action_items: stage config rollouts\n", False),
    "items-empty": ("action_items: []\n", True),
    # The front matter's own keys.
    "minimal": ("", True),
    "times": (
        "started: 2026-03-12T14:00:00Z\ndetected: '2026-03-12T15:05:00+01:00'\n"
        "mitigated:\nresolved: 2026-03-12 15:00:00+00:00\n",
        True,
    ),
    "time-without-zone": ("detected: 2026-03-12T14:05:00\n", False),
    "time-as-date": ("detected: 2026-03-12\n", False),
    "time-words": ("detected: after lunch\n", False),
    "authors": ("authors: [Ines Carvalho, Sam Okafor]\n", True),
    "id": ("id: checkout-errors-2026\n", True),
    "id-not-a-slug": ("id: Checkout Errors\n", False),
    "unknown-key": ("sevrity: SEV2\n", False),
    "missing-title": (
        "!date: 2026-03-12\nseverity: SEV2\nstatus: published\n"
        "services: [checkout]\ncontributing_factors: [config-change]\n",
        False,
    ),
    "date-impossible": (BASE.replace("2026-03-12", "2026-02-30"), False),
    "date-day-first": (BASE.replace("2026-03-12", "12/03/2026"), False),
    "severity-unknown": (BASE.replace("SEV2", "P2"), False),
    "status-unknown": (BASE.replace("published", "final"), False),
    "service-unknown": (BASE.replace("[checkout]", "[chekout]"), False),
    "services-text": (BASE.replace("[checkout]", "checkout"), False),
    "services-empty": (BASE.replace("[checkout]", "[]"), False),
    "factor-alias": (BASE.replace("[config-change]", "[misconfiguration]"), True),
}


def front_matter(name: str) -> str:
    extra, _ = CORPUS[name]
    if extra.startswith("!"):
        return extra[1:]
    if extra.startswith(BASE[:20]):
        return extra
    return BASE + extra


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bool, bool, str]]:
    """For each case: (schema valid, check passes, what each said)."""
    root = tmp_path_factory.mktemp("corpus")
    files = {f"postmortems/{name}.md": f"---\n{front_matter(name)}---\n{BODY}" for name in CORPUS}
    make_project(root, files=files)

    def run(*args: str) -> str:
        # The CLI in this process, as the `run` fixture runs it (a module-scoped fixture
        # cannot use that function-scoped one).
        out = io.StringIO()
        cwd = os.getcwd()
        os.chdir(root)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                cli.main(list(args))
        finally:
            os.chdir(cwd)
        return out.getvalue()

    schema = json.loads(run("schema"))
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    findings = json.loads(run("check", "--format", "json"))["findings"]
    result = {}
    for name in CORPUS:
        path = f"postmortems/{name}.md"
        errors = [
            f"{f['code']} {f['message']}"
            for f in findings
            if f["path"] == path and (f["level"] == "error" or f["code"] in UNKNOWN_KEYS)
        ]
        # pmkb's reader: as an editor does, it keeps an impossible date such as 2026-02-30 as
        # text, where PyYAML's safe_load raises.
        meta = as_json(load_located(front_matter(name)))
        schema_errors = [e.message for e in validator.iter_errors(meta)]
        result[name] = (not schema_errors, not errors, f"schema: {schema_errors}; check: {errors}")
    return result


@pytest.mark.parametrize("name", list(CORPUS))
def test_schema_and_check_agree(name: str, verdicts: dict[str, tuple[bool, bool, str]]) -> None:
    schema_valid, check_passes, said = verdicts[name]
    expected = CORPUS[name][1]
    assert (schema_valid, check_passes) == (expected, expected), said
