"""Text that is safe to print: file names and source text from the scanned project are
data, never terminal control or CI commands.

``printable`` escapes what a terminal or a log parser would act on: C0/C1 control
characters (ESC sequences, BEL, CR, LF...), DEL, the Unicode bidirectional overrides, and
the lone surrogates that stand for bytes of a file name that is not valid UTF-8
(``os.fsdecode``), which become ``\\xff``. A newline in a file name therefore cannot start
a GitHub workflow command on stderr, and an ESC in a comment cannot recolour the
terminal. Tabs are kept.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters, bidi overrides and undecodable bytes escaped."""
    if text.isascii() and text.isprintable():
        return text
    return _UNSAFE.sub(_escape, text)
