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

Choosing the name (:class:`DevicePlanner`, on the file's semantic model):

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

from portlint.semantic import SemanticModel
from portlint.semantic.scopes import ASSIGNMENT

DEVICE_EXPRESSIONS = {
    "agnostic": 'torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"',
    "npu": '"npu" if torch.npu.is_available() else "cpu"',
}
CANDIDATE_NAMES = ("DEVICE", "ACCELERATOR_DEVICE", "PORTABLE_DEVICE")

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def device_expression(target: str) -> str:
    return DEVICE_EXPRESSIONS.get(target, DEVICE_EXPRESSIONS["agnostic"])


def define_statement(name: str, target: str) -> str:
    return f"{name} = {device_expression(target)}"


def existing_definition(model: SemanticModel, name: str, expression: str) -> ast.stmt | None:
    """The module-scope ``name = <expression>`` statement, if the file has one."""
    wanted = ast.dump(ast.parse(expression, mode="eval").body)
    for binding in model.module.history:
        statement = binding.statement
        if (binding.name == name and binding.kind == ASSIGNMENT and isinstance(statement, ast.Assign)
                and len(statement.targets) == 1 and ast.dump(statement.value) == wanted):
            return statement
    return None


class DevicePlanner:
    """Per file: which name ``{device}`` stands for at a given site (on the file's model)."""

    expression_for = staticmethod(device_expression)

    def __init__(self, tree: ast.Module, model: SemanticModel, target: str) -> None:
        self.target = target
        self.model = model
        self.expression = device_expression(target)
        wanted = ast.dump(ast.parse(self.expression, mode="eval").body)
        self.existing: list[tuple[str, int]] = []  # (name, last line of its definition)
        module = model.module
        counts: dict[str, int] = {}
        for binding in module.history:
            counts[binding.name] = counts.get(binding.name, 0) + 1
        declared = {name for scope in model.scopes for name in scope.declared}  # global/nonlocal
        for binding in module.history:
            statement = binding.statement
            if (binding.kind == ASSIGNMENT and isinstance(statement, ast.Assign) and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name) and counts[binding.name] == 1
                    and binding.name not in declared and ast.dump(statement.value) == wanted):
                self.existing.append((binding.name, statement.end_lineno or statement.lineno))
        self._fresh: str | None = None

    def fresh_name(self) -> str:
        if self._fresh is None:
            identifiers = self.model.identifiers
            for name in CANDIDATE_NAMES:
                if name not in identifiers:
                    self._fresh = name
                    break
            else:
                number = 2
                while f"DEVICE_{number}" in identifiers:
                    number += 1
                self._fresh = f"DEVICE_{number}"
        return self._fresh

    def placeholder(self, line: int, owners: list[ast.AST]) -> tuple[str, tuple[str, ...]]:
        """(text for ``{device}`` at a site, module-level definitions the fix needs)."""
        in_function = any(isinstance(owner, _FUNCTIONS) for owner in owners)
        for name, defined_at in self.existing:
            if not in_function and line <= defined_at:
                continue
            if any(name in scope.names for scope in map(self.model.scope_of, owners) if scope is not None):
                continue
            return name, ()
        name = self.fresh_name()
        return name, (define_statement(name, self.target),)
