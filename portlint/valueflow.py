"""Value flow: the value a name or a ``self.`` attribute holds where it is used.

A CUDA device often reaches the call that uses it through a variable::

    loc = f"cuda:{self.gpu_id}"             # the definition: nothing here says "device"
    snapshot = torch.load(path, map_location=loc)   # the use: a device position

The analyzer asks this module, at a use in a device (or device-type, backend, process
count) position, for the value the name was given, and matches that value as if it were
written at the use. The finding and its fix go to the definition, so a value used in
several places is fixed once and every use follows.

Names are resolved by the semantic model (``portlint/semantic``): the binding a name
refers to at the use gives the definition (an assignment's value, a parameter's default
and annotation). A name bound more than once in its scope with different values, or
bound in any other way (``for``, ``with``, ``import``, augmented assignment...), has no
single value and is left alone: value flow never guesses. ``self.attr`` (which the model
does not track) is the one assignment ``self.attr = value`` in the methods of the
enclosing class, or the class attribute ``attr = value``.

:meth:`ValueFlow.is_int` answers "is this an integer?" for device indexes: an int literal,
``int(...)``, a parameter annotated ``int``, or a name or attribute whose one definition
is one of those. :func:`int_names` is its cheap over-approximation for a whole file (no
semantic model): the engine asks it before analyzing a file that only integer-device
matchers could flag.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass

from portlint.semantic import Binding, Scope, SemanticModel
from portlint.semantic.guards import last_name
from portlint.semantic.scopes import ASSIGNMENT, PARAMETER

_MAX_DEPTH = 8  # value chains followed at most this far (a = b; b = c ...)
# Parameters that hold parsed command-line options (`def train(args): ... args.device`).
_ARGS_PARAMETERS = frozenset({"args", "opt", "opts", "options", "flags", "hparams"})


@dataclass(frozen=True)
class Definition:
    """One value a name was given and the scope it was given in (to resolve the names in
    it), or for a parameter its annotation."""

    value: ast.expr | None  # None: no value (a parameter without default...)
    scope: Scope | None
    annotation: ast.expr | None = None
    parameter: bool = False


class ValueFlow:
    """Definitions of one module's names (through the model) and ``self.`` attributes."""

    def __init__(self, model: SemanticModel, tree: ast.Module | None = None, text: str | None = None) -> None:
        self.model = model
        self.tree = tree
        self.text = text  # the module's source, when known (to skip looking for what it lacks)
        self._attributes: dict[int, dict[str, list[tuple[ast.expr | None, ast.AST]]]] = {}  # id(class)
        self._arguments: list[ast.Call] | None = None  # parser.add_argument(...) calls

    # ------------------------------------------------------------------ queries

    def definition(self, expr: ast.expr, scope: Scope | None) -> Definition | None:
        """The single definition of the name or ``self.attr`` that ``expr`` reads, or None."""
        if scope is None:
            return None
        if isinstance(expr, ast.Name):
            binding = self.model.lookup(expr.id, scope)
            return _binding_definition(binding) if binding is not None else None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            method = scope if scope.is_function else None
            klass = method.parent if method is not None else None
            if (klass is None or klass.kind != "class" or not isinstance(klass.node, ast.ClassDef)
                    or expr.value.id != _first_parameter(method.node)):
                return self._object_attribute(expr, scope)
            found = self.class_attributes(klass.node).get(expr.attr, [])
            if not found or not _one_value([value for value, _ in found]):
                return None
            value, where = found[0]
            return Definition(value, self.model.scope_of(where))
        return None

    def value(self, expr: ast.expr, scope: Scope | None) -> tuple[ast.expr, Scope | None] | None:
        """Follow names and attributes to the expression that gives ``expr`` its value
        (itself when it is not a name), with the scope that expression is in."""
        current, where = expr, scope
        for _ in range(_MAX_DEPTH):
            if not isinstance(current, (ast.Name, ast.Attribute)):
                return current, where
            found = self.definition(current, where)
            if found is None or found.value is None:
                return None
            current, where = found.value, found.scope
        return None

    def is_int(self, expr: ast.expr, scope: Scope | None) -> bool:
        current, where = expr, scope
        for _ in range(_MAX_DEPTH):
            if _int_expression(current):
                return True
            if not isinstance(current, (ast.Name, ast.Attribute)):
                return False
            found = self.definition(current, where)
            if found is None:
                return False
            if found.parameter and _is_int_annotation(found.annotation):
                return True
            if found.value is None:
                return False
            current, where = found.value, found.scope
        return False

    # ------------------------------------------------------------------ other objects

    def _object_attribute(self, expr: ast.Attribute, scope: Scope) -> Definition | None:
        """``args.x`` after ``args = parser.parse_args()``: the ``default=`` of the
        ``parser.add_argument("--x", ...)`` (its ``type=int`` too); ``cfg.x`` after ``cfg =
        Config(...)``: the keyword passed for ``x``, else the class's default for it."""
        assert isinstance(expr.value, ast.Name)
        binding = self.model.lookup(expr.value.id, scope)
        if binding is not None and binding.kind == PARAMETER and binding.name in _ARGS_PARAMETERS:
            return self._argparse_default(None, expr.attr, binding.scope)  # `def train(args): args.device`
        if binding is None or binding.kind != ASSIGNMENT:
            return None
        if sum(1 for b in binding.scope.history if b.name == binding.name) != 1:
            return None
        made = _assigned_value(binding)
        if not isinstance(made, ast.Call) or not isinstance(made.func, (ast.Name, ast.Attribute)):
            return None
        func = made.func
        if isinstance(func, ast.Attribute) and func.attr in ("parse_args", "parse_known_args"):
            if func.attr == "parse_known_args" or not isinstance(func.value, ast.Name):
                return None
            return self._argparse_default(func.value, expr.attr, binding.scope)
        if isinstance(func, ast.Name):
            klass = self.model.lookup(func.id, binding.scope)
            if klass is None or not isinstance(klass.node, ast.ClassDef):
                return None
            for keyword in made.keywords:
                if keyword.arg == expr.attr:
                    return Definition(keyword.value, binding.scope)
                if keyword.arg is None:
                    return None
            if made.args:
                return None
            found = [(value, where) for value, where in self.class_attributes(klass.node).get(expr.attr, [])
                     if where is klass.node or getattr(where, "name", "") == "__init__"]
            if len(found) != 1 or found[0][0] is None:
                return None
            value, where = found[0]
            if where is not klass.node:
                return None  # set in __init__ from what the call passed: not a default
            return Definition(value, self.model.scope_of(klass.node))
        return None

    def _argparse_default(self, parser: ast.Name | None, dest: str, scope: Scope) -> Definition | None:
        """The option ``dest`` of the parser named ``parser`` (matched by name in the whole
        module: parsers are often built in a function); ``parser`` None: of any parser of
        the module, when exactly one defines it (``args`` received as a parameter)."""
        found = []
        for node in self._argument_calls():
            func = node.func
            assert isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            if (parser is not None and func.value.id != parser.id) or _argument_dest(node) != dest:
                continue
            found.append(node)
        if len(found) != 1:
            return None
        keywords = {k.arg: k.value for k in found[0].keywords if k.arg}
        kind = keywords.get("type")
        annotation = kind if isinstance(kind, ast.Name) else None
        return Definition(keywords.get("default"), self.model.module, annotation, parameter=annotation is not None)

    def _argument_calls(self) -> list[ast.Call]:
        text = self.text
        if self._arguments is None and text is not None and text.isascii() and "add_argument" not in text:
            self._arguments = []  # (an identifier is written as it is in ASCII source: no walk)
        if self._arguments is None:
            self._arguments = [node for node in nodes(self.tree) if isinstance(node, ast.Call)
                               and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument"
                               and isinstance(node.func.value, ast.Name)] if self.tree is not None else []
        return self._arguments

    # ------------------------------------------------------------------ self attributes

    def class_attributes(self, klass: ast.ClassDef) -> dict[str, list[tuple[ast.expr | None, ast.AST]]]:
        """attr -> [(value or None, the method or class that assigns it)] (built once per class)."""
        table = self._attributes.get(id(klass))
        if table is not None:
            return table
        table = {}
        for stmt in klass.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                    if isinstance(target, ast.Name):
                        table.setdefault(target.id, []).append((stmt.value, klass))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self_name = _first_parameter(stmt)
                if self_name is None or any(isinstance(d, ast.Name) and d.id == "staticmethod"
                                            for d in stmt.decorator_list):
                    continue
                for node in _statements(stmt):
                    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                        value = node.value if not isinstance(node, ast.AugAssign) else None
                        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                            if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                                    and target.value.id == self_name):
                                table.setdefault(target.attr, []).append((value, stmt))
        self._attributes[id(klass)] = table
        return table


