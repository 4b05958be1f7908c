"""Custom fields: the front-matter keys a team declares in the `custom_fields` option, and how
their values are shown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ..model import STATUSES, CustomValue
from ..suggest import did_you_mean
from .schema import FIELD_NAMES

TYPES = ("text", "number", "date", "enum", "list")
KEYS = ("type", "values", "required_from", "card", "filter", "label", "public")
FLAGS = ("card", "filter", "public")
# A name is a front-matter key, a JSON key and a CSV column: plain words keep it one in all.
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Names a field may not take: pmkb's own keys; the columns the exports (site/export.py) add
# beside them, which a field's column would otherwise overwrite; and the incidents table's
# filters and the search page's parameters, which a field's filter would be taken for.
RESERVED = (
    *FIELD_NAMES,
    "service",
    "factor",
    "year",
    "review",
    "query",
    "minutes_to_detect",
    "minutes_to_mitigate",
    "minutes_to_resolve",
    "minutes_from",
    "action_items_open",
    "action_items_overdue",
    "url",
)


@dataclass(frozen=True)
class CustomField:
    """One declared field: its key, its type and where it shows."""

    name: str
    type: str
    label: str
    values: tuple[str, ...] = ()  # an enum's allowed values, in the order written
    required_from: str | None = None  # the first status that requires it
    card: bool = False
    filter: bool = False
    # Internal unless said: a team's own field (a customer's name, an amount lost) is as
    # confidential as the postmortem's internal sections, which a public site leaves out.
    public: bool = False

    def required_at(self, status: str) -> bool:
        """Whether a postmortem of `status` must set the field."""
        return (
            self.required_from is not None
            and status in STATUSES
            and STATUSES.index(status) >= STATUSES.index(self.required_from)
        )


def parse_custom_fields(raw: object) -> tuple[tuple[CustomField, ...], list[str]]:
    """The fields the option declares, in its order, and what is wrong with it (one sentence
    each); a field with a problem is left out."""
    if not isinstance(raw, dict):
        return (), [f"must map field names to their declarations, not {type(raw).__name__}"]
    fields: list[CustomField] = []
    problems: list[str] = []
    for name, spec in raw.items():
        problem = _name_problem(name)
        if problem is None:
            field, problem = _declaration(str(name), spec)
            if field is not None:
                fields.append(field)
        if problem is not None:
            problems.append(problem)
    return tuple(fields), problems


def _name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not _NAME.match(name):
        return (
            f"names a field `{name}`: a field's name is lowercase letters, digits and `_`, "
            "starting with a letter"
        )
    if name in RESERVED:
        return f"declares `{name}`, a key pmkb already reads or exports; name the field otherwise"
    return None


def _declaration(name: str, spec: object) -> tuple[CustomField | None, str | None]:
    """The field `spec` declares, or the first thing wrong with it."""
    if not isinstance(spec, dict):
        return None, f"declares `{name}` as `{spec}`: write a mapping such as `{{type: text}}`"
    for key in spec:
        if key not in KEYS:
            return None, f"`{name}` has an unknown key `{key}`{did_you_mean(str(key), KEYS)}"
    kind = spec.get("type")
    if kind not in TYPES:
        return None, (
            f"`{name}` has `type: {kind}`, not one of {', '.join(TYPES)}"
            f"{did_you_mean(str(kind), TYPES)}"
        )
    values = spec.get("values")
    if kind == "enum":
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and v.strip() for v in values)
        ):
            return None, (
                f"`{name}` is an enum and needs `values`, a list of words (quote `yes`, `no` "
                "and numbers): `values: [none, some, all]`"
            )
        if len(set(values)) < len(values):
            return None, f"`{name}` lists a value twice in `values`"
    elif values is not None:
        return None, f"`{name}` has `values`, which only an enum has"
    required = spec.get("required_from")
    if required is not None and required not in STATUSES:
        return None, (
            f"`{name}` has `required_from: {required}`, not one of {', '.join(STATUSES)}"
            f"{did_you_mean(str(required), STATUSES)}"
        )
    for flag in FLAGS:
        if not isinstance(spec.get(flag, False), bool):
            return None, f"`{name}` has `{flag}: {spec[flag]}`: write `true` or `false`"
    label = spec.get("label", name.replace("_", " ").capitalize())
    if not isinstance(label, str) or not label.strip():
        return None, f"`{name}` has `label: {label}`: write the name to show, as text"
    return (
        CustomField(
            name=name,
            type=kind,
            label=" ".join(label.split()),
            values=tuple(values or ()),
            required_from=required,
            card=spec.get("card", False),
            filter=spec.get("filter", False),
            public=spec.get("public", False),
        ),
        None,
    )


def shown(value: CustomValue) -> str:
    """A value as pages, filters and CSV show it: a list's items joined by commas, a whole
    number without `.0`."""
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def filter_values(value: CustomValue | None) -> tuple[str, ...]:
    """What a filter and a facet match an incident by: each item of a list, else the value as
    shown."""
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (shown(value),)


def in_order(field: CustomField, values: Iterable[str]) -> list[str]:
    """Distinct filter values as filters and facets list them: an enum's in the order declared,
    numbers from the smallest, dates from the newest, text alphabetically."""

    def key(value: str) -> tuple[float, str, str]:
        if field.type == "enum" and value in field.values:
            return (field.values.index(value), "", value)
        if field.type == "number":
            return (float(value), "", value)
        return (0, value.casefold(), value)

    ordered = sorted(set(values), key=key)
    return ordered[::-1] if field.type == "date" else ordered
