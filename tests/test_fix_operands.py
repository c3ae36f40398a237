"""A replacement that is itself an operation keeps its meaning inside comparisons."""

from __future__ import annotations

import ast

from conftest import lint, linter_for
from portlint.fixer import fix_text


def replacements(code: str) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.fix.replacement) for f in lint(code) if f.code == "PRT405"]


def test_is_cuda_inside_comparison_is_parenthesized_with_its_receiver() -> None:
    assert replacements("a = x.is_cuda == False\n") == [(1, 5, '(x.device.type != "cpu")')]
    assert replacements("d = m.w.is_cuda is True\n") == [(1, 5, '(m.w.device.type != "cpu")')]
    assert replacements("e = 1 + y.is_cuda\n") == [(1, 9, '(y.device.type != "cpu")')]


def test_is_cuda_elsewhere_keeps_the_short_form() -> None:
    assert replacements("if x.is_cuda:\n    pass\n") == [(1, 6, 'device.type != "cpu"')]


def test_is_cuda_under_not_is_negated_instead() -> None:
    """`not x.device.type != "cpu"` is what nobody writes."""
    assert replacements("b = not x.is_cuda\n") == [(1, 5, 'x.device.type == "cpu"')]
    assert replacements("if not m.w.is_cuda:\n    pass\n") == [(1, 4, 'm.w.device.type == "cpu"')]


def test_fixed_comparison_means_the_same() -> None:
    source = "import torch\nflag = x.is_cuda == False\n"
    fixed = fix_text(source, linter_for("agnostic"), "m.py", unsafe=True)
    assert fixed.error is None
    tree = ast.parse(fixed.text)
    compare = tree.body[1].value
    assert isinstance(compare, ast.Compare) and len(compare.ops) == 1
    assert isinstance(compare.left, ast.Compare)

