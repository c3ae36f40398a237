"""The traversal that fills the semantic model (the visitor half of the model).

:class:`Binder` walks a module once, in execution order, the way pyflakes does: a
statement's value before its targets, a ``for``'s iterable before its target, a
comprehension's first iterable in the enclosing scope; function and lambda bodies are
deferred to the end of the module (when they run, the module's names have their final
bindings). The analyzer subclasses it and adds its matching to the same traversal; the
fixer runs it alone (:func:`build_model`) on the text of each round.
"""

from __future__ import annotations

import ast
from collections import deque
from typing import Any, Callable

from portlint.semantic.scopes import (
    ASSIGNMENT, CLASS, EXCEPT, FUNCTION, IMPORT, LOOP, MATCH, OTHER, PARAMETER, WITH, SemanticModel,
)

# Fields holding only singletons without children or code (Load, Add, Eq, And...).
_LEAF_FIELDS = frozenset({"ctx", "op", "ops"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class Binder:
    """Fill ``self.model`` from one module. Subclasses extend ``_dispatch`` entries by
    overriding the ``visit_*`` methods and calling ``super()``."""

    def __init__(self, model: SemanticModel | None = None) -> None:
        self.model = model if model is not None else SemanticModel()
        self._store: tuple[str, ast.AST | None] = (OTHER, None)  # kind/statement for Name stores
        self._deferred: deque[tuple[ast.AST, Any, Any]] = deque()
        self._child_fields: dict[type, tuple[str, ...]] = {}
        self._dispatch: dict[type, Callable[[Any], None]] = {
            ast.Name: self.visit_name,
            ast.Import: self.visit_import,
            ast.ImportFrom: self.visit_import,
            ast.Assign: self.visit_assign,
            ast.AnnAssign: self.visit_assign,
            ast.AugAssign: self.visit_aug_assign,
            ast.NamedExpr: self.visit_named_expr,
            ast.For: self.visit_for,
            ast.AsyncFor: self.visit_for,
            ast.With: self.visit_with,
            ast.AsyncWith: self.visit_with,
            ast.ExceptHandler: self.visit_except_handler,
            ast.FunctionDef: self.visit_function,
            ast.AsyncFunctionDef: self.visit_function,
            ast.Lambda: self.visit_function,
            ast.ClassDef: self.visit_class,
            ast.Global: self.visit_global,
            ast.Nonlocal: self.visit_global,
            ast.ListComp: self.visit_comprehension,
            ast.SetComp: self.visit_comprehension,
            ast.GeneratorExp: self.visit_comprehension,
            ast.DictComp: self.visit_comprehension,
            ast.MatchAs: self.visit_match_capture,
            ast.MatchStar: self.visit_match_capture,
            ast.MatchMapping: self.visit_match_capture,
        }

    # ------------------------------------------------------------------ driving

    def run(self, tree: ast.Module) -> SemanticModel:
        for stmt in tree.body:
            self.visit(stmt)
        self.model.module_time = False
        while self._deferred:
            node, scope, context = self._deferred.popleft()
            self.run_deferred(node, scope, context)
        self.model.scope = self.model.module
        return self.model

    def visit(self, node: ast.AST) -> None:
        method = self._dispatch.get(type(node))
        if method is not None:
            method(node)
        else:
            self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        # ast.iter_child_nodes, inlined (the hottest loop of a run), minus the fields that
        # only hold operator/context singletons (Load, Add, Eq...), which hold no code.
        fields = self._child_fields.get(type(node))
        if fields is None:
            fields = self._child_fields[type(node)] = tuple(
                name for name in node._fields if name not in _LEAF_FIELDS)
        visit = self.visit
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        visit(item)
            elif isinstance(value, ast.AST):
                visit(value)

    def visit_all(self, nodes: list[Any]) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node)

    def store(self, target: ast.AST, kind: str, statement: ast.AST | None) -> None:
        """Visit an assignment target: the names in it are bound as ``kind``."""
        saved = self._store
        self._store = (kind, statement)
        try:
            self.visit(target)
        finally:
            self._store = saved

    # ------------------------------------------------------------------ deferral (subclass hooks)

    def context(self) -> Any:
        """What a deferred body must see again when it is visited (subclasses add theirs)."""
        return None

    def restore(self, context: Any) -> None:
        """Re-enter a ``context()`` before a deferred body."""

    def run_deferred(self, node: ast.AST, scope: Any, context: Any) -> None:
        model = self.model
        model.scope = scope
        self.restore(context)
        assert isinstance(node, _FUNCTIONS)
        model.push("lambda" if isinstance(node, ast.Lambda) else "function", node)
        args = node.args
        for arg in [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]:
            if arg is not None:
                model.bind(arg.arg, PARAMETER, arg)
        if isinstance(node, ast.Lambda):
            self.visit(node.body)
        else:
            for stmt in node.body:
                self.visit(stmt)
        model.pop()

    # ------------------------------------------------------------------ names

    def visit_name(self, node: ast.Name) -> None:
        ctx = type(node.ctx)
        if ctx is ast.Load:
            self.model.reference(node)
        elif ctx is ast.Store:
            kind, statement = self._store
            self.model.bind(node.id, kind, node, None, statement)
        else:
            self.model.unbind(node.id)

    def visit_import(self, node: ast.Import | ast.ImportFrom) -> None:
        model = self.model
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    model.bind(alias.asname, IMPORT, alias, alias.name, node)
                else:
                    root = alias.name.split(".", 1)[0]
                    model.bind(root, IMPORT, alias, root, node)
            return
        absolute = not node.level and node.module
        for alias in node.names:
            if alias.name == "*":
                if absolute and node.module not in model.scope.star_imports:
                    model.scope.star_imports.append(node.module)  # type: ignore[arg-type]
                continue
            qualified = f"{node.module}.{alias.name}" if absolute else None
            model.bind(alias.asname or alias.name, IMPORT, alias, qualified, node)

    def visit_assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        value = node.value
        if isinstance(node, ast.AnnAssign):
            self.visit(node.annotation)
        if value is not None:
            self.visit(value)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if value is None:  # `x: int`: an annotation, no binding (the target's parts still run)
            if not isinstance(node.target, ast.Name):
                self.visit(node.target)
            return
        model = self.model
        alias = model.resolve(value) if isinstance(value, (ast.Attribute, ast.Name)) else None
        for target in targets:
            if type(target) is ast.Name:
                if alias is None and isinstance(value, ast.Constant) and value.value is None:
                    current = model.scope.bindings.get(target.id)
                    if current is not None and current.kind == IMPORT and current.qualified:
                        # `torch = None` (the `except ImportError:` fallback) keeps the import.
                        current.optional = True
                        model.scope.names.add(target.id)
                        continue
                model.bind(target.id, ASSIGNMENT, target, alias, node)
                if target.id == "__all__" and model.scope is model.module:
                    self._export(value)
            else:
                self.store(target, ASSIGNMENT, node)

    def _export(self, value: ast.expr) -> None:
        """``__all__ = ["name", ...]``: each listed name counts as used."""
        if isinstance(value, (ast.List, ast.Tuple)):
            for element in value.elts:
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    binding = self.model.module.bindings.get(element.value)
                    if binding is not None:
                        binding.uses += 1

    def visit_aug_assign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        target = node.target
        if isinstance(target, ast.Name):
            self.model.reference(ast.Name(target.id, ast.Load(), lineno=target.lineno,
                                          col_offset=target.col_offset))
            if target.id == "__all__" and self.model.scope is self.model.module:
                self._export(node.value)
        self.store(target, ASSIGNMENT, node)

    def visit_named_expr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        model = self.model
        scope = model.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent  # := in a comprehension binds in the enclosing scope
        model.bind(node.target.id, ASSIGNMENT, node.target, None, node, scope=scope)

    def visit_for(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.store(node.target, LOOP, node)
        self.visit_all(node.body)
        self.visit_all(node.orelse)

    def visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.store(item.optional_vars, WITH, node)
        self.visit_all(node.body)

    def visit_except_handler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            previous = self.model.scope.bindings.get(node.name)
            self.model.bind(node.name, EXCEPT, node, None, node)
        self.visit_all(node.body)
        if node.name:  # Python deletes the name when the handler ends
            if previous is not None:
                self.model.scope.bindings[node.name] = previous
            else:
                self.model.scope.bindings.pop(node.name, None)

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        self.visit_all([*args.defaults, *args.kw_defaults])
        if not isinstance(node, ast.Lambda):
            self.visit_all(node.decorator_list)
            for arg in [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]:
                if arg is not None and arg.annotation is not None:
                    self.visit(arg.annotation)
            if node.returns is not None:
                self.visit(node.returns)
            self.model.bind(node.name, FUNCTION, node, None, node)
        self._deferred.append((node, self.model.scope, self.context()))

    def visit_class(self, node: ast.ClassDef) -> None:
        self.visit_all([*node.decorator_list, *node.bases, *(k.value for k in node.keywords)])
        model = self.model
        model.push("class", node)
        for stmt in node.body:
            self.visit(stmt)
        model.pop()
        model.bind(node.name, CLASS, node, None, node)

    def visit_global(self, node: ast.Global | ast.Nonlocal) -> None:
        how = "global" if isinstance(node, ast.Global) else "nonlocal"
        for name in node.names:
            self.model.declare(name, how)

    def visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        generators = node.generators
        self.visit(generators[0].iter)  # evaluated in the enclosing scope
        model = self.model
        model.push("comprehension", node)
        for number, generator in enumerate(generators):
            if number:
                self.visit(generator.iter)
            self.store(generator.target, LOOP, node)
            self.visit_all(generator.ifs)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        model.pop()

    def visit_match_capture(self, node: ast.MatchAs | ast.MatchStar | ast.MatchMapping) -> None:
        self.generic_visit(node)
        name = node.rest if isinstance(node, ast.MatchMapping) else node.name
        if name:
            self.model.bind(name, MATCH, node, None, node)


def build_model(tree: ast.Module) -> SemanticModel:
    """The semantic model of a module, without any matching (the fixer's use)."""
    return Binder().run(tree)
