"""Walk one parsed file once, resolve names through the semantic model, and ask the index.

The analyzer is the semantic model's binder (``portlint/semantic/``) with matching added
to the same traversal: at every name or attribute chain the model says what it refers to
(``th.cuda.synchronize`` -> ``torch.cuda.synchronize`` after ``import torch as th``; a
loop variable or parameter named ``cuda`` is not ``torch.cuda``), and the index says
whether a rule matches there.
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
from dataclasses import replace
from functools import lru_cache

from portlint import rendering
from portlint.devicevar import DevicePlanner
from portlint.semantic.scopes import ASSIGNMENT, IMPORT
from portlint.findings import Finding, Fix
from portlint.idioms import IDIOMS
from portlint.index import RuleIndex
from portlint.rules import Matcher
from portlint.valueflow import ValueFlow, nodes
from portlint.semantic import Binder, SemanticModel
from portlint.semantic import guards as g
from portlint.semantic.guards import Guard

_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")
_PERCENT_FIELD = re.compile(r"%[-+ #0]*\d*(?:\.\d+)?[sdirfgx]")
_DEVICE_INDEX = re.compile(r":(\d+|\{\})$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Stands for the device variable's name until the whole file has been seen (see
# ``_finish_device_sites``): the planner needs every binding of the file.
_DEVICE_MARK = "\x00device\x00"
_UNRESOLVED = object()  # visit_chain: the caller did not resolve the chain


def analyze(tree: ast.Module, text: str, path: str, index: RuleIndex,
            imports: list[str] | None = None) -> list[Finding]:
    """The findings of a file; ``imports``: a list to fill with its import facts
    (``portlint/semantic/imports.py``)."""
    return analyze_with_model(tree, text, path, index, keep_model=False, imports=imports)[0]


def analyze_with_model(tree: ast.Module, text: str, path: str, index: RuleIndex,
                       keep_model: bool = True, imports: list[str] | None = None) -> tuple[list[Finding], SemanticModel]:
    """The findings and the file's semantic model (filled by the same traversal;
    ``keep_model=False``: emptied, the caller only wants the findings)."""
    analyzer = _Analyzer(index, text, path)
    analyzer.imports = imports
    analyzer.run(tree)
    analyzer.release(keep_model)
    findings = analyzer.findings
    if analyzer.idiom_findings:
        findings = _drop_inside_idioms(findings, analyzer.idiom_findings)
    return sorted(findings, key=_position), analyzer.model


def _position(finding: Finding) -> tuple[int, int, str]:
    return (finding.line, finding.column, finding.code)


def _drop_inside_idioms(findings: list[Finding], idioms: list[Finding]) -> list[Finding]:
    """An idiom's finding replaces the findings inside its span (its fix replaces them all)."""
    def inside(f: Finding, outer: Finding) -> bool:
        return ((outer.line, outer.column) <= (f.line, f.column)
                and (f.end_line, f.end_column) <= (outer.end_line, outer.end_column))

    def replaced(f: Finding, outer: Finding) -> bool:
        # the idiom's own finding (perhaps a copy: its device variable is filled in after
        # matching) has its code and its span
        return inside(f, outer) and not (f.code == outer.code and inside(outer, f))

    return [f for f in findings if not any(replaced(f, outer) for outer in idioms)]