def int_value_possible(tree: ast.Module, calls: frozenset[str], keywords: frozenset[str]) -> bool:
    """Whether a call of the file passes a value ``ValueFlow.is_int`` might prove an int (an
    int expression, or a name or attribute whose identifier is in :func:`int_names`) as the
    first argument of a call to one of ``calls`` (``f(i)``, ``x.f(i)``) or as one of
    ``keywords``. One walk of the file, no semantic model."""
    values: dict[str, list[ast.expr]] = {}
    found: set[str] = set()
    candidates: set[str] = set()
    defining = _DEFINING
    for node in nodes(tree):
        kind = node.__class__
        if kind is ast.Call:
            called = last_name(node.func)  # type: ignore[attr-defined]
            passed = [k.value for k in node.keywords if k.arg in keywords]  # type: ignore[attr-defined]
            if called in calls and node.args:  # type: ignore[attr-defined]
                passed.append(node.args[0])  # type: ignore[attr-defined]
            for value in passed:
                if _int_expression(value):
                    return True
                name = last_name(value)
                if name is not None:
                    candidates.add(name)
        if kind in defining:
            _definitions(node, values, found)
    return bool(candidates) and not candidates.isdisjoint(_int_like(values, found))


def int_names(tree: ast.Module) -> frozenset[str]:
    """Identifiers that may hold an int by value flow: a superset of the names and
    attribute names ``ValueFlow.is_int`` can prove to be ints, from one walk of the file.

    Every definition value flow follows is recorded under the identifier it defines,
    ignoring scopes: an assignment's (or walrus's) value under each name or attribute
    name of its target (for a tuple target, every element's value), a parameter's default
    under the parameter, a keyword argument's value under the keyword (``Config(gpu=0)``),
    an ``add_argument`` default under its ``dest``. An identifier is int-like when one of
    its values is an int expression or an int-like identifier, or when it is a parameter
    annotated ``int`` (an ``add_argument`` with ``type=int``). Following any chain
    ``is_int`` follows backwards, each identifier on it is int-like (sound: never smaller
    than what value flow proves; scopes, single definitions and depth are ignored)."""
    values: dict[str, list[ast.expr]] = {}
    found: set[str] = set()
    for node in nodes(tree):
        if node.__class__ in _DEFINING:
            _definitions(node, values, found)
    return frozenset(_int_like(values, found))


