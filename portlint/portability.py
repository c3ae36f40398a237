"""What "safe" means for a fix that calls a device-generic torch API.

A safe fix must behave the same on every machine where the original line worked: CUDA, and
the CPU, MPS, XPU and NPU paths the code already had. ``torch.get_device_module(...)`` is
``torch.cuda`` on an NVIDIA machine, but ``torch.mps`` on a Mac, ``torch.xpu``, ``torch.npu``
on Ascend and ``torch.cpu`` without an accelerator; ``torch.get_device_module(...).X`` is
therefore portable only if *every* one of those modules has ``X``. ``torch.accelerator.X``
dispatches to the current backend itself and is portable from the first torch version
that has it.

The names come from ``portlint/data/backend_api.json``, generated from the installed torch
(and the torch_npu API list) by ``scripts/generate_backend_api.py``.
"""

from __future__ import annotations

import ast
import json
from functools import lru_cache
from pathlib import Path

from portlint.versions import Version, parse_version

DATA = Path(__file__).resolve().parent / "data" / "backend_api.json"
DEVICE_MODULES = ("torch.cuda", "torch.xpu", "torch.mps", "torch.cpu", "torch.npu")
PLACEHOLDERS = {"{device}": "DEVICE", "{args}": "", "{sep_args}": "", "{args_sep}": "", "{source}": "x", "{index}": "0", "{matched}": "x"}


@lru_cache(maxsize=1)
def api_table() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def missing_on(path: str) -> list[str]:
    """The backend modules that lack ``path`` (``"memory_allocated"``, ``"memory._dump_snapshot"``)."""
    modules = api_table()["modules"]
    return [module for module in DEVICE_MODULES if path not in modules[module]]


def accelerator_since(path: str) -> Version | None:
    """The first torch version with ``torch.accelerator.<path>``; None if it has no such name."""
    if path not in api_table()["modules"]["torch.accelerator"]:
        return None
    return parse_version(api_table()["accelerator_since"][path])


def fill_template(template: str, name: str | None = None) -> str:
    """A fix template as parseable code: placeholders replaced by stand-ins."""
    code = template
    for placeholder, value in PLACEHOLDERS.items():
        code = code.replace(placeholder, value)
    if name is not None:
        code = code.replace("{name}", name.rsplit(".", 1)[-1])
    return code


def unportable_uses(code: str, min_torch: Version) -> list[str]:
    """Why ``code`` (an expression or statements) is not safe on every backend: one line per
    ``torch.get_device_module(...).X`` that some reachable backend lacks and per
    ``torch.accelerator.X`` newer than ``min_torch``. Under a ``torch.accelerator.is_available()``
    guard the CPU module is not reachable. Empty when it is portable (or does not parse)."""
    try:
        tree = ast.parse(code.strip())
    except (SyntaxError, ValueError):
        return []
    problems = []
    for node, guarded in _walk_guarded(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain, root = _chain(node)
        if chain is None or not chain:
            continue
        path = ".".join(chain)
        if root == "device-module":
            lacking = [m for m in missing_on(path) if not (guarded and m == "torch.cpu")]
            if lacking:
                problems.append(f"torch.get_device_module().{path}: not in {', '.join(lacking)}")
        else:
            since = accelerator_since(path)
            if since is None:
                problems.append(f"torch.accelerator.{path}: no such name")
            elif since > min_torch:
                problems.append(f"torch.accelerator.{path}: needs torch >= {'.'.join(map(str, since))}")
    return problems


def is_accelerator_check(node: ast.AST) -> bool:
    """``torch.accelerator.is_available()``"""
    return (isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute)
            and _chain(node.func) == (["is_available"], "accelerator"))


def _walk_guarded(tree: ast.AST):  # type: ignore[no-untyped-def]
    """(node, guarded) for the outermost attribute chains and everything else: ``guarded``
    when the node only runs after ``torch.accelerator.is_available()`` was true."""
    stack = [(tree, False)]
    while stack:
        node, guarded = stack.pop()
        yield node, guarded
        if isinstance(node, ast.Attribute):
            # a chain is judged whole (`a.b.c`, not its `a.b`); calls inside it are walked
            current: ast.expr = node.value
            while isinstance(current, ast.Attribute):
                current = current.value
            stack.append((current, guarded))
            continue
        if isinstance(node, (ast.IfExp, ast.If)):
            test = node.test
            negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
            checks = _guards(test.operand if negated else test)
            stack.append((test, guarded))
            body = node.body if isinstance(node.body, list) else [node.body]
            orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
            stack.extend((child, guarded or (checks and not negated)) for child in body)
            stack.extend((child, guarded or (checks and negated)) for child in orelse)
            continue
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            seen = guarded
            for value in node.values:
                stack.append((value, seen))
                seen = seen or is_accelerator_check(value)
            continue
        stack.extend((child, guarded) for child in ast.iter_child_nodes(node))


def _guards(test: ast.expr) -> bool:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(is_accelerator_check(value) for value in test.values)
    return is_accelerator_check(test)


def _chain(node: ast.Attribute) -> tuple[list[str] | None, str | None]:
    """(attribute names after the root, root kind) for ``torch.get_device_module(...).a.b``
    ("device-module") and ``torch.accelerator.a.b`` ("accelerator")."""
    names: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        if (current.attr == "accelerator" and isinstance(current.value, ast.Name)
                and current.value.id == "torch"):
            return list(reversed(names)), "accelerator"
        names.append(current.attr)
        current = current.value
    if (isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute)
            and current.func.attr == "get_device_module" and isinstance(current.func.value, ast.Name)
            and current.func.value.id == "torch"):
        return list(reversed(names)), "device-module"
    return None, None