class _Analyzer(Binder):
    def __init__(self, index: RuleIndex, text: str, path: str) -> None:
        super().__init__(guard_names=index.guard_names)
        if index.target == "npu":
            self.family_words = g.NPU_FAMILY_WORDS
        self.index = index
        self.text = text
        self.path = path
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        self.test_module = name.startswith("test_") or name.endswith("_test.py")
        self._lines: list[str] | None = None
        self._ascii = text.isascii()  # then a byte offset is a character offset (no line split needed)
        self._indent_unit: str | None = None
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int, int, int, int]] = set()
        self._operands: set[int] = set()  # ids of direct operands of comparisons/operators
        self._negated: dict[int, ast.UnaryOp] = {}  # id(operand) -> its `not`
        self._statements: dict[tuple[int, bool], tuple[ast.stmt, list[ast.stmt], int] | None] | None = None
        self._parenthesize: ast.expr | None = None
        self._dispatch.update({
            ast.Import: self.visit_import,
            ast.ImportFrom: self.visit_import_from,
            ast.Attribute: self.visit_chain,
            ast.Name: self.visit_name,
            ast.Call: self.visit_call,
            ast.Compare: self.visit_compare,
            ast.BinOp: self.visit_operation,
            ast.UnaryOp: self.visit_operation,
            ast.Subscript: self.visit_subscript,
            ast.Assign: self.visit_assign,
            ast.AnnAssign: self.visit_assign,
            ast.FunctionDef: self.visit_function,
            ast.AsyncFunctionDef: self.visit_function,
            ast.Lambda: self.visit_function,
            ast.Dict: self.visit_dict,
            ast.Constant: self.visit_constant,
            ast.Expr: self.visit_expression_statement,
            ast.JoinedStr: self.visit_joined_str,
        })
        # Idioms (structural matchers) run before the node's usual visitor. A call is
        # tried only when it passes every call idiom's gate (see ``Idiom.call_gate``):
        # visit_call does that, with the callee it resolves anyway.
        self.idiom_findings: list[Finding] = []
        self._call_gate: tuple[frozenset[str], frozenset[str]] | None = None
        gates = [IDIOMS[matcher.name].call_gate for matcher in index.idioms.get(ast.Call, ()) if matcher.name]
        if gates and all(gate is not None for gate in gates):
            self._call_gate = (frozenset().union(*(gate[0] for gate in gates)),  # type: ignore[index]
                               frozenset().union(*(gate[1] for gate in gates)))  # type: ignore[index]
        for node_type in index.idioms:
            if node_type is not ast.Call or self._call_gate is None:
                self._dispatch[node_type] = self._with_idioms(self._dispatch.get(node_type, self.generic_visit))
        self._symbol_names: frozenset[str] | None = None  # see ``_may_be_symbol``
        self._symbol_verdicts: dict[str, bool] = {}  # qualified name -> its first look (names recur)
        self._named_contexts: dict[str, tuple[str, ...]] = {}  # name -> index.contexts_named(name)
        self._subscripted: tuple[dict[str, tuple[str, ...]], frozenset[str]] | None = None  # see _subscript_attributes
        self._screen_of: RuleIndex | None = None  # the index ``_screen`` is the "anywhere" screen of
        self._screen: re.Pattern[str] | None = None
        self._plain_chains = ast.Attribute not in index.idioms  # an Attribute is visited by visit_chain only
        self._plain_names = ast.Name not in index.idioms  # ... a Name by visit_name only
        # For the {device} placeholder (portlint/devicevar.py).
        self.tree: ast.Module | None = None
        self._inline_values: set[tuple[int, int, int | None, int | None]] = set()  # values of `name = "..."`
        self._defaults_read = False  # the add_argument defaults are in _inline_values (see _read_option_defaults)
        self._device_sites: list[tuple[int, int, list[ast.AST]]] = []  # (finding number, line, owners)
        # Value flow (portlint/valueflow.py): a use in a device position reports the value's
        # definition; ``_use`` is (context, line) of the use while that definition is matched.
        self._flow: ValueFlow | None = None
        self._query: _Query | None = None
        self._use: tuple[str, int] | None = None
        self._flow_depth = 0
        self._flow_owners: list[ast.AST] | None = None  # the definition's scopes while it is matched
        self._branches: set[int] = set()  # ids of the branches of conditional expressions
        self._guarded: dict[int, ast.If | ast.IfExp] = {}  # id(test) -> its `if`
        self._findings_by_line: dict[int, list[Finding]] | None = None  # while device sites are finished
        # Guard policy (see ``_portable_under``): the CUDA guards met, findings to drop.
        self._cuda_guards: list[Guard] = []
        self._preconditions: list[Guard] = []  # see precondition_guard
        self._dropped: set[int] = set()
        self._compared: set[int] = set()  # ids of values compared (==, in ...): tests, not uses
        self._among_several: set[int] = set()  # ids of "cuda" compared in `x == "cuda" or x == "mlu"`
        self._dtype_slots: dict[int, ast.Call] = {}  # id(value) -> the call it is the dtype of
        # ids of positional arguments of a function that is not torch's (`dtype_byte_size(
        # torch.float64)`): a dtype handed there creates no data that portlint can see
        self._foreign_args: set[int] = set()
        self._assigned_under: dict[int, tuple[Guard, ...]] = {}  # id(assignment) -> its guards, if any
        self._as_value: list[int] = []  # findings of ``unsafe_as_value`` matchers (see _weaken_values)
        self._judged: set[int] = set()  # guard tests rewritten with the CUDA code they guard
        self._displayed: set[int] = set()  # ids of values only shown (print, log, f-string): see _display
        self._value_findings: dict[int, range] = {}  # id(assigned value) -> findings inside it
        self._annotation = 0  # > 0 inside a type annotation: a type named there never runs
        self._switched_off: set[int] = set()  # ids of targets assigned False/0/None
        # ``covered_by``: (finding number, function, names) to check, and the function ->
        # the covering names it calls (see ``_drop_covered``).
        self._cover_checks: list[tuple[int, int, tuple[str, ...]]] = []
        self._covering_calls: dict[int, set[str]] = {}

    # ------------------------------------------------------------------ driving

    def run(self, tree: ast.Module) -> SemanticModel:  # type: ignore[override]
        self.tree = tree
        model = super().run(tree)
        self.finish()
        return model

    def finish(self) -> None:
        """After the traversal: judge the guards' own tests, name the device variable."""
        if self._cuda_guards:
            self._judge_guard_tests()
        if self._preconditions:
            self._keep_preconditions()
        if self._cover_checks:
            self._drop_covered()
        if self._as_value:
            self._weaken_values()
        if self._device_sites:
            self._finish_device_sites()
        if self._dropped:
            self.findings = [f for n, f in enumerate(self.findings) if n not in self._dropped]
        if self.tree is not None and _is_config_module(self.tree, self.path) \
                and any(f.fix is not None and _runs_at_import(f.fix) for f in self.findings):
            # a Python config (mmengine `_base_/default_runtime.py`): its globals are the
            # config, and a lazy-import config cannot call what it imports
            self.findings = [replace(f, fix=Fix(None, f.fix.hint or f"`{f.fix.replacement}`", "manual",
                                                f.fix.min_torch))
                             if f.fix is not None and _runs_at_import(f.fix) else f for f in self.findings]

    def release(self, keep_model: bool = True) -> None:
        """Break the reference cycles of the analyzer (its dispatch table holds its own
        bound methods) and, unless ``keep_model``, of the model (a scope's bindings point
        back at it): the file's tree and model are then freed as soon as the caller drops
        them, not by a later cyclic collection that must first walk them all (a few ms per
        1,000 lines, on every change in the language server)."""
        self._dispatch = {}
        self._query = None
        if not keep_model:
            for scope in self.model.scopes:
                scope.bindings.clear()
                scope.history.clear()

    def mark(self) -> int:
        return len(self.findings)

    def _in_test_code(self) -> bool:
        """A test function, or any function of a test module (``test_*.py``, ``*_test.py``:
        the helpers its tests call, ``_check_sgd_optimizer``)."""
        if self._in_test_function():
            return True
        return self.test_module and self.model.scope.is_function

    def branch_guards(self, test, classified, several=False):  # type: ignore[no-untyped-def]
        if classified is None:
            return None, None  # (the binder's answer, without a CUDA guard to note)
        guards = Binder.branch_guards(self, test, classified, several)
        cuda = [guard for guard in guards if guard is not None and guard.kind == g.CUDA]
        if cuda and isinstance(test, ast.UnaryOp):
            while isinstance(test, ast.UnaryOp):
                test = test.operand
        if cuda and isinstance(test, ast.Name):  # `if is_nvidia:` after `is_nvidia = dev == "cuda"`
            value = self._assigned_value(test)
            for guard in cuda:
                guard.test_findings.extend(self._value_findings.get(id(value), ()))
        self._cuda_guards.extend(cuda)
        return guards

    def _portable_under(self, matcher: Matcher, guards: "list[Guard] | tuple[Guard, ...] | None" = None) -> Guard | None:
        """The guard that makes a finding here (or under ``guards``) moot (the code already
        has a working non-CUDA path), or None. See "What portlint reports" in the README."""
        noop = matcher.noop_off_cuda
        for guard in reversed(self.guards if guards is None else guards):
            kind = guard.kind
            if kind == g.FALLBACK or kind == g.PROTECTED or kind == g.BACKEND or kind == g.SKIP:
                return guard
            if noop and (kind == g.CUDA or guard.cuda_specific):
                return guard  # a no-op off CUDA, done only where CUDA is: deliberate
            if kind == g.OPTIONAL and matcher.kind == "module":
                return guard
            if kind == g.CUDA and (guard.device or guard.several):
                return guard
            if guard.fakes_cuda and (matcher.kind == "literal" or matcher.kind == "keyword"):
                return guard  # a device string in a test that fakes CUDA: the mock's data
        return None

    def _owner_key(self) -> int:
        """The enclosing function of the current node (0: the module)."""
        scope = self.model.scope
        while scope is not None and not scope.is_function:
            scope = scope.parent
        return 0 if scope is None else id(scope.node)

    def _drop_covered(self) -> None:
        """``covered_by``: a no-op off CUDA next to its portable equivalent in the same
        function (``torch.cuda.manual_seed_all(s)`` after ``torch.manual_seed(s)``)."""
        for number, owner, names in self._cover_checks:
            if self._covering_calls.get(owner, set()).intersection(names):
                self._dropped.add(number)

    def visit_annotation(self, node: ast.expr) -> None:
        self._annotation += 1
        try:
            Binder.visit_annotation(self, node)
        finally:
            self._annotation -= 1

    def _judge_guard_tests(self) -> None:
        """A CUDA guard's own test, once its branch has been seen: not reported when the
        branch is a CUDA fast path next to a non-CUDA one; otherwise never rewritten on
        its own (its fix is at most as applicable as the fixes of what it guards)."""
        fast_path = self.index.deferred_idioms.get("cuda-only-branch")
        for guard in self._cuda_guards:
            if guard.several or (guard.device and guard.suppressed) or (guard.deliberate and not guard.region):
                # (the last: `if torch.cuda.is_available(): <CUDA-only settings>` is deliberate)
                self._dropped.update(guard.test_findings)
            elif guard.region or (guard.test is not None and id(guard.test) in self._guarded):
                levels = [_APPLICABILITY.get(_applicability(self.findings[n]), 0) for n in guard.region]
                levels.extend(self._guarded_literal_levels(guard))
                if not levels:
                    continue
                weakest = min(levels)
                self._judged.update(guard.test_findings)
                for number in guard.test_findings:
                    finding = self.findings[number]
                    if _APPLICABILITY.get(_applicability(finding), 0) > weakest and finding.fix is not None:
                        self.findings[number] = replace(finding, fix=_weaken(finding.fix, weakest))
            if fast_path is not None and guard.suppressed and guard.test is not None:
                self.report(fast_path, guard.test, self.segment(guard.test))

    def precondition_guard(self, test: ast.expr) -> Guard:
        guard = Guard(g.CUDA, test, True)
        self._preconditions.append(guard)
        return guard

    def _keep_preconditions(self) -> None:
        """``if not x.is_cuda: raise RuntimeError("requires CUDA tensors")``: what follows is
        declared CUDA-only (a CUDA or Triton kernel). The check is reported, but never
        rewritten: `is_npu` there would let NPU tensors into the CUDA kernel (InternLM/xtuner's
        TileLang indexer)."""
        for guard in self._preconditions:
            for number in guard.test_findings:
                finding = self.findings[number]
                if finding.fix is not None and finding.fix.applicability != "manual":
                    self.findings[number] = replace(finding, fix=_weaken(finding.fix, 0))

    def _weaken_values(self) -> None:
        """``unsafe_as_value``: a CUDA check that is not the test of a guard rewritten with the
        CUDA code it guards (``opt.half = torch.cuda.is_available() and ...``, a branch that
        selects no CUDA code) changes its answer on MPS/XPU/NPU machines, where the original
        worked and read False: its fix is unsafe."""
        for number in self._as_value:
            finding = self.findings[number]
            fix = finding.fix
            if number in self._judged or fix is None or fix.applicability != "safe" or fix.replacement is None:
                continue
            self.findings[number] = replace(finding, fix=replace(fix, applicability="unsafe"))

    def _guarded_literal_levels(self, guard: Guard) -> list[int]:
        """How applicable the fixes of the CUDA device literals a guard protects are
        (``"cuda" if args.cuda and torch.cuda.is_available() else "cpu"``; ``"cuda" if "cuda"
        in device else "cpu"``): a literal no fix rewrites counts as 0, so the guard is not
        rewritten on its own and the "cuda" it selects cannot outlive it."""
        owner = self._guarded.get(id(guard.test)) if guard.test is not None else None
        if owner is None:
            return []
        if isinstance(owner, ast.IfExp):
            branches: list[ast.AST] = [owner.body, owner.orelse]
        else:  # of a statement `if`, the values it assigns or returns (not a message it prints)
            branches = [stmt.value for stmt in ast.walk(owner) if stmt is not owner
                        and isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Return)) and stmt.value is not None]
        levels = []
        for branch in branches:
            for node in ast.walk(branch):
                text = _cuda_literal(node)
                if text is None:
                    continue
                level = self._literal_level(node)
                if level == 0 and self._rewrite_with_guard(guard, node, text):
                    level = self._literal_level(node)
                levels.append(level)
        return levels

    def _literal_level(self, node: ast.AST) -> int:
        line = node.lineno  # type: ignore[attr-defined]
        column = self._char_column(line, node.col_offset) + 1  # type: ignore[attr-defined]
        covering = [_APPLICABILITY.get(_applicability(f), 0) for f in self.findings
                    if (f.line, f.column) <= (line, column) <= (f.end_line, f.end_column)]
        return max(covering, default=0)

    def _rewrite_with_guard(self, guard: Guard, node: ast.AST, text: str) -> bool:
        """npu target: a "cuda" the guard selects (``"cuda" if "cuda" in device else
        "cpu"``) is rewritten as the guard's own safe fix rewrites the test ("npu" for
        "cuda"), so that both change together. Reported as a hard-coded device."""
        if self.index.target != "npu" or not guard.test_findings or isinstance(node, ast.JoinedStr):
            return False
        if any(_applicability(self.findings[n]) != "safe" for n in guard.test_findings):
            return False
        for matcher in self.index.literals.get("device", ()):
            if matcher.pattern is not None and matcher.pattern.fullmatch(text):
                count = len(self.findings)
                self.report(matcher, node, text)
                return len(self.findings) > count
        return False

    def _with_idioms(self, visit_node):  # type: ignore[no-untyped-def]
        def visit(node: ast.AST) -> None:
            self._match_idioms(node)
            visit_node(node)

        return visit

    def _match_idioms(self, node: ast.AST) -> None:
        """Report the first idiom of the index that matches ``node``."""
        query = self.query
        for matcher in self.index.idioms[type(node)]:
            assert matcher.name and matcher.pattern is not None
            matched = IDIOMS[matcher.name].match(node, query, matcher.pattern)
            if matched is not None:
                count = len(self.findings)
                at = node
                if isinstance(matched, tuple):  # (text, the node to report: a definition)
                    matched, at = matched
                self.report(matcher, at, matched)
                if len(self.findings) > count:
                    self.note_idiom()
                break

    def note_idiom(self) -> None:
        """The finding just reported is an idiom's (it replaces the findings inside it)."""
        self.idiom_findings.append(self.findings[-1])

    # ------------------------------------------------------------------ names

    def resolve(self, node: ast.expr) -> str | None:
        """The dotted name an expression refers to (the model, then star imports), or None."""
        model = self.model
        qualname = model.resolve(node)
        if qualname is not None or not model.stars:
            return qualname
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or model.lookup(root.id) is not None:
            return None
        for candidate in model.star_candidates(root.id):
            if candidate in self.index.symbols:
                return _extend(candidate, node)
        return None

    @property
    def flow(self) -> ValueFlow:
        if self._flow is None:
            assert self.tree is not None
            self._flow = ValueFlow(self.model, self.tree, self.text)
        return self._flow

    @property
    def query(self) -> "_Query":
        query = self._query
        if query is None:
            query = self._query = _Query(self)  # (stateless: one per analyzer)
        return query

    # ------------------------------------------------------------------ visitors

    def visit_import(self, node: ast.Import) -> None:  # type: ignore[override]
        super().visit_import(node)
        if self.index.modules:
            for alias in node.names:
                matcher = self._module_matcher(alias.name)
                if matcher is not None:
                    self.report(matcher, alias, alias.name)

    def visit_import_from(self, node: ast.ImportFrom) -> None:
        super().visit_import(node)
        if not self.index.modules or node.level or not node.module:
            return
        module_hit = self._module_matcher(node.module)
        reported_statement = False
        for alias in node.names:
            full = node.module if alias.name == "*" else f"{node.module}.{alias.name}"
            matcher = self._module_matcher(full)
            if matcher is None:
                continue
            if matcher is module_hit:
                if not reported_statement:
                    self.report(matcher, node, node.module)
                    reported_statement = True
            else:
                self.report(matcher, alias, full)

    def _module_matcher(self, dotted: str) -> Matcher | None:
        modules = self.index.modules
        name = dotted
        while True:
            matchers = modules.get(name)
            if matchers:
                return matchers[0]
            if "." not in name:
                return None
            name = name.rsplit(".", 1)[0]

    def visit_name(self, node: ast.Name) -> None:  # type: ignore[override]
        if type(node.ctx) is not ast.Load:
            Binder.visit_name(self, node)
            return
        qualname = self._read_name(node)
        if qualname is not None and self.index.symbols and self._may_be_symbol(qualname):
            self._match_symbol(node, qualname, None)

    def _read_name(self, node: ast.Name) -> str | None:
        """Count a name's use; the dotted name it refers to (``resolve``), from that look-up."""
        binding = self.model.reference(node)
        if binding is not None:
            return binding.qualified
        if self.model.stars:  # (else ``resolve`` would look the name up again, for None)
            return self.resolve(node)
        return None

    def visit_chain(self, node: ast.expr, call: ast.Call | None = None, resolved: object = _UNRESOLVED) -> None:
        """A Name or an Attribute chain: symbols first, then attribute matchers. ``resolved``:
        ``self.resolve(node)``, when the caller has just computed it (a call's callee)."""
        if type(node) is ast.Name:
            if type(node.ctx) is not ast.Load or call is None:
                self.visit_name(node)  # type: ignore[arg-type]
                return
            binding = self.model.reference(node)  # type: ignore[arg-type]
            qualname = (binding.qualified if binding is not None else self.resolve(node)) \
                if self.index.symbols else None
            if qualname is not None and self._may_be_symbol(qualname):
                self._match_symbol(node, qualname, call)
            return
        value = node.value  # type: ignore[attr-defined]
        root = root_name = None  # `name.attr`: the root, whose use is counted first (see below)
        if resolved is _UNRESOLVED and type(value) is ast.Name and type(value.ctx) is ast.Load and self._plain_names:
            # (its look-up gives the chain's name too: ``resolve`` would look it up again,
            # and nothing binds in between)
            root = value
            root_name = self._read_name(value)
            qualname = f"{root_name}.{node.attr}" if root_name is not None and self.index.symbols else None  # type: ignore[attr-defined]
        elif not self.index.symbols:
            qualname = None
        elif resolved is _UNRESOLVED:
            qualname = self.resolve(node)
        else:
            qualname = resolved  # type: ignore[assignment]
        if qualname is not None:
            if not self._may_be_symbol(qualname):
                qualname = None  # (and so for every part of the chain)
            elif self._match_symbol(node, qualname, call):
                if root is None:
                    self._reference_root(node)
                return
        assert isinstance(node, ast.Attribute)
        if type(node.ctx) is ast.Load:  # `self.is_cuda = ...` assigns, it does not read
            matchers = self.index.attributes.get(node.attr)
            if matchers:
                for matcher in matchers:
                    if self._attribute_applies(matcher, call):
                        self._report_attribute(matcher, node, call)
                        break
        if root is not None:  # (``visit_name`` of the root, its use counted above)
            if root_name is not None and self.index.symbols and self._may_be_symbol(root_name):
                self._match_symbol(root, root_name, None)
        elif type(value) is ast.Attribute and self._plain_chains:
            # `a.b.c` resolved to Q: `a.b` (the same root, nothing bound since) resolves to Q
            # without ".c", or to None with it
            self.visit_chain(value, None, None if qualname is None else qualname[:-len(node.attr) - 1])
        else:
            (self._dispatch.get(type(value)) or self.generic_visit)(value)  # (``visit``, inlined)

    def _names_an_owner(self, func: ast.expr) -> bool:
        """``func`` is ``hasattr`` (the builtin) or ``mock.patch.object``: its first argument
        is only named, as the owner of an attribute, not used."""
        if type(func) is ast.Name and func.id == "hasattr":
            return self.model.lookup("hasattr") is None
        return type(func) is ast.Attribute and func.attr == "object" and self.resolve(func) in g.OBJECT_PATCHERS

    def _reference_root(self, node: ast.expr) -> None:
        """Count the use of a chain's root name that is not visited further."""
        while isinstance(node, ast.Attribute):
            node = node.value
        if isinstance(node, ast.Name):
            self.model.reference(node)
        else:
            self.visit(node)

    def _may_be_symbol(self, qualname: str) -> bool:
        """A first look before ``_match_symbol``: False when it would find nothing for
        ``qualname`` nor for any chain it is the resolution of a part of (most names,
        ``torch.nn.Linear``, ``os.path.join``, are no symbol of the index, nor under one,
        nor ignored; nothing is mocked here)."""
        found = self._symbol_verdicts.get(qualname)
        if found is None:
            names = self._symbol_names
            if names is None:
                index = self.index
                names = self._symbol_names = frozenset(index.symbols).union(index.ignored_symbols, index.symbol_prefixes)
            name = qualname
            while name not in names:
                dot = name.rfind(".")
                if dot < 0:
                    break
                name = name[:dot]
            found = self._symbol_verdicts[qualname] = name in names
        return found or (self.mocking and any(guard.mocked for guard in self.guards))

    def _match_symbol(self, node: ast.expr, qualname: str, call: ast.Call | None) -> bool:
        symbols = self.index.symbols
        ignored = self.index.ignored_symbols
        current: ast.expr = node
        name = qualname
        outermost = True
        mocked = [guard.mocked for guard in self.guards if guard.mocked] if self.mocking else None
        while True:
            if name in ignored:
                return True
            if mocked and any(name in names for names in mocked):
                return True  # `@patch("torch.cuda.max_memory_allocated", MagicMock())`: the mock
            for matcher in symbols.get(name, ()):
                if matcher.prefix and not outermost:
                    continue  # a member below a prefix: _match_symbol_prefix reports the member
                if not matcher.compared and id(current) in self._compared:
                    return True  # `t.dtype == torch.float64` tests a value, it creates none
                if not matcher.on_cpu and _on_cpu(self._dtype_slots.get(id(current))):
                    return True  # `torch.zeros(n, dtype=torch.float64, device="cpu")`
                if matcher.fix_as_dtype and id(current) in self._foreign_args:
                    return True  # `dtype_byte_size(torch.float64)`: a question about the dtype
                if not matcher.displayed and id(current) in self._displayed:
                    return True  # `print(torch.cuda.is_available())` fails nowhere
                if self._chosen_per_backend(current):
                    return True  # `if is_npu_available(): from torch.npu.amp import GradScaler else: ...`
                if self._symbol_applies(matcher, call if outermost else None):
                    self.report(matcher, current, name, call=call if outermost else None)
                    return True
            if not isinstance(current, ast.Attribute):
                break
            current = current.value
            name = name.rsplit(".", 1)[0]
            outermost = False
        return self._match_symbol_prefix(node, qualname)

    def _chosen_per_backend(self, node: ast.expr) -> bool:
        """The name at the root of ``node`` is also imported from another backend's module in
        its scope (an import ladder: ``if is_npu_available(): from torch.npu.amp import
        GradScaler`` ... ``else: from torch.cuda.amp import GradScaler``): what it refers to
        is chosen per backend, its CUDA binding is one rung of that choice."""
        while isinstance(node, ast.Attribute):
            node = node.value
        if type(node) is not ast.Name:
            return False
        names, seen = [node.id], set()
        while names:  # (an alias, `scaler_type = GradScaler`, is followed to its name)
            name = names.pop()
            seen.add(name)
            bindings = self.model.meaning(name, self.model.scope)
            for binding in bindings:
                if binding.kind == IMPORT and len(bindings) > 1 and binding.qualified is not None \
                        and _OTHER_BACKEND_MODULE.match(binding.qualified):
                    return True
                value = getattr(binding.statement, "value", None)
                if binding.kind == ASSIGNMENT and type(value) is ast.Name and value.id not in seen and len(seen) < 4:
                    names.append(value.id)
        return False

    def _match_symbol_prefix(self, node: ast.expr, qualname: str) -> bool:
        prefixes = self.index.symbol_prefixes
        if not prefixes:
            return False
        # Walk from the outermost node down; the deepest prefix hit is the most specific.
        chain: list[tuple[ast.expr, str]] = []
        current: ast.expr = node
        name = qualname
        while True:
            chain.append((current, name))
            if not isinstance(current, ast.Attribute):
                break
            current = current.value
            name = name.rsplit(".", 1)[0]
        for position, (current, name) in enumerate(chain):
            matchers = prefixes.get(name)
            if matchers:
                # Report the member right below the prefix (``torch.cuda.new_api``).
                target_node, target_name = chain[position - 1] if position > 0 else (current, name)
                self.report(matchers[0], target_node, target_name)
                return True
        return False

    @staticmethod
    def _symbol_applies(matcher: Matcher, call: ast.Call | None) -> bool:
        if matcher.call is True and call is None:
            return False
        if matcher.call is False and call is not None:
            return False
        if matcher.nargs is not None and (call is None or len(call.args) + len(call.keywords) != matcher.nargs):
            return False
        if matcher.unless_keyword is not None and call is not None and any(
                keyword.arg is None or keyword.arg == matcher.unless_keyword for keyword in call.keywords):
            return False  # `fork_rng(devices=d, device_type="npu")` (or `**kwargs`: it may pass it)
        return True

    def _attribute_applies(self, matcher: Matcher, call: ast.Call | None) -> bool:
        if not self._symbol_applies(matcher, call):
            return False
        if not matcher.on_cpu and call is not None and isinstance(call.func, ast.Attribute) \
                and _on_cpu(call.func.value):
            return False  # `x.cpu().double()`: float64 on the CPU
        if matcher.first_arg is not None:
            if call is None or not call.args:
                return False
            first = call.args[0]
            text = _simple_text(first)
            if text is None:
                text = ast.unparse(first)
            if matcher.first_arg.fullmatch(text) is None:
                return False
        if matcher.device_arg is not None:
            arg = _device_argument(call, matcher.device_arg)
            if arg is None or (matcher.int_arg and not self.flow.is_int(arg, self.model.scope)):
                return False
        return True

    def _report_attribute(self, matcher: Matcher, node: ast.Attribute, call: ast.Call | None) -> None:
        """Report ``.name`` (and its call parentheses) without the receiver.

        When the attribute is an operand of a comparison or an arithmetic operator and its
        replacement is itself an operation (``x.is_cuda == False`` with ``device.type !=
        "cpu"``), the whole expression is replaced and parenthesized instead: splicing the
        operation in would silently change what the comparison means."""
        end_node: ast.AST = call if call is not None else node
        line = node.end_lineno or node.lineno
        start = (node.end_col_offset or 0) - len(node.attr.encode("utf-8"))
        span = (line, start, end_node.end_lineno or line, end_node.end_col_offset or 0)
        outer = call if call is not None else node
        fix = self.index.fix_for(matcher).fix
        if fix is not None and "{receiver}" in (fix.replacement or ""):
            if id(outer) in self._branches:
                return  # `x.pin_memory() if ... else x`: already a deliberate choice
            # The template repeats the receiver (`(x.pin_memory() if ... else x)`): it
            # replaces the whole expression, receiver included.
            span = (node.lineno, node.col_offset, span[2], span[3])
            self.report(matcher, node, node.attr, span=span, call=call, receiver=node.value)
            return
        if id(outer) in self._operands:
            fix = self.index.fix_for(matcher).fix
            if fix is not None and fix.replacement is not None and _is_operation(fix.replacement):
                self._parenthesize = outer
        try:
            self.report(matcher, node, node.attr, span=span, call=call)
        finally:
            self._parenthesize = None

    def visit_call(self, node: ast.Call) -> None:
        func = node.func
        args = node.args
        keywords = node.keywords
        func_type = type(func)
        chain = func_type is ast.Attribute or func_type is ast.Name
        qualname = self.resolve(func) if chain else None
        gate = self._call_gate
        if gate is not None and (qualname in gate[1] or (keywords and not gate[0].isdisjoint(
                [keyword.arg for keyword in keywords]))):
            self._match_idioms(node)
        if len(args) >= 2 and type(args[0]) in (ast.Attribute, ast.Name) and self._names_an_owner(func):
            # `hasattr(torch.cuda, "is_bf16_supported")`: a question about the API, which has
            # an answer everywhere (what the answer guards is judged on its own);
            # `patch.object(torch.cuda, "device_count", ...)` names what it replaces
            self.visit(func)
            self._reference_root(args[0])
            self.visit_all([*args[1:], *(keyword.value for keyword in keywords)])
            return
        index = self.index
        method = None
        if chain:
            if func_type is ast.Attribute:
                method = "." + func.attr  # type: ignore[attr-defined]
            if qualname is not None:
                if qualname in index.covering:
                    self._covering_calls.setdefault(self._owner_key(), set()).add(qualname)
                if qualname in g.SKIP_CONDITIONS and args and g.skips_off_cuda(
                        qualname, args[0], self.resolve, self.index.guard_names):
                    # unittest.skipUnless(torch.cuda.device_count() > 1, ...): off CUDA the test is skipped
                    self.visit_chain(func, node, qualname)
                    self.visit_guarded(args[0], Guard(g.SKIP))
                    for arg in args[1:]:
                        self.visit(arg)
                    for keyword in keywords:
                        self.visit(keyword.value)
                    return
            self.visit_chain(func, node, qualname)  # (resolved: nothing bound since)
        else:
            self.visit(func)
        if args:
            shown = qualname or (func.id if func_type is ast.Name else None)  # type: ignore[attr-defined]  # builtins resolve to None
            if shown in _DISPLAY_CALLS or method in _DISPLAY_METHODS:
                self._display(*args)
        if method == ".add_argument" and index.name_contexts:
            self._check_argparse_default(node)
        contexts = index.positional_contexts
        if contexts and (args or keywords):
            if qualname in contexts:
                self._check_arguments(node, contexts[qualname])  # type: ignore[index]
            if method in contexts:
                self._check_arguments(node, contexts[method])  # type: ignore[index]
        if method in _CASTS or (qualname is not None and qualname.endswith("set_default_dtype")):
            for arg in args:
                self._dtype_slots[id(arg)] = node
        elif func_type is ast.Name and args and not (qualname or "").startswith("torch"):
            self._foreign_args.update(map(id, args))
        if keywords:
            self._check_keywords(node, qualname, method)
        dispatch = self._dispatch
        generic = self.generic_visit
        if func_type is ast.Name and len(args) == 3 and func.id == "getattr":  # type: ignore[attr-defined]
            # getattr(torch, device_type, torch.cuda): the default of a look-up by device type
            self.visit(args[0])
            self.visit(args[1])
            self.visit_guarded(args[2], Guard(g.BACKEND))
        else:
            for arg in args:
                (dispatch.get(type(arg)) or generic)(arg)  # (``visit``, inlined)
        for keyword in keywords:
            value = keyword.value
            (dispatch.get(type(value)) or generic)(value)

    def _check_arguments(self, node: ast.Call, slots_and_contexts: list[tuple[tuple[int, ...] | None, str]]) -> None:
        """The arguments of a call in a positional context (``positional_contexts``)."""
        for slots, ctx in slots_and_contexts:
            for position, arg in enumerate(node.args):
                if slots is None or position in slots:
                    self.check_value(arg, ctx)
            for keyword in node.keywords if slots else ():
                if keyword.arg in slots:  # torch.device(type="cuda"): the parameter's name
                    self.check_value(keyword.value, ctx)

    def _check_keywords(self, node: ast.Call, qualname: str | None, method: str | None) -> None:
        """The keyword arguments of a call: dtype slots, keyword contexts, keyword matchers."""
        index = self.index
        for keyword in node.keywords:
            name = keyword.arg
            if name is not None:
                if name == "dtype":
                    self._dtype_slots[id(keyword.value)] = node
                for ctx in index.keyword_contexts.get(name, ()):
                    self.check_value(keyword.value, ctx)
                for matcher in index.keywords.get(name, ()):
                    if matcher.calls and qualname not in matcher.calls and method not in matcher.calls:
                        continue
                    if matcher.value is not None:
                        text = _simple_text(keyword.value)
                        if text is None:
                            text = ast.unparse(keyword.value)
                        if not matcher.value.fullmatch(text):
                            continue
                        if type(keyword.value) is ast.Name and not self._assigned_value_matches(matcher, keyword.value):
                            continue  # device_ids = None if device.type == "cpu" else [i]; DDP(m, device_ids=device_ids)
                    self.report(matcher, keyword, f"{name}=")

    def _assigned_value_matches(self, matcher: Matcher, name: ast.Name) -> bool:
        """A keyword's ``value`` pattern, tested on what a plain variable was last assigned
        (when the binder knows it): a variable holding an already-handled choice is not
        flagged through its name. Nor is one whose every assignment in the function that
        could match was made where the code already has a non-CUDA path (``if
        device.type == "hpu": ids = [device.index] else: ids = [rank]``: the default rung
        of a ladder that tests another backend)."""
        if matcher.value is None:
            return True
        assigned = self._assigned_value(name)
        if assigned is not None:
            text = _simple_text(assigned)
            if matcher.value.fullmatch(text if text is not None else ast.unparse(assigned)) is None:
                return False
        bindings = self.model.meaning(name.id, self.model.scope)
        if not bindings:
            return True
        for binding in bindings:
            value = _value_bound(binding.statement, name.id)
            if value is None:
                return True  # (a parameter, a loop variable ...: anything)
            text = _simple_text(value)
            if matcher.value.fullmatch(text if text is not None else ast.unparse(value)) is None:
                continue
            guards = self._assigned_under.get(id(binding.statement))
            if guards is None or self._portable_under(matcher, guards) is None:
                return True
        return False

    def _check_argparse_default(self, node: ast.Call) -> None:
        """``add_argument("--dist-backend", default="nccl")``: the option names the default."""
        default = dest = None
        for keyword in node.keywords:
            if keyword.arg == "default":
                default = keyword.value
            elif keyword.arg == "dest" and isinstance(keyword.value, ast.Constant):
                dest = keyword.value.value
        if default is None:
            return
        if not isinstance(dest, str):
            flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            long = [f for f in flags if f.startswith("--")]
            dest = (long or flags or [""])[0].lstrip("-").replace("-", "_")
        if dest:
            self._check_named_value(dest, default)

    def visit_subscript(self, node: ast.Subscript) -> None:
        contexts = self.index.subscript_contexts
        value = node.value
        kind = type(value)
        # (an attribute chain resolves to a name that ends with its attribute: ``x.y[...]``
        # can only be a context's ``...y`` and is not resolved otherwise)
        if contexts and (kind is ast.Name or (kind is ast.Attribute and value.attr in self._subscript_attributes())):  # type: ignore[attr-defined]
            qualname = self.resolve(value)
            for ctx in contexts.get(qualname, ()) if qualname else ():
                self.check_value(node.slice, ctx)
        dispatch = self._dispatch  # (``generic_visit``, inlined: the value, then the slice)
        (dispatch.get(type(value)) or self.generic_visit)(value)
        (dispatch.get(type(node.slice)) or self.generic_visit)(node.slice)

    def _subscript_attributes(self) -> frozenset[str]:
        """The last parts of the names of ``subscript_contexts`` (of the index in use)."""
        contexts = self.index.subscript_contexts
        if self._subscripted is None or self._subscripted[0] is not contexts:
            self._subscripted = (contexts, frozenset(qualname.rpartition(".")[2] for qualname in contexts))
        return self._subscripted[1]

    # ------------------------------------------------------------------ shown values

    def _display(self, *values: ast.expr) -> None:
        """Mark values that are only shown (printed, logged, formatted, displayed by a
        notebook): a query such as ``torch.cuda.is_available()`` there fails nowhere, so
        matchers with ``displayed = false`` do not report it."""
        for value in values:
            if isinstance(value, ast.Call):
                func = value.func
                if isinstance(func, ast.Name) and func.id in ("str", "repr", "bool", "int") and len(value.args) == 1:
                    self._display(value.args[0])
                else:
                    self._displayed.add(id(func))
            elif isinstance(value, (ast.Attribute, ast.Name)):
                self._displayed.add(id(value))
            elif isinstance(value, (ast.Tuple, ast.List)):
                self._display(*value.elts)
            elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mod):
                self._display(value.right)  # "%s" % torch.cuda.is_available()

    def visit_expression_statement(self, node: ast.Expr) -> None:
        value = node.value
        self._display(value)  # a bare `torch.cuda.is_available()`: a notebook shows it
        (self._dispatch.get(type(value)) or self.generic_visit)(value)  # (``generic_visit``, inlined)

    def visit_joined_str(self, node: ast.JoinedStr) -> None:
        self._display(*(part.value for part in node.values if isinstance(part, ast.FormattedValue)))
        self.generic_visit(node)

    def visit_bool_op(self, node: ast.BoolOp) -> None:  # type: ignore[override]
        if self.index.compare_contexts:
            self._mark_several_device_types(node)
        Binder.visit_bool_op(self, node)

    def _mark_several_device_types(self, node: ast.BoolOp) -> None:
        """``device_type == "cuda" or device_type == "mlu"`` (``x != "cuda" and x != "mlu"``):
        the spelled-out ``device_type in ("cuda", "mlu")``, "cuda" among several device types."""
        wanted = ast.Eq if isinstance(node.op, ast.Or) else ast.NotEq
        candidates: list[tuple[ast.expr, ast.Constant]] = []
        for value in node.values:
            if type(value) is not ast.Compare or len(value.ops) != 1 or type(value.ops[0]) is not wanted:
                continue
            for subject, literal in ((value.left, value.comparators[0]), (value.comparators[0], value.left)):
                if type(literal) is ast.Constant and isinstance(literal.value, str) and type(subject) is not ast.Constant:
                    candidates.append((subject, literal))  # type: ignore[arg-type]
        # (no subject can have several device types when all the literals together have not:
        # the subjects are compared by their dump only then)
        if len(candidates) < 2 or not g.several_device_types([literal.value for _, literal in candidates]):
            return
        by_subject: dict[str, list[ast.Constant]] = {}
        for subject, literal in candidates:
            by_subject.setdefault(ast.dump(subject), []).append(literal)
        for literals in by_subject.values():
            if len(literals) > 1 and g.several_device_types([literal.value for literal in literals]):
                self._among_several.update(id(literal) for literal in literals)

    def visit_compare(self, node: ast.Compare) -> None:
        operands = (node.left, *node.comparators)
        for ctx in self.index.compare_contexts:
            for operand in operands:
                # (a name or attribute compared is not followed: value flow skips a compare
                # context, so ``check_value`` would do nothing with it)
                if type(operand) in _LITERAL_SHAPES and id(operand) not in self._among_several:
                    self.check_value(operand, ctx)
        self._operands.update(map(id, operands))
        compared = self._compared
        dispatch = self._dispatch
        for operand in operands:
            compared.add(id(operand))
            kind = type(operand)
            if kind is ast.Tuple or kind is ast.List or kind is ast.Set:
                compared.update(id(element) for element in operand.elts)  # type: ignore[attr-defined]
        for operand in operands:  # (``generic_visit``, inlined: the operands are the children)
            (dispatch.get(type(operand)) or self.generic_visit)(operand)

    def visit_operation(self, node: ast.BinOp | ast.UnaryOp) -> None:
        """Remember the direct operands of an operator (see ``_report_attribute``)."""
        dispatch = self._dispatch
        if type(node) is ast.BinOp:
            left, right = node.left, node.right  # type: ignore[union-attr]
            self._operands.update((id(left), id(right)))
            (dispatch.get(type(left)) or self.generic_visit)(left)  # (``generic_visit``, inlined)
            (dispatch.get(type(right)) or self.generic_visit)(right)
            return
        operand = node.operand  # type: ignore[union-attr]
        if type(node.op) is not ast.Not:  # `not x` binds more loosely than a comparison
            self._operands.add(id(operand))
        else:
            self._negated[id(operand)] = node  # type: ignore[assignment]  # a comparison written there is negated instead
        (dispatch.get(type(operand)) or self.generic_visit)(operand)

    def visit_if_exp(self, node: ast.IfExp) -> None:
        self._branches.update((id(node.body), id(node.orelse)))
        self._guarded[id(node.test)] = node
        Binder.visit_if_exp(self, node)

    def visit_if(self, node: ast.If) -> None:
        self._guarded[id(node.test)] = node  # its branches are read only for a CUDA guard's test
        Binder.visit_if(self, node)

    def visit_assign(self, node: ast.Assign | ast.AnnAssign) -> None:  # type: ignore[override]
        targets = node.targets if type(node) is ast.Assign else [node.target]  # type: ignore[union-attr]
        value = node.value
        kind = type(value)
        one_name = len(targets) == 1 and type(targets[0]) is ast.Name
        if kind is ast.Constant:
            if value.value in (False, None) and not isinstance(value.value, str):  # type: ignore[union-attr]
                self._switched_off.update(id(target) for target in targets)
            if one_name:
                self._inline_values.add((value.lineno, value.col_offset, value.end_lineno, value.end_col_offset))  # type: ignore[union-attr]
        elif kind is ast.Call and one_name and len(value.args) == 1 and not value.keywords \
                and type(value.args[0]) is ast.Constant and type(value.func) in (ast.Name, ast.Attribute) \
                and self.resolve(value.func) == "torch.device":  # type: ignore[union-attr]
            inner = value.args[0]  # `device = torch.device("cuda")`: the expression inside, no DEVICE
            self._inline_values.add((inner.lineno, inner.col_offset, inner.end_lineno, inner.end_col_offset))
        if value is not None and self.index.name_contexts:
            named = self._named_contexts
            for target in targets:
                name = target.id if type(target) is ast.Name else _target_name(target)  # type: ignore[attr-defined]
                if name is not None:
                    contexts = named.get(name)
                    if contexts is None:  # (the index's look-up, kept here: a call less per assignment)
                        contexts = named[name] = self.index.contexts_named(name)
                    for ctx in contexts:
                        self.check_value(value, ctx)
        start = len(self.findings)
        if self.guards and self.index.keywords:
            self._assigned_under[id(node)] = tuple(self.guards)
        Binder.visit_assign(self, node)
        if len(self.findings) > start and value is not None:
            self._value_findings[id(value)] = range(start, len(self.findings))

    def _check_named_value(self, name: str | None, value: ast.expr) -> None:
        if name is None:
            return
        for ctx in self.index.contexts_named(name):
            self.check_value(value, ctx)

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:  # type: ignore[override]
        args = node.args
        if self.index.name_contexts and (args.defaults or args.kw_defaults):
            positional = [*args.posonlyargs, *args.args]
            params = [*zip(positional[len(positional) - len(args.defaults):], args.defaults),
                      *((a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)]
            for param, default in params:
                self._check_named_value(param.arg, default)
        Binder.visit_function(self, node)

    def visit_dict(self, node: ast.Dict) -> None:
        if self.index.name_contexts:
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    self._check_named_value(key.value, value)
        self._compared.update(id(key) for key in node.keys if key is not None)  # {torch.float64: 8}
        keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        if not g.several_device_types(keys, cpu=True):
            self.generic_visit(node)
            return
        # {"cuda": ProfilerActivity.CUDA, "xpu": ...}: a table by device type; each value
        # is used on its own device only.
        for key, value in zip(node.keys, node.values):
            if key is not None:
                self.visit(key)
            kind = g.several_device_types([key.value, "npu"]) if isinstance(key, ast.Constant) \
                and isinstance(key.value, str) else False
            self.visit_guarded(value, Guard(g.CUDA, None, True, True) if kind else Guard(g.BACKEND))

    def visit_constant(self, node: ast.Constant) -> None:
        value = node.value
        if type(value) is str:
            index = self.index
            if index is not self._screen_of:  # (the index may change: portlint/report/joint.py)
                self._screen_of, self._screen = index, index.anywhere_screen()
            screen = self._screen
            if screen is not None and screen.fullmatch(value) is None:
                return  # no "anywhere" literal matches (one test for all of them)
            for matcher in self.index.literals.get("anywhere", ()):
                if matcher.pattern is not None and matcher.pattern.fullmatch(value):
                    self.report(matcher, node, value)
                    return

    # ------------------------------------------------------------------ literals in contexts

    def check_value(self, expr: ast.expr, ctx: str) -> None:
        """Test the string(s) an expression may evaluate to against the context's literals."""
        kind = type(expr)
        if kind is ast.Constant:
            if isinstance(expr.value, str):
                self._test_literal(expr, expr.value, ctx)
        elif kind is ast.JoinedStr:
            self._test_literal(expr, _fstring_shape(expr), ctx)
        elif kind is ast.BinOp:
            shape = _binop_shape(expr)
            if shape is not None:
                self._test_literal(expr, shape, ctx)
        elif kind is ast.Call:
            shape = _format_call_shape(expr)
            if shape is not None:
                self._test_literal(expr, shape, ctx)
            else:
                default = _default_argument(expr)
                if default is not None:  # kwargs.get("device", "cuda"), getattr(args, "device", "cuda")
                    self.check_value(default, ctx)
        elif kind is ast.Name or kind is ast.Attribute:
            self._check_flow(expr, ctx)
        elif kind is ast.IfExp:
            # the branches under the guard their test makes (`x if backend != "hip" else "cuda"`)
            body_guard, else_guard = Binder.branch_guards(self, expr.test, self.classify(expr.test))
            for branch, guard in ((expr.body, body_guard), (expr.orelse, else_guard)):
                if guard is not None:
                    self.guards.append(guard)
                try:
                    self.check_value(branch, ctx)
                finally:
                    if guard is not None:
                        self.guards.pop()
        elif kind is ast.BoolOp:
            for value in expr.values:
                self.check_value(value, ctx)
        elif kind in (ast.List, ast.Tuple, ast.Set):
            values = [e.value for e in expr.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if g.several_device_types(values):
                return  # ("cuda", "xpu", "hpu"): already lists several backends
            for element in expr.elts:
                self.check_value(element, ctx)
        elif kind is ast.Dict:
            for value in expr.values:
                self.check_value(value, ctx)
        elif kind is ast.Starred:
            self.check_value(expr.value, ctx)

    def _check_flow(self, expr: ast.expr, ctx: str) -> None:
        """A name (or ``self.attr``) in a context: match the value it was defined with,
        and report it at the definition (portlint/valueflow.py)."""
        if ctx in self.index.compare_contexts or self._flow_depth >= 4 or not self.index.literals.get(ctx):
            return
        found = self.flow.value(expr, self.model.scope)
        if found is None or found[0] is expr:
            return
        value, scope = found
        saved = self._flow_owners, self._use
        self._flow_owners = self.model.owners(scope) if scope is not None else []
        if self._use is None:
            self._use = (ctx, expr.lineno)
        self._flow_depth += 1
        try:
            self.check_value(value, ctx)
        finally:
            self._flow_depth -= 1
            self._flow_owners, self._use = saved

    def _test_literal(self, node: ast.expr, value: str, ctx: str) -> None:
        for matcher in self.index.literals.get(ctx, ()):
            if matcher.fstring and type(node) is not ast.JoinedStr:
                continue
            if matcher.pattern is not None and matcher.pattern.fullmatch(value):
                self.report(matcher, node, value)
                return

    # ------------------------------------------------------------------ findings

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            text = self.text  # str.split is ~10x faster than the regex; the same without \r
            self._lines = text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)
        return self._lines

    def _char_column(self, line: int, byte_offset: int) -> int:
        if self._ascii:
            return byte_offset
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_offset
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))

    def segment(self, node: ast.AST) -> str:
        """The exact source text of a node."""
        start_line, end_line = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
        start = self._char_column(start_line, node.col_offset)  # type: ignore[attr-defined]
        end = self._char_column(end_line, node.end_col_offset or 0)  # type: ignore[attr-defined]
        if start_line == end_line:
            return self.lines[start_line - 1][start:end]
        parts = [self.lines[start_line - 1][start:], *self.lines[start_line:end_line - 1],
                 self.lines[end_line - 1][:end]]
        return "\n".join(parts)

    def report(self, matcher: Matcher, node: ast.AST, matched: str,
               span: tuple[int, int, int, int] | None = None, call: ast.Call | None = None,
               receiver: ast.expr | None = None) -> None:
        plan = self.index.fix_for(matcher)
        if plan.whole_call and call is not None:
            span = (call.lineno, call.col_offset, call.end_lineno or call.lineno, call.end_col_offset or 0)
        elif span is None:
            span = (node.lineno, node.col_offset,  # type: ignore[attr-defined]
                    node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]
        line, start, end_line, end = span
        column = self._char_column(line, start)
        end_column = self._char_column(end_line, end)
        rule = matcher.rule
        key = (rule.code, line, column, end_line, end_column)
        if key in self._seen or self._annotation:
            return
        if matcher.noop_off_cuda and id(node) in self._switched_off:
            return  # `torch.backends.cudnn.benchmark = False`: off CUDA it is off already
        if self.guards:
            portable = self._portable_under(matcher)
            if portable is not None:
                portable.suppressed += 1
                if matcher.noop_off_cuda and portable.kind == g.CUDA:
                    portable.deliberate += 1
                return
            for guard in self.guards:
                if guard.kind == g.CUDA:
                    guard.region.append(len(self.findings))
        self._seen.add(key)
        message = (matcher.message or rule.message).replace("{name}", matched)
        if self._use is not None and self._use[1] != line:
            role = _ROLES.get(self._use[0], self._use[0])
            message = f"{message} (used as {role} on line {self._use[1]})"
        fix = plan.fix
        if matcher.fix_as_dtype and fix is not None and fix.replacement is not None \
                and id(node) not in self._dtype_slots:
            # a dtype kept in a variable, a table, a conditional expression or `finfo`: the
            # data it makes is not visible here; rewriting the name is not a cast
            hints = [o.hint for o in matcher.rule.fixes.get(self.index.target, ()) if o.hint]
            fix = Fix(None, hints[0] if hints else fix.hint, "manual", fix.min_torch)
        elif matcher.fix_as_dtype and fix is not None and fix.replacement is not None \
                and _holds_a_timestamp(self._dtype_slots[id(node)], self.resolve):
            # `torch.tensor(time.time(), dtype=torch.float64)`: in float32 a Unix time is
            # rounded to 128 s (mmengine names its run directories after it)
            fix = Fix(None, "keep float64 for a timestamp (float32 rounds a Unix time to 128 s): "
                            "keep it on the CPU or send it as an integer", "manual", fix.min_torch)
        if plan.whole_call and call is None and fix is not None:
            if fix.replacement is not None:
                text = fix.replacement.replace("{sep_args}", ", ...").replace("{args_sep}", "..., ").replace("{args}", "...")
                text = text.replace("{name}", matched.rsplit(".", 1)[-1])
                fix = Fix(None, f"`{text}`", "manual", fix.min_torch)
        if fix is not None and fix.replacement is not None and "{" in fix.replacement:
            # A name imported with `from m import name` is rewritten in full (`m.new_name`):
            # substituting in the bare name would leave a name nothing binds.
            bare = matcher.kind == "symbol" and isinstance(node, ast.Name) and "." in matched
            fix = self._expand(fix, matched, call, span, plan.substitute, matched if bare else None,
                               node=node, device_arg=matcher.device_arg, receiver=receiver)
        if self._parenthesize is not None and fix is not None and fix.replacement is not None:
            outer = self._parenthesize
            receiver = self.segment(outer.func.value if isinstance(outer, ast.Call) else outer.value)  # type: ignore[attr-defined]
            fix = replace(fix, replacement=f"({receiver}.{fix.replacement})")
            line, column = outer.lineno, self._char_column(outer.lineno, outer.col_offset)
        if fix is not None and fix.replacement is not None:
            fix, moved = self._render(fix, call if plan.whole_call and call is not None else node, span)
            if moved is not None:
                line, column = moved.lineno, self._char_column(moved.lineno, moved.col_offset)
                end_line = moved.end_lineno or moved.lineno
                end_column = self._char_column(end_line, moved.end_col_offset or 0)
        if self.expecting and fix is not None and fix.replacement is not None and fix.applicability == "safe":
            # `with pytest.raises(E, match="CUDAAccelerator"): Trainer(accelerator="cuda")`,
            # `assert flag == "cuda"` in a test: the code under test still says "cuda"; the
            # rewrite makes the test test something else (Lightning's tests then failed)
            fix = replace(fix, applicability="unsafe")
        if matcher.covered_by:
            self._cover_checks.append((len(self.findings), self._owner_key(), matcher.covered_by))
        if matcher.unsafe_as_value:
            self._as_value.append(len(self.findings))
        self.findings.append(Finding(
            code=rule.code, rule=rule.name, message=message, path=self.path,
            line=line, column=column + 1, end_line=end_line, end_column=end_column + 1,
            target=self.index.target, severity=rule.severity, fix=fix, matched=matched,
        ))

    def _render(self, fix: Fix, node: ast.AST, span: tuple[int, int, int, int]) -> tuple[Fix, ast.AST | None]:
        """The replacement as it should read where it lands (portlint/rendering.py); and the
        node it now replaces, when that is not the matched one."""
        text = fix.replacement or ""
        guarded = rendering.guarded_call(text)
        if guarded is not None:
            guard, body = guarded
            if any(guard.accelerator or guard.kind == g.CUDA for guard in self.guards):
                return replace(fix, replacement=body), None
            statement = self._statement_of(node)
            if statement is not None and self._asserted_before(*statement[1:]):
                return replace(fix, replacement=body), None
            if statement is not None and self._alone_on_its_lines(statement[0]):
                line = self.lines[node.lineno - 1]  # type: ignore[attr-defined]
                indent = line[:len(line) - len(line.lstrip())]
                if self._indent_unit is None:
                    self._indent_unit = rendering.indent_unit(self.text)
                return replace(fix, replacement=rendering.as_statement(guard, body, indent, self._indent_unit)), None
            return fix, None
        negation = self._negated.get(id(node))
        if negation is not None:
            if isinstance(node, ast.Attribute) and span[:2] != (node.lineno, node.col_offset):
                text = f"{self.segment(node.value)}.{text}"  # only the attribute was replaced
            flipped = rendering.negated(text)
            if flipped is not None:
                return replace(fix, replacement=flipped), negation
        statement = self._statement_of(node, callee=True)
        if statement is not None:
            stmt, block, index = statement
            written = text + self.segment(stmt)[len(self.segment(node)):]  # the statement after the fix
            hint = f"`{written}` is already the statement next to it"
            before = block[index - 1] if index else None
            after = block[index + 1] if index + 1 < len(block) else None
            for other in (before, after):
                if other is None or not rendering.same_statement(written, other):
                    continue
                if self._alone_on_its_lines(stmt):
                    return Fix("", hint, "safe", fix.min_torch), stmt
                if other is before and before.end_lineno == stmt.lineno:  # `a(s); b(s)`: drop "; b(s)"
                    return Fix("", hint, "safe", fix.min_torch), _Span.of(
                        (before.end_lineno, before.end_col_offset, stmt.end_lineno, stmt.end_col_offset))
                if other is after and after.lineno == stmt.end_lineno:  # drop "b(s); "
                    return Fix("", hint, "safe", fix.min_torch), _Span.of(
                        (stmt.lineno, stmt.col_offset, after.lineno, after.col_offset))
        return fix, None

    def _statement_of(self, node: ast.AST, callee: bool = False) -> tuple[ast.stmt, list[ast.stmt], int] | None:
        """(expression statement, its block, its index) when ``node`` is a whole statement
        (``callee``: or the function that statement calls). Found by descending from the
        module through the blocks that contain ``node``'s position (no walk of the tree)."""
        if self._statements is None:
            self._statements = {}
        key = (id(node), callee)
        if key in self._statements:  # type: ignore[comparison-overlap]
            return self._statements[key]  # type: ignore[index]
        found = _locate_statement(self.tree.body if self.tree is not None else [], node, callee)
        self._statements[key] = found  # type: ignore[index]
        return found

    def _asserted_before(self, block: list[ast.stmt], index: int) -> bool:
        """An earlier statement of the block asserts a device (``assert
        torch.cuda.device_count() > LOCAL_RANK``, ``assert torch.cuda.is_available()``):
        past it an accelerator is there, and a guard would repeat the assert."""
        for stmt in block[:index]:
            if not isinstance(stmt, ast.Assert):
                continue
            test = stmt.test
            counted = isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Gt)
            call = test.left if counted else test  # type: ignore[attr-defined]
            if not (isinstance(call, ast.Call) and not call.args and isinstance(call.func, (ast.Attribute, ast.Name))):
                continue
            if self.resolve(call.func) in (_DEVICE_COUNTS if counted else _AVAILABILITY_CHECKS):
                return True
        return False

    def _alone_on_its_lines(self, stmt: ast.stmt) -> bool:
        """No other statement shares its lines (no `;`, not the body of a one-line `if x:`)."""
        first = self.lines[stmt.lineno - 1]
        last = self.lines[(stmt.end_lineno or stmt.lineno) - 1]
        before = first.encode("utf-8")[:stmt.col_offset].decode("utf-8", "ignore")
        after = last.encode("utf-8")[stmt.end_col_offset or 0:].decode("utf-8", "ignore").strip()
        return not before.strip() and (not after or after.startswith("#"))

    def _expand(self, fix: Fix, matched: str, call: ast.Call | None,
                span: tuple[int, int, int, int], substitute: tuple[str, str] | None,
                source: str | None = None, node: ast.AST | None = None, device_arg: str | None = None,
                receiver: ast.expr | None = None) -> Fix:
        """Fill a replacement template's placeholders from the matched code."""
        values = {"name": matched.rsplit(".", 1)[-1], "matched": matched, "index": "", "args": "", "sep_args": "",
                  "args_sep": ""}
        if isinstance(node, ast.keyword):  # device_ids=[i]: {value} is `[i]`
            values["value"] = self.segment(node.value)
        if receiver is not None:
            values["receiver"] = self.segment(receiver)
        if call is not None and device_arg is not None:
            arg = _device_argument(call, device_arg)
            if arg is not None:
                values["arg0"] = self.segment(arg)
                rest = [self.segment(other) for other in sorted(
                    [*call.args, *call.keywords], key=lambda n: (n.lineno, n.col_offset))
                    if other is not arg and getattr(other, "value", None) is not arg]
                values["sep_rest"] = "".join(", " + text for text in rest)
        defines = fix.defines
        if "{source}" in (fix.replacement or ""):
            if source is None:
                source = self.segment(_Span.of(span))
            if substitute and "{device}" in substitute[1]:  # f"cuda:{i}" -> f"{DEVICE}:{i}"
                device, defines = self._device_placeholder(substitute[1], span)
                substitute = (substitute[0], substitute[1].replace("{device}", device))
            values["source"] = source.replace(*substitute, 1) if substitute else source
        found = _DEVICE_INDEX.search(matched)
        if found and found.group(1).isdigit():
            values["index"] = found.group(1)
        if call is not None and (call.args or call.keywords):
            first = min((*call.args, *call.keywords), key=lambda n: (n.lineno, n.col_offset))
            last = max((*call.args, *call.keywords),
                       key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
            args = self.segment(_Span(first, last))
            values["args"] = args
            values["sep_args"] = ", " + args
            values["args_sep"] = args + ", "
        replacement = fix.replacement or ""
        if "{device}" in replacement:
            device, defines = self._device_placeholder(replacement, span)
            replacement = replacement.replace("{device}", device)
        for key, value in values.items():
            replacement = replacement.replace("{" + key + "}", value)
        if "{index}" not in (fix.replacement or "") or values["index"]:
            return Fix(replacement, fix.hint, fix.applicability, fix.min_torch, fix.imports, defines)
        # No index to fill in: advice, never code with a placeholder left in it.
        return Fix(None, fix.hint or f"`{fix.replacement}`", "manual", fix.min_torch)

    def _device_placeholder(self, template: str, span: tuple[int, int, int, int]) -> tuple[str, tuple[str, ...]]:
        """The module's device variable (or, for ``name = "cuda"``, its expression).

        The variable's name is only chosen when the whole file has been seen (it must be
        bound nowhere else): until then the finding holds a mark (``_finish_device_sites``)."""
        if template.strip() == "{device}":
            if not self._defaults_read:
                self._read_option_defaults()
            if span in self._inline_values:
                return DevicePlanner.expression_for(self.index.target), ()
        owners = self._flow_owners if self._flow_owners is not None else self.model.owners()
        self._device_sites.append((len(self.findings), span[0], owners))
        return _DEVICE_MARK, (_DEVICE_MARK,)

    def _read_option_defaults(self) -> None:
        """``add_argument("--device", default="cuda")``: the default is the expression itself,
        as in ``device = "cuda"`` (``_inline_values``). Read from the whole tree the first
        time a device placeholder asks (a use can report its definition before the walk
        reaches it), not for every file."""
        self._defaults_read = True
        if self.tree is not None and "add_argument" in self.text:
            for node in nodes(self.tree):
                if isinstance(node, ast.keyword) and node.arg == "default" and isinstance(node.value, ast.Constant):
                    value = node.value
                    self._inline_values.add((value.lineno, value.col_offset, value.end_lineno, value.end_col_offset))

    def _finish_device_sites(self) -> None:
        assert self.tree is not None
        self._findings_by_line = None
        planner = DevicePlanner(self.tree, self.model, self.index.target, self._fixed_value, self.text)
        classes = {id(owner) for _, _, owners in self._device_sites for owner in owners
                   if isinstance(owner, ast.ClassDef)}  # `self.device` only matters where a site is
        for scope in self.model.scopes:
            if scope.kind == "class" and isinstance(scope.node, ast.ClassDef) and id(scope.node) in classes:
                for attr, found in self.flow.class_attributes(scope.node).items():
                    if len(found) == 1 and found[0][0] is not None and isinstance(found[0][1], ast.FunctionDef):
                        value, method = found[0]
                        method_scope = self.model.scope_of(method)
                        statement_line = value.end_lineno or value.lineno
                        if method_scope is not None and method.args.args and method.args.args[0].arg == "self":
                            planner.add_attribute(f"self.{attr}", method_scope, statement_line, value)
        for binding in self.model.module.history:  # `args = parser.parse_args()`: args.device
            made = binding.statement.value if isinstance(binding.statement, ast.Assign) else None
            if (isinstance(made, ast.Call) and isinstance(made.func, ast.Attribute) and made.func.attr == "parse_args"
                    and binding.kind == ASSIGNMENT and isinstance(binding.node, ast.Name)):
                for dest in ("device",):
                    found = self.flow.definition(ast.Attribute(value=ast.Name(id=binding.name), attr=dest),
                                                 self.model.module)
                    if found is not None and found.value is not None:
                        planner.add_option(f"{binding.name}.{dest}", binding.statement.end_lineno or 0, found.value)
        for number, line, owners in self._device_sites:
            finding = self.findings[number]
            fix = finding.fix
            if fix is None or fix.replacement is None or _DEVICE_MARK not in fix.replacement:
                continue
            name, defines, level = planner.placeholder(line, owners, fix.replacement.replace(_DEVICE_MARK, "{device}"))
            fix = replace(fix, replacement=fix.replacement.replace(_DEVICE_MARK, name),
                          defines=tuple(d for d in fix.defines if d != _DEVICE_MARK) + defines)
            if _APPLICABILITY.get(fix.applicability, 0) > level:  # no safer than the variable's own fix
                fix = _weaken(fix, level)
            self.findings[number] = replace(finding, fix=fix)

    def _fixed_value(self, value: ast.expr) -> tuple[str, int] | None:
        """The source of a one-line value with this run's fixes inside it applied, and the
        lowest applicability among them (2 when there are none). A value on several lines
        (a fixed one, wrapped) is taken as it is when no fix lies inside it."""
        line = value.lineno
        if value.end_lineno != line:
            last = value.end_lineno or line
            if any(f.fix is not None and line <= f.line <= last for f in self.findings):
                return None
            return " ".join(part.strip() for part in self.segment(value).splitlines()), 2
        start = self._char_column(line, value.col_offset) + 1
        end = self._char_column(line, value.end_col_offset or 0) + 1
        by_line = self._findings_by_line
        if by_line is None:
            by_line = self._findings_by_line = {}
            for finding in self.findings:
                by_line.setdefault(finding.line, []).append(finding)
        text = self.segment(value)
        edits = []
        for finding in by_line.get(line, ()):
            if finding.line == line and finding.end_line == line and start <= finding.column \
                    and finding.end_column <= end and finding.fix is not None:
                fix = finding.fix
                replacement = fix.replacement
                if replacement == _DEVICE_MARK:  # the device variable itself: its value
                    replacement = DevicePlanner.expression_for(self.index.target)
                if replacement is None or _DEVICE_MARK in replacement or fix.applicability == "manual":
                    continue
                edits.append((finding.column - start, finding.end_column - start, replacement,
                              _APPLICABILITY.get(fix.applicability, 0)))
        level = 2
        original = text
        for begin, finish, replacement, applicability in sorted(edits, reverse=True):
            text = text[:begin] + replacement + text[finish:]
            level = min(level, applicability)
        if not _DEVICE_INDEX_WRITTEN.search(original):
            # Unfixed, it is "cuda" on a CUDA machine (no index): a fix that reads it does
            # there what the code did, whether or not its own fix is applied.
            level = 2
        return text, level


_APPLICABILITY = {"manual": 0, "unsafe": 1, "safe": 2}
_CUDA_DEVICE = re.compile(r"cuda(:\d+)?")
_DEVICE_INDEX_WRITTEN = re.compile(r"cuda:|\bindex\b|,\s*\d")


def _cuda_literal(node: ast.AST) -> str | None:
    """``"cuda"``, ``"cuda:0"`` or ``f"cuda:{i}"`` (a CUDA device written as a value), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _CUDA_DEVICE.fullmatch(node.value):
        return node.value
    if (isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant)
            and isinstance(node.values[0].value, str) and node.values[0].value in ("cuda:", "cuda")):
        return node.values[0].value
    return None


# Calls whose arguments are only shown (see ``_Analyzer._display``); methods on any object.
_DISPLAY_CALLS = frozenset({"print", "pprint.pprint", "IPython.display.display", "display", "logging.info",
                            "logging.debug", "logging.warning", "logging.error", "logging.critical", "logging.log"})
_DISPLAY_METHODS = frozenset({".info", ".debug", ".warning", ".warn", ".error", ".critical", ".log", ".format",
                              ".print", ".write", ".echo", ".secho"})


def _applicability(finding: Finding) -> str:
    fix = finding.fix
    return "manual" if fix is None or fix.replacement is None else fix.applicability


def _weaken(fix: Fix, level: int) -> Fix:
    """A guard's fix, made no more applicable than the fixes of what it guards."""
    if level >= 1:
        return replace(fix, applicability="unsafe")
    advice = fix.hint or (f"`{fix.replacement}`" if fix.replacement else "")
    return Fix(None, f"{advice} (rewrite it together with the CUDA code it guards)".strip(), "manual",
               fix.min_torch)


def _extend(qualified: str, node: ast.expr) -> str:
    """``qualified`` (the chain's root) with the chain's attributes appended."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([qualified, *reversed(parts)])


class _Span:
    """A pseudo-node covering from one node's start to another's end."""

    def __init__(self, first: ast.AST, last: ast.AST) -> None:
        self.lineno = first.lineno  # type: ignore[attr-defined]
        self.col_offset = first.col_offset  # type: ignore[attr-defined]
        self.end_lineno = last.end_lineno  # type: ignore[attr-defined]
        self.end_col_offset = last.end_col_offset  # type: ignore[attr-defined]

    @classmethod
    def of(cls, span: tuple[int, int, int, int]) -> "_Span":
        self = cls.__new__(cls)
        self.lineno, self.col_offset, self.end_lineno, self.end_col_offset = span
        return self


_OPERATIONS = (ast.Compare, ast.BoolOp, ast.BinOp, ast.IfExp, ast.UnaryOp, ast.Lambda, ast.NamedExpr)


def _locate_statement(block: list[ast.stmt], node: ast.AST, callee: bool) -> tuple[ast.stmt, list[ast.stmt], int] | None:
    """The expression statement whose value is ``node`` (``callee``: or whose call's function
    is ``node``), with its block and index, by position: at each level the statement that
    contains ``node`` is found by bisection, then the block inside it that contains it."""
    position = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    while block:
        index = bisect.bisect_right(block, position, key=_start) - 1 if sys.version_info >= (3, 10) \
            else _bisect_start(block, position)
        if index < 0:
            return None
        stmt = block[index]
        if type(stmt) is ast.Expr:
            value = stmt.value
            if value is node or (callee and type(value) is ast.Call and value.func is node):
                return stmt, block, index
            return None
        block = _inner_block(stmt, position)
    return None


def _start(stmt: ast.AST) -> tuple[int, int]:
    return stmt.lineno, stmt.col_offset  # type: ignore[attr-defined]


def _bisect_start(block: list[ast.stmt], position: tuple[int, int]) -> int:  # pragma: no cover - Python < 3.10
    low, high = 0, len(block)
    while low < high:
        middle = (low + high) // 2
        if position < _start(block[middle]):
            high = middle
        else:
            low = middle + 1
    return low - 1


def _inner_block(stmt: ast.stmt, position: tuple[int, int]) -> list[ast.stmt]:
    """The block directly inside ``stmt`` (body, else, finally, an except handler's or a
    match case's body) whose statements span ``position``; [] when none does."""
    blocks: list[list[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(stmt, name, None)
        if value.__class__ is list:
            blocks.append(value)
    for handler in getattr(stmt, "handlers", ()):
        blocks.append(handler.body)
    for case in getattr(stmt, "cases", ()):
        blocks.append(case.body)
    for block in blocks:
        if block and _start(block[0]) <= position <= (block[-1].end_lineno or 0, block[-1].end_col_offset or 0):
            return block
    return []


_CASTS = (".to", ".type")
# The kinds of expression ``check_value`` reads a literal from (names and attributes aside,
# which it follows by value flow).
_LITERAL_SHAPES = frozenset({ast.Constant, ast.JoinedStr, ast.BinOp, ast.Call, ast.IfExp, ast.BoolOp,
                             ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Starred})
_CONFIG_DIRS = frozenset({"config", "configs", "_base_"})
_CONFIG_STATEMENTS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.With, ast.Pass)


def _is_config_module(tree: ast.Module, path: str) -> bool:
    """A lazy-import config (mmengine's ``with read_base():`` configs and their ``_base_``
    files): in a ``config``/``configs``/``_base_`` directory, nothing but imports and
    assignments, and the names it imports are only values (``type=CheckpointHook``), never
    called: the config system imports them lazily, and calling one raises there. (A yacs or
    LazyConfig file calls ``CN()``/``L(...)``; an old-style config imports nothing.)"""
    parts = path.replace("\\", "/").split("/")[:-1]
    if not _CONFIG_DIRS.intersection(parts):
        return False
    imported: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            imported.update((alias.asname or alias.name).split(".")[0] for alias in stmt.names if alias.name != "*")
        elif not (isinstance(stmt, _CONFIG_STATEMENTS)
                  or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))):
            return False
    if not imported:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            root = node.func
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in imported and root.id != "read_base":
                return False
    return True


_CLOCKS = frozenset({"time.time", "time.time_ns", "datetime.datetime.timestamp"})


def _holds_a_timestamp(call: ast.Call, resolve: "g.Resolver") -> bool:
    """The data ``call`` makes holds a clock reading (``torch.tensor(time.time(), ...)``,
    ``torch.tensor([start.timestamp()], ...)``): seconds since 1970, which float32 cannot
    hold to the second."""
    for arg in call.args[:1]:
        for node in ast.walk(arg):
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
                if resolve(node.func) in _CLOCKS or (isinstance(node.func, ast.Attribute)
                                                     and node.func.attr == "timestamp"):
                    return True
    return False


def _runs_at_import(fix: Fix) -> bool:
    """A fix that adds module-level code (the device variable) or calls something."""
    return fix.replacement is not None and bool(fix.defines or fix.imports or "(" in fix.replacement)
# Modules of another backend: a name also imported from one of them is chosen per backend.
_OTHER_BACKEND_MODULE = re.compile(r"(?:torch\.(?:npu|mlu|xpu|musa|hpu|mps)|torch_npu|torch_mlu|torch_musa"
                                   r"|intel_extension_for_pytorch|habana_frameworks)(?:\.|$)")
_AVAILABILITY_CHECKS = frozenset({"torch.cuda.is_available", "torch.accelerator.is_available"})
_DEVICE_COUNTS = frozenset({"torch.cuda.device_count", "torch.accelerator.device_count"})
# methods whose result stays on the device of their receiver
_SAME_DEVICE = frozenset({"to", "type", "detach", "clone", "contiguous", "float", "half", "view", "reshape",
                          "flatten", "squeeze", "unsqueeze", "numpy"})


def _is_cpu(node: ast.expr) -> bool:
    """``"cpu"``, ``"cpu:0"`` or ``torch.device("cpu")``."""
    if isinstance(node, ast.Call) and node.args and not node.keywords and isinstance(node.func, (ast.Attribute, ast.Name)) \
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "device":
        node = node.args[0]
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.split(":")[0] == "cpu"


def _value_bound(statement: ast.AST | None, name: str) -> ast.expr | None:
    """The value an assignment gives ``name``: ``name = v``, ``name: T = v``, or the matching
    element of ``a, name = x, v``; None when it is not one of those."""
    if isinstance(statement, ast.AnnAssign):
        return statement.value
    if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        return None
    target, value = statement.targets[0], statement.value
    if isinstance(target, ast.Name):
        return value if target.id == name else None
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
            and len(target.elts) == len(value.elts):
        for element, part in zip(target.elts, value.elts):
            if isinstance(element, ast.Name) and element.id == name:
                return part
    return None


def _on_cpu(node: ast.expr | None, depth: int = 0) -> bool:
    """Whether the data this call makes (or this expression is) is visibly on the CPU:
    ``torch.zeros(n, device="cpu")``, ``x.cpu()``, ``x.to("cpu")``, ``x.cpu().detach()``."""
    if not isinstance(node, ast.Call) or depth > 8:
        return False
    if any(k.arg == "device" and _is_cpu(k.value) for k in node.keywords):
        return True
    func = node.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "cpu" and not node.args:
        return True
    if func.attr == "to" and any(_is_cpu(arg) for arg in node.args):
        return True
    return func.attr in _SAME_DEVICE and _on_cpu(func.value, depth + 1)


@lru_cache(maxsize=256)
def _is_operation(code: str) -> bool:
    """True when ``code`` is an expression that needs parentheses to be an operand."""
    try:
        body = ast.parse(code.strip(), mode="eval").body
    except SyntaxError:
        return False
    return isinstance(body, _OPERATIONS)


def _simple_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.Name):
        return node.id
    return None


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        value = target.slice.value
        return value if isinstance(value, str) else None
    return None


