"""The front-matter definition: the validator, the JSON Schema and the reference docs all read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model import ACTION_STATUSES, KINDS, STATUSES, VISIBILITIES

if TYPE_CHECKING:
    # Settings reads the custom fields' declarations, which are checked against FIELD_NAMES.
    from ..settings import Settings
    from .custom_fields import CustomField


@dataclass(frozen=True)
class Field:
    """One front-matter key."""

    name: str
    kind: str  # text, slug, date, datetime, severity, status, kind, services, factors, text-list, action-items
    required: bool
    doc: str


FIELDS: tuple[Field, ...] = (
    Field(
        "title",
        "text",
        True,
        "What users saw, in a short sentence: `Checkout errors after database failover`.",
    ),
    Field("date", "date", True, "The day the incident started, `YYYY-MM-DD`."),
    Field(
        "severity",
        "severity",
        True,
        "One of the configured `severities` (default `SEV1` most severe to `SEV4`).",
    ),
    Field(
        "status",
        "status",
        True,
        "`draft` (never published unless `publish_drafts`), `in-review` (published with a banner) or `published`.",
    ),
    Field("services", "services", True, "One or more ids from the services catalog."),
    Field(
        "contributing_factors",
        "factors",
        True,
        "One or more ids (or aliases) from the factors catalog.",
    ),
    Field(
        "id",
        "slug",
        False,
        "The incident's id and URL; defaults to the file name without `.md`. Lowercase letters, digits, `-`, `_`, `.`.",
    ),
    Field(
        "kind",
        "kind",
        False,
        "`incident` (the default: the impact reached users) or `near-miss` (caught before it did).",
    ),
    Field(
        "visibility",
        "visibility",
        False,
        "`public`, `internal` or `restricted`: who may read it. Defaults to `default_visibility` (`internal`).",
    ),
    Field("authors", "text-list", False, "The people who wrote the postmortem."),
    Field(
        "reviewers",
        "text-list",
        False,
        "The people who reviewed the postmortem; with `reviewed`, a recorded review.",
    ),
    Field(
        "reviewed",
        "date",
        False,
        "The day it was reviewed, `YYYY-MM-DD`: not before the incident's `date`.",
    ),
    Field(
        "started",
        "datetime",
        False,
        "When the impact began: ISO 8601 with a zone, `2026-03-12T08:02:00Z`.",
    ),
    Field(
        "detected",
        "datetime",
        False,
        "When the organisation knew: an alert fired or a report arrived.",
    ),
    Field("mitigated", "datetime", False, "When the impact on users ended."),
    Field(
        "resolved", "datetime", False, "When the incident was closed: the system back to normal."
    ),
    Field(
        "action_items",
        "action-items",
        False,
        "Follow-up work: a list of `{title, owner, status, due, link}`.",
    ),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
TIME_FIELDS = ("started", "detected", "mitigated", "resolved")

ACTION_FIELDS: tuple[Field, ...] = (
    Field("title", "text", True, "What will change."),
    Field("owner", "text", True, "The team or person who owns it."),
    Field("status", "action-status", True, "`open`, `in-progress`, `done` or `wont-do`."),
    Field("due", "date", False, "When it is due, `YYYY-MM-DD`; open items past it are overdue."),
    Field("link", "url", False, "The ticket: an `http(s)` URL."),
)
ACTION_FIELD_NAMES = tuple(f.name for f in ACTION_FIELDS)

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

# What no link may hold: controls, spaces (Unicode's too: a no-break space pasted with a URL),
# quotes, angle brackets, backslashes and backquotes. A link that holds one was mangled on its
# way in, or is meant to break out of the page's HTML or Markdown.
LINK_FORBIDDEN = (
    "\\x00-\\x20\\x7f-\\x9f\"'<>\\\\`"
    "\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
# The characters of a link's host (and user and port): ASCII only, no `[` or `]`. A non-ASCII
# or bracketed host is refused here because Python's urlsplit raises on some of them (an IPv6
# literal left open, a full-width `#`), and trackers have plain names.
LINK_HOST = "A-Za-z0-9._~%!$&()*+,;=:@-"
# An action item's link, as both `pmkb check` and `pmkb schema` read it: one pattern, in the
# syntax Python and JSON Schema (ECMA 262) share, so the two cannot disagree. Spaces and tabs
# around the URL are allowed, as the check strips them. It ends with `(?![\s\S])`, not `$`:
# Python's `$` (which jsonschema uses) also matches before a final line break, ECMA's does not.
LINK_PATTERN = (
    rf"^[ \t]*[Hh][Tt][Tt][Pp][Ss]?://[{LINK_HOST}]+(?:[/?#][^{LINK_FORBIDDEN}]*)?[ \t]*"
    r"(?![\s\S])"
)


def _json_type(kind: str, settings: Settings | None) -> dict[str, Any]:
    catalog_ids = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
    kinds: dict[str, dict[str, Any]] = {
        "text": {"type": "string", "pattern": r"\S"},
        "slug": {"type": "string", "pattern": SLUG_PATTERN},
        "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "datetime": {
            "type": "string",
            "format": "date-time",
            "pattern": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$",
        },
        "severity": {
            "type": "string",
            "enum": list(settings.severities if settings else ("SEV1", "SEV2", "SEV3", "SEV4")),
        },
        "status": {"type": "string", "enum": list(STATUSES)},
        "kind": {"type": "string", "enum": list(KINDS)},
        "visibility": {"type": "string", "enum": list(VISIBILITIES)},
        "action-status": {"type": "string", "enum": list(ACTION_STATUSES)},
        "url": {"type": "string", "pattern": LINK_PATTERN},
        "services": catalog_ids,
        "factors": catalog_ids,
        "text-list": {"type": "array", "items": {"type": "string", "pattern": r"\S"}},
    }
    if kind == "action-items":
        return {"type": "array", "items": json_object(ACTION_FIELDS, settings)}
    return dict(kinds[kind])


def _nullable(f: Field) -> bool:
    """Whether the validator accepts an empty value (`started:`, as `pmkb new` writes it)."""
    return not f.required and f.kind != "slug"


def json_object(fields: tuple[Field, ...], settings: Settings | None) -> dict[str, Any]:
    properties = {}
    for f in fields:
        prop = _json_type(f.kind, settings)
        if _nullable(f):
            prop["type"] = [prop["type"], "null"]
            if "enum" in prop:
                prop["enum"] = [*prop["enum"], None]  # `kind:` left empty is the default
        prop["description"] = f.doc
        properties[f.name] = prop
    return {
        "type": "object",
        "required": [f.name for f in fields if f.required],
        "properties": properties,
        "additionalProperties": False,
    }


def json_schema(
    settings: Settings | None = None,
    service_ids: list[str] | None = None,
    factor_ids: list[str] | None = None,
) -> dict[str, Any]:
    """The JSON Schema of a postmortem's front matter; with catalog ids, the ids are enumerated."""
    schema = json_object(FIELDS, settings)
    for custom in settings.custom_fields if settings else ():
        schema["properties"][custom.name] = _custom_property(custom)
        if custom.required_from is not None:
            schema.setdefault("allOf", []).append(_required_from(custom))
    if service_ids:
        schema["properties"]["services"]["items"]["enum"] = sorted(service_ids)
    if factor_ids:
        schema["properties"]["contributing_factors"]["items"]["enum"] = sorted(factor_ids)
    return {
        # Draft 7: what yaml-language-server and Ajv read by default; nothing newer is used.
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://pmkb.dev/schema/postmortem.json",
        "title": "pmkb postmortem front matter",
        **schema,
    }


