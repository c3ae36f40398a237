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

Choosing the name (:class:`DevicePlanner`, on the file's semantic model), one device
variable per file:

* an existing variable that holds the device once this run's fixes are applied is reused
  where it is visible: ``NAME = <that expression>`` (or ``device = "cuda"``, or the
  ``"cuda" if torch.cuda.is_available() else "cpu"`` idiom, which become it), bound once in
  its scope, in the module (sites after it, or inside functions), in the enclosing function
  (sites after it), or ``self.NAME`` set once in the class (sites in ``__init__`` after it,
  or in its other methods); ``NAME = torch.device(<it>)`` is used as ``NAME`` where a whole
  device is taken (``.to()``, ``device=``) and as ``NAME.type`` elsewhere. The innermost
  wins. A variable whose unfixed value names an index (``"cuda:1"``) is not reused safely:
  the site's fix is then no more applicable than the variable's own fix;
* otherwise the first of ``DEVICE``, ``ACCELERATOR_DEVICE``, ``PORTABLE_DEVICE`` ... that
  the file never mentions, with a definition the fixer inserts after the whole import
  block; ``_DEVICE`` ... when the module reads its globals as a whole (``globals()``:
  nanoGPT saves every public global in its config and makes it a CLI key);
* a site that IS the whole value of ``name = "cuda"`` gets the expression itself (no
  variable): ``device = "cuda"`` becomes ``device = <expression>``.
"""

from __future__ import annotations

import ast
import re
from typing import Callable

from portlint.semantic import SemanticModel
from portlint.semantic.scopes import ASSIGNMENT, Scope

DEVICE_EXPRESSIONS = {
    "agnostic": 'torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"',
    "npu": '"npu" if torch.npu.is_available() else "cpu"',
}
CANDIDATE_NAMES = ("DEVICE", "ACCELERATOR_DEVICE", "PORTABLE_DEVICE")
_STRING = "string"  # a variable holding the device string
_WHOLE_DEVICE = re.compile(r"(\bto\(|\bdevice=|\bmap_location=|get_device_module\()\{device\}[,)]")

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


# How a fixed value reads and how applicable the fixes it needs are: ``(text, level)``
# with level 2 (safe, or nothing to fix), 1 (unsafe) or 0; None when it cannot be told.
FixedValue = Callable[[ast.expr], "tuple[str, int] | None"]
_HARVESTERS = frozenset({"globals", "vars", "locals"})


def harvests_globals(tree: ast.Module) -> bool:
    """Whether module code reads its own globals as a whole (``globals()``, ``vars()`` or
    ``locals()`` outside functions; nanoGPT's ``config_keys = [k for k, v in
    globals().items() ...]`` saves every public global in its config and CLI keys), or
    runs ``exec`` on them."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and (node.func.id == "globals" or (node.func.id in _HARVESTERS and not node.args))):
            return True
    return False


class _Variable:
    """An existing variable that already holds the device (the expression, or
    ``torch.device(<expression>)``) once this run's fixes are applied."""

    __slots__ = ("text", "name", "scope", "after", "level", "attribute", "whole_only")

    def __init__(self, text: str, name: str, scope: Scope | None, after: int, level: int,
                 attribute: bool = False) -> None:
        self.text, self.name, self.scope, self.after, self.level = text, name, scope, after, level
        self.attribute = attribute
        self.whole_only = False  # a user's choice (`--device cuda:1`): never combined with an index

    def for_site(self, whole: bool) -> str:
        return self.text[:-len(".type")] if whole and self.text.endswith(".type") else self.text