def _fstring_shape(node: ast.JoinedStr) -> str:
    """``f"cuda:{rank}"`` -> ``"cuda:{}"``."""
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value)
        else:
            parts.append("{}")
    return "".join(parts)


def _binop_shape(node: ast.BinOp) -> str | None:
    """``"cuda:" + str(i)`` -> ``"cuda:{}"``; ``"cuda:%d" % i`` -> ``"cuda:{}"``."""
    left = node.left
    if isinstance(node.op, ast.Add):
        if isinstance(left, ast.Constant) and isinstance(left.value, str):
            return left.value + "{}"
        if isinstance(left, ast.BinOp):
            inner = _binop_shape(left)
            return None if inner is None else inner + "{}"
        return None
    if isinstance(node.op, ast.Mod) and isinstance(left, ast.Constant) and isinstance(left.value, str):
        return _PERCENT_FIELD.sub("{}", left.value)
    return None


def _format_call_shape(node: ast.Call) -> str | None:
    """``"cuda:{}".format(i)`` -> ``"cuda:{}"``."""
    func = node.func
    if (isinstance(func, ast.Attribute) and func.attr == "format"
            and isinstance(func.value, ast.Constant) and isinstance(func.value.value, str)):
        return _FORMAT_FIELD.sub("{}", func.value.value)
    return None


