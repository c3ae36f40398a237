"""Writing a fixed file back: atomically, in the file's own encoding, BOM and mode.

The new content goes to a temporary file in the same directory (same file system), is
flushed to disk, gets the original file's permission bits, and then replaces the
original with ``os.replace`` (an atomic rename on POSIX and Windows). A reader, or a
``portlint fix`` killed at any moment, therefore sees either the old file or the new one,
never a half-written mix. A symlink is followed: its target is rewritten and the link
stays a link. Line endings are the caller's business: the fixer keeps the file's own
(inserted code follows the file's first line ending).
"""

from __future__ import annotations

import os
import stat
import tempfile

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


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path``'s content with ``data`` atomically, keeping its mode bits."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise WriteError(exc.strerror or str(exc)) from None
    try:
        handle, temp = tempfile.mkstemp(prefix=TEMP_PREFIX + os.path.basename(real) + ".",
                                        suffix=TEMP_SUFFIX, dir=directory)
    except OSError as exc:
        raise WriteError(f"cannot create a temporary file next to it: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, real)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteError(exc.strerror or str(exc)) from None
        raise