class DevicePlanner:
    """Per file: which name ``{device}`` stands for at a given site (on the file's model)."""

    expression_for = staticmethod(device_expression)

    def __init__(self, tree: ast.Module, model: SemanticModel, target: str,
                 fixed_value: FixedValue | None = None) -> None:
        self.target = target
        self.model = model
        self.expression = device_expression(target)
        self._wanted = ast.dump(ast.parse(self.expression, mode="eval").body)
        self._fixed_value = fixed_value
        self.private = harvests_globals(tree)
        declared = {name for scope in model.scopes for name in scope.declared}  # global/nonlocal
        self.variables: list[_Variable] = []
        for scope in model.scopes:
            if scope.kind not in ("module", "function"):
                continue
            counts: dict[str, int] = {}
            for binding in scope.history:
                counts[binding.name] = counts.get(binding.name, 0) + 1
            for binding in scope.history:
                statement = binding.statement
                if (binding.kind == ASSIGNMENT and isinstance(statement, ast.Assign) and len(statement.targets) == 1
                        and isinstance(statement.targets[0], ast.Name) and counts[binding.name] == 1
                        and binding.name not in declared):
                    found = self._holds_device(statement.value)
                    if found is not None:
                        form, level = found
                        text = binding.name if form == _STRING else f"{binding.name}.type"
                        self.variables.append(_Variable(text, binding.name, scope,
                                                        statement.end_lineno or statement.lineno, level))
        self._fresh: str | None = None

    def _holds_device(self, value: ast.expr) -> tuple[str, int] | None:
        """(``string`` or ``object``, level) when ``value`` is the device expression, or
        ``torch.device(<it>)``, once the fixes of this run are applied."""
        if ast.dump(value) == self._wanted:
            return _STRING, 2
        if self._fixed_value is None:
            return None
        fixed = self._fixed_value(value)
        if fixed is None:
            return None
        text, level = fixed
        try:
            body = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            return None
        if ast.dump(body) == self._wanted:
            return _STRING, level
        if (isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute))
                and self.model.resolve(value.func) == "torch.device" and isinstance(body, ast.Call)
                and len(body.args) == 1 and not body.keywords and ast.dump(body.args[0]) == self._wanted):
            return "object", level
        return None

    def add_attribute(self, text: str, method_scope: Scope, after: int, value: ast.expr) -> None:
        """``self.device`` (``text``), visible in the methods of its class."""
        found = self._holds_device(value)
        if found is not None:
            form, level = found
            self.variables.append(_Variable(text if form == _STRING else f"{text}.type", text,
                                            method_scope, after, level, attribute=True))

    def add_option(self, text: str, after: int, default: ast.expr) -> None:
        """``args.device`` after a module-level ``args = parser.parse_args()``, whose
        ``--device`` default holds the device: the user's choice where one is given, so a
        fix using it is at most unsafe (``--device cuda:1`` now moves what ``.cuda()``
        moved to the current device). Used only where a whole device is taken
        (``.to(args.device)``), never combined with an index."""
        found = self._holds_device(default)
        if found is not None and found[0] == _STRING:
            variable = _Variable(text, text.split(".")[0], self.model.module, after, min(found[1], 1))
            variable.whole_only = True
            self.variables.append(variable)

    def fresh_name(self) -> str:
        if self._fresh is None:
            identifiers = self.model.identifiers
            prefix = "_" if self.private else ""  # never a public global a config harvests
            for name in CANDIDATE_NAMES:
                if prefix + name not in identifiers:
                    self._fresh = prefix + name
                    break
            else:
                number = 2
                while f"{prefix}DEVICE_{number}" in identifiers:
                    number += 1
                self._fresh = f"{prefix}DEVICE_{number}"
        return self._fresh

    def placeholder(self, line: int, owners: list[ast.AST], template: str = "") -> tuple[str, tuple[str, ...], int]:
        """(text for ``{device}`` at a site, module-level definitions the fix needs, the
        level of the fixes an existing variable needs to hold the device: 2 when none).
        ``template``: the fix with ``{device}`` in it; where it takes a whole device
        (``.to({device})``, ``device={device}``) a ``torch.device`` variable is used as it is,
        elsewhere its ``.type``."""
        whole = bool(_WHOLE_DEVICE.search(template))
        scopes = [scope for scope in map(self.model.scope_of, owners) if scope is not None]
        module = self.model.module
        # the innermost first (a local, then ``self.x``), then the module's, first defined first
        for variable in sorted(self.variables, key=lambda v: v.scope is module):
            if variable.whole_only and not whole:
                continue
            scope = variable.scope
            if variable.attribute:
                if scope is None or not scopes or scopes[-1].parent is not scope.parent:
                    continue  # `self.device` only in the methods of its class
                if scopes[-1] is scope and line <= variable.after:
                    continue
                if scopes[-1] is not scope and getattr(scope.node, "name", "") != "__init__":
                    continue
                node = scopes[-1].node
                positional = [*node.args.posonlyargs, *node.args.args] if isinstance(node, ast.FunctionDef) else []
                if not positional or positional[0].arg != variable.text.split(".")[0]:
                    continue
                return variable.for_site(whole), (), variable.level
            if scope is module:
                if not scopes and line <= variable.after:
                    continue
                if any(variable.name in s.names for s in scopes):
                    continue  # shadowed
            else:
                if scope not in scopes:
                    continue
                inner = scopes[scopes.index(scope) + 1:]
                if (scope is scopes[-1] and line <= variable.after) or any(variable.name in s.names for s in inner):
                    continue
            return variable.for_site(whole), (), variable.level
        name = self.fresh_name()
        return name, (define_statement(name, self.target),), 2
