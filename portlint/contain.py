"""Per-file failure containment: an exception while handling one file becomes that file's
one-line error, and the run goes on with the other files (the exit code says something
failed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from portlint.errors import PortlintError
from portlint.findings import FileError

if TYPE_CHECKING:
    from portlint.findings import Finding
    from portlint.rules import Ruleset


def unverified_fix(path: str, reason: str, findings: "Iterable[Finding]", ruleset: "Ruleset") -> FileError:
    """The error when fixed code failed verification: the fault of a user ruleset's rule if
    one of its replacements was applied, otherwise portlint's own (please report)."""
    from portlint.rules import is_shipped

    by_code = ruleset.by_code()
    culprits = sorted({(f.code, by_code[f.code].source) for f in findings
                       if f.code in by_code and not is_shipped(by_code[f.code].source)})
    if culprits:
        named = ", ".join(f"{code} of ruleset {source}" for code, source in culprits)
        return FileError(path, f"fixes were not applied: the replacement of rule {named} does not make "
                               f"valid code ({reason}); correct that rule")
    return FileError(path, f"internal error: fixes were not applied ({reason}); please report this")


def file_failure(path: str, exc: BaseException, step: str) -> FileError:
    """The error reported for ``path`` when ``step`` ("check", "fix"...) raised ``exc``."""
    if isinstance(exc, PortlintError):  # e.g. a user ruleset's pattern that had to be stopped
        return FileError(path, str(exc))
    if isinstance(exc, RecursionError):
        return FileError(path, f"cannot {step}: code nested too deep")
    if isinstance(exc, MemoryError):
        return FileError(path, f"cannot {step}: out of memory")
    detail = " ".join(str(exc).split())[:200]
    return FileError(path, f"internal error while trying to {step} this file: {type(exc).__name__}"
                           f"{': ' + detail if detail else ''} (please report this)")