# How each type of custom field is written, as `pmkb check` reads it.
_CUSTOM_KINDS: dict[str, dict[str, Any]] = {
    # Text is what `_text` reads: a number is taken as written.
    "text": {"type": ["string", "number", "null"], "pattern": r"\S"},
    "number": {"type": ["number", "null"]},
    "date": {**_json_type("date", None), "type": ["string", "null"]},
    # A list of one may be written as its one item, as `authors` may.
    "list": {
        **_json_type("text-list", None),
        "type": ["array", "string", "null"],
        "pattern": r"\S",
    },
}


def _custom_property(custom: CustomField) -> dict[str, Any]:
    if custom.type == "enum":
        prop: dict[str, Any] = {"type": ["string", "null"], "enum": [*custom.values, None]}
    else:
        prop = dict(_CUSTOM_KINDS[custom.type])
    needed = f" Required from `{custom.required_from}`." if custom.required_from else ""
    prop["description"] = f"{custom.label} (custom field, {custom.type}).{needed}"
    return prop


def _required_from(custom: CustomField) -> dict[str, Any]:
    """The field required, and set, when the status is `required_from` or a later one."""
    statuses = list(STATUSES[STATUSES.index(str(custom.required_from)) :])
    # Set: not left empty (`key:`), and a list not `[]`.
    given: dict[str, Any] = (
        {"anyOf": [{"type": "array", "minItems": 1}, {"type": "string"}]}
        if custom.type == "list"
        else {"not": {"type": "null"}}
    )
    return {
        "if": {"properties": {"status": {"enum": statuses}}, "required": ["status"]},
        "then": {"required": [custom.name], "properties": {custom.name: given}},
    }
