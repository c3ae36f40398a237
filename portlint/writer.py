"""Writing a fixed file back: atomically, in the file's own encoding, BOM and mode.

The new content goes to a temporary file in the same directory (same file system), is
flushed to disk, gets the original file's permission bits, and then replaces the
original with ``os.replace`` (an atomic rename on POSIX and Windows). A reader, or a
``portlint fix`` killed at any moment, therefore sees either the old file or the new one,
never a half-written mix. A symlink is followed: its target is rewritten and the link
stays a link. The temporary file's name carries the writer's pid, so that a later run can
tell one left by a killed run (removed) from one being written now (kept). Line endings are
the caller's business: the fixer keeps the file's own
(inserted code follows the file's first line ending).
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from typing import Iterable

from portlint.lifecycle import exit_if_orphaned

TEMP_PREFIX = ".portlint-"
TEMP_SUFFIX = ".tmp"


class WriteError(Exception):
    """The file could not be written; the message is one line for the user."""


def encode_text(text: str, encoding: str) -> bytes:
    """``text`` in the file's encoding (``utf-8-sig`` writes the BOM back)."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise WriteError(f"the fixed code cannot be encoded as {encoding}: {exc.reason}") from None
    except LookupError:
        raise WriteError(f"unknown encoding {encoding!r}") from None


def check_round_trip(data: bytes, encoding: str) -> None:
    """Refuse to fix a file whose encoding would not give its own bytes back: rewriting it
    would change it outside the fixes (``unicode_escape`` writes newlines as ``\\n``, one
    line; ``utf-7`` is stateful and has several encodings of the same text)."""
    import codecs

    try:
        name = codecs.lookup(encoding).name
        same = name not in NOT_ROUND_TRIPPING and data.decode(encoding).encode(encoding) == data
    except (LookupError, UnicodeError):
        same = False
    if not same:
        raise WriteError(f"not fixed: the file's encoding {encoding} does not round-trip "
                         "(rewriting the file would change it outside the fixes)")


NOT_ROUND_TRIPPING = frozenset({"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna"})


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path``'s content with ``data`` atomically, keeping its mode bits, owner
    and group. A read-only file, or one with other hard links (a rename would split them),
    is not rewritten."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    try:
        info: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise WriteError(exc.strerror or str(exc)) from None
    if info is not None:
        _check_writable(real, info)
    exit_if_orphaned()
    try:
        handle, temp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.path.basename(real)}.{os.getpid()}.",
                                        suffix=TEMP_SUFFIX, dir=directory)
    except OSError as exc:
        raise WriteError(f"cannot create a temporary file next to it: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if info is not None:
                _keep_owner(stream.fileno(), info)
                os.fchmod(stream.fileno(), stat.S_IMODE(info.st_mode))  # after chown, which clears setuid
            os.fsync(stream.fileno())
        exit_if_orphaned()  # the commit point: never after portlint is gone
        os.replace(temp, real)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteError(exc.strerror or str(exc)) from None
        raise


def _check_writable(path: str, info: os.stat_result) -> None:
    if info.st_nlink > 1:
        raise WriteError(f"has {info.st_nlink} hard links; not rewritten (a rewrite would split them)")
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK):  # root may write anything: the bits decide
        raise WriteError("read-only, not rewritten")


def _keep_owner(descriptor: int, info: os.stat_result) -> None:
    if not hasattr(os, "fchown"):  # pragma: no cover - Windows
        return
    mine = os.fstat(descriptor)
    if (mine.st_uid, mine.st_gid) == (info.st_uid, info.st_gid):
        return
    try:
        os.fchown(descriptor, info.st_uid, info.st_gid)
    except PermissionError:
        raise WriteError("cannot keep its owner and group (owned by another user); not rewritten") from None


def remove_stale_temporaries(directories: "Iterable[str]", max_age: float = 86400.0) -> int:
    """Remove the temporary files an earlier, killed ``portlint fix`` left in ``directories``:
    those of a process that no longer runs (the pid is in the name), and those without a pid
    (older versions) or older than ``max_age`` seconds. Returns how many were removed."""
    removed = 0
    now = time.time()
    for directory in directories:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                age = now - entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            pid = name[: -len(TEMP_SUFFIX)].rsplit(".", 2)
            running = len(pid) == 3 and pid[1].isdigit() and _running(int(pid[1]))
            if running and age < max_age:
                continue
            if not running and not (len(pid) == 3 and pid[1].isdigit()) and age < LEGACY_MIN_AGE:
                continue  # no pid in the name: only when surely not in use
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


LEGACY_MIN_AGE = 600.0  # seconds


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
