"""The import facts of a file, collected by the binder's one traversal (portlint/variants.py
reads them across files).

A fact is a short string, cheap to keep in a result and in the cache: a status letter, then
the statement. ``u`` the import runs unconditionally (as far as portlint can tell); ``b`` it
runs only in a CUDA branch that has a non-CUDA path beside it (the CUDA rung of a ladder
that also tests another backend, a value's-device test, a test skipped off CUDA); ``o``
only where it succeeds (the ``try`` of an ``except ImportError`` fallback, a check that a
package is installed, an ``except Exception`` handler). The statement: ``a.b,c`` for
``import a.b, c``; ``..pkg.mod:x,y`` for ``from ..pkg.mod import x, y``. A file with
findings also gets ``!cupy`` facts: CUDA-only packages its top level imports (it cannot be
imported off CUDA).
"""

from __future__ import annotations

import ast
import sys
from typing import Sequence

from portlint.semantic import guards as g

# NVIDIA's NVTX bindings (annotations for Nsight): a package only NVIDIA machines install,
# beside the CUDA-only packages of the module rules (``RuleIndex.failing_modules``).
NVIDIA_ONLY_PACKAGES = frozenset({"nvtx"})
FAILS = "!"  # a fact ``!cupy``: the file imports this CUDA-only package at its top level
UNCONDITIONAL = "u"
BRANCH = "b"
OPTIONAL = "o"


def import_status(guards: Sequence[g.Guard]) -> str:
    """The status letter of an import under ``guards`` (the binder's stack)."""
    status = UNCONDITIONAL
    for guard in guards:
        kind = guard.kind
        # (Not another backend's branch: a module only its own backend imports is no CUDA
        # variant, and what it does wrong there is still wrong.)
        if kind == g.SKIP or (kind == g.CUDA and (guard.device or guard.several)):
            return BRANCH
        if (kind == g.OPTIONAL and not guard.reraises) or kind == g.PROTECTED:
            status = OPTIONAL
    return status


# The standard library's modules: an absolute import of one never loads a module of the
# project (the cache keeps fewer facts).
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


def import_fact(node: ast.Import | ast.ImportFrom, guards: Sequence[g.Guard]) -> str | None:
    """The fact of an import statement; None for the standard library's modules."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names if alias.name.partition(".")[0] not in _STDLIB]
        if not names:
            return None
        return (import_status(guards) if guards else UNCONDITIONAL) + ",".join(names)
    module = node.module or ""
    if not node.level and module.partition(".")[0] in _STDLIB:
        return None
    status = import_status(guards) if guards else UNCONDITIONAL
    return f"{status}{'.' * node.level}{module}:{','.join(alias.name for alias in node.names)}"


def top_level_cuda_imports(tree: ast.Module, failing: frozenset[str]) -> list[str]:
    """The ``!name`` facts of a module: CUDA-only packages it imports whenever it is
    imported (statements of its top level, also inside ``with``; not in a ``try``, an
    ``if`` or a function)."""
    facts: list[str] = []
    stack = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            stack.extend(stmt.body)
        elif isinstance(stmt, ast.Import):
            facts.extend(FAILS + a.name for a in stmt.names if _package_in(a.name, failing))
        elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module and _package_in(stmt.module, failing):
            facts.append(FAILS + stmt.module)
    return facts


def _package_in(dotted: str, names: frozenset[str]) -> bool:
    while True:
        if dotted in names:
            return True
        if "." not in dotted:
            return False
        dotted = dotted.rsplit(".", 1)[0]
