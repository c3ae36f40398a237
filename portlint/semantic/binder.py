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

from portlint.semantic import guards as g
from portlint.semantic.guards import Guard
from portlint.semantic.imports import import_fact
from portlint.semantic.scopes import (
    ASSIGNMENT, CLASS, EXCEPT, FUNCTION, IMPORT, LOOP, MATCH, OTHER, PARAMETER, WITH, Binding, SemanticModel,
)

# Fields holding only singletons without children or code (Load, Add, Eq, And...).
_LEAF_FIELDS = frozenset({"ctx", "op", "ops"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class Binder:
    """Fill ``self.model`` from one module. Subclasses extend ``_dispatch`` entries by
    overriding the ``visit_*`` methods and calling ``super()``."""

    def __init__(self, model: SemanticModel | None = None, guard_names: frozenset[str] = g.DEFAULT_GUARDS) -> None:
        self.model = model if model is not None else SemanticModel()
        self.guards: list[Guard] = []  # the guard context of the current node, outermost first
        self.guard_names = guard_names
        self.family_words = g.FAMILY_WORDS  # the siblings that make a per-backend family (see run_deferred)
        self._tree: ast.Module | None = None
        self._tests_other_backend: dict[int, bool] = {}
        self._branch_tests: dict[int, list[ast.expr]] | None = None  # see ``branch_tests``
        self._rungs: dict[int, tuple[bool, bool]] = {}  # id(elif) -> its earlier rungs (see visit_if)
        self._store: tuple[str, ast.AST | None] = (OTHER, None)  # kind/statement for Name stores
        self._deferred: deque[tuple[ast.AST, Any, Any]] = deque()
        # > 0 inside code a test expects to fail (`with pytest.raises(...)`) or a test's
        # assertion: a rewrite there changes what the test tests (the analyzer's fixes are
        # at most unsafe there)
        self.expecting = 0
        self.test_module = False  # the file is a test module (``test_x.py``): nothing imports it
        self._skipped_tests = False  # some test is skipped off CUDA by its decorators
        self.mocking = False  # some guard has ``mocked`` names (made by ``mocks``): else none has
        # The file's imports with the guards they run under (portlint/variants.py), when
        # a caller asks for them (a list); None: not collected.
        self.imports: list[str] | None = None
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
            ast.If: self.visit_if,
            ast.IfExp: self.visit_if_exp,
            ast.BoolOp: self.visit_bool_op,
            ast.Try: self.visit_try,
            ast.While: self.visit_while,
            ast.match_case: self.visit_match_case,
            ast.Assert: self.visit_assert,
        }
        if hasattr(ast, "TryStar"):  # Python >= 3.11
            self._dispatch[ast.TryStar] = self.visit_try

    # ------------------------------------------------------------------ driving

    def run(self, tree: ast.Module) -> SemanticModel:
        self._tree = tree
        self.visit_block(tree.body)
        self.model.module_time = False
        helpers = self._helper_candidates() if self._skipped_tests else None
        if helpers:
            self._run_with_helpers(helpers)
        while self._deferred:
            node, scope, context = self._deferred.popleft()
            self.run_deferred(node, scope, context)
        self.model.scope = self.model.module
        return self.model

    # ------------------------------------------------------------------ helpers of skipped tests

    def _helper_candidates(self) -> dict[int, Binding]:
        """id(def) -> binding of the module's functions that only the file itself calls: plain
        (undecorated) defs bound once at module level, not read at module time (nor listed
        in ``__all__``), not collected by a test runner (``test*``, ``setup_module`` ...),
        and private (``_helper``) unless the file is a test module (``test_x.py``), which
        nothing imports."""
        module = self.model.module
        seen: dict[str, int] = {}
        for binding in module.history:
            seen[binding.name] = seen.get(binding.name, 0) + 1
        found: dict[int, Binding] = {}
        for binding in module.history:
            node = binding.node
            name = binding.name
            if (binding.kind != FUNCTION or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                    or node.decorator_list or seen[name] != 1 or binding.uses
                    or module.bindings.get(name) is not binding or name.startswith(("test", "pytest_", "__"))
                    or name in _RUNNER_HOOKS
                    or not (self.test_module or name.startswith("_"))):
                continue
            found[id(node)] = binding
        return found

    def _run_with_helpers(self, helpers: dict[int, Binding]) -> None:
        """Run the deferred bodies; a helper function (see ``_helper_candidates``) used only
        in tests skipped off CUDA (``@require_torch_gpu class T: ... mp.spawn(_worker)``),
        or in helpers that are, runs only on CUDA too: its body gets their SKIP guard."""
        held: list[tuple[ast.AST, Any, Any]] = []
        bindings = list(helpers.values())
        skipped_uses = dict.fromkeys(helpers, 0)  # id(def) -> its uses in skipped tests
        deferred = self._deferred
        while deferred:
            node, scope, context = deferred.popleft()
            if id(node) in helpers and scope is self.model.module:
                held.append((node, scope, context))
                continue
            if not any(guard.kind == g.SKIP for guard in context):
                self.run_deferred(node, scope, context)
                continue
            before = [binding.uses for binding in bindings]
            self.run_deferred(node, scope, context)
            for binding, uses in zip(bindings, before):
                if binding.uses != uses:
                    skipped_uses[id(binding.node)] += binding.uses - uses
        skipped = _only_in_skipped_tests(helpers, held, skipped_uses)
        for node, scope, context in held:
            deferred.append((node, scope, (*context, Guard(g.SKIP)) if id(node) in skipped else context))

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
        # (``visit`` inlined: one call less per node)
        dispatch = self._dispatch
        generic = self.generic_visit
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        method = dispatch.get(type(item))
                        if method is not None:
                            method(item)
                        else:
                            generic(item)
            elif isinstance(value, ast.AST):
                method = dispatch.get(type(value))
                if method is not None:
                    method(value)
                else:
                    generic(value)

    def visit_block(self, body: list[ast.stmt]) -> None:
        """A statement list: guards an early return adds end with the block."""
        depth = len(self.guards)
        dispatch = self._dispatch
        for stmt in body:
            (dispatch.get(type(stmt)) or self.generic_visit)(stmt)  # (``visit``, inlined)
        del self.guards[depth:]

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
        """What a deferred body must see again when it is visited: the guard context (a
        def under ``if torch.cuda.is_available():`` only exists where CUDA does)."""
        return tuple(self.guards)

    def restore(self, context: Any) -> None:
        """Re-enter a ``context()`` before a deferred body."""
        self.guards = list(context)

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
        elif node.name in self.guard_names or g.is_cuda_predicate_name(node.name):
            # `def is_cuda_available(): return torch.cuda.is_available()`: the body of a
            # helper predicate (or of one named for a CUDA property, such as
            # `check_cuda_fp8_capability`) is CUDA detection by definition
            self.visit_guarded_block(node.body, Guard(g.BACKEND))
        elif _family_member(node.name, scope, self.family_words):
            # `def cuda(self)` beside `def npu(self)`, `get_max_cuda_memory` beside
            # `get_max_musa_memory`: the CUDA member of a per-backend family runs where CUDA
            # is asked for; its siblings are the other backends' working paths
            self.visit_guarded_block(node.body, Guard(g.CUDA, None, False, True))
        else:
            self.visit_block(node.body)
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
        if self.imports is not None:
            fact = import_fact(node, self.guards)
            if fact is not None:
                self.imports.append(fact)
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
                    model.stars = True
                continue
            qualified = f"{node.module}.{alias.name}" if absolute else None
            model.bind(alias.asname or alias.name, IMPORT, alias, qualified, node)

    def visit_assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        value = node.value
        if type(node) is ast.AnnAssign:
            self.visit_annotation(node.annotation)
            if value is None:  # `x: int`: an annotation, no binding (the target's parts still run)
                if type(node.target) is not ast.Name:
                    self.visit(node.target)
                return
            targets = [node.target]
        else:
            targets = node.targets  # type: ignore[union-attr]
        (self._dispatch.get(type(value)) or self.generic_visit)(value)  # (``visit``, inlined)
        model = self.model
        kind = type(value)
        alias = model.resolve(value) if kind is ast.Attribute or kind is ast.Name else None
        for target in targets:
            if type(target) is ast.Name:
                if alias is None and kind is ast.Constant and value.value is None:  # type: ignore[union-attr]
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
        self.visit_block(node.body)
        self.visit_block(node.orelse)

    def visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.store(item.optional_vars, WITH, node)
        expects = any(self._expects_a_failure(item.context_expr) for item in node.items)
        self.expecting += expects
        try:
            self.visit_guarded_block(node.body, self.mocks([item.context_expr for item in node.items]))
        finally:
            self.expecting -= expects

    def _expects_a_failure(self, manager: ast.expr) -> bool:
        """``pytest.raises(...)``, ``self.assertRaises(...)``, ``self.assertRaisesRegex(...)``:
        the block is code a test expects to fail."""
        if not isinstance(manager, ast.Call):
            return False
        name = g.last_name(manager.func)
        if name is not None and name.startswith("assertRaises"):
            return True
        return name == "raises" and self.resolve(manager.func) == "pytest.raises"

    def visit_except_handler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            previous = self.model.scope.bindings.get(node.name)
            self.model.bind(node.name, EXCEPT, node, None, node)
        self.visit_block(node.body)
        if node.name:  # Python deletes the name when the handler ends
            if previous is not None:
                self.model.scope.bindings[node.name] = previous
            else:
                self.model.scope.bindings.pop(node.name, None)

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        if args.defaults or args.kw_defaults:
            self.visit_all([*args.defaults, *args.kw_defaults])
        if type(node) is not ast.Lambda:
            for decorator in node.decorator_list:
                # `@pytest.mark.parametrize(..., [torch.device("cuda", i) ...])` on a test: the
                # test's inputs, whose meaning is what the code under test does with them
                inputs = node.name.startswith("test") and isinstance(decorator, ast.Call) \
                    and g.last_name(decorator.func) == "parametrize"
                self.expecting += inputs
                # `@mock.patch.dict(os.environ, {"CUDA_VISIBLE_DEVICES": "0,1"})` on a test: the fake's own data
                fake = node.name.startswith("test") and g.fakes_cuda(
                    frozenset(filter(None, [g.mocked_name(decorator, self.resolve)])), [decorator], self.resolve)
                try:
                    self.visit_guarded(decorator, Guard(g.OTHER, fakes_cuda=True) if fake else None)
                finally:
                    self.expecting -= inputs
            for arg in [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]:
                if arg is not None and arg.annotation is not None:
                    self.visit_annotation(arg.annotation)
            if node.returns is not None:
                self.visit_annotation(node.returns)
            self.model.bind(node.name, FUNCTION, node, None, node)
            if node.decorator_list:
                guard = self.test_requirement(node.decorator_list)
                if guard is not None:
                    self._skipped_tests = self._skipped_tests or guard.kind == g.SKIP
                mocks = self.mocks(node.decorator_list, node.name.startswith("test"))
            else:  # (no decorator: no test requirement, no mock)
                guard = mocks = None
            added = [found for found in (guard, mocks, self.fixtures_fake_cuda(node)) if found is not None]
            if added:
                self._deferred.append((node, self.model.scope, (*self.context(), *added)))
                return
        self._deferred.append((node, self.model.scope, self.context()))

    def visit_class(self, node: ast.ClassDef) -> None:
        self.visit_all([*node.decorator_list, *node.bases, *(k.value for k in node.keywords)])
        model = self.model
        model.push("class", node)
        guard = self.test_requirement(node.decorator_list)
        if guard is not None and guard.kind == g.SKIP:
            self._skipped_tests = True
        mocks = self.mocks(node.decorator_list, node.name.startswith("Test"))
        if mocks is not None:
            self.guards.append(mocks)
        try:
            self.visit_guarded_block(node.body, guard)
        finally:
            if mocks is not None:
                self.guards.remove(mocks)
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


    # ------------------------------------------------------------------ guards

    def resolve(self, node: ast.expr) -> str | None:
        """The qualified name of an expression (subclasses add star-import candidates)."""
        return self.model.resolve(node)

    def mark(self) -> int:
        """A position in the subclass's output (the analyzer: its number of findings), to
        tell which of its results came from a guard's test."""
        return 0

    def classify(self, test: ast.expr) -> tuple[g.Test, bool] | None:
        return g.classify(test, self.resolve, self.guard_names, self._assigned_value)

    def _assigned_value(self, node: ast.Name) -> ast.expr | None:
        """The value a name was last assigned (``is_nvidia = device == "cuda"``), if any."""
        binding = self.model.lookup(node.id)
        if binding is None or binding.kind != ASSIGNMENT:
            return None
        statement = binding.statement
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            return statement.value
        if isinstance(statement, ast.AnnAssign):
            return statement.value
        return None

    def branch_guards(self, test: ast.expr, classified: tuple[g.Test, bool] | None,
                      several: bool = False) -> tuple[Guard | None, Guard | None]:
        """The guards of the true and the false branch of ``test``."""
        if classified is None:
            return None, None
        kind, negated = classified
        if kind.kind == g.CUDA:
            guard = Guard(g.CUDA, test, kind.device, several or (not kind.device and self._scope_tests_other_backend()))
            other = Guard(g.OTHER, test)
        elif kind.kind == "version":
            guard, other = Guard(g.OTHER, test), Guard(g.FALLBACK, test)
        elif kind.kind in (g.OTHER, "cpu"):
            guard, other = Guard(g.BACKEND, test), Guard(g.OTHER, test)
        elif kind.kind == "package":  # `if is_bnb_available():` imports an optional dependency
            guard, other = Guard(g.OPTIONAL, test), Guard(g.OTHER, test)
        elif kind.kind == "cuda-specific":  # either branch is about a CUDA property
            guard, other = Guard(g.OTHER, test, cuda_specific=True), Guard(g.OTHER, test, cuda_specific=True)
        else:
            guard, other = Guard(g.OTHER, test, accelerator=kind.kind == "accelerator"), Guard(g.OTHER, test)
        return (other, guard) if negated else (guard, other)

    def _scope_tests_other_backend(self) -> bool:
        """Whether the enclosing function (or, at module level, the module) tests another
        backend anywhere: its CUDA branches sit next to a non-CUDA path."""
        owner = next((s.node for s in self.model.scope.visible_chain() if s.is_function), None) or self._tree
        if owner is None:
            return False
        known = self._tests_other_backend.get(id(owner))
        if known is None:
            walked = self._branch_tests
            if walked is None:
                walked = self._branch_tests = {}
            tests = walked.get(id(owner))
            if tests is None:  # the owner alone is walked (a function: not the whole file)
                for key, found in branch_tests(owner).items():  # type: ignore[arg-type]
                    walked.setdefault(key, found)
                tests = walked[id(owner)]
            known = False
            for test in tests:
                found = self.classify(test)
                if found is not None and found[0].kind in (g.OTHER, "several"):
                    known = True
                    break
            self._tests_other_backend[id(owner)] = known
        return known

    def _ends_a_test(self, body: list[ast.stmt]) -> bool:
        """``return`` (no value) in a test function (``def test_x():``): it ends the test
        as a pass, like a skip."""
        last = body[-1] if body else None
        return isinstance(last, ast.Return) and last.value is None and self._in_test_function()

    def _in_test_function(self) -> bool:
        """The current scope is a test function (``def test_x():``)."""
        scope = self.model.scope
        return scope.is_function and getattr(scope.node, "name", "").startswith("test")

    def _in_test_code(self) -> bool:
        """The current scope is code of a test: a test function (the analyzer adds the
        functions of a test module)."""
        return self._in_test_function()

    def test_requirement(self, decorators: list[ast.expr]) -> Guard | None:
        """The guard a test decorator puts on a test function or class: a skip condition that
        skips it off CUDA (``@unittest.skipUnless(torch.cuda.device_count() > 1, ...)``,
        ``@pytest.mark.skipif(not torch.cuda.is_available(), ...)``) or ``@require_cuda``
        (SKIP); ``@require_bnb`` skips it where the package is missing, so imports there are
        optional (OPTIONAL)."""
        for decorator in decorators:
            if g.requires_cuda(decorator):
                return Guard(g.SKIP)
            if isinstance(decorator, ast.Call) and decorator.args and isinstance(decorator.func, (ast.Attribute, ast.Name)):
                qualname = self.resolve(decorator.func)
                if qualname in g.SKIP_CONDITIONS and g.skips_off_cuda(
                        qualname, decorator.args[0], self.resolve, self.guard_names):
                    return Guard(g.SKIP)
        if any(g.requires_a_package(decorator) for decorator in decorators):
            return Guard(g.OPTIONAL)
        return None

    def mocks(self, nodes: list[ast.expr], test: bool | None = None) -> Guard | None:
        """The guard of code where ``mock.patch`` decorators or context managers among
        ``nodes`` replace names (``@patch("torch.cuda.device_count", lambda: 4)``): a use of
        such a name there is a use of the mock, which works everywhere."""
        names = frozenset(name for name in (g.mocked_name(node, self.resolve) for node in nodes) if name)
        # (``test``: the decorated function or class is a test; else: the code here is a test's)
        fakes = (self._in_test_code() if test is None else test) and g.fakes_cuda(names, nodes, self.resolve)
        self.mocking = self.mocking or bool(names)
        return Guard(g.OTHER, mocked=names, fakes_cuda=fakes) if names or fakes else None

    def fixtures_fake_cuda(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Guard | None:
        """``def test_amp_ddp(cuda_count_2, ...)``: a test whose fixture fakes CUDA."""
        if not node.name.startswith("test"):
            return None
        args = node.args
        if any(g.is_faking_fixture(arg.arg) for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]):
            return Guard(g.OTHER, fakes_cuda=True)
        return None

    def visit_annotation(self, node: ast.expr) -> None:
        """A type annotation (of a parameter, a return, an annotated assignment)."""
        self.visit(node)

    def visit_guarded(self, node: Any, guard: Guard | None) -> None:
        if guard is None:
            self.visit(node)
            return
        self.guards.append(guard)
        try:
            self.visit(node)
        finally:
            self.guards.pop()

    def visit_guarded_block(self, body: list[ast.stmt], guard: Guard | None) -> None:
        if guard is not None:
            self.guards.append(guard)
        depth = len(self.guards)
        try:
            self.visit_block(body)
        finally:
            del self.guards[depth - (guard is not None):]

    def visit_test(self, test: ast.expr, guards: tuple[Guard | None, ...]) -> None:
        if not any(guards):  # (most tests are nothing known: no guard to tell)
            (self._dispatch.get(type(test)) or self.generic_visit)(test)  # (``visit``, inlined)
            return
        start = self.mark()
        self.visit(test)
        end = self.mark()
        if end > start:
            for guard in guards:
                if guard is not None:
                    guard.test_findings.extend(range(start, end))

    def visit_if(self, node: ast.If) -> None:
        if not node.orelse and (g.skips_test(node.body, self.resolve) or self._ends_a_test(node.body)) \
                and g.skips_off_cuda("unittest.skipIf", node.test, self.resolve, self.guard_names):
            # `if not torch.cuda.is_available(): self.skipTest(...)`: off CUDA the test is
            # skipped, its working non-CUDA path; the rest of the block runs only on CUDA
            skip = Guard(g.SKIP, node.test)
            self.visit_guarded(node.test, skip)
            self.visit_block(node.body)
            self.guards.append(skip)  # (visit_block of the enclosing block ends it)
            return
        if not node.orelse and (self._in_test_code() or _only_asserts(node.body)) \
                and not g.terminates(node.body) and not g.skips_test(node.body, self.resolve) \
                and g.value_off_cuda(node.test, self.resolve, self.guard_names) is False:
            # `if torch.cuda.is_available(): <a CUDA sub-case>` in a test, or `<asserts only>`
            # anywhere: off CUDA that check is skipped, like a skipped test
            self._visit_cuda_sub_case(node.test, lambda skip: self.visit_guarded_block(node.body, skip))
            return
        classified = self.classify(node.test)
        # Earlier rungs of the ladder this `if` is an `elif` of: (all test other backends,
        # one does).
        rung = self._rungs.pop(id(node), None)  # (None: not an elif of a ladder)
        all_other, any_other = rung if rung is not None else (True, False)
        several = any_other
        if classified is not None and classified[0].kind == g.CUDA and not several:
            several = self._later_rung_tests_other(node)
        body_guard, else_guard = self.branch_guards(node.test, classified, several)
        other_rung = classified is not None and classified[0].kind in (g.OTHER, "several") and not classified[1]
        all_other = all_other and other_rung
        if g.is_elif(node):
            self._rungs[id(node.orelse[0])] = (all_other, any_other or other_rung)
        elif all_other and (node.orelse or (node.body and isinstance(node.body[-1], ast.Return))):
            # `if npu: ... elif xpu: ... else: <cuda>` (or `if npu: return ...` and the rest of
            # the block): the default rung of a ladder that tests other backends (where CUDA
            # machines go). (`if xpu and not is_xpu_available(): raise ...` rejects a setting:
            # the rest of the block is no CUDA rung.)
            else_guard = Guard(g.CUDA, None, False, True)
        elif _negated_backend_test(classified) and rung is None:
            body_guard = Guard(g.CUDA, None, False, True)  # `if not is_npu(): <cuda> else: <npu>`
        if self._rejects_a_cuda_request(node):
            # `if device == "cuda" and not torch.cuda.is_available(): raise ...` rejects a CUDA
            # request where CUDA is missing: right on every machine, like a skip condition
            self.visit_guarded(node.test, Guard(g.SKIP, node.test))
        else:
            test_guards: tuple[Guard | None, ...] = (body_guard, else_guard)
            if self._requires_cuda(node):
                test_guards += (self.precondition_guard(node.test),)
            if (classified is None and any_other and self._tests_cuda_somewhere(node.test)) \
                    or (classified is not None and classified[0].kind == "several"
                        and (any_other or self._later_rung_tests_other(node))):
                # `elif in_colab and (not torch.cuda.is_available() or n < 2):` after a rung for
                # another backend, or `if device in ["cpu", "cuda"]: ... elif device == "npu":`:
                # the CUDA test is part of a ladder's choice (never rewritten: "npu" there would
                # shadow the ladder's own NPU rung), its branch no CUDA path
                test_guards += (self.branch_guards(node.test, (g.Test(g.CUDA), False), True)[0],)
            self.visit_test(node.test, test_guards)
        self.visit_guarded_block(node.body, body_guard)
        self.visit_guarded_block(node.orelse, else_guard)
        if else_guard is not None and not node.orelse and g.terminates(node.body):
            self.guards.append(else_guard)  # `if not cuda: return`: the rest of the block (visit_block ends it)

    def _requires_cuda(self, node: ast.If) -> bool:
        """``if not x.is_cuda or not y.is_cuda: raise ...`` (or ``x.device.type != "cuda"``):
        a precondition that declares what follows CUDA-only (a CUDA kernel's entry)."""
        test = node.test
        if node.orelse or not node.body or not isinstance(node.body[-1], ast.Raise):
            return False
        parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [test]
        for part in parts:
            found = self.classify(part)
            if found is None or found[0].kind != g.CUDA or not found[0].device or not found[1]:
                return False
        return True

    def precondition_guard(self, test: ast.expr) -> Guard | None:
        """The guard that collects the findings of a CUDA precondition's test (``_requires_cuda``;
        the analyzer keeps them but never rewrites them)."""
        return None

    def _later_rung_tests_other(self, node: ast.If) -> bool:
        """A later rung of the ladder starting at ``node`` tests another backend (or CUDA
        among others)."""
        for test in g.ladder_tests(node)[1:]:
            found = self.classify(test)
            if found is not None and found[0].kind in (g.OTHER, "several"):
                return True
        return False

    def _tests_cuda_somewhere(self, test: ast.expr) -> bool:
        """Some part of a condition that is nothing known as a whole tests CUDA."""
        for part in ast.walk(test):
            if part is not test and isinstance(part, (ast.Call, ast.Compare, ast.Attribute)):
                found = self.classify(part)
                if found is not None and found[0].kind == g.CUDA:
                    return True
        return False

    def _rejects_a_cuda_request(self, node: ast.If) -> bool:
        """``if args.device == "cuda" and not torch.cuda.is_available(): raise ...``: a value's
        device is CUDA and CUDA is missing (nothing else), and the body raises."""
        test = node.test
        if node.orelse or not node.body or not isinstance(node.body[-1], ast.Raise) \
                or not isinstance(test, ast.BoolOp) or not isinstance(test.op, ast.And):
            return False
        requested = missing = False
        for value in test.values:
            found = self.classify(value)
            if found is None or found[0].kind != g.CUDA:
                return False
            if found[0].device and not found[1]:
                requested = True
            elif not found[0].device and found[1]:
                missing = True
            else:
                return False
        return requested and missing

    def _visit_cuda_sub_case(self, test: ast.expr, visit_body: Callable[[Guard], None]) -> None:
        """A part of a test that runs only where ``test`` (a CUDA test) holds: off CUDA it is
        skipped, like a skipped test; its test and its body are under a SKIP guard."""
        skip = Guard(g.SKIP, test)
        self.visit_guarded(test, skip)
        visit_body(skip)

    def visit_if_exp(self, node: ast.IfExp) -> None:
        if isinstance(node.orelse, (ast.List, ast.Tuple)) and not node.orelse.elts and self._in_test_function() \
                and g.value_off_cuda(node.test, self.resolve, self.guard_names) is False:
            # `for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):` in a
            # test: off CUDA the CUDA cases are left out, like a CUDA sub-case of the test
            self._visit_cuda_sub_case(node.test, lambda skip: self.visit_guarded(node.body, skip))
            return
        classified = self.classify(node.test)
        body_guard, else_guard = self.branch_guards(node.test, classified)
        if classified is not None and classified[0].kind == g.OTHER:
            # `"ASCEND_RT_VISIBLE_DEVICES" if is_npu() else "CUDA_VISIBLE_DEVICES"` (or `not
            # is_npu()` and the branches swapped): the other branch is the CUDA default
            if classified[1]:
                body_guard = Guard(g.CUDA, None, False, True)
            else:
                else_guard = Guard(g.CUDA, None, False, True)
        self.visit_test(node.test, (body_guard, else_guard))
        self.visit_guarded(node.body, body_guard)
        self.visit_guarded(node.orelse, else_guard)

    def visit_bool_op(self, node: ast.BoolOp) -> None:
        if not isinstance(node.op, ast.And):
            self.generic_visit(node)
            return
        depth = len(self.guards)
        for value in node.values:  # `a and b`: b runs only when a is true
            classified = self.classify(value)
            guard = self.branch_guards(value, classified)[0] if classified is not None else None
            if (classified is not None and classified[0].kind == g.CUDA and len(self.guards) > depth
                    and all(earlier.kind == g.CUDA for earlier in self.guards[depth:])):
                # `x.device.type == "cuda" and torch.cuda.is_available()`: a second test is
                # a condition of its own, not code that runs under the first one
                inner = self.guards[depth:]
                del self.guards[depth:]
                self.visit_test(value, (guard,))
                self.guards.extend(inner)
            else:
                self.visit_test(value, (guard,))
            if guard is not None:
                self.guards.append(guard)
        del self.guards[depth:]

    def visit_try(self, node: Any) -> None:
        kind = g.try_body_kind(node.handlers)
        guard = None
        if kind:
            guard = Guard(kind)
            guard.reraises = kind == g.OPTIONAL and g.import_errors_reraise(node.handlers)
        self.visit_guarded_block(node.body, guard)
        for handler in node.handlers:
            fallback = Guard(g.FALLBACK) if g.is_fallback_handler(handler) else None
            self.visit_guarded(handler, fallback)
        self.visit_block(node.orelse)
        self.visit_block(node.finalbody)

    def visit_assert(self, node: ast.Assert) -> None:
        classified = self.classify(node.test)
        guard = self.branch_guards(node.test, classified)[0]
        expects = self._in_test_code()  # a test's assertion: what it expects of the code under test
        self.expecting += expects
        try:
            self.visit_test(node.test, (guard,))
            if node.msg is not None:
                self.visit(node.msg)
        finally:
            self.expecting -= expects
        if guard is not None:
            self.guards.append(guard)  # `assert torch.cuda.is_available()`: the rest of the block

    def visit_while(self, node: ast.While) -> None:
        self.visit(node.test)
        self.visit_block(node.body)
        self.visit_block(node.orelse)

    def visit_match_case(self, node: ast.match_case) -> None:
        self.visit(node.pattern)
        if node.guard is not None:
            self.visit(node.guard)
        self.visit_block(node.body)


def _only_asserts(body: list[ast.stmt]) -> bool:
    """A block of assert statements only (a check, no effects)."""
    return all(isinstance(statement, ast.Assert) for statement in body)


# Functions a test runner calls itself (unittest and pytest module/function fixtures).
_RUNNER_HOOKS = frozenset({"setUpModule", "tearDownModule", "setup_module", "teardown_module",
                           "setup_function", "teardown_function", "setup", "teardown", "load_tests"})


def _only_in_skipped_tests(helpers: dict[int, Binding], held: list[tuple[ast.AST, Any, Any]],
                           skipped_uses: dict[int, int]) -> set[int]:
    """ids of the helper defs in ``held`` that run only in tests skipped off CUDA: used there
    (``skipped_uses``), or by helpers that are, and nowhere else. A helper used elsewhere (or
    not at all in the file: something else calls it) may run off CUDA, and so may every
    helper it uses."""
    names = {binding.name: key for key, binding in helpers.items()}
    uses: dict[int, set[int]] = {}  # id(helper def) -> the helpers its body names
    for node, _, _ in held:
        named = uses[id(node)] = set()
        for child in ast.walk(node):
            if type(child) is ast.Name and child.id in names and names[child.id] != id(node):
                named.add(names[child.id])
    used_by_helpers = {key for named in uses.values() for key in named}
    off_cuda = _closure([key for key in uses
                         if helpers[key].uses > skipped_uses[key]
                         or (not skipped_uses[key] and key not in used_by_helpers)], uses)
    return _closure([key for key in uses if skipped_uses[key] and key not in off_cuda], uses, off_cuda)


def _closure(start: list[int], edges: dict[int, set[int]], blocked: set[int] | frozenset[int] = frozenset()) -> set[int]:
    """``start`` and every key its ``edges`` reach, not through ``blocked``."""
    reached = set(start)
    while start:
        for key in edges.get(start.pop(), ()):
            if key not in reached and key not in blocked:
                reached.add(key)
                start.append(key)
    return reached


def _family_member(name: str, scope: Any, words: dict[str, tuple[str, ...]]) -> bool:
    """``name`` is the CUDA member of a per-backend family defined in ``scope``: a function of
    the same scope is named for another backend in its place (``get_max_musa_memory`` beside
    ``get_max_cuda_memory``; ``words``: the backends that count); for a ``cuda`` method,
    ``to`` counts too (the method every device goes through)."""
    siblings = g.family_siblings(name, words)
    if not siblings:
        return False
    if name == "cuda" and scope.kind == "class":
        siblings.append("to")
    return any(binding.kind == FUNCTION and binding.name in siblings for binding in scope.history)


def _negated_backend_test(classified: tuple[g.Test, bool] | None) -> bool:
    """``not is_npu_available()``: a test that another backend is absent."""
    return classified is not None and classified[0].kind == g.OTHER and classified[1]




def build_model(tree: ast.Module, loads: bool = False) -> SemanticModel:
    """The semantic model of a module, without any matching (the fixer's use); with
    ``loads``, ``model.loads`` lists every name load with its scope."""
    model = SemanticModel()
    if loads:
        model.loads = []
    return Binder(model).run(tree)


_CONDITIONALS = (ast.If, ast.IfExp, ast.While)
_LEAVES = frozenset({ast.Name, ast.Constant})  # nodes with no code below them (most nodes)
_FUNCTIONS_AND_LAMBDAS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def branch_tests(tree: ast.AST) -> dict[int, list[ast.expr]]:
    """id(``tree``, a module or a function, or a function inside it) -> the tests of the
    ifs, conditional expressions and whiles anywhere inside it (what ``ast.walk`` of it
    finds), in one walk of ``tree`` instead of one walk per function that has a CUDA test
    (the language server checks a 1,000-line file on every change)."""
    found: dict[int, list[ast.expr]] = {id(tree): []}
    fields: dict[type, tuple[str, ...]] = {}
    stack: list[tuple[ast.AST, tuple[list[ast.expr], ...]]] = [(tree, (found[id(tree)],))]
    while stack:
        node, owners = stack.pop()
        names = fields.get(node.__class__)
        if names is None:
            names = fields[node.__class__] = tuple(name for name in node._fields if name not in _LEAF_FIELDS)
        for name in names:
            value = getattr(node, name, None)
            for child in value if value.__class__ is list else (value,):
                if not isinstance(child, ast.AST) or child.__class__ in _LEAVES:
                    continue
                inner = owners
                if isinstance(child, _CONDITIONALS):
                    for tests in owners:
                        tests.append(child.test)  # type: ignore[attr-defined]
                elif isinstance(child, _FUNCTIONS_AND_LAMBDAS):
                    inner = (*owners, found.setdefault(id(child), []))
                stack.append((child, inner))
    return found
