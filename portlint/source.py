"""Reading a Python file the way the interpreter would: BOM, coding cookie, line endings."""

from __future__ import annotations

import io
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


def read_source(path: str) -> tuple[bytes, Source]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    return data, decode_source(data)


def _first_newline(text: str) -> str:
    position = text.find("\n")
    carriage = text.find("\r")
    if carriage != -1 and (position == -1 or carriage < position):
        return "\r\n" if text[carriage: carriage + 2] == "\r\n" else "\r"
    return "\n"
