"""Fixed code must be valid on the oldest Python the project supports, whatever Python
runs portlint.

The oldest Python is the ``target-version`` setting (``"py310"``), else the lower bound the
project declares (``requires-python``, ``python_requires``: see portlint/project.py), else
3.9 (the oldest Python of torch 2.6).

``ast.parse(feature_version=...)`` does not reject the PEP 701 f-strings of Python 3.12
(``f"{x["key"]}"``, a backslash or a comment inside ``{...}``), so f-strings are checked
structurally: below 3.12, the code inside a replacement field may not contain the quote
character of any f-string around it, nor a backslash. (Replacements written into such a
field are re-quoted before, by portlint/fstrings.py; this is the check of the result.)
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from pathlib import Path

from portlint.project import declared_in

DEFAULT_OLDEST = (3, 9)
PEP701 = (3, 12)
_PREFIX = re.compile(r"[rRbBuUfF]*")
_TARGET = re.compile(r"py3(\d{1,2})")


def parse_target_version(value: str) -> tuple[int, int] | None:
    found = _TARGET.fullmatch(value.strip())
    return (3, int(found.group(1))) if found else None


def oldest_python(settings) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The oldest Python the fixed code must parse on (see the module docstring)."""
    configured = getattr(settings, "target_version", None)
    if configured:
        return configured
    config = getattr(settings, "config_file", None)
    if config is not None:
        found = declared_in(Path(config).parent).python
        if found is not None:
            return found
    return DEFAULT_OLDEST


# --------------------------------------------------------------------------- f-strings


def _quote_of(literal: str) -> str:
    """The quote of a string literal's source: ``'``, ``"``, ``'''`` or ``\"\"\"``."""
    rest = literal[_PREFIX.match(literal).end():]  # type: ignore[union-attr]
    return rest[:3] if rest[:3] in ("'''", '"""') else rest[:1]


def fstring_spans(text: str, tree: ast.AST) -> list[tuple[int, int, str]]:
    """(start, end, quote) character offsets of every f-string in ``text``."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    lines = text.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        content = lines[line - 1] if line - 1 < len(lines) else ""
        return starts[line - 1] + len(content.encode("utf-8")[:column].decode("utf-8", "ignore"))

    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and hasattr(node, "end_lineno"):
            start = offset(node.lineno, node.col_offset)
            end = offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
            source = text[start:end]
            if source[:1] == "(":  # implicit concatenation in parentheses: find the f part
                continue
            spans.append((start, end, _quote_of(source)))
    return spans


def _offset(text: str, line: int, column: int) -> int:
    lines = text.splitlines(keepends=True)
    before = sum(len(l) for l in lines[:line - 1])
    return before + len(lines[line - 1].encode("utf-8")[:column].decode("utf-8", "ignore"))


def invalid_fstring_fields(text: str, tree: ast.AST) -> int:
    """How many f-string replacement fields use what Python < 3.12 rejects (the quote of an
    enclosing f-string, a backslash). Structural, so it works on every Python; on a Python
    < 3.12 such code does not even parse."""
    if sys.version_info < PEP701:
        return 0
    count = 0
    spans = fstring_spans(text, tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        for value in node.values:
            if not isinstance(value, ast.FormattedValue):
                continue
            inner = ast.get_source_segment(text, value.value)
            if inner is None:
                continue
            # a triple quote is only ended by itself; a single one by its character
            quotes = {quote for start, end, quote in spans if start <= _node_offset(text, value.value) < end}
            if "\\" in inner or any(q in inner for q in quotes):
                count += 1
    return count


def _node_offset(text: str, node: ast.AST) -> int:
    return _offset(text, node.lineno, node.col_offset)  # type: ignore[attr-defined]


def grammar_problem(old_text: str, old_tree: ast.AST, new_text: str, new_tree: ast.AST,
                    oldest: tuple[int, int]) -> str | None:
    """Why ``new_text`` would not parse on Python ``oldest`` when ``old_text`` did."""
    if oldest < PEP701 and invalid_fstring_fields(new_text, new_tree) > invalid_fstring_fields(old_text, old_tree):
        return f"an f-string of the fixed code needs Python 3.12 (the project supports {oldest[0]}.{oldest[1]})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(new_text, feature_version=max(oldest, (3, 7)))
    except SyntaxError as exc:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(old_text, feature_version=max(oldest, (3, 7)))
        except (SyntaxError, ValueError):
            return None  # the original already needed a newer Python
        return f"the fixed code does not parse on Python {oldest[0]}.{oldest[1]}: {exc.msg}"
    return None
