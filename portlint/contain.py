"""Per-file failure containment: an exception while handling one file becomes that file's
one-line error, and the run goes on with the other files (the exit code says something
failed)."""

from __future__ import annotations

from portlint.findings import FileError


def file_failure(path: str, exc: BaseException, step: str) -> FileError:
    """The error reported for ``path`` when ``step`` ("check", "fix"...) raised ``exc``."""
    if isinstance(exc, RecursionError):
        return FileError(path, f"cannot {step}: code nested too deep")
    if isinstance(exc, MemoryError):
        return FileError(path, f"cannot {step}: out of memory")
    detail = " ".join(str(exc).split())[:200]
    return FileError(path, f"internal error while trying to {step} this file: {type(exc).__name__}"
                           f"{': ' + detail if detail else ''} (please report this)")
