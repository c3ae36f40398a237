"""Checking an unsaved text buffer with the configuration of the file it belongs to.

The language server checks what the editor holds, not what is on disk, and each file with
the configuration nearest to it (a workspace may hold several projects). ``Projects``
keeps one ``Linter`` per configuration file (loaded once, reloaded when the file changes)
and answers ``check(text, path)``: the findings ``portlint check`` would report for that
file if it held ``text`` (per-file ignores applied; nothing for an excluded file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from portlint.errors import PortlintError
from portlint.findings import FileError, Finding

if TYPE_CHECKING:
    from portlint.engine import Linter

CONFIG_NAMES = ("pyproject.toml", "portlint.toml")


@dataclass
class Checked:
    """A buffer's check: findings, or why it could not be checked."""

    findings: list[Finding] = field(default_factory=list)
    error: FileError | None = None  # the file could not be checked (syntax error...)
    config_error: str | None = None  # the configuration could not be loaded
    linter: "Linter | None" = None
    excluded: bool = False


class Projects:
    """Linters per configuration file, for files anywhere on disk (or in no file at all)."""

    def __init__(self, default_root: Path | None = None) -> None:
        self.default_root = default_root or Path.cwd()
        self._config_of_dir: dict[Path, Path | None] = {}
        self._linters: dict[Path | None, tuple[float | None, "Linter"]] = {}

    def forget(self) -> None:
        """Configuration files changed (saved, created, deleted): look them up again."""
        self._config_of_dir.clear()
        self._linters.clear()

    def linter_for(self, path: Path | None) -> "Linter":
        """The linter for ``path`` (None: an unsaved buffer, configured from the workspace
        root). Raises PortlintError for a broken configuration."""
        from portlint.config import find_config

        directory = (path.parent if path is not None else self.default_root).resolve()
        if directory not in self._config_of_dir:
            self._config_of_dir[directory] = find_config(directory)
        config = self._config_of_dir[directory]
        stamp = _mtime(config)
        cached = self._linters.get(config)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        linter = _load(config, directory)
        self._linters[config] = (stamp, linter)
        return linter

    def check(self, text: str, path: Path | None) -> Checked:
        try:
            linter = self.linter_for(path)
        except PortlintError as exc:
            return Checked(config_error=str(exc))
        shown = str(path) if path is not None else "untitled.py"
        if path is not None and _excluded(path, linter):
            return Checked(linter=linter, excluded=True)
        result = linter.check_text(text, shown)
        findings = result.findings
        if findings and path is not None:
            findings = linter._apply_per_file_ignores(shown, findings)
        return Checked(findings=findings, error=result.error, linter=linter)


def _mtime(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _load(config: Path | None, directory: Path) -> "Linter":
    from portlint.config import load_settings
    from portlint.engine import Linter

    settings = load_settings(config, directory)
    return Linter.from_settings(settings)


def _excluded(path: Path, linter: "Linter") -> bool:
    """``exclude`` applies to the files an editor opens, as to the files ``portlint check``
    finds (and as ``--force-exclude`` applies it to files named on the command line)."""
    from portlint.discovery import _force_excluded

    settings = linter.settings
    return bool(settings.exclude) and _force_excluded(path, settings, settings.root.resolve())
