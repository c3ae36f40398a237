"""``--show-settings`` and ``--show-files``: what portlint would use, to debug a configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portlint.workspace import Workspace


def settings_lines(workspace: "Workspace", path: str) -> list[str]:
    """The settings ``path`` is checked with: the config file it comes from, then each key
    with its value and where that value was set."""
    settings = workspace.settings_for(path)
    workspace.linter_of(settings)  # unknown selectors are errors here too
    sources = dict(settings.sources)
    lines = [
        f"Settings for {path}",
        f"config file: {settings.config_file if settings.config_file else '(none: defaults)'}",
        f"root: {settings.root}",
    ]
    from portlint.config import setting_fields

    rows = settings.describe()
    width = max(len(name) for name, _ in rows)
    for key, (name, value) in zip(setting_fields(), rows):
        where = sources.get(key.name)
        lines.append(f"{name.ljust(width)} = {value}" + (f"    # {where}" if where else "    # default"))
    return lines


def files_lines(workspace: "Workspace", paths: list[str]) -> tuple[list[str], list[str]]:
    """(the files that would be checked, in order; discovery's problems)."""
    found = workspace.discover(paths)
    return list(found.files), [str(error) for error in found.errors]