_ROLES = {"device": "a device", "device_type": "a device type", "backend": "a distributed backend"}


class _Query:
    """What an idiom may ask about the code around a node: the dotted name an expression
    refers to (calling it), and value flow (portlint/valueflow.py)."""

    def __init__(self, analyzer: _Analyzer) -> None:
        self._analyzer = analyzer

    def __call__(self, node: ast.expr) -> str | None:
        return self._analyzer.resolve(node)

    def value(self, expr: ast.expr) -> ast.expr | None:
        """The expression that gives ``expr`` its value (itself when not a name), or None."""
        found = self._analyzer.flow.value(expr, self._analyzer.model.scope)
        return None if found is None else found[0]

    def starting(self) -> bool:
        """Whether the code here runs as a program starts: at module level, or in a
        function (not a method) of a script (a file with ``if __name__ == "__main__"``)."""
        owners = self._analyzer.model.owners()
        if not owners:
            return True
        if any(isinstance(owner, ast.ClassDef) for owner in owners):
            return False
        return "__main__" in self._analyzer.text

    def is_int(self, expr: ast.expr) -> bool:
        """Whether ``expr`` is an int: a literal, ``int(...)``, or a name holding one."""
        return self._analyzer.flow.is_int(expr, self._analyzer.model.scope)

    def rewrite(self, node: ast.AST, edits: list[tuple[ast.AST, str]]) -> str:
        """The source text of ``node`` with the nodes inside it replaced by the texts."""
        analyzer = self._analyzer
        text = analyzer.segment(node)
        first = node.lineno  # type: ignore[attr-defined]
        starts = {first: -analyzer._char_column(first, node.col_offset)}  # type: ignore[attr-defined]
        for line in range(first + 1, (node.end_lineno or first) + 1):  # type: ignore[attr-defined]
            starts[line] = starts[line - 1] + len(analyzer.lines[line - 2]) + 1

        def offset(line: int, column: int) -> int:
            return starts[line] + analyzer._char_column(line, column)

        spans = sorted(((offset(n.lineno, n.col_offset), offset(n.end_lineno, n.end_col_offset), new)  # type: ignore[attr-defined]
                        for n, new in edits), reverse=True)
        for start, end, new in spans:
            text = text[:start] + new + text[end:]
        return text


def _device_argument(call: ast.Call | None, keyword: str) -> ast.expr | None:
    """The device a call passes: its first positional argument, or ``keyword=``."""
    if call is None:
        return None
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return None


_DEFAULT_METHODS = {"get": 1, "pop": 1, "getenv": 1}  # .get(key, default)


def _default_argument(call: ast.Call) -> ast.expr | None:
    """The default of ``mapping.get(key, default)``, ``getattr(obj, name, default)``,
    ``os.getenv(name, default)`` or ``field(default=...)``: the value when nothing is set."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _DEFAULT_METHODS and len(call.args) == 2:
        return call.args[1]
    if isinstance(func, ast.Name) and func.id == "getattr" and len(call.args) == 3:
        return call.args[2]
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name == "field":
        for keyword in call.keywords:
            if keyword.arg == "default":
                return keyword.value
    return None
