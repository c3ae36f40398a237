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


# --------------------------------------------------------------------------- long lines

DEFAULT_WIDTH = 88  # black's and ruff's default line length
_BRACKETS = {ast.List: "[]", ast.Set: "{}", ast.Tuple: "()", ast.Dict: "{}"}


def line_width(text: str) -> int:
    """The line length the file keeps to: 88, or more when its own long lines show a
    wider limit (the length its 99th-percentile line reaches)."""
    lengths = sorted(len(line) for line in text.splitlines())
    if not lengths:
        return DEFAULT_WIDTH
    return max(DEFAULT_WIDTH, lengths[min(len(lengths) - 1, int(len(lengths) * 0.99))])


def wrapped(code: str, indent: str, unit: str, width: int, before: int, after: int, newline: str = "\n") -> str | None:
    """``code`` (one line, an expression) exploded one argument or element per line, the
    way black wraps a call or a display, when the line it lands on (``before`` characters
    before it, ``after`` after it) would be longer than ``width``; None when it fits or
    cannot be wrapped so (no brackets of its own to break inside)."""
    if before + len(code) + after <= width or "\n" in code or "\r" in code:
        return None
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        return None
    node = tree.body
    inner = ast.get_source_segment(code, node) or ""
    if code.startswith("(") and code.endswith(")") and inner == code[1:-1].strip():
        # a parenthesized expression (`(a if c else b)`): broken inside its parentheses
        body = _explode(code, node, indent + unit, unit, width, len(indent + unit), 0, newline)
        return "(" + newline + indent + unit + body + newline + indent + ")"
    text = _explode(code, node, indent, unit, width, before, after, newline)
    return text if newline in text else None


def _explode(code: str, node: ast.expr, indent: str, unit: str, width: int, before: int, after: int,
             newline: str) -> str:
    text = ast.get_source_segment(code, node) or ""
    if before + len(text) + after <= width:
        return text
    if isinstance(node, ast.Call):
        items: list[ast.AST] = sorted([*node.args, *node.keywords], key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]
        if not items or (len(items) == 1 and isinstance(items[0], ast.GeneratorExp)):
            return text
        head = (ast.get_source_segment(code, node.func) or "") + "("
        close = ")"
    elif type(node) in _BRACKETS and text[:1] == _BRACKETS[type(node)][0]:
        if isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):
                return text
            items = list(node.values)
        else:
            items = list(node.elts)  # type: ignore[attr-defined]
        if not items:
            return text
        head, close = _BRACKETS[type(node)]
    else:
        return text
    inner = indent + unit
    # black's right-hand split first: the contents on one line of their own
    body = text[len(head):len(text) - len(close)].strip()
    if len(inner) + len(body) <= width and "\n" not in body and not body.endswith(","):
        return head + newline + inner + body + newline + indent + close
    if len(items) == 1 and not isinstance(items[0], ast.keyword) and not isinstance(node, ast.Tuple):
        item = _explode(code, items[0], inner, unit, width, len(inner), 0, newline)  # type: ignore[arg-type]
        return head + newline + inner + item + newline + indent + close
    lines = []
    for item in items:
        if isinstance(item, ast.keyword):
            name = f"{item.arg}=" if item.arg else "**"
            value = _explode(code, item.value, inner, unit, width, len(inner) + len(name), 1, newline)
            lines.append(f"{inner}{name}{value},")
        elif isinstance(node, ast.Dict):
            key = ast.get_source_segment(code, node.keys[node.values.index(item)]) or ""  # type: ignore[arg-type]
            value = _explode(code, item, inner, unit, width, len(inner) + len(key) + 2, 1, newline)  # type: ignore[arg-type]
            lines.append(f"{inner}{key}: {value},")
        else:
            lines.append(f"{inner}{_explode(code, item, inner, unit, width, len(inner), 1, newline)},")  # type: ignore[arg-type]
    return head + newline + newline.join(lines) + newline + indent + close
