"""The text reporter's fast path when the output is not a terminal (a pipe, a file, CI).

rich costs ~30 ms to import and ~0.2 ms per printed line; with no terminal to colour it
only turns markup into plain text. ``PlainConsole`` does that for the reporter's own
markup (``[bold]``, ``[red]...[/red]``, text passed through ``escape``) with the same
result as ``rich.console.Console(highlight=False, soft_wrap=True, emoji=False)``:
tags are dropped, escaped brackets restored, the control characters rich removes (BEL,
BS, VT, FF, CR) removed and tabs expanded to 8 columns (a line mixing tabs with non-ASCII or
control characters, whose columns depend on display widths, is left to rich). tests/test_startup.py
checks the equivalence on random text.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

# What rich treats as a tag: optional backslashes, then [name...] (see rich.markup).
_TAG = re.compile(r"(\\*)\[([a-z#/@][^[]*?)]")
# `escape`: a backslash before anything that would read as a tag, backslashes doubled.
_TAG_LIKE = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")
_CONTROL = {code: None for code in (7, 8, 11, 12, 13)}
_FORCING = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS", "JPY_PARENT_PID")


def escape(text: str) -> str:
    """Like ``rich.markup.escape``: make ``text`` print literally inside markup."""
    text = _TAG_LIKE.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), text)
    if text.endswith("\\") and not text.endswith("\\\\"):
        text += "\\"
    return text


def strip_markup(markup: str) -> str:
    """The text rich would print for ``markup`` (styles dropped, tabs not yet expanded)."""
    if "[" not in markup:
        return markup.translate(_CONTROL)
    out: list[str] = []
    position = 0
    for match in _TAG.finditer(markup):
        start, end = match.span()
        out.append(markup[position:start].replace("\\[", "["))
        escapes = match.group(1)
        if escapes:
            backslashes, escaped = divmod(len(escapes), 2)
            out.append("\\" * backslashes)
            if escaped:  # an escaped tag prints as written
                out.append(match.group(0)[len(escapes):])
        position = end
    out.append(markup[position:].replace("\\[", "["))
    return "".join(out).translate(_CONTROL)


class PlainConsole:
    """The subset of ``rich.console.Console`` the text reporter uses."""

    def __init__(self, stream: TextIO) -> None:
        self.file = stream

    def print(self, markup: str = "") -> None:
        text = strip_markup(markup)
        if "\t" in text:
            if not (text.isascii() and text.replace("\t", " ").isprintable()):
                # rich expands tabs by display cells (wide or zero-width characters): let it
                from rich.console import Console

                Console(file=self.file, highlight=False, soft_wrap=True, emoji=False).print(markup)
                return
            text = text.expandtabs(8)
        self.file.write(text + "\n")


def plain_console(stream: TextIO) -> PlainConsole | None:
    """A ``PlainConsole`` when rich would not colour ``stream`` anyway, else None."""
    if any(os.environ.get(name) for name in _FORCING):
        return None
    try:
        if stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return PlainConsole(stream)
