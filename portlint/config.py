"""Settings: ``[tool.portlint]`` in ``pyproject.toml`` (or a ``portlint.toml``), then the CLI.

Every key is declared once, as a field of :class:`Settings` made with :func:`setting`: its
TOML name (the field name in kebab-case), its default, the check that turns the TOML value
into the field's value, how an ``extend``-ing config merges it, whether it changes findings
(the cache key) and its one-line doc (``portlint check --show-settings`` prints them). The
loader, the unknown-key check and the cache key all read that table: adding a key is one
field. Keys (kebab-case, as ruff):

==================== ============================================================
``extend``           another config file to inherit from (relative to this one)
``target``           ``"agnostic"`` (default) or ``"npu"``
``select``           codes or prefixes to enable (default: every loaded rule)
``extend-select``    added to ``select``
``ignore``           codes or prefixes to disable (the more specific entry wins)
``per-file-ignores`` ``{"glob" = ["CODE", ...]}``
``exclude``          globs of paths not to check (replaces nothing: added to the built-ins)
``rulesets``         extra ruleset files, relative to the config file
``min-torch``        oldest torch the project supports, a string (default: the lower bound
                     of the project's torch requirement, see portlint/project.py, else
                     ``"2.6"``); fixes that need a newer torch are not offered
``target-version``   oldest Python the fixed code must parse on, ``"py310"`` (default: the
                     lower bound the project declares, else ``"py39"``)
``respect-gitignore`` skip files that ``.gitignore`` files ignore (default true)
``force-exclude``    apply ``exclude`` to files named on the command line (default false)
``include``          the kinds of file a directory walk checks (default: all of
                     ``portlint.kinds.KINDS``: python, notebook, shell, dockerfile,
                     requirements, pyproject, yaml, json, cuda)
``extend-include``   kinds added to ``include``
``max-file-size``    files bigger than this many bytes are reported, not read (default 16 MiB)
``guards``           more helper predicates meaning "CUDA is available" (added to
                     ``is_torch_cuda_available``, ``is_cuda_available`` ...)
==================== ============================================================

Errors are :class:`~portlint.errors.ConfigError`: one line naming the file, the line and the
key (``pyproject.toml:4: [tool.portlint] 'min-torch': ...``).
"""

from __future__ import annotations

import fnmatch
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

from portlint.errors import ConfigError
from portlint.kinds import KINDS
from portlint.rules import CODE_PATTERN, TARGETS
from portlint.source import DEFAULT_MAX_FILE_SIZE
from portlint.versions import Version, format_version, parse_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_MIN_TORCH = "2.6"
CODE_PREFIX = re.compile(r"^(ALL|[A-Z]+[0-9]*)$")
CONFIG_NAMES = ("portlint.toml", "pyproject.toml")  # in this order in each directory

# --------------------------------------------------------------------------- value checks
# Each takes (TOML value, "where" for messages, directory of the config file).


def check_target(value: Any, where: str, base: Path | None = None) -> str:
    if not isinstance(value, str) or value not in TARGETS:
        raise ConfigError(f"{where} must be one of {', '.join(repr(t) for t in TARGETS)} (got {_show(value)})")
    return value