def nodes(tree: ast.AST):  # type: ignore[no-untyped-def]
    """Every node below ``tree`` but the context and operator singletons (``Load``, ``Add``,
    ``Eq``...), in no particular order (faster than ``ast.walk``)."""
    stack = [tree]
    pop, push = stack.pop, stack.append
    AST = ast.AST
    fields_of = _CHILD_FIELDS
    while stack:
        node = pop()
        yield node
        kind = node.__class__
        fields = fields_of.get(kind)
        if fields is None:
            fields = fields_of[kind] = tuple(name for name in kind._fields if name not in ("ctx", "op", "ops"))
        for name in fields:
            child = getattr(node, name, None)
            if child.__class__ is list:
                for item in child:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(child, AST):
                push(child)


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}  # node class -> the fields ``nodes`` looks in


_DEFINING = frozenset({ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.arguments, ast.Call})  # what _definitions reads


def _definitions(node: ast.AST, values: dict[str, list[ast.expr]], found: set[str]) -> None:
    """Record the definitions ``node`` makes (see :func:`int_names`)."""
    kind = type(node)
    if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.NamedExpr:
        value = node.value  # type: ignore[attr-defined]
        if value is None:
            return
        elements = value.elts if isinstance(value, (ast.Tuple, ast.List)) else ()
        for target in node.targets if kind is ast.Assign else [node.target]:  # type: ignore[attr-defined]
            for name, element_of_tuple in _target_names(target):
                given = values.setdefault(name, [])
                given.append(value)
                if element_of_tuple:
                    given.extend(elements)
    elif kind is ast.arguments:
        positional = [*node.posonlyargs, *node.args]  # type: ignore[attr-defined]
        defaults = node.defaults  # type: ignore[attr-defined]
        for arg, default in [*zip(positional[len(positional) - len(defaults):], defaults),
                             *zip(node.kwonlyargs, node.kw_defaults)]:  # type: ignore[attr-defined]
            if default is not None:
                values.setdefault(arg.arg, []).append(default)
        for arg in [*positional, node.vararg, *node.kwonlyargs, node.kwarg]:  # type: ignore[attr-defined]
            if arg is not None and _is_int_annotation(arg.annotation):
                found.add(arg.arg)
    elif kind is ast.Call:
        for keyword in node.keywords:  # type: ignore[attr-defined]
            if keyword.arg is not None:
                values.setdefault(keyword.arg, []).append(keyword.value)
        func = node.func  # type: ignore[attr-defined]
        if isinstance(func, ast.Attribute) and func.attr == "add_argument":
            dest = _argument_dest(node)  # type: ignore[arg-type]
            if dest is not None:
                for keyword in node.keywords:  # type: ignore[attr-defined]
                    if keyword.arg == "default":
                        values.setdefault(dest, []).append(keyword.value)
                    elif keyword.arg == "type" and _is_int_annotation(keyword.value):
                        found.add(dest)


