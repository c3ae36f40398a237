"""Reading a Python file the way the interpreter would: BOM, coding cookie, line endings."""

from __future__ import annotations

import io
import os
import stat
import tokenize
from dataclasses import dataclass


class SourceError(Exception):
    """The file cannot be read as Python source; the message is one line for the user."""


@dataclass(frozen=True)
class Source:
    text: str  # decoded, line endings untouched
    encoding: str  # as detected: "utf-8", "utf-8-sig" (BOM), "latin-1"...
    newline: str  # the first line ending seen ("\n", "\r\n" or "\r")


def decode_source(data: bytes) -> Source:
    if b"\x00" in data:
        raise SourceError("binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # tokenize says "invalid or missing encoding declaration" when the first lines
        # are not UTF-8: report that as the decoding problem it is.
        encoding = "utf-8"
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            pass
        else:
            raise SourceError(f"bad encoding declaration: {exc.msg}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"not valid {encoding} (byte 0x{data[exc.start]:02x} on line {line}); "
            "add a '# -*- coding: ... -*-' line or re-save the file as UTF-8"
        ) from None
    except LookupError:
        raise SourceError(f"unknown encoding {encoding!r} in coding declaration") from None
    return Source(text, encoding, _first_newline(text))


DEFAULT_MAX_FILE_SIZE = 16 * 1024 * 1024  # bytes; the config's ``max-file-size``

_KINDS = ((stat.S_ISDIR, "is a directory"), (stat.S_ISFIFO, "not a regular file (FIFO), not read"),
          (stat.S_ISCHR, "not a regular file (character device), not read"),
          (stat.S_ISBLK, "not a regular file (block device), not read"),
          (stat.S_ISSOCK, "not a regular file (socket), not read"))


def read_bytes(path: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> bytes:
    """The content of the regular file ``path`` (symlinks followed), at most ``max_size``
    bytes. The open never blocks (a FIFO), nothing but a regular file is read (a device
    such as ``/dev/zero`` never ends), and a bigger file is refused, not read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        kind = _kind(path)  # a socket cannot be opened at all (ENXIO): say what it is
        raise SourceError(kind or _os_reason(exc)) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            reason = next((text for test, text in _KINDS if test(info.st_mode)), "not a regular file, not read")
            raise SourceError(reason)
        if info.st_size > max_size:
            raise SourceError(f"larger than max-file-size ({info.st_size} > {max_size} bytes), not read")
        chunks = []
        remaining = max_size + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_size:
            raise SourceError(f"larger than max-file-size (more than {max_size} bytes), not read")
        return data
    except OSError as exc:
        raise SourceError(_os_reason(exc)) from None
    finally:
        os.close(descriptor)


def _kind(path: str) -> str | None:
    """Why ``path`` is not read, when it is not a regular file (else None)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return next((text for test, text in _KINDS if test(mode)), None)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return (exc.strerror or str(exc)).lower()


def read_source(path: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> tuple[bytes, Source]:
    data = read_bytes(path, max_size)
    return data, decode_source(data)


def _first_newline(text: str) -> str:
    position = text.find("\n")
    carriage = text.find("\r")
    if carriage != -1 and (position == -1 or carriage < position):
        return "\r\n" if text[carriage: carriage + 2] == "\r\n" else "\r"
    return "\n"
