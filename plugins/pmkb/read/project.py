"""Finding pmkb's options in a project's `mkdocs.yml` without running MkDocs; they are validated as
the plugin's are, through `PmkbConfig`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import suppress
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import mergedeep  # type: ignore[import-untyped]
import yaml
from mkdocs.config.base import get_schema

from ..findings import Finding, finding
from ..settings import PmkbConfig, Settings, SettingsError, load_settings, with_docs_dir

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TolerantLoader(_Base):  # type: ignore[misc, valid-type]
    """Reads mkdocs.yml files that use `!ENV` or `!!python/name:` tags; their values do not matter here."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)
_TolerantLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/", lambda loader, suffix, node: None
)


def option_marks(text: str) -> dict[str, tuple[int, int]]:
    """Where each of pmkb's options is written in the configuration `text`, line and column by
    name: those under `pmkb:`, and those written beside it in its item of a list of plugins
    (indented as deep as `pmkb:` is, not deeper). None for what an `INHERIT:` parent gives."""
    try:
        root = yaml.compose(text, Loader=_TolerantLoader)
    except yaml.YAMLError:
        return {}
    plugins = _value(root, "plugins")
    found: list[yaml.Node] = []
    if isinstance(plugins, yaml.SequenceNode):
        for item in plugins.value:
            if isinstance(item, yaml.MappingNode) and any(
                isinstance(key, yaml.ScalarNode) and key.value == "pmkb" for key, _ in item.value
            ):
                found += [key for key, _ in item.value[1:]]  # beside the item's first plugin
                found += _keys(_value(item, "pmkb"))
    else:
        # The plugins' own names first: an option of the same name under `pmkb:` wins.
        found += _keys(plugins) if _value(plugins, "pmkb") is not None else []
        found += _keys(_value(plugins, "pmkb"))
    return {
        str(key.value): (key.start_mark.line + 1, key.start_mark.column + 1)
        for key in found
        if isinstance(key, yaml.ScalarNode)
    }


