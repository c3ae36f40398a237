"""Generated programs for the fixer's property fuzz (tests/test_fuzz.py) and its by-hand run.

A program mixes CUDA constructs with what makes fixing hard: import aliases, ``torch``
shadowed by a parameter, a local, a loop, ``with`` or ``except`` target, lazy imports in
functions, nested f-strings, comments in odd places, decorators, classes and
comprehensions. Every generated program is valid on the oldest supported Python (3.10:
nested f-strings alternate their quotes).

Run by hand (many programs per target, figures printed)::

    python tests/fuzz_programs.py --programs 5000 --target agnostic --target npu
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections import Counter
from typing import Callable, Iterator

from hypothesis import strategies as st

OLDEST = (3, 10)

# How the module-level name of torch is spelled in a program.
ALIASES = ["torch", "th", "pt"]

# The device-selection idiom inside an f-string: its fix brings double quotes into a
# double-quoted f-string (invalid before Python 3.12); portlint/fstrings.py requotes it.
FSTRING_IDIOM = 'f"{{\'cuda\' if {t}.cuda.is_available() else \'cpu\'}} {{v_{n}}}"'

# CUDA constructs as expressions or statements on the module alias {t}; {n} keeps names unique.
EXPRESSIONS = [
    '{t}.zeros(2, device="cuda")',
    "{t}.ones(1).cuda()",
    '{t}.ones(1).to("cuda:0")',
    "{t}.cuda.is_available()",
    "{t}.cuda.device_count()",
    "{t}.cuda.current_device()",
    '{t}.device("cuda" if {t}.cuda.is_available() else "cpu")',
    "{t}.cuda.memory_allocated()",
    "{t}.ones(1).is_cuda",
    '{t}.ones(1).to(f"cuda:{{v_{n}}}")',
    '{t}.ones(1).to(f"cuda:{{f\'{{v_{n}}}\'}}")',  # nested f-string, alternating quotes
    "{t}.cuda.get_device_name(0)",
    # CUDA code inside f-string replacement fields (nested f-strings alternate quotes: 3.10)
    'f"dev={{{t}.cuda.current_device()}}"',
    "f'{{f\"{{{t}.ones(1).cuda()}}\"}}'",
    'f"{{{t}.cuda.device_count()!r:>10}}"',
    FSTRING_IDIOM,
    "f'{{ {t}.ones(1).to(\"cuda:0\") }}'",
]
STATEMENTS = [
    "{t}.cuda.synchronize()",
    "{t}.cuda.empty_cache()",
    "{t}.backends.cudnn.benchmark = True",
    "{t}.cuda.manual_seed(v_{n})",
    "{t}.cuda.set_device(v_{n})",
]
WITH_BLOCKS = [
    "with {t}.cuda.amp.autocast():\n    r_{n} = v_{n}",
    'with {t}.autocast("cuda", dtype={t}.bfloat16):\n    r_{n} = v_{n}',
    "with {t}.cuda.device(v_{n}):\n    r_{n} = v_{n}",
]
# Ways to bind the name ``torch`` (or the alias) locally: code using the local must be left
# alone, and no fix may introduce a reference to the module there.
SHADOWS = [
    "def s_{n}(torch, v_{n}=0):\n    {body}\n    return torch",
    "def s_{n}(v_{n}=0):\n    torch = object()\n    {body}\n    return torch",
    "def s_{n}(items, v_{n}=0):\n    for torch in items:\n        {body}\n    return items",
    "def s_{n}(cm, v_{n}=0):\n    with cm as torch:\n        {body}\n    return cm",
    "def s_{n}(v_{n}=0):\n    try:\n        pass\n    except Exception as torch:\n        {body}\n    return v_{n}",
    "def s_{n}(v_{n}=0):\n    return [torch for torch in range(v_{n})]\n\ndef s2_{n}(v_{n}=0):\n    {body}",
    "def s_{n}(v_{n}=0, *, th=None):\n    {body}\n    return th",
    "def s_{n}(torch, v_{n}=0):\n    def inner_{n}():\n        {body}\n    return inner_{n}, torch",
    "class S_{n}:\n    torch = None\n    v_{n} = 0\n    {body}",
    "def s_{n}(v_{n}=0):\n    if (torch := v_{n}):\n        {body}\n    return torch",
    "def s_{n}(v_{n}=0):\n    match v_{n}:\n        case torch:\n            {body}\n    return v_{n}",
    "def s_{n}(v_{n}=0):\n    torch = None\n\n    def inner_{n}():\n        nonlocal torch\n        {body}\n    return inner_{n}",
    "def s_{n}(v_{n}=0):\n    global torch\n    {body}\n    return v_{n}",
    "def s_{n}(v_{n}=0):\n    DEVICE = 'mine'\n    {body}\n    return DEVICE",
]
# Expression-only shadowing: a lambda's parameter, a comprehension variable around the code.
EXPRESSION_SHADOWS = [
    "s_{n} = lambda torch, v_{n}=0: ({expr}, torch)",
    "s_{n} = [({expr}, torch) for torch in range(v_{n})]",
    "s_{n} = {{torch: {expr} for torch in range(v_{n})}}",
]
COMMENTS = ["# cuda note {n}", "# noqa-like: not a suppression {n}", "# ä unicode {n}", "#"]


def comment(draw: st.DrawFn, n: int) -> str:
    return draw(st.sampled_from(COMMENTS)).format(n=n)


@st.composite
def cuda_statement(draw: st.DrawFn, t: str, n: int) -> str:
    """One CUDA statement on alias ``t``, maybe with comments in odd places."""
    expressions = EXPRESSIONS
    kind = draw(st.integers(0, 3))
    if kind == 0:
        expr = draw(st.sampled_from(expressions)).format(t=t, n=n)
        if draw(st.booleans()):  # a comment inside the brackets of a call
            return f"x_{n} = (  {comment(draw, n)}\n    {expr}\n)"
        return f"x_{n} = {expr}"
    if kind == 1:
        statement = draw(st.sampled_from(STATEMENTS)).format(t=t, n=n)
        return statement + ("  " + comment(draw, n) if draw(st.booleans()) else "")
    if kind == 2:
        return draw(st.sampled_from(WITH_BLOCKS)).format(t=t, n=n)
    expr = draw(st.sampled_from(expressions)).format(t=t, n=n)
    return f"ys_{n} = [  {comment(draw, n)}\n    {expr} for _ in range(v_{n})\n]"


def indent(code: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in code.splitlines())


@st.composite
def block(draw: st.DrawFn, t: str, n: int) -> str:
    """A top-level block: a statement, a function, a class, a shadowing function, a lazy import."""
    kind = draw(st.integers(0, 7))
    statement = draw(cuda_statement(t, n))
    if kind == 0:
        return statement
    if kind == 1:  # a function, maybe decorated
        decorator = draw(st.sampled_from(["", "@staticmethod_like\n", f"@deco_{n}(1)  {comment(draw, n)}\n"]))
        return f"{decorator}def f_{n}(v_{n}=0):\n{indent(statement)}\n    return v_{n}"
    if kind == 2:  # a class with a method
        return (f"class K_{n}:\n    {comment(draw, n)}\n    dev = \"cuda\"\n\n"
                f"    def m(self, v_{n}=0):\n{indent(statement, '        ')}\n        return self")
    if kind == 3:  # shadowing: the local name must not be touched, and no fix may refer to the module there
        # The body uses the local name (must stay as it is) or the module under its alias: a
        # fix must not write ``torch.`` there, it is the local (tests/test_fuzz_regressions.py).
        used = t if draw(st.booleans()) else "torch"
        if draw(st.integers(0, len(SHADOWS) // 2)) == 0:
            return draw(st.sampled_from(EXPRESSION_SHADOWS)).format(
                n=n, expr=draw(st.sampled_from(EXPRESSIONS)).format(t=used, n=n))
        body_statement = draw(cuda_statement(used, n))
        template = draw(st.sampled_from(SHADOWS))
        line = next(line for line in template.split("\n") if "{body}" in line)
        depth = line[:len(line) - len(line.lstrip())]
        body = indent(body_statement, depth).lstrip()
        return template.format(n=n, body=body)
    if kind == 4:  # a lazy import in a function
        alias = draw(st.sampled_from(["torch", "torch as lazy_t"]))
        name = alias.split()[-1]
        lazy = draw(cuda_statement(name, n))
        return f"def l_{n}(v_{n}=0):\n    import {alias}\n{indent(lazy)}\n    return v_{n}"
    if kind == 5:  # an f-string with a nested f-string and "cuda" text
        return f'msg_{n} = f"running on {{f\'{{v_{n}}}\'}} cuda {{\'cuda:0\'}}"  {comment(draw, n)}'
    if kind == 6:  # from-imports
        imported = draw(st.sampled_from([
            f"from torch.cuda import synchronize as sync_{n}\nsync_{n}()",
            f"from torch import cuda as c_{n}\nc_{n}.empty_cache()",
            f"from torch.cuda.amp import GradScaler as GS_{n}\nsc_{n} = GS_{n}()",
        ]))
        return imported
    return f"if v_{n} > 0:  {comment(draw, n)}\n{indent(statement)}\nelse:\n    pass"


@st.composite
def programs(draw: st.DrawFn) -> str:
    t = draw(st.sampled_from(ALIASES))
    header = "import torch\n" if t == "torch" else f"import torch as {t}\n"
    if t != "torch" and draw(st.integers(0, 5)) == 0:  # the module's own `torch` is not the module
        header += "torch = None  # not the module\n"
    if draw(st.booleans()):
        header = f'"""Module docstring mentioning cuda."""\n{comment(draw, 0)}\n' + header
    count = draw(st.integers(1, 6))
    helpers = "".join(f"v_{n} = {n}\n" for n in range(count))
    helpers += "def staticmethod_like(f):\n    return f\n"
    helpers += "".join(f"def deco_{n}(a):\n    return staticmethod_like\n" for n in range(count))
    blocks = [draw(block(t, n)) for n in range(count)]
    return header + helpers + "\n" + "\n\n".join(blocks) + "\n"


# --------------------------------------------------------------------------- the invariants


def comments_of(text: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return Counter(token.string for token in tokens if token.type == tokenize.COMMENT)


def _scope_bindings(node: ast.AST) -> set[str]:
    """Names a function or class scope binds itself (not in nested scopes)."""
    bound: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                bound.add(arg.arg)
    for child in _own_nodes(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            bound.add(child.id)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            bound.add(child.name)
        elif isinstance(child, ast.Import):  # a lazy ``import torch`` is the module itself
            bound.update((a.asname or a.name).split(".")[0] for a in child.names
                         if a.name.split(".")[0] != "torch")
        elif isinstance(child, ast.ImportFrom):
            bound.update(a.asname or a.name for a in child.names)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child is not node:
            bound.add(child.name)
    return bound


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``scope``'s own body (nested scopes' bodies excluded)."""
    if isinstance(scope, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        stack: list[ast.AST] = [*ast.iter_child_nodes(scope)]
    elif isinstance(scope, ast.Lambda):
        stack = [scope.body]
    else:
        stack = list(getattr(scope, "body", []))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend([*node.decorator_list, *node.args.defaults,
                          *(d for d in node.args.kw_defaults if d is not None)])
            continue
        if isinstance(node, ast.ClassDef):
            stack.extend([*node.decorator_list, *node.bases, *node.keywords])
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
            continue
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            stack.append(node.generators[0].iter)  # evaluated in the enclosing scope
            continue
        stack.extend(ast.iter_child_nodes(node))


def scope_loads(tree: ast.Module) -> dict[str, tuple[set[str], Counter[str]]]:
    """For each function, class or comprehension scope (by qualified name): the names it
    binds itself and how often its own code reads each name."""
    found: dict[str, tuple[set[str], Counter[str]]] = {}

    def visit(scope: ast.AST, qualname: str) -> None:
        for child in _own_nodes(scope):
            if isinstance(child, _SCOPES):
                name = f"{qualname}.{getattr(child, 'name', type(child).__name__)}"
                while name in found:
                    name += "'"
                loads = Counter(n.id for n in _own_nodes(child)
                                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
                found[name] = (_scope_bindings(child), loads)
                visit(child, name)

    found[""] = (_scope_bindings(tree), Counter(n.id for n in _own_nodes(tree)
                                                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)))
    visit(tree, "")
    return found


_DEVICE_TYPES = frozenset({"cuda", "cpu", "mps", "xpu", "npu"})


def device_variables(tree: ast.Module) -> set[str]:
    """Names every assignment of which holds a device (``torch.device(...)``, a device
    string, ``"cuda" if ... else "cpu"``): a fix may reuse such a variable as the file's
    device variable (issue 9), which is a read of the program's own device choice."""
    def is_device(value: ast.expr) -> bool:
        if isinstance(value, ast.IfExp):
            return is_device(value.body) and is_device(value.orelse)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value.split(":")[0] in _DEVICE_TYPES
        return (isinstance(value, ast.Call) and isinstance(value.func, (ast.Attribute, ast.Name))
                and (value.func.attr if isinstance(value.func, ast.Attribute) else value.func.id) == "device")

    verdicts: dict[str, bool] = {}
    targets: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            targets.add(id(node.targets[0]))
            name = node.targets[0].id
            verdicts[name] = verdicts.get(name, True) and is_device(node.value)
    for node in ast.walk(tree):  # bound any other way too (loop, with, augmented ...): not one
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) and id(node) not in targets:
            verdicts[node.id] = False
        elif isinstance(node, ast.arg):
            verdicts[node.arg] = False
    return {name for name, device in verdicts.items() if device}


