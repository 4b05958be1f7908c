"""`pmkb schema`: the JSON Schema of the front matter, with the catalogs' ids."""

from __future__ import annotations

import argparse

from ..findings import safe_json
from ..read.catalog import catalog_of
from ..read.schema import json_schema
from .common import EXIT_OK, Commands, project_settings


def add_to(commands: Commands, project: argparse.ArgumentParser) -> None:
    """Add the command's parser, with the shared project options, to `commands`."""
    schema = commands.add_parser(
        "schema",
        parents=[project],
        help="print the JSON Schema of the front matter",
        description="Print the JSON Schema of a postmortem's front matter, with the catalog ids.",
    )
    schema.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = project_settings(args)
    catalog, _ = catalog_of(settings)
    factor_ids = [*catalog.factors, *catalog.alias_map]
    print(safe_json(json_schema(settings, list(catalog.services), factor_ids)))
    return EXIT_OK
