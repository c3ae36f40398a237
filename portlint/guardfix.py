"""A rewritten availability check must not expose the CUDA-only code it protected.

``torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8`` is False on
an NPU machine, so the CUDA call never runs there. Rewriting only the check to
``torch.accelerator.is_available()`` makes it True on the NPU, and the CUDA call then
raises. So the fix of an availability check (PRT102, and PRT509's ``is_built``) is only as
safe as the fixes of the findings in the code it guards:

* the right-hand operands of ``check and ...``;
* the body of ``if check:`` / ``x if check else y`` (the else branch for ``not check``);
* after ``if not check: raise/return/...``, the rest of the block.

If one of those findings has no code fix, the check gets advice instead of a rewrite; if
one has only an unsafe fix, the check's fix is unsafe too. Once the guarded code is
portable (the next fixing round sees it fixed), the check is rewritten.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from portlint.findings import Finding, Fix

Span = tuple[tuple[int, int], tuple[int, int]]  # (line, 1-based char column) start, end
_EXITS = (ast.Raise, ast.Return, ast.Continue, ast.Break)


def is_availability_check(finding: Finding) -> bool:
    return finding.matched.endswith((".is_available", ".is_built")) and finding.fix is not None \
        and finding.fix.replacement is not None


def hold_back_guard_fixes(tree: ast.Module, lines: list[str], findings: list[Finding]) -> list[Finding]:
    checks = {(f.line, f.column): f for f in findings if is_availability_check(f)}
    if not checks:
        return findings
    regions = _guarded_regions(tree, lines, checks)
    changed: dict[int, Finding] = {}
    for key, spans in regions.items():
        check = checks[key]
        inside = [f for f in findings if f is not check and not is_availability_check(f)
                  and any(_contains(span, f) for span in spans)]
        held = _held_back(check, inside)
        if held is not check:
            changed[id(check)] = held
    return [changed.get(id(f), f) for f in findings]


def _held_back(check: Finding, inside: list[Finding]) -> Finding:
    assert check.fix is not None
    advice = [f for f in inside if f.fix is None or f.fix.replacement is None]
    if advice:
        first = advice[0]
        hint = (f"make the CUDA-only code this check protects portable first (line {first.line}: "
                f"{first.matched}), then replace the check with `{check.fix.replacement}`")
        return replace(check, fix=Fix(None, hint, "manual", check.fix.min_torch))
    if check.fix.applicability == "safe" and any(f.fix.applicability != "safe" for f in inside):  # type: ignore[union-attr]
        return replace(check, fix=replace(check.fix, applicability="unsafe",
                                          hint="unsafe: the code this check protects has only unsafe fixes"))
    return check


def _contains(span: Span, finding: Finding) -> bool:
    return span[0] <= (finding.line, finding.column) and (finding.end_line, finding.end_column) <= span[1]


def _guarded_regions(tree: ast.Module, lines: list[str], checks: dict) -> dict[tuple[int, int], list[Span]]:
    def start(node: ast.AST) -> tuple[int, int]:
        return node.lineno, _char(lines, node.lineno, node.col_offset) + 1  # type: ignore[attr-defined]

    def end(node: ast.AST) -> tuple[int, int]:
        line = node.end_lineno or node.lineno  # type: ignore[attr-defined]
        return line, _char(lines, line, node.end_col_offset or 0) + 1  # type: ignore[attr-defined]

    def check_in(test: ast.expr) -> tuple[tuple[int, int] | None, bool]:
        """(key of the check the test relies on, negated)"""
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        inner = test.operand if negated else test  # type: ignore[attr-defined]
        operands = inner.values if isinstance(inner, ast.BoolOp) and isinstance(inner.op, ast.And) and not negated \
            else [inner]
        for operand in operands:
            if isinstance(operand, ast.Call) and start(operand) in checks:
                return start(operand), negated
        return None, False

    regions: dict[tuple[int, int], list[Span]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            for i, value in enumerate(node.values[:-1]):
                if isinstance(value, ast.Call) and start(value) in checks:
                    regions.setdefault(start(value), []).append((start(node.values[i + 1]), end(node.values[-1])))
        elif isinstance(node, (ast.If, ast.IfExp)):
            key, negated = check_in(node.test)
            if key is None:
                continue
            branch = node.orelse if negated else node.body
            nodes = branch if isinstance(branch, list) else [branch]
            if nodes:
                regions.setdefault(key, []).append((start(nodes[0]), end(nodes[-1])))
        for body in _blocks(node):
            for i, stmt in enumerate(body[:-1]):
                if isinstance(stmt, ast.If) and (isinstance(stmt.body[-1], _EXITS) or _is_exit_call(stmt.body[-1])):
                    key, negated = check_in(stmt.test)
                    if key is not None and negated:
                        regions.setdefault(key, []).append((start(body[i + 1]), end(body[-1])))
    return regions


def _blocks(node: ast.AST) -> list[list[ast.stmt]]:
    return [block for block in (getattr(node, "body", None), getattr(node, "orelse", None),
                                getattr(node, "finalbody", None)) if isinstance(block, list) and block
            and isinstance(block[0], ast.stmt)]


def _is_exit_call(stmt: ast.stmt) -> bool:
    """``sys.exit(...)``, ``exit()``, ``quit()``, ``os._exit(...)``"""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("exit", "quit", "_exit")


def _char(lines: list[str], line: int, byte_offset: int) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if text.isascii():
        return byte_offset
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
