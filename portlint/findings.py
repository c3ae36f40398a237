"""What a check produces: findings (with their suggested fix) and per-file errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
        data = asdict(self)
        if self.fix is not None:
            data["fix"]["imports"] = list(self.fix.imports)
            data["fix"]["defines"] = list(self.fix.defines)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        fix = data.get("fix")
        values = dict(data)
        values["fix"] = None if fix is None else Fix(**{**fix, "imports": tuple(fix.get("imports", ())),
                                                            "defines": tuple(fix.get("defines", ()))})
        return cls(**values)


@dataclass(frozen=True, slots=True)
class FileError:
    """A file portlint could not check (unreadable, not text, not Python...)."""

    path: str
    reason: str

    def __str__(self) -> str:
        from portlint.printable import printable

        return f"{printable(self.path)}: {printable(self.reason)}"
