"""Structural matchers for ``[[rule.idiom]]``: whole constructs, not single tokens.

Most rules match one token (a name, an attribute, a literal in a context). Some CUDA code
is only portable when rewritten as a whole: ``"cuda" if torch.cuda.is_available() else
"cpu"`` is ONE decision, and fixing its two halves separately (the literal and the
``is_available`` call) gives patchwork. An idiom is a small Python function registered
here by name; a ruleset refers to it::

    [[rule.idiom]]
    name = "device-if-cuda-available"
    pattern = 'cuda:\\d+'          # optional: regex the idiom's key text must fully match
    agnostic = "..."                # fixes and message work as for every matcher

An idiom returns the text that stands for ``{name}`` (and gives ``{index}`` for
``cuda:N``), or None. A *deferred* idiom is not matched during the traversal: the
analyzer reports it when it has seen a whole construct (``cuda-only-branch``: the guard
pass of ``portlint/analyzer.py``, on the semantic model's guard context). The finding spans the whole construct; findings of other rules
*inside* it are dropped by the analyzer (the idiom's fix replaces them all), so a
construct is reported once, with one clean fix.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Optional

Resolver = Callable[[ast.expr], Optional[str]]
MatchFunction = Callable[[ast.AST, Resolver, "re.Pattern[str]"], Optional[str]]


@dataclass(frozen=True)
class Idiom:
    name: str
    summary: str
    node_types: tuple[type, ...]
    needles: tuple[str, ...]  # substrings every matching file contains (for the prefilter)
    default_pattern: str
    match: MatchFunction
    deferred: bool = False  # reported by the analyzer after the traversal, never matched in it


IDIOMS: dict[str, Idiom] = {}


def idiom(name: str, summary: str, node_types: tuple[type, ...], needles: tuple[str, ...],
          default_pattern: str = ".*", deferred: bool = False) -> Callable[[MatchFunction], MatchFunction]:
    def register(function: MatchFunction) -> MatchFunction:
        IDIOMS[name] = Idiom(name, summary, node_types, needles, default_pattern, function, deferred)
        return function

    return register


def _string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_call_to(node: ast.expr, resolve: Resolver, qualname: str) -> bool:
    return (isinstance(node, ast.Call) and not node.args and not node.keywords
            and isinstance(node.func, (ast.Attribute, ast.Name)) and resolve(node.func) == qualname)


@idiom(
    "device-if-cuda-available",
    '"cuda" if torch.cuda.is_available() else "cpu" (also "cuda:N", and the negated form)',
    (ast.IfExp,),
    ("is_available",),
    default_pattern=r"cuda(:\d+)?",
)
def _device_if_cuda_available(node: ast.AST, resolve: Resolver, pattern: "re.Pattern[str]") -> str | None:
    assert isinstance(node, ast.IfExp)
    test, chosen, fallback = node.test, node.body, node.orelse
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, chosen, fallback = test.operand, fallback, chosen
    if not _is_call_to(test, resolve, "torch.cuda.is_available"):
        return None
    cuda = _string(chosen)
    if cuda is None or _string(fallback) != "cpu" or not pattern.fullmatch(cuda):
        return None
    return cuda


@idiom(
    "cuda-only-branch",
    "a branch that runs only on CUDA next to a non-CUDA path (a CUDA-only fast path), reported"
    " at its condition when CUDA-specific code inside it was not reported",
    (),
    ("cuda",),
    deferred=True,
)
def _cuda_only_branch(node: ast.AST, resolve: Resolver, pattern: "re.Pattern[str]") -> str | None:
    return None  # deferred: see the guard pass in portlint/analyzer.py
