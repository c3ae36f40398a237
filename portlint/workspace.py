"""Hierarchical configuration: the settings and the linter of every file of a run.

Each file is checked with the configuration nearest to it, as ruff does: the first
``portlint.toml``, or ``pyproject.toml`` with a ``[tool.portlint]`` table, in its directory
or above (a config may ``extend`` another). A file with none above it gets the settings
of the working directory (its nearest config, else the defaults). ``--config FILE`` gives
every file that one configuration. Command-line options (``--select``, ``--target``...)
override every configuration. So the answer for a file never depends on which other paths
are named on the command line, nor on their order.

The API for the command line and the language server::

    workspace = Workspace(overrides={"target": "npu"})  # or Workspace(config=Path(...))
    workspace.settings_for("pkg/a.py")       # Settings of that file (ConfigError if a config is bad)
    workspace.linter_for("pkg/a.py")         # the Linter for it (rules, index, settings)
    workspace.is_excluded("pkg/a.py")        # would discovery skip it (its config's exclude)?
    workspace.check_text(text, "pkg/a.py")   # FileResult of a buffer / stdin, per-file-ignores applied
    workspace.fix_text(text, "pkg/a.py", unsafe=False)  # FileFix: .text is the fixed source
    workspace.check_paths(["."], jobs=None, cache=True)   # Report of a run (what `portlint check` does)
    workspace.fix_paths(["."], unsafe=False, write=True)  # FixRun (what `portlint fix` does)
    workspace.reload()                       # forget loaded configs (after a config file changed)

Every method raises :class:`~portlint.errors.PortlintError` (one-line message naming the
file, line and key) for a bad configuration, an unknown rule selector or a bad ruleset;
problems with a checked file are never raised, they are in the result's ``error``.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from portlint.config import (Settings, check_codes, check_min_torch, check_target, config_in, load_config,
                             load_settings, path_matches)
from portlint.errors import ConfigError
from portlint.project import NOTHING, Declared, declared_for

if TYPE_CHECKING:
    from portlint.discovery import Discovery
    from portlint.engine import Linter
    from portlint.findings import FileResult, Report
    from portlint.fixer import FileFix, FixRun
    from portlint.rules import Ruleset

# Command-line overrides: option -> check of its value.
_OVERRIDE_CHECKS: dict[str, Callable[..., Any]] = {
    "target": check_target, "select": check_codes, "extend_select": check_codes, "ignore": check_codes,
    "min_torch": check_min_torch,
}


class Workspace:
    def __init__(self, config: Path | None = None, overrides: dict[str, Any] | None = None,
                 cwd: Path | None = None) -> None:
        """``config``: one config file for every file (``--config``); ``overrides``: settings
        from the command line (None values are ignored; see ``Settings.with_overrides``)."""
        self.config = config
        self.cwd = (cwd or Path.cwd()).resolve()
        self.overrides = _checked_overrides(overrides or {})
        self.reload()

    def reload(self) -> None:
        """Forget every loaded configuration, ruleset and linter."""
        self._by_directory: dict[str, Settings] = {}
        self._linters: dict[Settings, Linter] = {}
        self._rulesets: dict[tuple[Path, ...], Ruleset] = {}
        self._fixed: Settings | None = None
        if self.config is not None:
            if not self.config.is_file():
                raise ConfigError(f"config file not found: {self.config}")
            self._fixed = self._apply(load_settings(self.config))
        self._fallback: Settings | None = None
        self._roots: dict[Path, Declared] = {}  # directory -> what its project declares (portlint.project)
        self._declared: dict[tuple[Settings, Declared], Settings] = {}

    # ------------------------------------------------------------------ settings

    @property
    def default_settings(self) -> Settings:
        """The settings of the working directory (files with no config above them get these)."""
        if self._fixed is not None:
            return self._fixed
        if self._fallback is None:
            self._fallback = self._settings_of_directory(self.cwd, fallback=False) or self._apply(Settings(root=self.cwd))
        return self._fallback

    def settings_for(self, path: str | os.PathLike[str]) -> Settings:
        """The settings of a file (or of a directory's files): its configuration, then what
        its project declares (``portlint.project``) where the configuration does not say."""
        absolute = os.path.abspath(path)
        directory = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
        settings = self._fixed if self._fixed is not None else self._settings_of_directory(Path(directory))
        return self._with_declared(settings, directory)

    def _with_declared(self, settings: Settings, directory: str) -> Settings:
        """``settings`` with the oldest torch and Python the project of ``directory``
        declares, for the keys that neither its configuration nor the command line set."""
        configured = dict(settings.sources)
        if "min_torch" in configured and "target_version" in configured:
            return settings
        declared = declared_for(Path(directory), self._roots)
        if declared == NOTHING:
            return settings
        key = (settings, declared)
        result = self._declared.get(key)
        if result is None:
            values: dict[str, Any] = {}
            sources = dict(settings.sources)
            if declared.torch is not None and "min_torch" not in configured:
                values["min_torch"] = declared.torch
                sources["min_torch"] = declared.torch_where
            if declared.python is not None and "target_version" not in configured:
                values["target_version"] = declared.python
                sources["target_version"] = declared.python_where
            result = replace(settings, **values, sources=tuple(sources.items())) if values else settings
            self._declared[key] = result
        return result

    def _settings_of_directory(self, directory: Path, fallback: bool = True) -> Settings | None:
        key = str(directory)
        found = self._by_directory.get(key)
        if found is not None:
            return found
        # Walk up to the nearest directory already known or holding a config.
        chain: list[str] = []
        current = directory
        settings: Settings | None = None
        while True:
            known = self._by_directory.get(str(current))
            if known is not None:
                settings = known
                break
            chain.append(str(current))
            config = config_in(current)
            if config is not None:
                settings = self._apply(load_config(config.path))
                break
            if current.parent == current:
                break
            current = current.parent
        if settings is None:
            if not fallback:
                return None
            settings = self.default_settings
        for name in chain:
            self._by_directory[name] = settings
        return settings

    def _apply(self, settings: Settings) -> Settings:
        return settings.with_overrides(**self.overrides) if self.overrides else settings

    # ------------------------------------------------------------------ linters

    def linter_for(self, path: str | os.PathLike[str]) -> "Linter":
        return self.linter_of(self.settings_for(path))

    @property
    def default_linter(self) -> "Linter":
        """The linter of the working directory's settings (``portlint rules`` and reports use it)."""
        return self.linter_of(self.default_settings)

    def linter_of(self, settings: Settings) -> "Linter":
        linter = self._linters.get(settings)
        if linter is None:
            from portlint.engine import Linter

            ruleset = self._ruleset(settings.rulesets)
            check_selectors(settings, ruleset)
            linter = self._linters[settings] = Linter(settings, ruleset)
        return linter

    def rules(self) -> list:
        """Every rule of the rulesets loaded so far (the working directory's first), once per code."""
        self.default_linter
        rules: dict[str, Any] = {}
        for linter in self._linters.values():
            for rule in linter.ruleset.rules:
                rules.setdefault(rule.code, rule)
        return list(rules.values())

    def _ruleset(self, extra: tuple[Path, ...]) -> "Ruleset":
        ruleset = self._rulesets.get(extra)
        if ruleset is None:
            from portlint.rules import default_ruleset_files, load_rulesets

            ruleset = self._rulesets[extra] = load_rulesets([*default_ruleset_files(), *extra])
        return ruleset

    # ------------------------------------------------------------------ one buffer

    def is_excluded(self, path: str | os.PathLike[str]) -> bool:
        """Whether the file's configuration excludes it (as discovery would skip it)."""
        settings = self.settings_for(path)
        root = settings.root.resolve()
        try:
            relative = Path(os.path.abspath(path)).relative_to(root).as_posix()
        except ValueError:
            return False
        parts = relative.split("/")
        return any(path_matches("/".join(parts[:depth]), parts[depth - 1], pattern)
                   for depth in range(1, len(parts) + 1) for pattern in settings.exclude)

    def check_text(self, text: str, path: str) -> "FileResult":
        """Check a buffer as the file ``path`` (its settings and per-file-ignores, its kind:
        a notebook, script or config named so is read as one)."""
        from portlint.kinds import check_document

        linter = self.linter_for(path)
        result = check_document(linter, text, path)
        if result.findings:
            result.findings = linter._apply_per_file_ignores(path, result.findings)
        return result

    def fix_text(self, text: str, path: str, unsafe: bool = False) -> "FileFix":
        """Fix a buffer as the file ``path`` (by its kind); the result's ``text`` is the fixed source."""
        from portlint.kinds import fix_document

        return fix_document(self.linter_for(path), text, path, unsafe)

    # ------------------------------------------------------------------ runs

    def discover(self, paths: list[str]) -> "Discovery":
        from portlint.discovery import discover

        if self._fixed is not None:
            return discover(paths, self._fixed)
        return discover(paths, self.default_settings, self._settings_of_walked_directory)

    def _settings_of_walked_directory(self, directory: Path) -> Settings:
        return self._settings_of_directory(Path(os.path.abspath(directory)))  # type: ignore[return-value]

    def groups(self, files: list[str]) -> list[tuple["Linter", list[str]]]:
        """The files by linter, in the order each linter is first met."""
        by_directory: dict[str, Settings] = {}
        grouped: dict[Settings, list[str]] = {}
        for name in files:
            directory = os.path.dirname(name)
            settings = by_directory.get(directory)
            if settings is None:
                settings = by_directory[directory] = self.settings_for(os.path.abspath(directory or os.curdir))
            grouped.setdefault(settings, []).append(name)
        return [(self.linter_of(settings), names) for settings, names in grouped.items()]

    def check_paths(self, paths: list[str], *, jobs: int | None = None, cache: bool | Path = False,
                    progress: Callable[[int, int], None] | None = None) -> "Report":
        """Check every file under ``paths``, each with its own settings (``Linter.check_paths``
        options)."""
        found = self.discover(paths)
        groups = self.groups(found.files)
        if len(groups) <= 1:
            linter = groups[0][0] if groups else self.default_linter
            return linter.check_files(found.files, found.errors, jobs=jobs, cache=cache, progress=progress)
        total, offset = len(found.files), 0
        reports = []
        for linter, files in groups:
            step = None if progress is None else _shifted(progress, offset, total)
            reports.append(linter.check_files(files, [], jobs=jobs, cache=cache, progress=step, variants=False))
            offset += len(files)
        merged = merge_reports(reports, found.errors, found.files)
        self.default_linter.drop_variants(merged)  # (importers may be under another configuration)
        return merged

    def fix_paths(self, paths: list[str], *, unsafe: bool = False, write: bool = True, jobs: int | None = 1,
                  cache: bool | Path = False) -> "FixRun":
        """Fix every file under ``paths``, each with its own settings (``fixer.fix_paths``)."""
        from portlint.fixer import FixRun, fix_paths

        found = self.discover(paths)
        groups = self.groups(found.files)
        if not groups:
            return FixRun([], self.default_linter.check_files([], found.errors), unsafe)
        runs = [fix_paths(linter, files, unsafe=unsafe, write=write, jobs=jobs, cache=cache)
                for linter, files in groups]
        report = merge_reports([run.report for run in runs], found.errors, found.files)
        outcomes = sorted((outcome for run in runs for outcome in run.files), key=lambda o: o.path)
        return FixRun(outcomes, report, unsafe)


def _checked_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for key, value in overrides.items():
        if value is None:
            continue
        check = _OVERRIDE_CHECKS.get(key)
        values[key] = check(value, f"--{key.replace('_', '-')}") if check is not None else value
    return values


def _shifted(progress: Callable[[int, int], None], offset: int, total: int) -> Callable[[int, int], None]:
    return lambda done, _total: progress(offset + done, total)


def merge_reports(reports: list["Report"], errors: list, files: list[str]) -> "Report":
    """One report of several linters' reports, as one linter would have made it."""
    from portlint.findings import Report
    from portlint.findings import Finding

    findings = sorted((f for report in reports for f in report.findings), key=Finding.sort_key)
    all_errors = [*errors, *(e for report in reports for e in report.errors)]
    merged = Report(findings, all_errors, sum(r.files_checked for r in reports),
                    sum(r.files_parsed for r in reports))
    order = {name: number for number, name in enumerate(files)}
    merged.files = sorted((name for report in reports for name in report.files), key=lambda n: order.get(n, -1))
    merged.files_cached = sum(r.files_cached for r in reports)
    for report in reports:
        merged.imports.update(report.imports)
    return merged


# --------------------------------------------------------------------------- selectors


def check_selectors(settings: Settings, ruleset: "Ruleset") -> None:
    """Every code or prefix in the selection must name a loaded rule: ``--select PRT999``
    must not silently select nothing."""
    codes = sorted(rule.code for rule in ruleset.rules)
    prefixes = {code[:n] for code in codes for n in range(1, len(code) + 1)}
    entries: list[tuple[str, str]] = [
        (attr, selector) for attr in ("select", "extend_select", "ignore") for selector in getattr(settings, attr)]
    entries += [("per_file_ignores", selector) for _, selectors in settings.per_file_ignores for selector in selectors]
    for attr, selector in entries:
        if selector == "ALL" or selector in prefixes:
            continue
        close = difflib.get_close_matches(selector, codes, 1, 0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else " ('portlint rules' lists them)"
        raise ConfigError(f"{settings.source_of(attr)}: unknown rule selector {selector!r}{hint}")

