"""Fix replacements written the way a person would, given where they land.

A rule's template is one expression; where it lands decides how it should read:

* ``(A if torch.accelerator.is_available() else D)`` under a condition that already
  guarantees an accelerator (``if torch.cuda.is_available():``, ``if x.is_cuda:``, the
  body of another ``torch.accelerator.is_available()`` test) is just ``A``;
* the same conditional used as a statement (its value unused) is an ``if`` statement::

      if torch.accelerator.is_available():
          torch.accelerator.empty_cache()

* a comparison under ``not`` is negated instead (``not x.device.type != "cpu"`` reads
  ``x.device.type == "cpu"``);
* a call that becomes a copy of the statement right before or after it (the CUDA seeding
  call after ``torch.manual_seed(s)``) is removed rather than repeated.

These functions work on text; the analyzer knows the context (portlint/analyzer.py).
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from portlint.portability import is_accelerator_check

_INDENT = re.compile(r"^([ \t]+)\S", re.MULTILINE)
_FLIPPED = {ast.Eq: "!=", ast.NotEq: "==", ast.Is: "is not", ast.IsNot: "is", ast.In: "not in",
            ast.NotIn: "in"}


@lru_cache(maxsize=1024)  # (a rule's template recurs at each site: parse it once)
def guarded_call(replacement: str) -> tuple[str, str] | None:
    """(guard, body) of ``(body if torch.accelerator.is_available() else default)``."""
    if " if " not in replacement or "accelerator.is_available()" not in replacement:
        return None
    try:
        node = ast.parse(replacement.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    if not isinstance(node, ast.IfExp) or not is_accelerator_check(node.test):
        return None
    text = replacement.strip()
    body = ast.get_source_segment(text, node.body)
    guard = ast.get_source_segment(text, node.test)
    if body is None or guard is None:
        return None
    if isinstance(node.body, (ast.Compare, ast.BoolOp, ast.BinOp, ast.IfExp, ast.UnaryOp, ast.Lambda, ast.NamedExpr)):
        body = f"({body})"
    return guard, body


def as_statement(guard: str, body: str, indent: str, unit: str) -> str:
    """The ``if`` statement replacing an expression statement that starts at ``indent``."""
    return f"if {guard}:\n{indent}{unit}{body}"


def negated(replacement: str) -> str | None:
    """``a != b`` -> ``a == b`` (one comparison operator that has an opposite), else None."""
    try:
        node = ast.parse(replacement.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _FLIPPED):
        return None
    text = replacement.strip()
    left = ast.get_source_segment(text, node.left)
    right = ast.get_source_segment(text, node.comparators[0])
    if left is None or right is None:
        return None
    return f"{left} {_FLIPPED[type(node.ops[0])]} {right}"


def same_statement(code: str, other: ast.stmt) -> bool:
    """Whether ``code`` (one statement) is ``other`` written again."""
    try:
        tree = ast.parse(code.strip())
    except (SyntaxError, ValueError):
        return False
    return len(tree.body) == 1 and ast.dump(tree.body[0]) == ast.dump(other)


def indent_unit(text: str) -> str:
    """The file's indentation step: its smallest indentation (tabs if it indents with tabs)."""
    widths = [m.group(1) for m in _INDENT.finditer(text[:20000])]
    if not widths:
        return "    "
    if all(w.startswith("\t") for w in widths):
        return "\t"
    return " " * min(len(w) for w in widths if not w.startswith("\t")) if any(
        not w.startswith("\t") for w in widths) else "    "
