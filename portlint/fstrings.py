"""Fixes inside f-string replacement fields stay valid on Python 3.10 and 3.11.

Before Python 3.12 the code inside ``f"{...}"`` may not use the f-string's own quote
character nor a backslash. A fix template that writes ``"cpu"`` therefore breaks
``f"{'cuda' if torch.cuda.is_available() else 'cpu'}"``. Such an edit gets its string
literals requoted with the other quote; when that is impossible (both quotes taken by
nested f-strings, a backslash, a literal containing the other quote) the edit is dropped
and its finding stays, rather than every fix of the file being refused.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
from typing import Any, Sequence

_FSTRING_START = re.compile(r"(?:[fF][rR]?|[rR][fF])['\"]")
_OTHER = {'"': "'", "'": '"'}


def fit_edits_in_fstrings(text: str, edits: Sequence[Any], offset_of: Any, parsed: Any = None) -> list[Any]:
    """``edits`` (with ``start``, ``end``, ``text``) made valid inside the f-strings of
    ``text``; ``offset_of(line, byte_column)`` maps ``ast`` positions to offsets;
    ``parsed()``, when given, returns the tree of ``text`` (the caller's, parsed once)."""
    if not edits or not _FSTRING_START.search(text):
        return list(edits)
    try:
        tree = parsed() if parsed is not None else ast.parse(text)
    except Exception:  # noqa: BLE001 - SyntaxError, ValueError, RecursionError, MemoryError, the caller's
        return list(edits)
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.end_lineno is not None and node.end_col_offset is not None:
            start = offset_of(node.lineno, node.col_offset)
            end = offset_of(node.end_lineno, node.end_col_offset)
            position = start
            while position < end and text[position] in "rRfFbBuU":
                position += 1
            quote = text[position:position + 3] if text.startswith(('"""', "'''"), position) else text[position:position + 1]
            spans.append((position + len(quote), end - len(quote), quote))  # inside the quotes
    if not spans:
        return list(edits)
    fitted = []
    for edit in edits:
        taken = {quote for start, end, quote in spans if start <= edit.start and edit.end <= end}
        if not taken:
            fitted.append(edit)
            continue
        new_text = _requote(edit.text, taken)
        if new_text is not None:
            fitted.append(edit if new_text == edit.text else dataclasses.replace(edit, text=new_text))
    return fitted


def _requote(code: str, taken: set[str]) -> str | None:
    """``code`` without the quotes in ``taken`` (single quote characters; a triple quote
    only forbids itself) and without backslashes; None when impossible."""
    single = {quote for quote in taken if len(quote) == 1}
    if "\\" in code:
        return None
    if not any(quote in code for quote in taken):
        return code
    if len(single) != 1:
        return None
    (bad,) = single
    good = _OTHER[bad]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    lines = code.splitlines(keepends=True) or [""]
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    pieces = []
    position = 0
    for token in tokens:
        if token.type != tokenize.STRING:
            continue
        literal = token.string
        body_at = len(literal) - len(literal.lstrip("rRbBuUfF"))
        if literal[body_at:body_at + 1] != bad or literal[body_at:body_at + 3] == bad * 3:
            continue
        body = literal[body_at + 1:-1]
        if good in body or bad in body:
            return None
        begin = starts[token.start[0] - 1] + token.start[1]
        finish = starts[token.end[0] - 1] + token.end[1]
        pieces.append(code[position:begin])
        pieces.append(literal[:body_at] + good + body + good)
        position = finish
    pieces.append(code[position:])
    result = "".join(pieces)
    return None if any(quote in result for quote in taken) else result
