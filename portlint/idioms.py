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
# An idiom returns the text for {name}, or (text, node) to report another node than the
# one it matched (the definition a value flows from); None when it does not match.
MatchFunction = Callable[[ast.AST, Resolver, "re.Pattern[str]"], "Optional[str | tuple[str, ast.AST]]"]


@dataclass(frozen=True)
class Idiom:
    name: str
    summary: str
    node_types: tuple[type, ...]
    needles: tuple[str, ...]  # substrings every matching file contains (for the prefilter)
    default_pattern: str
    match: MatchFunction
    deferred: bool = False  # reported by the analyzer after the traversal, never matched in it
    # The idiom matches a call only where a value it passes is an integer (a literal or by value
    # flow): the first argument of a call to one of these names (``f(i)``, ``x.f(i)``), or the
    # value of one of these keywords. Lets the engine skip a file where none can be one
    # (``RuleIndex.worth_analyzing``).
    int_slots: Optional[tuple[tuple[str, ...], tuple[str, ...]]] = None
    # For an ``ast.Call`` idiom: (keyword names, callees) such that the idiom returns None
    # for every call that passes none of these keywords and whose callee does not resolve
    # to one of these qualified names. The analyzer tries the idiom only on calls that
    # pass this gate (a few in a hundred); None: it is tried on every call.
    call_gate: Optional[tuple[frozenset[str], frozenset[str]]] = None


IDIOMS: dict[str, Idiom] = {}


def idiom(name: str, summary: str, node_types: tuple[type, ...], needles: tuple[str, ...],
          default_pattern: str = ".*", deferred: bool = False,
          int_slots: Optional[tuple[tuple[str, ...], tuple[str, ...]]] = None,
          call_gate: Optional[tuple[frozenset[str], frozenset[str]]] = None,
          ) -> Callable[[MatchFunction], MatchFunction]:
    def register(function: MatchFunction) -> MatchFunction:
        IDIOMS[name] = Idiom(name, summary, node_types, needles, default_pattern, function, deferred, int_slots,
                             call_gate)
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
    cuda = _string(chosen)  # (the strings first: most conditional expressions choose no device)
    if cuda is None or _string(fallback) != "cpu" or not pattern.fullmatch(cuda):
        return None
    if not _is_call_to(test, resolve, "torch.cuda.is_available"):
        return None
    return cuda


_PROCESS_COUNT_KEYWORDS = frozenset({"nprocs", "world_size", "nproc_per_node", "num_processes"})
_SPAWNS = frozenset({"torch.multiprocessing.spawn", "torch.multiprocessing.spawn.spawn",
                     "torch.multiprocessing.start_processes", "torch.multiprocessing.spawn.start_processes"})
_DEVICE_COUNTS = frozenset({"torch.cuda.device_count", "torch.accelerator.device_count"})


@idiom(
    "device-count-as-process-count",
    "torch.cuda.device_count() (or torch.accelerator.device_count()) reaching nprocs=, world_size= "
    "or mp.spawn's process count, directly or through a variable",
    (ast.Call,),
    ("device_count",),
    call_gate=(_PROCESS_COUNT_KEYWORDS, _SPAWNS),
)
def _device_count_as_process_count(node: ast.AST, query: Resolver, pattern: "re.Pattern[str]"):  # type: ignore[no-untyped-def]
    assert isinstance(node, ast.Call)
    if not node.keywords and len(node.args) <= 2:
        return None
    counts = [k.value for k in node.keywords if k.arg in _PROCESS_COUNT_KEYWORDS]
    if len(node.args) > 2 and isinstance(node.func, (ast.Attribute, ast.Name)) and query(node.func) in _SPAWNS:
        counts.append(node.args[2])
    value_of = getattr(query, "value", None)
    for count in counts:
        value = value_of(count) if value_of is not None else count
        if (isinstance(value, ast.Call) and not value.args and not value.keywords
                and isinstance(value.func, (ast.Attribute, ast.Name)) and query(value.func) in _DEVICE_COUNTS):
            return f"{query(value.func)}()", value
    return None


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