def shadowed_references(original: str, fixed: str) -> list[str]:
    """Scopes where the fixed code reads a name the scope bound itself in the original more
    often than the original did: a fix introduced a reference that resolves to a shadowing
    binding (a definition the fix adds, such as the module's ``DEVICE``, is not one)."""
    original_tree = ast.parse(original)
    before = scope_loads(original_tree)
    after = scope_loads(ast.parse(fixed))
    devices = device_variables(original_tree)
    problems = []
    for scope, (_, loads) in after.items():
        bound, old = before.get(scope, (set(), Counter()))  # the bindings the original had
        for name in bound - devices:
            if loads[name] > old[name]:
                problems.append(f"{scope}: {name} ({old[name]} -> {loads[name]} reads)")
    return problems


_BUILTINS = frozenset(dir(__import__("builtins")))


def undefined_names(text: str) -> set[str]:
    """Global names read somewhere and bound nowhere in the module (nor builtins), by
    ``symtable``, independently of portlint's own model."""
    import symtable

    table = symtable.symtable(text, "<fuzz>", "exec")
    module_bound = {s.get_name() for s in table.get_symbols()
                    if s.is_assigned() or s.is_imported() or s.is_namespace()}
    missing: set[str] = set()
    stack = [table]
    while stack:
        current = stack.pop()
        for symbol in current.get_symbols():
            name = symbol.get_name()
            if not symbol.is_referenced() or name in _BUILTINS or name in module_bound:
                continue
            if current.get_type() == "module" or symbol.is_global():
                missing.add(name)
        stack.extend(current.get_children())
    return missing


