"""What every page template shares: the Jinja environment, and the chips and badges it shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import cast

from jinja2 import BytecodeCache, Environment, PackageLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup

from ...analyse.trends import elapsed
from ...model import Catalog
from ...urls import Site
from ..blocks import block
from .incident_html import action_items
from .text import ITEM_LABELS, STATUS_LABELS, duration, markdown_text, span, ticket, why

LIST_LIMIT = 50  # rows of a list on one page; beyond it the page links to the full table or export
# Per factor, on the trends and action-items pages: these lists grow with the history otherwise.
PER_FACTOR_LIMIT = 10
# Years named in the note on incidents left off the time axes; the rest are in the incidents table.
LEFT_OUT_YEARS = 10


class _CompiledOnce(BytecodeCache):
    """Each template compiled once a process: `mkdocs serve` makes a new environment for every
    rebuild, and compiling pmkb's templates again took most of a rebuild's page rendering."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # checked against the template's source by Jinja

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledOnce()


def environment(catalog: Catalog, site: Site, today: date, badges: Badges) -> Environment:
    """The templates' environment, with pmkb's filters and the values every page may show.

    Nothing it holds refers to a renderer or the knowledge base (a Jinja environment and its
    templates refer to each other): the knowledge base is freed as soon as the last page is
    rendered, not at the next full garbage collection.
    """
    env = Environment(
        loader=PackageLoader("pmkb.site", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        bytecode_cache=_COMPILED,
        # The templates are pmkb's own and do not change during a build, and each build has its
        # own environment: checking their files at every page was two `stat` calls a page.
        auto_reload=False,
    )
    env.filters.update(
        duration=duration,
        md=markdown_text,
        block=block,
        ticket=ticket,
        why=lambda r: why(r, catalog),
        span=span,
    )
    env.globals.update(
        site=site,
        catalog=catalog,
        today=today,
        sev=badges.sev,
        status=badges.status,
        item_label=lambda s: ITEM_LABELS.get(s, s),
        elapsed=elapsed,
        action_items=action_items,
        list_limit=LIST_LIMIT,
        per_factor_limit=PER_FACTOR_LIMIT,
        left_out_years=LEFT_OUT_YEARS,
    )
    return env


def snippet(env: Environment, name: str) -> Callable[..., Markup]:
    """A macro of templates/_snippets.j2, to call from Python."""
    return cast("Callable[..., Markup]", getattr(env.get_template("_snippets.j2").module, name))


class Chips:
    """Service and factor names linking to their pages, each made once per page depth."""

    def __init__(self, catalog: Catalog, site: Site, env: Environment) -> None:
        self._catalog = catalog
        self._site = site
        self._chip = snippet(env, "chip")
        self._made: dict[tuple[str, str, str], Markup] = {}

    def make(self, kind: str, ident: str, root: str) -> Markup:
        """The chip of service or factor `ident` on a page `root` away from the site's root."""
        key = (kind, ident, root)
        made = self._made.get(key)
        if made is None:
            service = kind == "service"
            entry = (self._catalog.services if service else self._catalog.factors).get(ident)
            src = self._site.service(ident) if service else self._site.factor(ident)
            label = "Service" if service else "Contributing factor"
            name = entry.name if entry else ident
            made = self._chip(kind, root + self._site.url(src), label, ident, name)
            self._made[key] = made
        return made


class Badges:
    """Severity and status badges, each made once per value: a page shows the same few many times."""

    def __init__(self, severities: tuple[str, ...]) -> None:
        self._rank = {s: i + 1 for i, s in enumerate(severities)}
        self._made: dict[tuple[str, str, str], Markup] = {}

    def sev(self, severity: str | None) -> Markup:
        """The badge of a severity, numbered by its rank (0 for one the settings do not list)."""
        return self._made_once("sev", str(self._rank.get(severity or "", 0)), severity or "?")

    def status(self, status: str | None) -> Markup:
        """The badge of a postmortem's status."""
        return self._made_once(
            "status", str(status), STATUS_LABELS.get(status or "", status or "?")
        )

    def _made_once(self, kind: str, modifier: str, text: str) -> Markup:
        key = (kind, modifier, text)
        badge = self._made.get(key)
        if badge is None:
            badge = Markup('<span class="pmkb-{0} pmkb-{0}--{1}">{2}</span>').format(
                kind, modifier, text
            )
            self._made[key] = badge
        return badge