def _int_device(query: Resolver, value: ast.expr) -> bool:
    """An int literal, or (value flow) a name/attribute whose value is an int."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, int) and not isinstance(value.value, bool)
    is_int = getattr(query, "is_int", None)
    return isinstance(value, (ast.Name, ast.Attribute)) and is_int is not None and is_int(value)


@idiom(
    "int-device-keyword",
    "`device=i` with an int (literal or by value flow) in a torch call: a CUDA device index",
    (ast.Call,),
    ("device",),
    int_slots=((), ("device",)),
    call_gate=(frozenset({"device"}), frozenset()),
)
def _int_device_keyword(node: ast.AST, query: Resolver, pattern: "re.Pattern[str]"):  # type: ignore[no-untyped-def]
    assert isinstance(node, ast.Call)
    if not node.keywords:
        return None
    value = next((k.value for k in node.keywords if k.arg == "device"), None)
    func = node.func
    if value is None or not isinstance(func, (ast.Attribute, ast.Name)):
        return None
    if isinstance(func, ast.Attribute) and func.attr in ("to", "cuda"):
        return None  # `.to(device=i)` / `.cuda(device=i)`: their own matchers
    if not _int_device(query, value):
        return None
    name = query(func)
    if name is None or not name.startswith("torch.") or name.startswith("torch.cuda."):
        return None
    return ast.unparse(value), value


@idiom("int-torch-device", "`torch.device(i)` with an int (literal or by value flow): a CUDA device",
       (ast.Call,), ("device",), int_slots=(("device",), ()), call_gate=(frozenset(), frozenset({"torch.device"})))
def _int_torch_device(node: ast.AST, query: Resolver, pattern: "re.Pattern[str]"):  # type: ignore[no-untyped-def]
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if (len(node.args) != 1 or node.keywords or (func.attr if isinstance(func, ast.Attribute) else
                                                 func.id if isinstance(func, ast.Name) else None) != "device"
            or not _int_device(query, node.args[0]) or query(func) != "torch.device"):
        return None
    return ast.unparse(node.args[0]), node.args[0]


_AVAILABILITY = frozenset({"torch.cuda.is_available", "torch.accelerator.is_available"})


def _refuses(body: list[ast.stmt]) -> bool:
    """A block that stops the program: `raise ...`, `sys.exit(...)`, `exit(...)`, `quit(...)`."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Raise):
        return True
    call = last.value if isinstance(last, ast.Expr) else None
    if isinstance(call, ast.Call):
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        return name in ("exit", "quit", "_exit")
    return False


@idiom(
    "accelerator-required",
    "`assert torch.cuda.is_available()` or `if not torch.cuda.is_available(): raise/exit`: the"
    " program refuses to start without a GPU",
    (ast.Assert, ast.If),
    ("is_available",),
)
def _accelerator_required(node: ast.AST, query: Resolver, pattern: "re.Pattern[str]"):  # type: ignore[no-untyped-def]
    if isinstance(node, ast.Assert):
        test = node.test
    elif isinstance(node, ast.If) and not node.orelse:
        # (the test's shape first: most ifs test something else than a negation)
        if not (isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)) or not _refuses(node.body):
            return None
        test = node.test.operand
    else:
        return None
    if not (isinstance(test, ast.Call) and not test.args and isinstance(test.func, (ast.Attribute, ast.Name))):
        return None
    starting = getattr(query, "starting", None)
    if starting is not None and not starting():
        return None  # a library's feature that needs CUDA kernels, not a program refusing to start
    if query(test.func) in _AVAILABILITY:
        # Reported at the `assert` / `if` keyword: the check's own rewrite (PRT102 lets every
        # accelerator through) is kept; this finding is the advice about the CPU.
        keyword = ast.Pass(lineno=node.lineno, col_offset=node.col_offset, end_lineno=node.lineno,
                           end_col_offset=node.col_offset + (6 if isinstance(node, ast.Assert) else 2))
        return f"{query(test.func)}()", keyword
    return None


_PROFILES = frozenset({"torch.profiler.profile", "torch.profiler.profiler.profile"})
_ACTIVITIES = ("torch.profiler.ProfilerActivity.", "torch._C._profiler.ProfilerActivity.",
               "torch.autograd.profiler.ProfilerActivity.")