def check_program(text: str, fix: Callable[[str], object], undefined: Callable[[str], set[str]] = undefined_names
                  ) -> list[str]:
    """Every invariant for one program; the list of what failed (empty: all hold)."""
    first = fix(text)
    problems: list[str] = []
    error = getattr(first, "error", None)
    if error is not None:
        return [f"error: {error.reason}"]
    fixed = first.text  # type: ignore[attr-defined]
    try:
        ast.parse(fixed, feature_version=OLDEST)
    except SyntaxError as exc:
        return [f"fixed code does not parse on Python {OLDEST[0]}.{OLDEST[1]}: {exc.msg} (line {exc.lineno})"]
    problems += [f"shadowed: {p}" for p in shadowed_references(text, fixed)]
    new_undefined = undefined(fixed) - undefined(text)
    if new_undefined:
        problems.append(f"new undefined names: {sorted(new_undefined)}")
    lost = comments_of(text) - comments_of(fixed)
    if lost:
        problems.append(f"comments lost: {sorted(lost)}")
    second = fix(fixed)
    if getattr(second, "error", None) is not None or second.text != fixed:  # type: ignore[attr-defined]
        problems.append("not idempotent: a second fix changes the code")
    return problems


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - the by-hand run
    import argparse
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from hypothesis import HealthCheck, given, settings

    from conftest import linter_for
    from portlint.fixer import fix_text

    parser = argparse.ArgumentParser()
    parser.add_argument("--programs", type=int, default=5000)
    parser.add_argument("--target", action="append", default=None)
    parser.add_argument("--show", type=int, default=3, help="failing programs to print per kind")
    options = parser.parse_args(argv)
    failed_total = 0
    for target in options.target or ["agnostic", "npu"]:
        linter = linter_for(target)
        tried = 0
        failures: Counter[str] = Counter()
        shown: Counter[str] = Counter()
        started = time.process_time()

        @settings(max_examples=options.programs, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(program=programs())
        def run(program: str) -> None:
            nonlocal tried
            tried += 1
            problems = check_program(program, lambda t: fix_text(t, linter, "gen.py", unsafe=True))
            for problem in problems:
                kind = problem.split(":")[0]
                failures[kind] += 1
                if shown[kind] < options.show:
                    shown[kind] += 1
                    print(f"--- {target}: {problem}\n{program}", flush=True)

        run()
        cpu = time.process_time() - started
        failed = sum(failures.values())
        failed_total += failed
        print(f"{target}: {tried} programs, {failed} failures {dict(failures)}, {cpu:.0f} s CPU", flush=True)
    return 1 if failed_total else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
