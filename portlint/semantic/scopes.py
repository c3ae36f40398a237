"""Scopes and bindings: what each name refers to (the data half of the semantic model).

See ``portlint/semantic/__init__.py`` for the model as a whole and its API.
"""

from __future__ import annotations

import ast
import builtins
from typing import Iterator

# Names Python provides without a binding in the file.
BUILTINS = frozenset(dir(builtins)) | {
    "__file__", "__name__", "__doc__", "__builtins__", "__spec__", "__loader__", "__package__",
    "__path__", "__annotations__", "__dict__", "__module__", "__qualname__", "__class__",
}

# Binding kinds.
IMPORT = "import"  # import x / import x.y / import x as y / from m import x (as y)
ASSIGNMENT = "assignment"  # =, :=, augmented and annotated assignment with a value
PARAMETER = "parameter"
FUNCTION = "function"  # def (and async def)
CLASS = "class"
LOOP = "loop"  # for target, comprehension target
WITH = "with"  # with ... as target
EXCEPT = "except"  # except E as name
MATCH = "match"  # case patterns (capture, star, **rest)
GLOBAL = "global"  # global/nonlocal declaration of a name with no binding yet (placeholder)
OTHER = "other"  # type aliases, type parameters, anything else that stores a name


class Binding:
    """One binding of one name in one scope.

    ``qualified`` is the dotted name the bound value is known to be: for imports
    (``import torch.cuda as tc`` -> ``torch.cuda``; ``from torch import cuda`` ->
    ``torch.cuda``; ``import torch.cuda`` binds ``torch`` -> ``torch``) and for plain
    aliases (``c = torch.cuda`` -> ``torch.cuda``); None for every other binding (a loop
    variable, a parameter, ``cuda = MyThing()`` ...), which therefore hides whatever the
    name meant before. ``node`` is the binding node (``ast.alias``, ``ast.Name``,
    ``ast.arg``, the def/class, the handler...), ``statement`` the statement that binds
    (the ``ast.Assign`` of an assignment: its ``value`` is there), ``uses`` the number of
    name loads resolved to it (plus mentions in ``__all__``).
    """

    __slots__ = ("name", "kind", "node", "scope", "qualified", "statement", "uses", "optional")

    def __init__(self, name: str, kind: str, node: ast.AST | None, scope: "Scope",
                 qualified: str | None = None, statement: ast.AST | None = None) -> None:
        self.name = name
        self.kind = kind
        self.node = node
        self.scope = scope
        self.qualified = qualified
        self.statement = statement
        self.uses = 0
        self.optional = False  # an import kept through `name = None` (optional dependency)

    def __repr__(self) -> str:
        return f"Binding({self.name!r}, {self.kind}, qualified={self.qualified!r}, uses={self.uses})"


class Scope:
    """A module, class, function (or lambda) or comprehension scope.

    ``bindings`` maps each name to its binding at the current point of the traversal
    (after the traversal: the last one); ``history`` keeps every binding ever made, in
    order (shadowed and deleted ones included); ``names`` is every name bound anywhere in
    the scope (flow-insensitive: what Python itself treats as local).
    """

    __slots__ = ("kind", "node", "parent", "bindings", "history", "names", "declared", "star_imports")

    def __init__(self, kind: str, node: ast.AST | None, parent: "Scope | None") -> None:
        self.kind = kind  # "module" | "class" | "function" | "lambda" | "comprehension"
        self.node = node
        self.parent = parent
        self.bindings: dict[str, Binding] = {}
        self.history: list[Binding] = []
        self.names: set[str] = set()
        self.declared: dict[str, str] = {}  # name -> "global" | "nonlocal"
        self.star_imports: list[str] = []  # modules of `from m import *` in this scope (see SemanticModel.stars)

    @property
    def is_function(self) -> bool:
        return self.kind in ("function", "lambda")

    def visible_chain(self) -> Iterator["Scope"]:
        """This scope, then the enclosing ones whose names are visible from here (a class
        body's names are not visible inside the functions and comprehensions nested in it)."""
        yield self
        scope = self.parent
        while scope is not None:
            if scope.kind != "class":
                yield scope
            scope = scope.parent

    def __repr__(self) -> str:
        return f"Scope({self.kind}, {sorted(self.bindings)})"


