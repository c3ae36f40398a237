"""Value flow: the value a name or a ``self.`` attribute holds where it is used.

A CUDA device often reaches the call that uses it through a variable::

    loc = f"cuda:{self.gpu_id}"             # the definition: nothing here says "device"
    snapshot = torch.load(path, map_location=loc)   # the use: a device position

The analyzer asks this module, at a use in a device (or device-type, backend, process
count) position, for the one value the name was given, and matches that value as if it
were written at the use. The finding and its fix go to the definition, so a value used
in several places is fixed once and every use follows.

What counts as the definition of a name read in a function (or at module level): its one
assignment in the scope that binds it (``x = value``, ``x: T = value``), its parameter
default, or for ``self.attr`` the one assignment ``self.attr = value`` in the methods of
the enclosing class (or the class attribute ``attr = value``). A name bound more than
once, or in any other way (``for``, ``with``, ``import``, augmented assignment...), has
no single value and is left alone: value flow never guesses.

:func:`is_int` answers "is this an integer?" for device indexes: an int literal,
``int(...)``, a parameter annotated ``int``, or a name or attribute whose one definition
is one of those.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_SCOPES = (*_FUNCTIONS, ast.ClassDef)
_MAX_DEPTH = 8  # value chains followed at most this far (a = b; b = c ...)


@dataclass(frozen=True)
class Definition:
    """One value a name was given, and the scopes (outermost first) it was given in."""

    value: ast.expr | None  # None: bound in a way that gives no value (for, import...)
    owners: tuple[ast.AST, ...]
    annotation: ast.expr | None = None  # a parameter's annotation
    parameter: bool = False


class ValueFlow:
    """Definitions of one module's names and ``self.`` attributes (built on first use)."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._names: dict[tuple[int, str], list[Definition]] | None = None  # (id(scope) or 0, name)
        self._attributes: dict[tuple[int, str], list[Definition]] = {}  # (id(class), attr)

    # ------------------------------------------------------------------ queries

    def definition(self, expr: ast.expr, owners: list[ast.AST] | tuple[ast.AST, ...]) -> Definition | None:
        """The single definition of the name or ``self.attr`` that ``expr`` reads, or None."""
        if self._names is None:
            self._names = {}
            _Collector(self).collect(self.tree)
        if isinstance(expr, ast.Name):
            for scope in _visible_scopes(owners):
                definitions = self._names.get((id(scope) if scope is not None else 0, expr.id))
                if definitions is not None:
                    return _single(definitions)
            return None
        if (isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name)
                and owners and isinstance(owners[-1], _FUNCTIONS)):
            method = owners[-1]
            klass = owners[-2] if len(owners) > 1 and isinstance(owners[-2], ast.ClassDef) else None
            if klass is not None and expr.value.id == _first_parameter(method):
                return _single(self._attributes.get((id(klass), expr.attr), []))
        return None

    def value(self, expr: ast.expr, owners: list[ast.AST] | tuple[ast.AST, ...]) -> tuple[ast.expr, tuple[ast.AST, ...]] | None:
        """Follow names and attributes to the expression that gives ``expr`` its value
        (itself when it is not a name), with the scopes that expression is in."""
        current, scopes = expr, tuple(owners)
        for _ in range(_MAX_DEPTH):
            if not isinstance(current, (ast.Name, ast.Attribute)):
                return current, scopes
            found = self.definition(current, scopes)
            if found is None or found.value is None:
                return None
            current, scopes = found.value, found.owners
        return None

    def is_int(self, expr: ast.expr, owners: list[ast.AST] | tuple[ast.AST, ...]) -> bool:
        current, scopes = expr, tuple(owners)
        for _ in range(_MAX_DEPTH):
            if _int_expression(current):
                return True
            if not isinstance(current, (ast.Name, ast.Attribute)):
                return False
            found = self.definition(current, scopes)
            if found is None:
                return False
            if found.value is None:
                return found.parameter and _is_int_annotation(found.annotation)
            if found.parameter and _is_int_annotation(found.annotation):
                return True
            current, scopes = found.value, found.owners
        return False


def _single(definitions: list[Definition]) -> Definition | None:
    if len(definitions) == 1:
        return definitions[0]
    first = definitions[0] if definitions else None
    if first is not None and first.value is not None and all(
            d.value is not None and ast.dump(d.value) == ast.dump(first.value) for d in definitions):
        return first
    return None


def _visible_scopes(owners: list[ast.AST] | tuple[ast.AST, ...]) -> list[ast.AST | None]:
    """The scopes a name read inside ``owners`` may come from, innermost first (a class
    body is visible only to code directly in it, not to its methods)."""
    scopes: list[ast.AST | None] = []
    for position in range(len(owners) - 1, -1, -1):
        owner = owners[position]
        if isinstance(owner, ast.ClassDef) and position != len(owners) - 1:
            continue
        scopes.append(owner)
    scopes.append(None)
    return scopes


