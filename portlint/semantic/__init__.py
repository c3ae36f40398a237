"""The semantic model: what each name refers to, and under which conditions code runs.

One model answers "what does this name mean here" for matching (the analyzer), the
device-variable planner (``portlint/devicevar.py``) and the fixer (imports to add or
remove, undefined names). It is filled during the analyzer's single traversal; the fixer
builds it again on the text of each round with :func:`build_model` (one parse per round).

Modules
-------
``scopes.py``
    :class:`Binding`, :class:`Scope`, :class:`SemanticModel` (the data and its queries).
``binder.py``
    :class:`Binder`, the traversal that fills the model (the analyzer subclasses it),
    and :func:`build_model`.

Scopes and bindings (pyflakes/ruff style)
-----------------------------------------
A :class:`Scope` is the module, a class body, a function or lambda, or a comprehension.
Its ``bindings`` map each name to the :class:`Binding` visible *at the current point of
the traversal* (afterwards: the last one), ``history`` keeps every binding in order,
``names`` is every name the scope binds anywhere (what Python treats as local).

The traversal runs in execution order: an assignment's value before its targets, a
``for``'s iterable before its target, a comprehension's first iterable in the enclosing
scope, decorators/defaults/annotations where the ``def`` is; function and lambda bodies
are *deferred* until the module has been walked (pyflakes' rule: when a function runs,
the module's names have their final bindings). Every construct that binds a name makes
a new binding that hides the previous one: assignment (also tuple/star targets,
augmented, annotated with a value), ``:=`` (in a comprehension: in the enclosing
function), ``for``/``async for``, ``with ... as``, ``except ... as`` (unbound again when
the handler ends), comprehension targets, ``case`` captures (``x``, ``*rest``,
``**rest``, ``... as x``), ``del`` (removes the binding), ``def``, ``class``, parameters
(positional-only, keyword-only, ``*args``, ``**kwargs``), ``import``/``from ... import``
(``from m import *`` is remembered per scope, see ``star_candidates``), and
``global``/``nonlocal`` (send the function's bindings of the name to the module / the
enclosing function). A class body's names are invisible to the functions and
comprehensions nested in it. One exception, kept on purpose: ``name = None`` after
``import name`` in the same scope (the ``except ImportError: name = None`` fallback)
keeps the import binding (``Binding.optional`` becomes True).

``Binding.qualified`` is what the binding is known to be as a dotted name: imports
(``import torch as th`` -> ``torch``, ``from torch import cuda`` -> ``torch.cuda``,
``import torch.cuda`` binds ``torch`` -> ``torch``; relative imports -> None) and plain
aliases (``c = torch.cuda`` -> ``torch.cuda``). Every other binding has None, so a loop
variable named ``cuda`` is not ``torch.cuda``.

API (``model = SemanticModel()``; during a traversal ``model.scope`` is the current scope)
-----------------------------------------------------------------------------------------
``model.lookup(name, scope=None) -> Binding | None``
    the binding ``name`` refers to in ``scope`` now.
``model.resolve(expr, scope=None) -> str | None``
    the qualified dotted name of a Name/Attribute chain (``th.cuda.synchronize`` ->
    ``torch.cuda.synchronize``), None when its root is bound to something else or unbound.
``model.star_candidates(name, scope=None) -> list[str]``
    ``m.name`` for each visible ``from m import *`` (the caller knows which names exist).
``model.reference(name_node) -> Binding | None``
    record a load (counts ``Binding.uses``; unresolved loads are kept for
    ``undefined_names`` / ``used_before_bound``). The binder calls it for every load.
``model.owners(scope=None)``
    the enclosing def/lambda/class nodes, outermost first.
``model.scope_of(node)``
    the scope a def/lambda/class/comprehension node opens.
``model.bound_anywhere(name, scope)``
    flow-insensitive: bound in that scope or one visible from it, or a builtin.
``model.all_bindings(name=None)``, ``model.imports()``, ``model.uses_of(name)``,
``model.imports_module(module)``
    whole-file questions (after the traversal).
``model.undefined_names()`` / ``model.used_before_bound()``
    names read that nothing binds; module-scope names read at import time before their
    binding (the fixer's verification compares these before and after a round).
``model.identifiers``
    every name bound, declared or read in the file (to choose a fresh name).

Filling it from another traversal: subclass :class:`Binder`, override a ``visit_*``
method and call ``super()``; override ``context()``/``restore()`` to carry your own
traversal state (such as a guard stack) into deferred function bodies.
"""

from portlint.semantic.binder import Binder, build_model
from portlint.semantic.scopes import BUILTINS, Binding, Scope, SemanticModel

__all__ = ["BUILTINS", "Binder", "Binding", "Scope", "SemanticModel", "build_model"]