def check_codes(value: Any, where: str, base: Path | None = None) -> tuple[str, ...]:
    """Rule codes or prefixes (the shape only; unknown ones are found against the rulesets)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ConfigError(f"{where} must be a list of rule codes or prefixes (got {_show(value)})")
    codes = []
    for item in items:
        for code in (c.strip().upper() for c in item.split(",")):
            if not code:
                continue
            if not CODE_PREFIX.match(code):
                raise ConfigError(f"{where}: {code!r} is not a rule code or prefix (like 'PRT1' or 'PRT101')")
            codes.append(code)
    return tuple(codes)


def check_per_file_ignores(value: Any, where: str, base: Path | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of \"glob\" = [codes] (got {_show(value)})")
    return tuple((pattern, check_codes(codes, f"{where} {pattern!r}")) for pattern, codes in value.items())


def check_min_torch(value: Any, where: str, base: Path | None = None) -> Version:
    if isinstance(value, bool) or isinstance(value, (int, float)):
        raise ConfigError(
            f"{where} must be a quoted string like \"2.10\" (got the number {value!r}: a TOML number is not a "
            f"version, 2.10 would be read as 2.1)")
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string like \"2.6\" (got {_show(value)})")
    try:
        return parse_version(value)
    except ValueError:
        raise ConfigError(f"{where} must be a torch version like \"2.6\" (got {value!r})") from None


def check_target_version(value: Any, where: str, base: Path | None = None) -> tuple[int, int]:
    from portlint.pyversion import parse_target_version

    found = parse_target_version(value) if isinstance(value, str) else None
    if found is None:
        raise ConfigError(f"{where} must be a Python version like \"py310\" (got {_show(value)})")
    return found


def check_bool(value: Any, where: str, base: Path | None = None) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false (got {_show(value)})")
    return value


def check_size(value: Any, where: str, base: Path | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} must be a positive number of bytes (got {_show(value)})")
    return value


def check_strings(value: Any, where: str, base: Path | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings (got {_show(value)})")
    return tuple(value)


def check_names(value: Any, where: str, base: Path | None = None) -> tuple[str, ...]:
    names = check_strings(value, where)
    for name in names:
        if not name.isidentifier():
            raise ConfigError(f"{where}: {name!r} is not a Python name (like 'is_cuda_ok')")
    return names


def check_paths(value: Any, where: str, base: Path | None = None) -> tuple[Path, ...]:
    return tuple((base or Path.cwd()) / Path(p).expanduser() for p in check_strings(value, where))


def check_kinds(value: Any, where: str, base: Path | None = None) -> tuple[str, ...]:
    """Kinds of file (``portlint.kinds.KINDS``)."""
    kinds = check_strings(value, where)
    for kind in kinds:
        if kind not in KINDS:
            raise ConfigError(f"{where}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
    return tuple(dict.fromkeys(kinds))


def _show(value: Any) -> str:
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text}" if len(text) <= 40 else kind


# --------------------------------------------------------------------------- the key table


def setting(default: Any, check: Callable[..., Any], doc: str, *, findings: bool = False,
            merge: str = "replace") -> Any:
    """A configuration key: a :class:`Settings` field with its TOML check and doc.

    ``findings``: the key changes what a file's check finds (part of the cache key).
    ``merge``: how a config that ``extend``s another combines them: ``replace`` (the
    child's value wins) or ``extend`` (the base's entries, then the child's).
    """
    return field(default=default, metadata={"check": check, "doc": doc, "findings": findings, "merge": merge})


@dataclass(frozen=True)
class Settings:
    """The settings one file is checked with. ``root`` is the directory of the config file
    they come from (relative globs are matched from there), or the working directory."""

    target: str = setting("agnostic", check_target, "what to port to: agnostic or npu", findings=True)
    select: tuple[str, ...] = setting(("ALL",), check_codes, "rule codes or prefixes to enable", findings=True)
    extend_select: tuple[str, ...] = setting((), check_codes, "added to select", findings=True, merge="extend")
    ignore: tuple[str, ...] = setting((), check_codes, "rule codes or prefixes to disable", findings=True,
                                      merge="extend")
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = setting(
        (), check_per_file_ignores, "{glob = [codes]} not reported in matching files")
    exclude: tuple[str, ...] = setting((), check_strings, "globs of paths not to check")
    rulesets: tuple[Path, ...] = setting((), check_paths, "extra ruleset files")
    min_torch: Version = setting(parse_version(DEFAULT_MIN_TORCH), check_min_torch,
                                 "oldest torch the project supports (default: its torch requirement, else 2.6)",
                                 findings=True)
    target_version: tuple[int, int] | None = setting(
        None, check_target_version, "oldest Python the fixed code must parse on, like \"py310\" (default: the "
        "project's requires-python, else py39)")
    respect_gitignore: bool = setting(True, check_bool, "skip what .gitignore files ignore")
    force_exclude: bool = setting(False, check_bool, "apply exclude to files named on the command line")
    include: tuple[str, ...] = setting(KINDS, check_kinds, "the kinds of file a directory walk checks")
    extend_include: tuple[str, ...] = setting((), check_kinds, "kinds added to include", merge="extend")
    max_file_size: int = setting(DEFAULT_MAX_FILE_SIZE, check_size, "files bigger than this (bytes) are reported, "
                                 "not read")
    guards: tuple[str, ...] = setting((), check_names, "helper predicates meaning CUDA is available",
                                      findings=True, merge="extend")
    # Not keys: where the settings come from.
    root: Path = field(default_factory=Path.cwd)
    config_file: Path | None = None
    # For messages: key -> where its value was set ("pyproject.toml:3: [tool.portlint] 'select'", "--select").
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def with_overrides(self, **overrides: Any) -> "Settings":
        """These values (None: keep) replace the configured ones; command-line options."""
        given = {k: v for k, v in overrides.items() if v is not None}
        sources = dict(self.sources)
        for key in given:
            sources[key] = f"--{key.replace('_', '-')}"
        return replace(self, **given, sources=tuple(sources.items()))

    def source_of(self, attr: str) -> str:
        return dict(self.sources).get(attr, f"'{attr.replace('_', '-')}'")

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of file to check: ``include`` and ``extend-include``."""
        return self.include + tuple(kind for kind in self.extend_include if kind not in self.include)

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
        return repr(tuple((key.name, getattr(self, key.name)) for key in setting_fields() if key.metadata["findings"]))

    def describe(self) -> list[tuple[str, str]]:
        """(key, value as TOML-ish text) for every key, for ``--show-settings``."""
        rows = []
        for key in setting_fields():
            value = getattr(self, key.name)
            rows.append((toml_name(key.name), _render(value)))
        return rows


def setting_fields() -> tuple[Any, ...]:
    """The fields of :class:`Settings` that are configuration keys."""
    return _SETTING_FIELDS


def toml_name(attr: str) -> str:
    return attr.replace("_", "-")


def _render(value: Any) -> str:
    if isinstance(value, Path):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        return f'"{format_version(value)}"'
    if isinstance(value, tuple) and all(isinstance(v, tuple) and len(v) == 2 for v in value) and value:
        return "{" + ", ".join(f'"{k}" = {_render(v)}' for k, v in value) + "}"
    if isinstance(value, tuple):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    return repr(value)


_SETTING_FIELDS = tuple(f for f in fields(Settings) if "check" in f.metadata)
KNOWN_KEYS = frozenset({"extend", *(toml_name(f.name) for f in _SETTING_FIELDS)})


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


# --------------------------------------------------------------------------- reading files


@dataclass(frozen=True)
class ConfigTable:
    """The ``[tool.portlint]`` table of one file (``table`` None: a pyproject.toml without one)."""

    path: Path
    table: dict[str, Any] | None
    text: str

    @property
    def section(self) -> str:
        return "[tool.portlint] " if self.path.name == "pyproject.toml" else ""

    def where(self, key: str) -> str:
        """``file:line: [tool.portlint] 'key'`` (the line of the key when it can be found)."""
        line = _line_of(self.text, key.split(".")[0], self.path.name == "pyproject.toml")
        return f"{self.path}{f':{line}' if line else ''}: {self.section}'{key}'"


def read_config(path: Path) -> ConfigTable:
    """Read and check the structure of one config file; :class:`ConfigError` when it is not
    readable, not UTF-8, not TOML, nested too deep, or its tables have the wrong types."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not valid TOML: the file is not UTF-8 (byte 0x{raw[exc.start]:02x})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = f":{found.group(1)}" if found else ""
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) if found else message
        raise ConfigError(f"{path}{line}: not valid TOML: {message}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deep") from None
    if path.name != "pyproject.toml":
        return ConfigTable(path, data, text)
    tool = data.get("tool")
    if tool is None:
        return ConfigTable(path, None, text)
    if not isinstance(tool, dict):
        line = _line_of(text, "tool", False)
        raise ConfigError(f"{path}{f':{line}' if line else ''}: 'tool' must be a table (got {_show(tool)})")
    table = tool.get("portlint")
    if table is None:
        return ConfigTable(path, None, text)
    if not isinstance(table, dict):
        line = _line_of(text, "portlint", False) or _header_line(text)
        kind = "an array of tables ([[tool.portlint]])" if isinstance(table, list) else _show(table)
        raise ConfigError(f"{path}{f':{line}' if line else ''}: 'tool.portlint' must be a table (got {kind})")
    return ConfigTable(path, table, text)


def config_in(directory: Path) -> ConfigTable | None:
    """The config of this directory: its ``portlint.toml``, else its ``pyproject.toml`` when
    that has a ``[tool.portlint]`` table (a pyproject.toml that is not valid TOML is an error)."""
    for name in CONFIG_NAMES:
        candidate = directory / name
        try:
            exists = candidate.is_file()
        except OSError:  # a directory that cannot be entered, a path too long: its walk reports it
            continue
        if exists:
            config = read_config(candidate)
            if config.table is not None:
                return config
    return None


def find_config(start: Path) -> Path | None:
    """The nearest config file at or above ``start``."""
    directory = start.resolve()
    if directory.is_file():
        directory = directory.parent
    for candidate_dir in (directory, *directory.parents):
        config = config_in(candidate_dir)
        if config is not None:
            return config.path
    return None


def load_config(path: Path, _chain: tuple[Path, ...] = ()) -> Settings:
    """The settings of one config file, after the files it ``extend``s."""
    config = read_config(path)
    if config.table is None:
        if path.name == "pyproject.toml":
            return Settings(root=path.resolve().parent, config_file=path)
        raise ConfigError(f"{path}: not a portlint configuration")  # pragma: no cover - read_config returns data
    table = dict(config.table)
    base = Settings()
    if "extend" in table:
        extend = table.pop("extend")
        where = config.where("extend")
        if not isinstance(extend, str):
            raise ConfigError(f"{where} must be the path of another config file (got {_show(extend)})")
        target = (path.resolve().parent / Path(extend).expanduser()).resolve()
        if target in (*_chain, path.resolve()):
            raise ConfigError(f"{where}: {extend!r} extends itself (a cycle of 'extend')")
        if not target.is_file():
            raise ConfigError(f"{where}: {extend!r} is not a file")
        base = load_config(target, (*_chain, path.resolve()))
    return parse_settings(table, path, base, config)


def parse_settings(table: dict[str, Any], config_file: Path, base: Settings | None = None,
                   config: ConfigTable | None = None) -> Settings:
    """``table`` (a ``[tool.portlint]`` table) over ``base``; every key checked."""
    if config is None:
        config = ConfigTable(config_file, table, "")
    base = base or Settings()
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        name = unknown[0]
        hint = ""
        import difflib

        close = difflib.get_close_matches(name.replace("_", "-").lower(), sorted(KNOWN_KEYS), 1, 0.7)
        if close:
            hint = f" (did you mean '{close[0]}'?)"
        raise ConfigError(f"{config.where(name)}: unknown key{hint}")
    directory = config_file.resolve().parent
    values: dict[str, Any] = {"root": directory, "config_file": config_file}
    sources = dict(base.sources)
    # ruff's rule for `extend`: a child's `select` starts a new selection (the base's
    # extend-select and ignore are dropped); without it, the lists are combined.
    if "select" in table:
        values["extend_select"] = ()
        values["ignore"] = ()
    for key in setting_fields():
        name = toml_name(key.name)
        if name not in table:
            continue
        where = config.where(name)
        value = key.metadata["check"](table[name], where, directory)
        if key.metadata["merge"] == "extend":
            value = (*values.get(key.name, getattr(base, key.name)), *value)
        values[key.name] = value
        sources[key.name] = where
    values["sources"] = tuple(sources.items())
    return replace(base, **values)


def load_settings(config_file: Path | None, search_from: Path | None = None) -> Settings:
    """Settings from an explicit file, else the nearest config, else the defaults."""
    if config_file is None:
        config_file = find_config(search_from or Path.cwd())
        if config_file is None:
            return Settings()
    elif not config_file.is_file():
        raise ConfigError(f"config file not found: {config_file}")
    return load_config(config_file)


_KEY_LINE = re.compile(r'^[ \t]*(?:"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))\s*=', re.MULTILINE)
_HEADER = re.compile(r"^[ \t]*\[\[?\s*tool\s*\.\s*portlint\s*[\].]", re.MULTILINE)


def _line_of(text: str, key: str, in_portlint_section: bool) -> int | None:
    """The line of ``key = ...`` (after the ``[tool.portlint]`` header in a pyproject.toml)."""
    start = 0
    if in_portlint_section:
        header = _HEADER.search(text)
        if header is None:
            return None
        start = header.end()
    for match in _KEY_LINE.finditer(text, start):
        name = match.group(1) or match.group(2) or match.group(3)
        if name == key:
            return text.count("\n", 0, match.start()) + 1
    prefix = r"tool\s*\.\s*portlint\s*\.\s*" if in_portlint_section else ""
    table = re.search(r"^[ \t]*\[\s*" + prefix + r"[\"']?" + re.escape(key) + r"[\"']?\s*\]", text, re.MULTILINE)
    if table is not None:  # [tool.portlint.per-file-ignores]
        return text.count("\n", 0, table.start()) + 1
    if in_portlint_section:
        return _header_line(text)
    return None


def _header_line(text: str) -> int | None:
    header = _HEADER.search(text)
    return None if header is None else text.count("\n", 0, header.start()) + 1


__all__ = ["Settings", "load_settings", "load_config", "find_config", "config_in", "read_config",
           "CODE_PATTERN", "DEFAULT_MIN_TORCH", "KNOWN_KEYS"]
