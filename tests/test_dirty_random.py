"""`mkdocs serve --dirty` under random edits: after each, the served site is the site a clean build
makes of the same sources. A seeded, small form of a randomized differential fuzzer; a failure
names the seed, the step and the edits made, so it replays."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from helpers import BUILD_EPOCH, make_project, postmortem
from test_dirty import _assert_same_site, _clean_build, _serve

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

COUNT = 25
SERVICES = ["checkout", "payments", "search"]
FACTORS = ["config-change", "missing-alert", "traffic-surge"]
WORDS = [
    "retry", "cache", "outage", "timeout", "queue", "replica", "shard", "deploy", "rollback",
    "alert", "latency", "disk",
]  # fmt: skip

# Every kind of edit, once a seed; a kind that undoes another ("undraft", "fix") comes after it.
KINDS = [
    "body", "title", "date", "severity", "status", "service", "factor", "action added",
    "action removed", "action retitled", "draft", "add", "delete", "rename", "break", "link",
]  # fmt: skip
LATER = {"draft": "undraft", "break": "fix"}


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def _incident(rng: random.Random, i: int) -> dict[str, Any]:
    """A postmortem's fields, as `postmortem` takes them; action items on every third."""
    items = [{"title": f"Fix {_words(rng, 2).lower()}", "owner": "sre", "status": "open"}]
    return {
        "title": f"Incident {i} {rng.choice(WORDS)}",
        "day": f"{rng.choice([2023, 2024])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "services": rng.sample(SERVICES, rng.randint(1, 2)),
        "factors": rng.sample(FACTORS, rng.randint(1, 2)),
        "severity": rng.choice(["SEV1", "SEV2", "SEV3"]),
        "status": "published",
        "summary": _words(rng, 6) + ".",
        "action_items": items if i % 3 == 0 else [],
    }


def _text(fields: dict[str, Any]) -> str:
    items = fields["action_items"]
    return postmortem(
        fields["title"],
        fields["day"],
        services=fields["services"],
        factors=fields["factors"],
        severity=fields["severity"],
        status=fields["status"],
        summary=fields["summary"],
        extra={"action_items": items} if items else None,
    )


def _edit(kind: str, rng: random.Random, incidents: dict[str, dict[str, Any]], step: int) -> str:
    """Make one edit of `kind` to `incidents` (by file name); what was done, to replay it."""
    name = rng.choice(sorted(incidents))
    pm = incidents[name]
    if kind == "body":
        pm["summary"] = _words(rng, 8) + "."
    elif kind == "title":
        pm["title"] = f"Retitled {rng.choice(WORDS)} {step}"
    elif kind == "date":  # another month and year: it moves between listing pages and trends
        pm["day"] = f"{rng.choice([2022, 2025])}-{rng.randint(1, 12):02d}{pm['day'][7:]}"
    elif kind == "severity":
        pm["severity"] = rng.choice(["SEV1", "SEV2", "SEV3", "SEV4"])
    elif kind == "status":
        pm["status"] = "in-review" if pm["status"] == "published" else "published"
    elif kind in ("service", "factor"):
        key, known = ("services", SERVICES) if kind == "service" else ("factors", FACTORS)
        now = pm[key]
        pm[key] = now[:1] if len(now) > 1 else [*now, *[k for k in known if k not in now][:1]]
    elif kind == "action added":
        pm["action_items"] = [*pm["action_items"], {"title": "Add an alert", "owner": "sre"}]
    elif kind in ("action removed", "action retitled"):
        name, pm = next(((n, p) for n, p in incidents.items() if p["action_items"]), (name, pm))
        if pm["action_items"] and kind == "action removed":
            pm["action_items"] = pm["action_items"][1:]
        elif pm["action_items"]:
            pm["action_items"] = [{**pm["action_items"][0], "title": f"Fix it {step}"}]
    elif kind in ("draft", "undraft"):
        if kind == "undraft":
            drafts = [(n, p) for n, p in incidents.items() if p["status"] == "draft"]
            name, pm = drafts[0] if drafts else (name, pm)  # the draft may be deleted since
        pm["status"] = "draft" if kind == "draft" else "published"
    elif kind == "add":
        name = f"pm-new-{step}.md"
        incidents[name] = _incident(rng, 100 + step)
    elif kind == "delete":
        del incidents[name]
    elif kind == "rename":
        incidents[name.replace(".md", "-renamed.md")] = incidents.pop(name)
    elif kind in ("break", "fix"):  # an unknown service makes it invalid, left out of the site
        if kind == "fix":
            broken = [(n, p) for n, p in incidents.items() if "nowhere" in p["services"]]
            name, pm = broken[0] if broken else (name, pm)
        known = [s for s in pm["services"] if s != "nowhere"]
        pm["services"] = [*known, "nowhere"] if kind == "break" else known
    elif kind == "link":
        other = rng.choice([n for n in sorted(incidents) if n != name])
        pm["summary"] += f" See [the other one]({other})."
    return f"{kind} {name}"


@pytest.mark.parametrize(("seed", "search"), [(1, "compact"), (2, "auto")])
def test_random_edits_under_serve_dirty_publish_what_a_clean_build_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, search: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    rng = random.Random(seed)
    incidents = {f"pm-{i:02d}.md": _incident(rng, i) for i in range(COUNT)}
    options = {"search": search, "listing_page_size": 5}
    root = make_project(
        tmp_path / "kb",
        {name: _text(fields) for name, fields in incidents.items()},
        site=True,
        options=options,
    )
    out = tmp_path / "served"
    _serve(root, out)
    # Each step makes two edits (a rebuild and a clean build are the time a step takes), so
    # that every kind is made once a seed, in the seed's order.
    deck = rng.sample(KINDS, len(KINDS))
    for first, later in LATER.items():
        deck.insert(rng.randint(deck.index(first) + 1, len(deck)), later)
    edits: list[str] = []
    for step in range((len(deck) + 1) // 2):
        edits += [_edit(kind, rng, incidents, step) for kind in deck[2 * step : 2 * step + 2]]
        sources = {f"postmortems/{name}": _text(fields) for name, fields in incidents.items()}
        for old in (root / "postmortems").glob("*.md"):
            if f"postmortems/{old.name}" not in sources:
                old.unlink()
        for name, text in sources.items():
            path = root / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8", newline="\n")
        # As `mkdocs serve` rebuilds: the configuration read again, the same plugin instance.
        build(load_config(str(root / "mkdocs.yml"), site_dir=str(out)), dirty=True)
        clean = tmp_path / f"clean-{step}"
        shutil.copytree(root, clean, ignore=shutil.ignore_patterns(".cache", "site"))
        site = _clean_build(clean)
        where = f"seed {seed}, step {step}, after the edits {edits}"
        try:
            _assert_same_site(out, site)
        except AssertionError as failed:
            raise AssertionError(f"{where}: {failed}") from None
        index = Path("search", "search_index.json")
        assert (out / index).read_bytes() == (site / index).read_bytes(), where
        shutil.rmtree(clean)
