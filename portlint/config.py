"""Settings: ``[tool.portlint]`` in ``pyproject.toml`` (or ``portlint.toml``), then the CLI.

Keys (kebab-case, as ruff):

==================== ============================================================
``target``           ``"agnostic"`` (default) or ``"npu"``
``select``           codes or prefixes to enable (default: every loaded rule)
``extend-select``    added to ``select``
``ignore``           codes or prefixes to disable (the more specific entry wins)
``per-file-ignores`` ``{"glob" = ["CODE", ...]}``
``exclude``          globs of paths not to check (replaces nothing: added to the built-ins)
``rulesets``         extra ruleset files, relative to the config file
``min-torch``        oldest torch the project supports (default ``"2.6"``); fixes
                     that need a newer torch are not offered
``respect-gitignore`` skip files that ``.gitignore`` files ignore (default true)
``force-exclude``    apply ``exclude`` to files named on the command line (default false)
``include``          the kinds of file a directory walk checks (default: all of
                     ``portlint.kinds.KINDS``: python, notebook, shell, dockerfile,
                     requirements, pyproject, yaml, json, cuda)
``extend-include``   kinds added to ``include``
==================== ============================================================
"""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from portlint.errors import ConfigError
from portlint.kinds import KINDS
from portlint.rules import CODE_PATTERN, TARGETS
from portlint.versions import Version, format_version, parse_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_MIN_TORCH = "2.6"
CODE_PREFIX = __import__("re").compile(r"^(ALL|[A-Z]{1,3}[0-9]{0,3})$")


@dataclass(frozen=True)
class Settings:
    target: str = "agnostic"
    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    rulesets: tuple[Path, ...] = ()
    min_torch: Version = parse_version(DEFAULT_MIN_TORCH)
    respect_gitignore: bool = True
    force_exclude: bool = False  # apply `exclude` to files named on the command line too
    include: tuple[str, ...] = KINDS  # the kinds of file a directory walk checks (portlint/kinds)
    root: Path = field(default_factory=Path.cwd)
    config_file: Path | None = None

    def with_overrides(self, **overrides: Any) -> "Settings":
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def is_enabled(self, code: str) -> bool:
        """Ruff-like selection: the longest matching prefix decides."""
        selected = _longest_prefix(code, (*self.select, *self.extend_select))
        if selected is None:
            return False
        ignored = _longest_prefix(code, self.ignore)
        return ignored is None or selected > ignored

    def ignored_for(self, relative_path: str) -> tuple[str, ...]:
        codes: list[str] = []
        name = relative_path.rsplit("/", 1)[-1]
        for pattern, pattern_codes in self.per_file_ignores:
            if path_matches(relative_path, name, pattern):
                codes.extend(pattern_codes)
        return tuple(codes)

    def fingerprint(self) -> str:
        """The settings that change findings, for the cache key."""
        return repr((self.target, self.select, self.extend_select, self.ignore,
                     self.per_file_ignores, format_version(self.min_torch)))


def _longest_prefix(code: str, prefixes: tuple[str, ...]) -> int | None:
    best = None
    for prefix in prefixes:
        if prefix == "ALL":
            length = 0
        elif code.startswith(prefix):
            length = len(prefix)
        else:
            continue
        if best is None or length > best:
            best = length
    return best


def path_matches(relative_path: str, name: str, pattern: str) -> bool:
    """Glob match on the project-relative path, its basename, or a leading directory."""
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatchcase(relative_path, pattern) or fnmatch.fnmatchcase(name, pattern):
        return True
    if pattern.endswith("/**"):
        base = pattern[:-3]
        return relative_path == base or relative_path.startswith(base + "/")
    return relative_path.startswith(pattern + "/")


# --------------------------------------------------------------------------- loading

KNOWN_KEYS = {
    "target", "select", "extend-select", "ignore", "per-file-ignores", "exclude",
    "rulesets", "min-torch", "respect-gitignore", "force-exclude", "include", "extend-include",
}


def find_config(start: Path) -> Path | None:
    """The nearest ``portlint.toml``, or ``pyproject.toml`` with a ``[tool.portlint]`` table."""
    directory = start.resolve()
    if directory.is_file():
        directory = directory.parent
    for candidate_dir in (directory, *directory.parents):
        own = candidate_dir / "portlint.toml"
        if own.is_file():
            return own
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file():
            try:
                with open(pyproject, "rb") as handle:
                    data = tomllib.load(handle)
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if "portlint" in data.get("tool", {}):
                return pyproject
    return None


