"""Checking an unsaved text buffer as the file it belongs to (for the language server).

The editor's text, not the disk's, is checked, with the configuration nearest to the file
(``portlint.workspace.Workspace``): the findings ``portlint check`` would report for that
file if it held the text, per-file ignores applied, nothing for a file its configuration
excludes. A broken configuration is reported, never silently replaced by defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from portlint.errors import PortlintError
from portlint.findings import FileError, Finding

if TYPE_CHECKING:
    from portlint.engine import Linter
    from portlint.workspace import Workspace

UNTITLED = "untitled.py"  # the name of a buffer that is no file (yet)


@dataclass
class Checked:
    """A buffer's check: findings, or why it could not be checked."""

    findings: list[Finding] = field(default_factory=list)
    error: FileError | None = None  # the file could not be checked (syntax error...)
    config_error: str | None = None  # its configuration could not be loaded
    linter: "Linter | None" = None
    excluded: bool = False


def check_buffer(workspace: "Workspace", text: str, path: Path | None) -> Checked:
    """Check ``text`` as the file ``path`` (None: an unsaved buffer, which gets the settings
    of the workspace's directory)."""
    name = str(path) if path is not None else str(workspace.cwd / UNTITLED)
    try:
        linter = workspace.linter_for(name)
        if path is not None and workspace.is_excluded(name):
            return Checked(linter=linter, excluded=True)
        result = workspace.check_text(text, name)
    except PortlintError as exc:
        return Checked(config_error=str(exc))
    return Checked(findings=result.findings, error=result.error, linter=linter)