class SemanticModel:
    """The scopes of one module, filled by :class:`portlint.semantic.binder.Binder`."""

    def __init__(self) -> None:
        self.module = Scope("module", None, None)
        self.scope = self.module  # the current scope of the traversal
        self.scopes: list[Scope] = [self.module]
        self.by_node: dict[int, Scope] = {}  # id(def/lambda/class/comprehension node) -> its scope
        self.identifiers: set[str] = set()  # every name bound, declared or read anywhere
        # Name loads that resolved to nothing when they ran: (node, scope, at module time).
        self.unresolved: list[tuple[ast.Name, Scope, bool]] = []
        self.module_time = True  # False while deferred function bodies are visited
        self.stars = False  # some scope has a `from m import *`
        # Every name load with its scope, when asked for (``build_model(tree, loads=True)``:
        # the fixer, to tell what a name its edits wrote refers to at that point).
        self.loads: list[tuple[ast.Name, Scope]] | None = None

    # ------------------------------------------------------------------ filling

    def push(self, kind: str, node: ast.AST) -> Scope:
        scope = Scope(kind, node, self.scope)
        self.scopes.append(scope)
        self.by_node[id(node)] = scope
        self.scope = scope
        return scope

    def pop(self) -> None:
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    def _target_scope(self, name: str) -> Scope:
        scope = self.scope
        declared = scope.declared.get(name)
        if declared == "global":
            return self.module
        if declared == "nonlocal":
            for outer in scope.visible_chain():
                if outer is not scope and outer.is_function and name in outer.names:
                    return outer
        return scope

    def bind(self, name: str, kind: str, node: ast.AST | None, qualified: str | None = None,
             statement: ast.AST | None = None, scope: Scope | None = None) -> Binding:
        """Bind ``name`` in the current scope (or where ``global``/``nonlocal`` sends it)."""
        if scope is None:
            scope = self.scope
            if scope.declared:  # (else the current scope: no call)
                scope = self._target_scope(name)
        binding = Binding(name, kind, node, scope, qualified, statement)
        scope.bindings[name] = binding
        scope.history.append(binding)
        scope.names.add(name)
        self.identifiers.add(name)
        return binding

    def unbind(self, name: str) -> None:
        """``del name``."""
        self._target_scope(name).bindings.pop(name, None)

    def declare(self, name: str, how: str) -> None:
        """``global name`` / ``nonlocal name`` in the current scope."""
        self.scope.declared[name] = how
        self.identifiers.add(name)
        if how == "global":
            self.module.names.add(name)

    def reference(self, node: ast.Name) -> Binding | None:
        """A name load: resolve it, count the use, remember it if nothing binds it."""
        name = node.id
        self.identifiers.add(name)
        scope = self.scope
        if scope.declared:
            binding = self.lookup(name)
        else:  # (``lookup``'s steps, without its call: this runs for every name read)
            binding = scope.bindings.get(name)
            if binding is None:
                binding = _enclosing(name, scope)
        if self.loads is not None:
            self.loads.append((node, self.scope))
        if binding is not None:
            binding.uses += 1
        else:
            self.unresolved.append((node, self.scope, self.module_time))
        return binding

    # ------------------------------------------------------------------ queries

    def lookup(self, name: str, scope: Scope | None = None) -> Binding | None:
        """The binding ``name`` refers to in ``scope`` (default: the current one), now."""
        scope = scope or self.scope
        if scope.declared and scope.declared.get(name) == "global":
            return self.module.bindings.get(name)
        binding = scope.bindings.get(name)  # the hottest call of a run: no generator here
        return binding if binding is not None else _enclosing(name, scope)

    def resolve(self, node: ast.expr, scope: Scope | None = None) -> str | None:
        """The dotted name an expression (a Name or an Attribute chain on one) refers to,
        through imports and aliases: ``th.cuda.synchronize`` -> ``torch.cuda.synchronize``
        after ``import torch as th``; None when the root is bound to anything else or to
        nothing (see :meth:`star_candidates` for ``from m import *``)."""
        if type(node) is ast.Name:  # (the common case, without the chain's list)
            binding = self.lookup(node.id, scope)  # type: ignore[attr-defined]
            return None if binding is None else binding.qualified
        root = node
        while type(root) is ast.Attribute:
            root = root.value  # type: ignore[attr-defined]
        if type(root) is not ast.Name:
            return None
        binding = self.lookup(root.id, scope)  # type: ignore[attr-defined]
        if binding is None or binding.qualified is None:
            return None  # (most chains: ``self.x.y``, a local's attribute; no list built)
        parts = [binding.qualified]
        while node is not root:
            parts.append(node.attr)  # type: ignore[attr-defined]
            node = node.value  # type: ignore[attr-defined]
        if len(parts) == 2:
            return parts[0] + "." + parts[1]
        parts[1:] = parts[:0:-1]
        return ".".join(parts)

    def star_candidates(self, name: str, scope: Scope | None = None) -> list[str]:
        """``m.name`` for each ``from m import *`` visible from ``scope`` (when nothing
        else binds ``name``): the caller decides which of them is a real name."""
        found = []
        for current in (scope or self.scope).visible_chain():
            found.extend(f"{module}.{name}" for module in current.star_imports)
        return found

    def has_star_import(self) -> bool:
        return self.stars

    def owners(self, scope: Scope | None = None) -> list[ast.AST]:
        """The enclosing function, lambda and class nodes, outermost first."""
        found = []
        current = scope or self.scope
        while current is not None and current.node is not None:
            if current.kind != "comprehension":
                found.append(current.node)
            current = current.parent
        return found[::-1]

    def scope_of(self, node: ast.AST) -> Scope | None:
        """The scope a def, lambda, class or comprehension node opens."""
        return self.by_node.get(id(node))

    def meaning(self, name: str, scope: Scope) -> list[Binding]:
        """Every binding ``name`` may refer to anywhere in ``scope``, flow-insensitively (as
        Python decides what is local): the bindings of the nearest visible scope that binds
        the name at all (``global`` sends the question to the module). Empty when nothing
        in the file binds it there (a builtin, an undefined name). The fixer asks this of
        the names its edits write: ``torch`` is the module only when every binding is
        an import of it."""
        for current in scope.visible_chain():
            if current.declared.get(name) == "global":
                current = self.module
                return [b for b in current.history if b.name == name]
            if name in current.names:
                return [b for b in current.history if b.name == name]
        return []

    def bound_anywhere(self, name: str, scope: Scope) -> bool:
        """True when ``name`` is bound in ``scope`` or a scope visible from it, at any
        point (flow-insensitive, as Python decides what is local), or is a builtin."""
        if name in BUILTINS:
            return True
        return any(name in current.names for current in scope.visible_chain())

    def all_bindings(self, name: str | None = None) -> Iterator[Binding]:
        """Every binding ever made (of ``name``), in every scope."""
        for scope in self.scopes:
            for binding in scope.history:
                if name is None or binding.name == name:
                    yield binding

    def uses_of(self, name: str) -> int:
        """How many loads (and ``__all__`` entries) resolved to any binding of ``name``."""
        return sum(binding.uses for binding in self.all_bindings(name))

    def imports(self) -> Iterator[Binding]:
        return (b for b in self.all_bindings() if b.kind == IMPORT)

    def imports_module(self, module: str) -> bool:
        """True when any import statement of the file imports ``module`` or a submodule or
        member of it."""
        prefix = module + "."
        for binding in self.imports():
            statement = binding.statement
            names = [binding.qualified or ""]
            if isinstance(statement, ast.Import) and isinstance(binding.node, ast.alias):
                names.append(binding.node.name)  # `import torch_npu.contrib` binds `torch_npu`
            if any(n == module or n.startswith(prefix) for n in names):
                return True
        return False

    def undefined_names(self) -> set[str]:
        """Names read somewhere that nothing binds (nor builtins); empty when a star
        import could bind anything."""
        if self.has_star_import():
            return set()
        return {node.id for node, scope, _ in self.unresolved if not self.bound_anywhere(node.id, scope)}

    def used_before_bound(self) -> set[str]:
        """Module-scope names read while the module runs (top-level statements, class
        bodies, decorators, defaults) before any statement binds them."""
        return {node.id for node, scope, module_time in self.unresolved
                if module_time and node.id in self.module.names and node.id not in BUILTINS
                and all(node.id not in s.names for s in scope.visible_chain() if s is not self.module)}


def _enclosing(name: str, scope: Scope) -> Binding | None:
    """The binding of ``name`` in the scopes enclosing ``scope`` (a class body's names are
    not visible from the functions in it)."""
    current = scope.parent
    while current is not None:
        if current.kind != "class":
            binding = current.bindings.get(name)
            if binding is not None:
                return binding
        current = current.parent
    return None
