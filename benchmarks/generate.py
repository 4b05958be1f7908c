"""Seeded, reproducible synthetic postmortems for the benchmarks.

    python benchmarks/generate.py 1000 benchmarks/work/pmkb-1000 [--seed 1]

writes a project folder: `mkdocs.yml` (Material, search, pmkb), `docs/index.md` and
`postmortems/` (the example catalogs, and N postmortems of about 5 KB each, under one folder per
year). The same seed and N always give the same bytes. Every file passes `pmkb check` without
errors: services and factors come from the example catalogs, timelines are in order, the four
times are in order, and the prose avoids the phrases pmkb reports as blame language.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CATALOG_DIR = REPO / "postmortems"
FIRST_DAY = date(2020, 1, 6)
LAST_DAY = date(2026, 11, 27)
MARKDOWN_EXTENSIONS = [
    "admonition",
    "attr_list",
    "md_in_html",
    "tables",
    {"toc": {"permalink": True}},
    "pymdownx.superfences",
    "pymdownx.details",
]

SEVERITIES = [("SEV1", 4), ("SEV2", 18), ("SEV3", 46), ("SEV4", 32)]
STATUSES = [("published", 92), ("in-review", 5), ("draft", 3)]
ACTION_STATUSES = [("done", 55), ("open", 20), ("in-progress", 15), ("wont-do", 10)]

FIRST_NAMES = [
    "Ines",
    "Daniel",
    "Amara",
    "Jonas",
    "Priya",
    "Tomasz",
    "Lea",
    "Kofi",
    "Mei",
    "Rafael",
    "Sanna",
    "Yusuf",
    "Elena",
    "Marcus",
    "Aiko",
    "Nadia",
    "Oskar",
    "Leila",
    "Mateo",
    "Hana",
    "Viktor",
    "Chidi",
    "Freya",
    "Arjun",
    "Zofia",
    "Emeka",
    "Lucia",
    "Henrik",
    "Noor",
    "Pablo",
]
LAST_NAMES = [
    "Carvalho",
    "Okafor",
    "Lindqvist",
    "Novak",
    "Raman",
    "Mensah",
    "Schultz",
    "Tanaka",
    "Haddad",
    "Kowalski",
    "Moreau",
    "Osei",
    "Petrov",
    "Alvarez",
    "Nakamura",
    "Brennan",
    "Ivanova",
    "Kaur",
    "Fischer",
    "Adeyemi",
    "Rossi",
    "Berg",
    "Santos",
    "Dubois",
    "Yilmaz",
]

SYMPTOMS = [
    "errors",
    "elevated latency",
    "timeouts",
    "failed requests",
    "partial outage",
    "degraded performance",
    "stale data",
    "duplicate messages",
    "slow page loads",
    "failed sign-ins",
    "missing updates",
    "delayed orders",
]
CAUSES = [
    "a configuration rollout",
    "a database failover",
    "a certificate renewal",
    "a dependency upgrade",
    "a schema migration",
    "a traffic spike",
    "a cache eviction",
    "a node pool upgrade",
    "a zone outage",
    "a vendor incident",
    "a feature flag change",
    "a connection pool limit",
    "a disk filling up",
    "a retry loop",
    "an index rebuild",
    "a load balancer change",
    "a DNS change",
    "a consumer rebalance",
]
COMPONENTS = [
    "the connection pool",
    "the read replicas",
    "the cache tier",
    "the message consumers",
    "the rate limiter",
    "the autoscaler",
    "the rollout controller",
    "the session store",
    "the job scheduler",
    "the health checks",
    "the ingress proxies",
    "the batch importer",
    "the primary database",
    "the worker queue",
    "the TLS terminators",
]
METRICS = [
    "p99 latency",
    "error rate",
    "queue depth",
    "CPU saturation",
    "connection count",
    "consumer lag",
    "heap usage",
    "request volume",
    "cache hit ratio",
    "disk usage",
]
TEAMS = [
    "team-web",
    "team-mobile",
    "team-edge",
    "team-payments",
    "team-identity",
    "team-discovery",
    "team-fulfilment",
    "team-logistics",
    "team-growth",
    "team-data-platform",
    "team-platform",
]
CHANNELS = ["web", "the iOS app", "the Android app", "the courier app", "partner integrations"]
REGIONS = ["Lisbon", "Porto", "Berlin", "Hamburg", "Amsterdam", "Rotterdam", "Madrid", "Valencia"]
VERBS_ACTION = [
    "Add",
    "Automate",
    "Document",
    "Alert on",
    "Load-test",
    "Stage the rollout of",
    "Add a canary for",
    "Set a budget for",
    "Review the limits of",
    "Drill the failover of",
]

SUMMARY = [
    "From {start} to {end} UTC on {day}, {service} returned {symptom} for a share of requests.",
    "The trigger was {cause}, which changed how {component} behaved under normal load.",
    "Customers on {channel} saw {symptom} while {component} recovered.",
    "We mitigated by rolling back the change and shedding load from {component}.",
    "The {metric} of {service} rose well above its usual range before any alert fired.",
    "Recovery took longer than planned because the runbook described an older set-up.",
    "Traffic in {region} was affected first, then the rest of the fleet followed.",
    "No data was lost, but {count} orders needed a manual follow-up by support.",
    "{service} depends on {other}, and the failure spread along that path within minutes.",
    "The first signal was a rise in the {metric} of {other}, which looked like ordinary noise.",
    "Responders from {team} joined within minutes and took over the diagnosis of {component}.",
    "The incident ended once {component} had drained its backlog and the {metric} was back to normal.",
]
IMPACT = [
    "- {minutes} minutes during which about {pct}% of requests to {service} failed.",
    "- {count} customers saw {symptom} on {channel}.",
    "- Support received {count2} contacts about the incident.",
    "- About {count3} orders were delayed by more than an hour.",
    "- {other} ran at reduced capacity for {minutes2} minutes.",
    "- Couriers in {region} waited for assignments for up to {minutes2} minutes.",
    "- Internal dashboards showed stale figures until the backlog drained.",
]
EVENTS = [
    "{cause_cap} reaches production.",
    "The {metric} of {service} starts to climb.",
    "{component_cap} begins to reject connections.",
    "A customer report arrives in the support channel.",
    "The on-call engineer for {team} is paged.",
    "Incident declared; an incident commander is assigned.",
    "Dashboards show the {metric} far above its baseline.",
    "The team decides to roll back the most recent change.",
    "Rollback starts through the deploy pipeline.",
    "{scale} more instances are added to {component}.",
    "Traffic to {other} is reduced to protect it.",
    "The {metric} returns to its normal range.",
    "Error rate back under 0.1%. Mitigated.",
    "Queued work is replayed and verified.",
    "Status page updated; support informed.",
    "Follow-up checks pass in every region.",
    "Incident resolved.",
]
FACTOR_TEXT = [
    "{component_cap} had a limit that was sized for last year's traffic, and nothing reported how close we were to it.",
    "The change passed every test we had, because the tests ran against a much smaller data set than production.",
    "The alert on {metric} used a long window, which kept it quiet during ordinary spikes and also during this one.",
    "Ownership of {component} had moved between teams, and the runbook still named the previous owner.",
    "The rollout reached every region within minutes, so there was no canary phase in which to notice the change.",
    "Retries from {other} had no budget, so a small failure rate multiplied the load on {service}.",
    "{service} and {other} shared one pool of connections, so trouble in one became trouble in both.",
    "The dashboards showed averages, and the problem was visible only in the tail of the distribution.",
    "The vendor's status page reported no issue for the first forty minutes of the incident.",
    "The configuration system accepted the new value without checking its unit or its range.",
    "Capacity planning for {service} assumed a steady week, and {cause} arrived during the busiest hour.",
    "{component_cap} restarted all at once after the change, so every client reconnected in the same second.",
    "The metric that would have shown the problem, the {metric} of {other}, was collected but not on any dashboard.",
    "A timeout of thirty seconds in {service} sat in front of a timeout of sixty seconds in {other}, so requests were abandoned while work continued.",
]
LESSONS = [
    "Limits that protect a system should be visible next to the load that approaches them.",
    "A rollback that has not been rehearsed recently is an unknown, and we now drill it every quarter.",
    "Alerts on symptoms customers feel caught this class of problem faster than alerts on causes.",
    "Staged rollouts gave us time to notice problems before they reached every customer.",
    "Runbooks are part of the system and need an owner, a review date and a test.",
    "Separating the connection pools of {service} and {other} keeps a failure in one place.",
    "The incident channel worked well: decisions and their reasons were written down as they happened.",
    "Knowing who may make a costly decision in advance saves minutes when they matter.",
    "Load tests of {service} now use a copy of production-sized data, refreshed every month.",
    "Every limit in {component} now has an alert at eighty percent, routed to the owning team.",
    "We will review how {other} retries, and give every client a retry budget with backoff.",
]
DETAILS = [
    "The graphs for {region} show it first.",
    "This is noted in the incident channel.",
    "The change is confirmed in the deploy log.",
    "Two engineers from {team} join the call.",
    "The status page is updated at the same time.",
    "Support is asked to collect order numbers.",
    "The decision and its reason are written down in the channel.",
    "The {metric} is watched for ten more minutes before the next step.",
]
WENT_WELL = [
    "- The rollback worked the first time.",
    "- Support had a clear message for customers within fifteen minutes.",
    "- {team} joined quickly and had the access they needed.",
    "- Dashboards for {service} made the diagnosis straightforward.",
]


@dataclass(frozen=True)
class Project:
    """A generated project: its folder, the postmortem files, and how many are drafts."""

    root: Path
    files: tuple[Path, ...]
    drafts: tuple[Path, ...]


def _skewed(items: list[str], exponent: float) -> list[tuple[str, float]]:
    """Zipf-like weights: a few services and factors are in most incidents, as in real life."""
    return [(item, 1.0 / (rank + 1) ** exponent) for rank, item in enumerate(items)]


def _pick(rng: random.Random, weighted: list[tuple[str, float]] | list[tuple[str, int]]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def _distinct(rng: random.Random, weighted: list[tuple[str, float]], k: int) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < k:
        item = _pick(rng, weighted)
        if item not in chosen:
            chosen.append(item)
    return chosen


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:00Z")


class Writer:
    """Draws one postmortem at a time from a seeded random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        services = yaml.safe_load((CATALOG_DIR / "services.yml").read_text(encoding="utf-8"))
        # The generated postmortems are internal: one naming a restricted service would be an
        # error (PMK119), so such services are left out.
        services = {k: v for k, v in services.items() if v.get("visibility") != "restricted"}
        factors = yaml.safe_load((CATALOG_DIR / "factors.yml").read_text(encoding="utf-8"))
        self.service_names = {k: v["name"] for k, v in services.items()}
        order = random.Random(seed + 1)
        service_ids, factor_ids = list(services), list(factors)
        order.shuffle(service_ids)
        order.shuffle(factor_ids)
        self.services = _skewed(service_ids, 0.9)
        self.factors = _skewed(factor_ids, 0.8)
        self.people = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
        self.used: set[str] = set()

    def fill(self, template: str, ctx: dict[str, str]) -> str:
        return template.format(**ctx)

    def postmortem(self) -> tuple[str, str, str]:
        """(relative path, text, status) of the next postmortem."""
        rng = self.rng
        span = (LAST_DAY - FIRST_DAY).days
        # More incidents in later years (the company grows), a few clusters around November.
        day = FIRST_DAY + timedelta(days=int(span * rng.random() ** 0.8))
        if rng.random() < 0.06:
            day = date(day.year, 11, rng.randint(20, 30))
        services = _distinct(rng, self.services, rng.choices([1, 2, 3], [45, 40, 15])[0])
        factors = _distinct(rng, self.factors, rng.choices([1, 2, 3, 4], [20, 40, 30, 10])[0])
        severity = _pick(rng, SEVERITIES)
        status = _pick(rng, STATUSES)
        symptom = rng.choice(SYMPTOMS)
        cause = rng.choice(CAUSES)
        main = self.service_names[services[0]]
        others = [self.service_names[s] for s in services[1:]] or [
            self.service_names[_pick(rng, self.services)]
        ]
        title = f"{main} {symptom} after {cause}"
        slug = _slug(f"{services[0]} {symptom} {cause.split(' ', 1)[1]}")[:60].strip("-")
        name = f"{day.isoformat()}-{slug}"
        suffix = 2
        while name in self.used:
            name = f"{day.isoformat()}-{slug}-{suffix}"
            suffix += 1
        self.used.add(name)

        started = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            minutes=rng.randint(0, 23 * 60 - 1)
        )
        detected = started + timedelta(minutes=rng.randint(1, 45))
        mitigated = detected + timedelta(minutes=rng.randint(5, 240))
        resolved = mitigated + timedelta(minutes=rng.randint(10, 24 * 60))
        ctx = {
            "service": main,
            "other": others[0],
            "symptom": symptom,
            "cause": cause,
            "cause_cap": cause[0].upper() + cause[1:],
            "component": rng.choice(COMPONENTS),
            "metric": rng.choice(METRICS),
            "channel": rng.choice(CHANNELS),
            "region": rng.choice(REGIONS),
            "team": rng.choice(TEAMS),
            "start": f"{started:%H:%M}",
            "end": f"{mitigated:%H:%M}",
            "day": f"{day.day} {day:%B %Y}",
            "count": f"{rng.randint(12, 9000):,}",
            "count2": f"{rng.randint(5, 900):,}",
            "count3": f"{rng.randint(10, 3000):,}",
            "minutes": str(int((mitigated - started).total_seconds() // 60)),
            "minutes2": str(rng.randint(5, 120)),
            "scale": str(rng.randint(2, 12)),
            "pct": str(rng.randint(2, 95)),
        }
        ctx["component_cap"] = ctx["component"][0].upper() + ctx["component"][1:]

        front = {
            "title": title,
            "date": day,
            "severity": severity,
            "status": status,
            "services": services,
            "contributing_factors": factors,
            "authors": rng.sample(self.people, rng.choices([1, 2, 3], [40, 45, 15])[0]),
            "started": _iso(started),
            "detected": _iso(detected),
            "mitigated": _iso(mitigated),
            "resolved": _iso(resolved),
            "action_items": [
                self.action_item(day, services, ctx) for _ in range(rng.randint(2, 5))
            ],
        }
        text = (
            "---\n"
            + self.front_matter(front)
            + "---\n\n"
            + self.body(ctx, factors, started, resolved)
        )
        return f"{day.year}/{name}.md", text, status

    def action_item(self, day: date, services: list[str], ctx: dict[str, str]) -> dict[str, object]:
        rng = self.rng
        subject = rng.choice([ctx["component"], f"the {ctx['metric']} of {ctx['service']}"])
        item: dict[str, object] = {
            "title": f"{rng.choice(VERBS_ACTION)} {subject}",
            "owner": rng.choice(TEAMS),
            "status": _pick(rng, ACTION_STATUSES),
        }
        if rng.random() < 0.85:
            item["due"] = day + timedelta(days=rng.randint(7, 120))
        if rng.random() < 0.8:
            item["link"] = (
                f"https://tracker.larkspur.example/{services[0][:3].upper()}-{rng.randint(100, 9999)}"
            )
        return item

    def front_matter(self, front: dict[str, object]) -> str:
        lines = []
        for key, value in front.items():
            if key == "action_items":
                lines.append("action_items:")
                for item in value:  # type: ignore[attr-defined]
                    first = True
                    for k, v in item.items():
                        shown = v.isoformat() if isinstance(v, date) else v
                        lines.append(f"  {'- ' if first else '  '}{k}: {shown}")
                        first = False
            elif isinstance(value, list):
                lines.append(f"{key}: [{', '.join(value)}]")
            elif isinstance(value, date):
                lines.append(f"{key}: {value.isoformat()}")
            else:
                lines.append(f"{key}: {value}")
        return "\n".join(lines) + "\n"

    def paragraph(self, pool: list[str], k: int, ctx: dict[str, str]) -> str:
        return " ".join(self.fill(s, ctx) for s in self.rng.sample(pool, k))

    def body(
        self, ctx: dict[str, str], factors: list[str], started: datetime, resolved: datetime
    ) -> str:
        rng = self.rng
        out = ["## Summary", "", self.paragraph(SUMMARY, rng.randint(6, 8), ctx), ""]
        out += ["## Impact", ""]
        out += [self.fill(s, ctx) for s in rng.sample(IMPACT, rng.randint(4, 6))]
        out += ["", "## Timeline", ""]
        count = rng.randint(8, 15)
        total = int((resolved - started).total_seconds() // 60)
        inner = rng.sample(range(1, total), min(count - 2, total - 1))
        offsets = [0, *sorted(inner), total]
        events = [
            EVENTS[0],
            *sorted(rng.sample(EVENTS[1:-1], len(offsets) - 2), key=EVENTS.index),
            EVENTS[-1],
        ]
        for offset, event in zip(offsets, events, strict=True):
            moment = started + timedelta(minutes=offset)
            stamp = (
                f"{moment:%H:%M}" if moment.date() == started.date() else f"{moment:%Y-%m-%d %H:%M}"
            )
            detail = f" {self.fill(rng.choice(DETAILS), ctx)}" if rng.random() < 0.6 else ""
            out.append(f"- {stamp} UTC — {self.fill(event, ctx)}{detail}")
        out += ["", "## Contributing factors", ""]
        for factor in factors:
            out += [f"### {factor.replace('-', ' ').capitalize()}", ""]
            out += [self.paragraph(FACTOR_TEXT, rng.randint(3, 5), ctx), ""]
        if rng.random() < 0.5:
            out += ["## What went well", ""]
            out += [self.fill(s, ctx) for s in rng.sample(WENT_WELL, 2)]
            out.append("")
        out += ["## Lessons learned", ""]
        out += [self.paragraph(LESSONS, rng.randint(2, 3), ctx), ""]
        out += [self.paragraph(LESSONS, rng.randint(2, 3), ctx), ""]
        out += [self.paragraph(LESSONS, rng.randint(1, 2), ctx), ""]
        return "\n".join(out)


def mkdocs_config(site_name: str, nav: list[object], plugins: list[object], **extra: object) -> str:
    config: dict[str, object] = {
        "site_name": site_name,
        "theme": {"name": "material", "features": ["navigation.top", "search.suggest"]},
        "plugins": plugins,
        "markdown_extensions": MARKDOWN_EXTENSIONS,
        "nav": nav,
        **extra,
    }
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def generate(root: Path, count: int, seed: int = 1) -> Project:
    """Write a pmkb project with `count` postmortems to `root` (replacing what was there)."""
    if root.exists():
        shutil.rmtree(root)
    pm_dir = root / "postmortems"
    pm_dir.mkdir(parents=True)
    (root / "docs").mkdir()
    for name in ("services.yml", "factors.yml"):
        shutil.copyfile(CATALOG_DIR / name, pm_dir / name)
    (root / "docs" / "index.md").write_text(
        f"# Synthetic knowledge base\n\n{count} generated postmortems (seed {seed}).\n",
        encoding="utf-8",
    )
    (root / "mkdocs.yml").write_text(
        mkdocs_config(
            f"pmkb benchmark ({count})",
            [{"Home": "index.md"}],
            ["search", {"pmkb": {"postmortems_dir": "postmortems", "search": "compact"}}],
        ),
        encoding="utf-8",
    )
    writer = Writer(seed)
    files: list[Path] = []
    drafts: list[Path] = []
    for _ in range(count):
        relative, text, status = writer.postmortem()
        path = pm_dir / relative
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        files.append(path)
        if status == "draft":
            drafts.append(path)
    return Project(root, tuple(files), tuple(drafts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("count", type=int, help="how many postmortems")
    parser.add_argument("out", type=Path, help="the project folder to write (replaced)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    project = generate(args.out, args.count, args.seed)
    size = sum(p.stat().st_size for p in project.files)
    print(
        f"{len(project.files)} postmortems ({len(project.drafts)} drafts), "
        f"{size / len(project.files) / 1024:.1f} KiB each on average, in {project.root}"
    )


if __name__ == "__main__":
    main()