def _int_like(values: dict[str, list[ast.expr]], found: set[str]) -> set[str]:
    """``found`` (int-annotated) plus every identifier with an int value, directly or through
    other identifiers: propagated backwards along "name = other_name" (a work list: linear)."""
    users: dict[str, list[str]] = {}
    for name, given in values.items():
        for value in given:
            if name not in found and _int_expression(value):
                found.add(name)
            source = last_name(value)
            if source is not None:
                users.setdefault(source, []).append(name)
    pending = list(found)
    while pending:
        for name in users.get(pending.pop(), ()):
            if name not in found:
                found.add(name)
                pending.append(name)
    return found


def may_be_int(expr: ast.expr, names: frozenset[str]) -> bool:
    """Whether ``ValueFlow.is_int`` could hold for ``expr`` (``names``: :func:`int_names`)."""
    return _int_expression(expr) or last_name(expr) in names


def _target_names(target: ast.expr, element: bool = False):  # type: ignore[no-untyped-def]
    """(identifier, inside a tuple/list target) for each name or attribute a target binds."""
    if isinstance(target, (ast.Name, ast.Attribute)):
        yield last_name(target), element
    elif isinstance(target, (ast.Tuple, ast.List)):
        for item in target.elts:
            yield from _target_names(item, True)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value, element)


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statements(node: ast.stmt):  # type: ignore[no-untyped-def]
    """The statements in ``node`` (itself included), in ``ast.walk``'s order: a breadth-first
    walk that does not enter expressions (no statement is inside one; every ancestor of a
    statement is a statement, an ``except`` handler or a ``case``)."""
    todo = deque([node])
    while todo:
        node = todo.popleft()
        fields = _BLOCK_FIELDS.get(node.__class__)
        if fields is None:
            fields = _BLOCK_FIELDS[node.__class__] = tuple(name for name in node._fields if name in _BLOCK_NAMES)
        for name in fields:
            child = getattr(node, name, None)
            if type(child) is list:
                todo.extend(item for item in child if isinstance(item, _BLOCKS))
        yield node


# The fields that hold statements, handlers or cases (a statement's blocks); the other list
# fields hold expressions, aliases, keywords...
_BLOCK_NAMES = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_BLOCK_FIELDS: dict[type, tuple[str, ...]] = {}  # node class -> its fields in _BLOCK_NAMES


def _binding_definition(binding: Binding) -> Definition | None:
    scope = binding.scope
    same = [b for b in scope.history if b.name == binding.name]
    if binding.kind == PARAMETER and isinstance(binding.node, ast.arg):
        if len(same) != 1:
            return None
        default = _parameter_default(scope.node, binding.node)
        return Definition(default, scope.parent, binding.node.annotation, parameter=True)
    if binding.kind != ASSIGNMENT:
        return None
    value = _assigned_value(binding)
    if value is None or not _one_value([_assigned_value(b) for b in same]):
        return None
    return Definition(value, scope)


def _one_value(values: list[ast.expr | None]) -> bool:
    """Every assignment has a value and all are the same expression (several assignments
    alike: ``x = 0`` in each branch); the values are compared only when there are several."""
    if any(value is None for value in values):
        return False
    if len(values) == 1:
        return True
    first = ast.dump(values[0])  # type: ignore[arg-type]
    return all(ast.dump(value) == first for value in values[1:])  # type: ignore[arg-type]


def _assigned_value(binding: Binding) -> ast.expr | None:
    """The value an assignment binding gives its name (``x = v``, ``x: T = v``, ``x := v``,
    and ``a, b = u, v`` element by element); None for anything else."""
    statement, target = binding.statement, binding.node
    if isinstance(statement, ast.NamedExpr):
        return statement.value
    if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for candidate in targets:
            if candidate is target:
                return statement.value
            if isinstance(candidate, (ast.Tuple, ast.List)) and isinstance(statement.value, (ast.Tuple, ast.List)):
                elements, values = candidate.elts, statement.value.elts
                if len(elements) == len(values) and not any(isinstance(e, ast.Starred) for e in elements):
                    for element, value in zip(elements, values):
                        if element is target:
                            return value
    return None


def _parameter_default(function: ast.AST | None, arg: ast.arg) -> ast.expr | None:
    args = getattr(function, "args", None)
    if args is None:
        return None
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for candidate, default in [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]:
        if candidate is arg:
            return default
    return None


def _first_parameter(function: ast.AST | None) -> str | None:
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


def _argument_dest(call: ast.Call) -> str | None:
    """The attribute ``parser.add_argument(...)`` sets: ``dest=``, else the first long
    option (``--gpu-id`` -> ``gpu_id``), else a positional name."""
    for keyword in call.keywords:
        if keyword.arg == "dest":
            return keyword.value.value if isinstance(keyword.value, ast.Constant) else None
    names = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    long = [n for n in names if n.startswith("--")]
    if long:
        return long[0][2:].replace("-", "_")
    if names and not names[0].startswith("-"):
        return names[0]
    return None