def _first_parameter(function: ast.AST) -> str | None:
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    positional = [*function.args.posonlyargs, *function.args.args]
    return positional[0].arg if positional else None


def _int_expression(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, int) and not isinstance(expr.value, bool)
    if isinstance(expr, ast.Call):
        return isinstance(expr.func, ast.Name) and expr.func.id == "int"
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
        return _int_expression(expr.operand)
    return False


def _is_int_annotation(annotation: ast.expr | None) -> bool:
    return isinstance(annotation, ast.Name) and annotation.id == "int"


class _Collector:
    """Fill a :class:`ValueFlow`'s tables in one walk of the module."""

    def __init__(self, flow: ValueFlow) -> None:
        self.flow = flow

    def collect(self, tree: ast.Module) -> None:
        self._body(tree.body, ())

    def _add(self, owners: tuple[ast.AST, ...], name: str, definition: Definition) -> None:
        scope = owners[-1] if owners else None
        assert self.flow._names is not None
        self.flow._names.setdefault((id(scope) if scope is not None else 0, name), []).append(definition)

    def _body(self, statements: list[ast.stmt], owners: tuple[ast.AST, ...]) -> None:
        for stmt in statements:
            self._node(stmt, owners)

    def _node(self, node: ast.AST, owners: tuple[ast.AST, ...]) -> None:
        if isinstance(node, _SCOPES):
            if not isinstance(node, ast.Lambda):
                self._add(owners, node.name, Definition(None, owners))
            inner = (*owners, node)
            if isinstance(node, ast.ClassDef):
                self._class_attributes(node, owners)
                self._body(node.body, inner)
                return
            self._parameters(node, inner)
            if isinstance(node, ast.Lambda):
                self._node(node.body, inner)
            else:
                self._body(node.body, inner)
            return
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                self._target(target, node.value, owners)
        elif isinstance(node, ast.AugAssign):
            self._target(node.target, None, owners)
        elif isinstance(node, ast.NamedExpr):
            self._target(node.target, node.value, owners)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._target(node.target, None, owners)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._target(node.optional_vars, None, owners)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self._add(owners, node.name, Definition(None, owners))
        elif isinstance(node, ast.alias):
            self._add(owners, (node.asname or node.name).split(".", 1)[0], Definition(None, owners))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:  # rebinds a name of another scope: no single value anywhere
                self._add(owners, name, Definition(None, owners))
                self._add((), name, Definition(None, ()))
        for child in ast.iter_child_nodes(node):
            self._node(child, owners)

    def _target(self, target: ast.expr, value: ast.expr | None, owners: tuple[ast.AST, ...]) -> None:
        if isinstance(target, ast.Name):
            self._add(owners, target.id, Definition(value, owners))
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) else None
            for position, element in enumerate(target.elts):
                self._target(element, values[position] if values else None, owners)
        elif isinstance(target, ast.Starred):
            self._target(target.value, None, owners)

    def _parameters(self, function: ast.AST, inner: tuple[ast.AST, ...]) -> None:
        args = function.args  # type: ignore[attr-defined]
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]
        for arg, default in pairs:
            # A parameter's value is its default only as far as its type goes: callers may
            # pass anything else. Strings and device objects are taken from the default
            # (the default is what runs when nothing is passed); see analyzer.
            self._add(inner, arg.arg, Definition(default, inner, arg.annotation, parameter=True))
        for arg in (args.vararg, args.kwarg):
            if arg is not None:
                self._add(inner, arg.arg, Definition(None, inner, parameter=True))

    def _class_attributes(self, klass: ast.ClassDef, owners: tuple[ast.AST, ...]) -> None:
        attributes = self.flow._attributes
        for stmt in klass.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name) and stmt.value is not None:
                        attributes.setdefault((id(klass), target.id), []).append(
                            Definition(stmt.value, (*owners, klass)))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self_name = _first_parameter(stmt)
                if self_name is None or any(isinstance(d, ast.Name) and d.id == "staticmethod"
                                            for d in stmt.decorator_list):
                    continue
                for node in ast.walk(stmt):
                    targets = []
                    value = None
                    if isinstance(node, (ast.Assign, ast.AnnAssign)):
                        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                        value = node.value
                    elif isinstance(node, ast.AugAssign):
                        targets = [node.target]
                    for target in targets:
                        if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                                and target.value.id == self_name):
                            attributes.setdefault((id(klass), target.attr), []).append(
                                Definition(value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None,
                                           (*owners, klass, stmt)))
