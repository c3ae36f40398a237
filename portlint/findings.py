"""What a check produces: findings (with their suggested fix), per-file errors, the
result of one file and the report of a run, and the one JSON codec of findings (the
``json`` output format and the result cache both use it).

A data module: it imports nothing from portlint, so the engine, the process pool, the
cache and the reporters all depend on it and not on each other.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Fix:
    """The suggested change for one finding, for the chosen target.

    ``replacement`` is code that replaces the finding's span exactly (None when only
    advice can be given, in ``hint``). ``applicability`` is ``safe`` (behaviour on a CUDA
    machine is unchanged), ``unsafe`` (may change behaviour) or ``manual`` (no code).
    ``defines`` are module-level statements the replacement relies on (the device variable
    of ``{device}`` templates); the fixer inserts each once, after the imports.
    """

    replacement: str | None
    hint: str | None
    applicability: str
    min_torch: str
    imports: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.replacement is not None:
            return self.replacement
        return self.hint or ""


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    rule: str  # the rule's kebab-case name
    message: str
    path: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    end_line: int
    end_column: int  # 1-based, exclusive
    target: str
    severity: str
    fix: Fix | None
    matched: str  # the source text (or resolved name) that matched
    cell: int | None = None  # notebooks: the 1-based cell (over all cells); line/column are in it

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.cell or 0, self.line, self.column, self.code)

    def cell_prefix(self) -> str:
        """``"cell 3: "`` for a notebook finding (its line is inside that cell), else ``""``."""
        return f"cell {self.cell}: " if self.cell is not None else ""

    def location(self) -> str:
        """``path:line:col``, or ``path:cell N:line:col`` in a notebook (as ruff prints it)."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.line}:{self.column}"

    def to_dict(self) -> dict[str, Any]:
        return finding_to_json(self)


@dataclass(frozen=True, slots=True)
class FileError:
    """A file portlint could not check (unreadable, not text, not Python...)."""

    path: str
    reason: str

    def __str__(self) -> str:
        from portlint.printable import printable

        return f"{printable(self.path)}: {printable(self.reason)}"


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: FileError | None = None
    parsed: bool = False  # False when the prefilter skipped the file
    # The file's import facts (portlint/semantic/imports.py, portlint/variants.py); None
    # when the file was not analyzed.
    imports: tuple[str, ...] | None = None


@dataclass
class Report:
    findings: list[Finding]
    errors: list[FileError]
    files_checked: int
    files_parsed: int
    files: list[str] = field(default_factory=list)  # the checked paths, in order (junit lists them)
    files_cached: int = 0  # results reused from the cache (see portlint/cache.py)
    # path -> import facts of each checked file (None: not analyzed); see portlint/variants.py
    imports: dict[str, tuple[str, ...] | None] = field(default_factory=dict)


# --------------------------------------------------------------------------- the JSON codec

_FINDING_FIELDS = [f for f in dataclasses.fields(Finding)]
_FIX_FIELDS = list(dataclasses.fields(Fix))


def finding_to_json(finding: Finding, path: bool = True) -> dict[str, Any]:
    """A finding as plain JSON data, fields in declaration order (``path=False``: without
    its path, which the cache keys entries by)."""
    data = {f.name: getattr(finding, f.name) for f in _FINDING_FIELDS if path or f.name != "path"}
    if finding.fix is not None:
        fix = {}
        for f in _FIX_FIELDS:
            value = getattr(finding.fix, f.name)
            fix[f.name] = list(value) if isinstance(value, tuple) else value
        data["fix"] = fix
    return data


def finding_from_json(raw: Any, path: str | None = None) -> Finding | None:
    """The finding ``finding_to_json`` wrote (with ``path`` given: written without its
    path), or None when ``raw`` is not exactly that shape (never trusted blindly)."""
    names = {f.name for f in _FINDING_FIELDS if path is None or f.name != "path"}
    if not isinstance(raw, dict) or set(raw) != names:
        return None
    values: dict[str, Any] = {} if path is None else {"path": path}
    for f in _FINDING_FIELDS:
        if f.name not in names:
            continue
        value = raw[f.name]
        if f.name == "fix":
            if value is None:
                values["fix"] = None
                continue
            fix = _fix_from_json(value)
            if fix is None:
                return None
            values["fix"] = fix
        elif not _has_type(value, str(f.type)):
            return None
        else:
            values[f.name] = value
    return Finding(**values)


def _fix_from_json(raw: Any) -> Fix | None:
    if not isinstance(raw, dict) or set(raw) != {f.name for f in _FIX_FIELDS}:
        return None
    values = {}
    for f in _FIX_FIELDS:
        value = raw[f.name]
        annotation = str(f.type)
        if annotation.startswith("tuple["):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return None
            value = tuple(value)
        elif not _has_type(value, annotation):
            return None
        values[f.name] = value
    return Fix(**values)


def _has_type(value: Any, annotation: str) -> bool:
    if annotation == "str":
        return isinstance(value, str)
    if annotation == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation == "bool":
        return isinstance(value, bool)
    if annotation == "str | None":
        return value is None or isinstance(value, str)
    if annotation == "int | None":
        return value is None or (isinstance(value, int) and not isinstance(value, bool))
    return False  # a field this version does not know how to validate: no trust