# torch.profiler names with a torch_npu.profiler counterpart (transfer_to_npu swaps them)
_NPU_PROFILER = {
    "torch.profiler.schedule": "torch_npu.profiler.schedule",
    "torch.profiler.tensorboard_trace_handler": "torch_npu.profiler.tensorboard_trace_handler",
}
# the keywords torch_npu.profiler.profile takes as torch.profiler.profile does
_NPU_PROFILE_KEYWORDS = frozenset({"activities", "schedule", "on_trace_ready", "record_shapes", "profile_memory",
                                   "with_stack", "with_flops", "with_modules"})


@idiom(
    "profiler-cuda-activities",
    "torch.profiler.profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], ...) with a literal"
    " list of activities and arguments torch_npu.profiler.profile also takes: rewritten as a whole",
    (ast.Call,),
    ("ProfilerActivity",),
    call_gate=(frozenset({"activities"}), frozenset()),
)
def _profiler_cuda_activities(node: ast.AST, query: Resolver, pattern: "re.Pattern[str]") -> str | None:
    assert isinstance(node, ast.Call)
    if node.args or not any(k.arg == "activities" for k in node.keywords):
        return None
    if not isinstance(node.func, (ast.Attribute, ast.Name)) or query(node.func) not in _PROFILES:
        return None
    edits: list[tuple[ast.AST, str]] = [(node.func, "torch_npu.profiler.profile")]
    cuda = False
    for keyword in node.keywords:
        if keyword.arg not in _NPU_PROFILE_KEYWORDS:
            return None  # experimental_config, **options ...: a person decides
        if keyword.arg == "activities":
            if not isinstance(keyword.value, (ast.List, ast.Tuple)):
                return None
            for element in keyword.value.elts:
                name = query(element) if isinstance(element, (ast.Attribute, ast.Name)) else None
                prefix = next((p for p in _ACTIVITIES if name and name.startswith(p)), None)
                member = name[len(prefix):] if name and prefix else None
                if member not in ("CPU", "CUDA"):
                    return None
                cuda = cuda or member == "CUDA"
                edits.append((element, f"torch_npu.profiler.ProfilerActivity.{'NPU' if member == 'CUDA' else 'CPU'}"))
        elif not _npu_profiler_names(keyword.value, query, edits):
            return None
    if not cuda:
        return None
    return query.rewrite(node, edits)  # type: ignore[attr-defined]


def _npu_profiler_names(node: ast.expr, query: Resolver, edits: list[tuple[ast.AST, str]]) -> bool:
    """Collect the torch.profiler names in an argument that torch_npu.profiler replaces;
    False when it uses another torch profiler name (no counterpart known)."""
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.Attribute, ast.Name)):
            name = query(current)
            if name is not None and name.startswith(("torch.profiler", "torch.autograd.profiler", "torch._C._profiler")):
                if name not in _NPU_PROFILER:
                    return False
                edits.append((current, _NPU_PROFILER[name]))
                continue
        stack.extend(ast.iter_child_nodes(current))
    return True


_NCCL_CHECKS = frozenset({"torch.distributed.is_nccl_available", "torch.distributed.distributed_c10d.is_nccl_available"})


@idiom(
    "nccl-if-nccl-available",
    '"nccl" if dist.is_nccl_available() else <fallback>: the backend and the check that picks it, rewritten together',
    (ast.IfExp,),
    ("is_nccl_available",),
)
def _nccl_if_nccl_available(node: ast.AST, query: Resolver, pattern: "re.Pattern[str]") -> str | None:
    assert isinstance(node, ast.IfExp)
    test, chosen = node.test, node.body
    if not (isinstance(chosen, ast.Constant) and chosen.value == "nccl"):
        return None
    if not (isinstance(test, ast.Call) and not test.args and not test.keywords
            and isinstance(test.func, (ast.Attribute, ast.Name)) and query(test.func) in _NCCL_CHECKS):
        return None
    if isinstance(test.func, ast.Attribute):
        check = query.rewrite(test.func.value, []) + ".is_hccl_available"  # type: ignore[attr-defined]
    else:
        check = "torch.distributed.is_hccl_available"
    quote = query.rewrite(chosen, [])[0]  # type: ignore[attr-defined]
    return query.rewrite(node, [(chosen, f"{quote}hccl{quote}"), (test.func, check)])  # type: ignore[attr-defined]