def load_settings(config_file: Path | None, search_from: Path | None = None) -> Settings:
    """Settings from an explicit file, else the nearest config, else the defaults."""
    if config_file is None:
        config_file = find_config(search_from or Path.cwd())
        if config_file is None:
            return Settings(root=(search_from or Path.cwd()).resolve() if search_from and search_from.is_dir()
                            else Path.cwd())
    elif not config_file.is_file():
        raise ConfigError(f"config file not found: {config_file}")
    try:
        with open(config_file, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_file}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{config_file}: {exc.strerror or exc}") from None
    table = data.get("tool", {}).get("portlint")
    if table is None:
        table = {} if config_file.name == "pyproject.toml" else data
    return parse_settings(table, config_file)


def parse_settings(table: dict[str, Any], config_file: Path) -> Settings:
    where = f"{config_file}: [tool.portlint]" if config_file.name == "pyproject.toml" else str(config_file)
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        hint = ""
        if unknown[0].replace("_", "-") in KNOWN_KEYS:
            hint = f" (did you mean '{unknown[0].replace('_', '-')}'?)"
        raise ConfigError(f"{where}: unknown key '{unknown[0]}'{hint}")
    root = config_file.resolve().parent
    values: dict[str, Any] = {"root": root, "config_file": config_file}
    if "target" in table:
        values["target"] = check_target(table["target"], f"{where}: 'target'")
    for key, attr in (("select", "select"), ("extend-select", "extend_select"), ("ignore", "ignore")):
        if key in table:
            values[attr] = check_codes(table[key], f"{where}: '{key}'")
    if "per-file-ignores" in table:
        raw = table["per-file-ignores"]
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: 'per-file-ignores' must be a table of glob = [codes]")
        values["per_file_ignores"] = tuple(
            (pattern, check_codes(codes, f"{where}: 'per-file-ignores.{pattern}'"))
            for pattern, codes in raw.items()
        )
    if "exclude" in table:
        values["exclude"] = tuple(_strings(table["exclude"], f"{where}: 'exclude'"))
    if "rulesets" in table:
        values["rulesets"] = tuple(root / p for p in _strings(table["rulesets"], f"{where}: 'rulesets'"))
    if "min-torch" in table:
        values["min_torch"] = check_min_torch(table["min-torch"], f"{where}: 'min-torch'")
    if "force-exclude" in table:
        if not isinstance(table["force-exclude"], bool):
            raise ConfigError(f"{where}: 'force-exclude' must be true or false")
        values["force_exclude"] = table["force-exclude"]
    if "include" in table or "extend-include" in table:
        include = check_kinds(table.get("include", list(KINDS)), f"{where}: 'include'")
        extra = check_kinds(table.get("extend-include", []), f"{where}: 'extend-include'")
        values["include"] = include + tuple(kind for kind in extra if kind not in include)
    if "respect-gitignore" in table:
        if not isinstance(table["respect-gitignore"], bool):
            raise ConfigError(f"{where}: 'respect-gitignore' must be true or false")
        values["respect_gitignore"] = table["respect-gitignore"]
    return Settings(**values)


def check_target(value: Any, where: str) -> str:
    if value not in TARGETS:
        raise ConfigError(f"{where} must be one of {', '.join(TARGETS)} (got {value!r})")
    return value


def check_codes(value: Any, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ConfigError(f"{where} must be a list of rule codes or prefixes")
    codes = []
    for item in items:
        for code in (c.strip().upper() for c in item.split(",")):
            if not code:
                continue
            if not CODE_PREFIX.match(code):
                raise ConfigError(f"{where}: {code!r} is not a rule code or prefix (like 'PRT1' or 'PRT101')")
            codes.append(code)
    return tuple(codes)


def check_kinds(value: Any, where: str) -> tuple[str, ...]:
    kinds = _strings(value, where)
    for kind in kinds:
        if kind not in KINDS:
            raise ConfigError(f"{where}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
    return tuple(dict.fromkeys(kinds))


def check_min_torch(value: Any, where: str) -> Version:
    try:
        return parse_version(str(value))
    except ValueError:
        raise ConfigError(f"{where} must be a torch version like \"2.6\" (got {value!r})") from None


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return value


__all__ = ["Settings", "load_settings", "find_config", "CODE_PATTERN", "DEFAULT_MIN_TORCH"]
