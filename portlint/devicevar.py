"""The module-level device variable behind the ``{device}`` fix placeholder.

A hard-coded ``"cuda"`` becomes a device that is the current accelerator when there is
one and the CPU otherwise. Rather than repeating that expression at every site, a fix
template writes ``{device}``; the analyzer turns it into the name of ONE module-level
variable per file::

    DEVICE = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

and the fixer inserts that definition once, after the imports. The variable holds a
device *string* ("cuda", "npu", "xpu", "cpu" ...), so it works everywhere the literal
"cuda" worked: ``device=``, ``.to()``, ``map_location=``, ``torch.device(DEVICE)``,
``torch.device(DEVICE, 1)``, ``torch.autocast(DEVICE)``, ``GradScaler(DEVICE)`` and string
comparisons. (``torch.accelerator.current_accelerator()`` alone reports the accelerator
torch was *built* for: on a CUDA build without a GPU it is still ``cuda``, hence the
``is_available()`` guard.)

Choosing the name (:class:`DevicePlanner`):

* a top-level ``NAME = <that expression>`` already in the file, with ``NAME`` bound nowhere
  else, is reused wherever it is visible (sites after it, or inside functions), so fixing
  twice changes nothing and a user's own variable is kept;
* otherwise the first of ``DEVICE``, ``ACCELERATOR_DEVICE``, ``PORTABLE_DEVICE`` ... that
  the file never mentions, with a definition the fixer inserts;
* a site that IS the whole value of ``name = "cuda"`` gets the expression itself (no
  variable): ``device = "cuda"`` becomes ``device = <expression>``.
"""

from __future__ import annotations

import ast
from collections import Counter

DEVICE_EXPRESSIONS = {
    "agnostic": 'torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"',
    "npu": '"npu" if torch.npu.is_available() else "cpu"',
}
CANDIDATE_NAMES = ("DEVICE", "ACCELERATOR_DEVICE", "PORTABLE_DEVICE")

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def device_expression(target: str) -> str:
    return DEVICE_EXPRESSIONS.get(target, DEVICE_EXPRESSIONS["agnostic"])


def define_statement(name: str, target: str) -> str:
    return f"{name} = {device_expression(target)}"


class DevicePlanner:
    """Per file: which name ``{device}`` stands for at a given site."""

    def __init__(self, tree: ast.Module, target: str) -> None:
        self.target = target
        self.expression = device_expression(target)
        wanted = ast.dump(ast.parse(self.expression, mode="eval").body)
        self.module_bindings: Counter[str] = Counter()
        self.scope_locals: dict[int, set[str]] = {}
        self.identifiers: set[str] = set()
        _Collector(self).collect(tree)
        self.existing: list[tuple[str, int]] = []  # (name, last line of its definition)
        for stmt in _module_statements(tree):
            target_name = _single_name_target(stmt)
            value = getattr(stmt, "value", None)
            if target_name and value is not None and ast.dump(value) == wanted:
                if self.module_bindings[target_name] == 1:
                    self.existing.append((target_name, stmt.end_lineno or stmt.lineno))
        self._fresh: str | None = None

    def fresh_name(self) -> str:
        if self._fresh is None:
            for name in CANDIDATE_NAMES:
                if name not in self.identifiers:
                    self._fresh = name
                    break
            else:
                number = 2
                while f"DEVICE_{number}" in self.identifiers:
                    number += 1
                self._fresh = f"DEVICE_{number}"
        return self._fresh

    def placeholder(self, line: int, owners: list[ast.AST], inline: bool) -> tuple[str, tuple[str, ...]]:
        """(text for ``{device}``, module-level definitions the fix needs)."""
        if inline:
            return self.expression, ()
        in_function = any(isinstance(owner, _FUNCTIONS) for owner in owners)
        for name, defined_at in self.existing:
            if not in_function and line <= defined_at:
                continue
            if any(name in self.scope_locals.get(id(owner), ()) for owner in owners):
                continue
            return name, ()
        name = self.fresh_name()
        return name, (define_statement(name, self.target),)


def _module_statements(tree: ast.Module) -> list[ast.stmt]:
    """Statements at module scope, also inside if/try/with/for/while blocks (not in defs)."""
    found: list[ast.stmt] = []
    stack = list(reversed(tree.body))
    while stack:
        stmt = stack.pop()
        found.append(stmt)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        inner = [*getattr(stmt, "body", []), *getattr(stmt, "orelse", []), *getattr(stmt, "finalbody", []),
                 *(s for h in getattr(stmt, "handlers", []) for s in h.body)]
        stack.extend(reversed([s for s in inner if isinstance(s, ast.stmt)]))
    return found


def _single_name_target(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return stmt.target.id
    return None


class _Collector:
    """Names bound per scope (module counts, function/class sets) and every identifier."""

    def __init__(self, planner: DevicePlanner) -> None:
        self.planner = planner

    def collect(self, tree: ast.Module) -> None:
        stack: list[tuple[ast.AST, ast.AST | None]] = [(child, None) for child in ast.iter_child_nodes(tree)]
        while stack:
            node, scope = stack.pop()
            inner = scope
            if isinstance(node, _SCOPES):
                if not isinstance(node, ast.Lambda):
                    self.bind(node.name, scope)
                self.planner.scope_locals.setdefault(id(node), set())
                inner = node
                # decorators, defaults, bases and annotations run in the enclosing scope
                outer_parts: list[ast.AST] = []
                if isinstance(node, ast.ClassDef):
                    outer_parts += [*node.decorator_list, *node.bases, *node.keywords]
                    inner_parts: list[ast.AST] = list(node.body)
                else:
                    args = node.args
                    outer_parts += [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
                    if not isinstance(node, ast.Lambda):
                        outer_parts += node.decorator_list
                    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                        if arg is not None:
                            self.bind(arg.arg, node)
                    inner_parts = [node.body] if isinstance(node, ast.Lambda) else list(node.body)
                stack.extend((part, scope) for part in outer_parts)
                stack.extend((part, inner) for part in inner_parts)
                continue
            if isinstance(node, ast.Name):
                self.planner.identifiers.add(node.id)
                if not isinstance(node.ctx, ast.Load):
                    self.bind(node.id, scope)
            elif isinstance(node, ast.alias):
                bound = node.asname or node.name.split(".", 1)[0]
                if bound != "*":
                    self.bind(bound, scope)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                for name in node.names:
                    self.planner.identifiers.add(name)
                    self.planner.module_bindings[name] += 1  # rebinds a module name: never reuse it
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self.bind(node.name, scope)
            elif isinstance(node, ast.arg):
                self.planner.identifiers.add(node.arg)
            else:
                name = getattr(node, "name", None) if type(node).__name__.startswith("Match") else None
                rest = getattr(node, "rest", None) if type(node).__name__ == "MatchMapping" else None
                for bound in (name, rest):
                    if isinstance(bound, str):
                        self.bind(bound, scope)
            stack.extend((child, scope) for child in ast.iter_child_nodes(node))

    def bind(self, name: str, scope: ast.AST | None) -> None:
        self.planner.identifiers.add(name)
        if scope is None:
            self.planner.module_bindings[name] += 1
        else:
            self.planner.scope_locals.setdefault(id(scope), set()).add(name)