def _value(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name:
                return value if isinstance(value, yaml.Node) else None
    return None


def _keys(node: yaml.Node | None) -> list[yaml.Node]:
    return [key for key, _ in node.value] if isinstance(node, yaml.MappingNode) else []


def plugin_options(
    config: dict[str, Any], display: str, marks: Mapping[str, tuple[int, int]] | None = None
) -> dict[str, Any] | None:
    """The options under `plugins: - pmkb:`; None when the plugin is not listed."""
    marks = marks or {}
    plugins = config.get("plugins") or []
    if isinstance(plugins, dict):
        entries = list(plugins.items())
    elif isinstance(plugins, list):
        entries = [next(iter(p.items())) if isinstance(p, dict) and p else (p, {}) for p in plugins]
        for item in plugins:
            if isinstance(item, dict) and "pmkb" in item and len(item) > 1:
                # MkDocs refuses the file; pmkb would read one plugin of the item, or none.
                raise SettingsError([_one_item(list(item), display, marks)])
    else:
        raise SettingsError(
            [finding(display, 1, 1, "PMK601", "`plugins` must be a list of plugins")]
        )
    if isinstance(plugins, dict) and "pmkb" in plugins:
        # Options outdented to the plugins' depth: YAML reads them as plugins, which MkDocs
        # does not find, and pmkb would go without them.
        named = [str(k) for k in plugins if str(k) in _OPTION_NAMES and str(k) != "search"]
        stray = [k for k in named if k not in _installed_plugins()] if named else []
        if stray:
            raise SettingsError([_misplaced(stray, "as a plugin, beside `pmkb:`", display, marks)])
    for name, options in entries:
        if name == "pmkb":
            if options is not None and not isinstance(options, dict):
                raise SettingsError(
                    [
                        finding(
                            display,
                            1,
                            1,
                            "PMK601",
                            "the pmkb options must be a mapping of option names to values",
                        )
                    ]
                )
            options = dict(options or {})
            # MkDocs' switch for any plugin that has no `enabled` option of its own, taken out
            # before the plugin sees its options. `pmkb check` checks either way: the postmortems
            # are there to check whether this build publishes them or not. A tag such as
            # `!ENV [PMKB, true]` reads as None here.
            enabled = options.pop("enabled", None)
            if enabled is not None and not isinstance(enabled, bool):
                message = f"option `enabled` must be true or false, not {enabled!r}"
                where = marks.get("enabled", (1, 1))
                raise SettingsError([finding(display, *where, "PMK601", message)])
            return options
    return None


def _one_item(keys: list[Any], display: str, marks: Mapping[str, tuple[int, int]]) -> Finding:
    """PMK601 for an item of the list of plugins that holds `pmkb` and more: options written as
    deep as `- pmkb:` (YAML reads them as beside the plugin), or two plugins in one item."""
    names = [str(key) for key in keys]
    if names[0] == "pmkb":
        return _misplaced(names[1:], "beside `pmkb:`, not under it", display, marks)
    message = (
        f"{' and '.join(f'`{key}`' for key in names)} are one item of the list of plugins: "
        f"begin each plugin with `- `"
    )
    return finding(display, *marks.get("pmkb", (1, 1)), "PMK601", message)


def _misplaced(
    names: list[str], where: str, display: str, marks: Mapping[str, tuple[int, int]]
) -> Finding:
    """PMK601 at the first of `names`, pmkb options written `where` rather than under `pmkb:`."""
    verb = "is" if len(names) == 1 else "are"
    message = (
        f"{', '.join(f'`{key}`' for key in names)} {verb} written {where}: indent pmkb's "
        f"options deeper than `pmkb:`"
    )
    return finding(display, *marks.get(names[0], (1, 1)), "PMK601", message)


# pmkb's options by name. One that is also a plugin's name (MkDocs' `search`, or an installed
# plugin's) is no misplaced option among the plugins; the installed ones are looked up only then.
_OPTION_NAMES = frozenset(name for name, _ in get_schema(PmkbConfig))


@cache
def _installed_plugins() -> frozenset[str]:
    return frozenset(entry.name for entry in metadata.entry_points(group="mkdocs.plugins"))


def configures_pmkb(path: Path) -> bool:
    """Whether the MkDocs configuration `path` lists the pmkb plugin (its parents by `INHERIT:`
    not read); False for a file that cannot be read."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)
        return isinstance(raw, dict) and plugin_options(raw, path.name) is not None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, SettingsError):
        return False


def inherited(
    raw: Any, path: Path, display: str, depth: int = 0, loader: type[Any] | None = None
) -> Any:
    """The configuration with the file its `INHERIT:` names merged under it, as MkDocs merges
    them (mappings key by key, any other value replaced): a `mkdocs.public.yml` that inherits
    `mkdocs.yml` and sets `plugins: {pmkb: {audience: public}}` keeps the other pmkb options.
    The parents are read with `loader` (by default one that reads any tag as plain data)."""
    if not isinstance(raw, dict) or "INHERIT" not in raw:
        return raw
    raw = dict(raw)
    parent_name = raw.pop("INHERIT")
    parent_path = path.parent / str(parent_name)
    try:
        if depth >= 10:
            raise OSError("`INHERIT:` goes more than 10 files deep")
        parent = yaml.load(
            parent_path.read_text(encoding="utf-8"), Loader=loader or _TolerantLoader
        )
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        message = f"cannot read `INHERIT: {parent_name}`: {getattr(exc, 'strerror', None) or exc}"
        raise SettingsError([finding(display, 1, 1, "PMK601", message)]) from None
    parent = inherited(parent, parent_path, display, depth + 1, loader)
    if not isinstance(parent, dict):
        return raw
    return mergedeep.merge({}, parent, raw)


def configuration_files(path: Path) -> list[Path]:
    """The configuration file `path` and those its `INHERIT:` leads to, as far as they can be
    read: every file pmkb's options may be written in."""
    files = [path]
    for _ in range(10):  # as deep as `inherited` reads
        try:
            raw = yaml.load(files[-1].read_text(encoding="utf-8"), Loader=_TolerantLoader)
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            break
        if not isinstance(raw, dict) or "INHERIT" not in raw:
            break
        files.append(files[-1].parent / str(raw["INHERIT"]))
    return files


def load_project(config_file: Path | None, cwd: Path) -> Settings:
    """Settings from `mkdocs.yml` (the given one, or the one in `cwd` if any), else the defaults."""
    path = config_file or cwd / "mkdocs.yml"
    if config_file is None and not path.exists():
        return load_settings({}, cwd)
    display = path.as_posix()
    if path.is_absolute():
        # As given, where no relative path leads to it (Windows: on another drive than `cwd`).
        with suppress(ValueError):
            display = Path(os.path.relpath(path, cwd)).as_posix()
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=_TolerantLoader)
    except OSError as exc:
        raise SettingsError(
            [
                finding(
                    display, 1, 1, "PMK601", f"cannot read the configuration: {exc.strerror or exc}"
                )
            ]
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SettingsError(
            [
                finding(
                    display,
                    line,
                    col,
                    "PMK601",
                    f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                )
            ]
        ) from None
    raw = inherited(raw, path, display)
    marks = option_marks(text)
    options = plugin_options(raw, display, marks) if isinstance(raw, dict) else None
    if options is None:
        options = {}
    settings = load_settings(options, path.parent, display, marks)
    config = raw if isinstance(raw, dict) else {}
    # MkDocs' own defaults; a value pmkb cannot read (a tag such as `!ENV`) counts as unset.
    docs_dir = config.get("docs_dir")
    directory_urls = config.get("use_directory_urls")
    return with_docs_dir(
        settings,
        docs_dir if isinstance(docs_dir, str) and docs_dir else "docs",
        directory_urls if isinstance(directory_urls, bool) else True,
        display,
    )
