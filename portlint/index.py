"""One lookup index over every active rule, built once per run.

The analyzer walks each file once and asks this index, at every node, "does anything
match here?" with dictionary look-ups, never by looping over rules.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from portlint.findings import Finding, Fix
from portlint.portability import fill_template, unportable_uses
from portlint.prefilter import ANY, Prefilter, build_prefilter
from portlint.rules import TEXT_MATCHER_KINDS, Context, Matcher, Rule, Ruleset
from portlint.semantic.guards import DEFAULT_GUARDS
from portlint.valueflow import int_value_possible
from portlint.versions import Version, format_version


@dataclass
class RuleIndex:
    target: str
    min_torch: Version
    rules: list[Rule]
    symbols: dict[str, list[Matcher]] = field(default_factory=dict)
    symbol_prefixes: dict[str, list[Matcher]] = field(default_factory=dict)
    ignored_symbols: frozenset[str] = frozenset()
    attributes: dict[str, list[Matcher]] = field(default_factory=dict)
    keywords: dict[str, list[Matcher]] = field(default_factory=dict)
    modules: dict[str, list[Matcher]] = field(default_factory=dict)
    literals: dict[str, list[Matcher]] = field(default_factory=dict)  # context name -> matchers
    keyword_contexts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    positional_contexts: dict[str, list[tuple[tuple[int, ...] | None, str]]] = field(default_factory=dict)
    name_contexts: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    compare_contexts: tuple[str, ...] = ()
    subscript_contexts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    idioms: dict[type, list[Matcher]] = field(default_factory=dict)  # ast node type -> idiom matchers
    deferred_idioms: dict[str, Matcher] = field(default_factory=dict)  # idiom name -> matcher
    guard_names: frozenset[str] = DEFAULT_GUARDS  # helper predicates meaning "CUDA is available"
    covering: frozenset[str] = frozenset()  # every matcher's ``covered_by`` names
    needles: tuple[str, ...] = ()  # one of these occurs in every file the prefilter keeps
    # codes of rules that torch fixed on this target at its min-torch (``fixed_in``): they are
    # analyzed like the others, so that every target walks a file alike (the report's joint
    # walk), and their findings are dropped at the end (``reported``)
    fixed_codes: frozenset[str] = frozenset()
    known_codes: frozenset[str] = frozenset()  # every loaded rule, enabled or not (noqa checks)
    # CUDA-only packages, whatever the selection: a module importing one at its top level
    # cannot be imported off CUDA (portlint/variants.py)
    failing_modules: frozenset[str] = frozenset()
    unused_noqa: Rule | None = None  # the enabled [[rule.noqa]] rule, see portlint/noqa.py
    prefilter: Prefilter = field(default_factory=Prefilter)
    text_matchers: dict[str, list[Matcher]] = field(default_factory=dict)  # non-Python files (portlint/kinds)
    _fix_cache: dict[int, FixPlan] = field(default_factory=dict)
    _anywhere: re.Pattern[str] | None = None  # see ``anywhere_screen``
    _anywhere_built: bool = False
    _screened: tuple[str | None, int] = (None, 0)  # the last text screened and its verdict
    _named: dict[str, tuple[str, ...]] = field(default_factory=dict)  # see ``contexts_named``

    def fix_for(self, matcher: Matcher) -> "FixPlan":
        """The best fix for this matcher under the target and ``min-torch`` (cached)."""
        key = id(matcher)
        if key not in self._fix_cache:
            self._fix_cache[key] = _choose_fix(matcher, self.target, self.min_torch)
        return self._fix_cache[key]

    def reported(self, findings: list[Finding]) -> list[Finding]:
        """``findings`` without those of rules fixed on this target (``fixed_codes``)."""
        if not self.fixed_codes:
            return findings
        return [finding for finding in findings if finding.code not in self.fixed_codes]

    def anywhere_screen(self) -> re.Pattern[str] | None:
        """One pattern that fully matches a string exactly when one of the "anywhere" literal
        matchers' patterns does (their alternation): a string constant is tested once, not
        once per matcher. None when they cannot be combined (different flags, patterns of
        another regex engine)."""
        if not self._anywhere_built:
            self._anywhere_built = True
            patterns = [m.pattern for m in self.literals.get("anywhere", ())]
            if patterns and all(type(p) is re.Pattern and p.flags == patterns[0].flags for p in patterns):
                try:
                    self._anywhere = re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
                except re.error:
                    self._anywhere = None
        return self._anywhere

    def contexts_named(self, name: str) -> tuple[str, ...]:
        """The contexts whose ``names`` pattern finds ``name`` (in ``name_contexts`` order),
        cached: the same variable names recur in every file."""
        found = self._named.get(name)
        if found is None:
            found = self._named[name] = tuple(ctx for pattern, ctx in self.name_contexts if pattern.search(name))
        return found

    def could_match(self, text: str) -> bool:
        """The prefilter: False means no active rule can fire anywhere in ``text``."""
        return self._screen(text) != 0

    def worth_analyzing(self, text: str, tree: ast.Module) -> bool:
        """After the prefilter kept ``text``: False when only matchers that need an integer
        value could fire and no call of ``tree`` passes one that may be an int."""
        prefilter = self.prefilter
        return self._screen(text) == ANY or int_value_possible(tree, prefilter.int_calls, prefilter.int_keywords)

    def _screen(self, text: str) -> int:
        last, verdict = self._screened
        if last is not text:
            verdict = self.prefilter.screen(text)
            self._screened = (text, verdict)
        return verdict


@dataclass(frozen=True)
class FixPlan:
    """The chosen fix, plus how the analyzer turns its template into code."""

    fix: Fix | None
    substitute: tuple[str, str] | None = None  # for a ``{source}`` template
    whole_call: bool = False  # the replacement spans the whole call


def _choose_fix(matcher: Matcher, target: str, min_torch: Version) -> FixPlan:
    options = matcher.fix_options(target)
    if not options:
        return FixPlan(None)
    for option in options:
        if option.since <= min_torch:
            if option.replace is not None:
                applicability, hint = option.applicability, option.hint
                if applicability == "safe":
                    # "safe" is checked, not trusted: a call some backend lacks is unsafe
                    problems = unportable_uses(fill_template(option.replace, matcher.name), min_torch)
                    if problems:
                        applicability = "unsafe"
                        hint = f"unsafe: {problems[0]}" + (f"; {hint}" if hint else "")
                fix = Fix(option.replace, hint, applicability, format_version(option.since), option.imports)
                return FixPlan(fix, option.substitute, option.whole_call)
            return FixPlan(Fix(None, option.hint, "manual", format_version(option.since)))
    first = options[0]
    needs = format_version(first.since)
    text = first.hint if first.substitute or not first.replace else f"`{first.replace}`"
    hint = f"{text} (needs torch >= {needs}; min-torch is {format_version(min_torch)})"
    return FixPlan(Fix(None, hint, "manual", needs))


def build_index(ruleset: Ruleset, rules: list[Rule], target: str, min_torch: Version,
                guards: tuple[str, ...] = ()) -> RuleIndex:
    """Index the given (already selected) rules for one target; ``guards``: more helper
    predicates that mean "CUDA is available" (the ``guards`` setting)."""
    active = [rule for rule in rules if target in rule.targets]
    index = RuleIndex(target=target, min_torch=min_torch, rules=active,
                      ignored_symbols=ruleset.ignored_symbols, guard_names=DEFAULT_GUARDS | frozenset(guards),
                      fixed_codes=frozenset(rule.code for rule in active
                                            if target in rule.fixed_in and min_torch >= rule.fixed_in[target]))
    used_contexts: set[str] = set()
    needles: set[str] = set()
    by_name = {"attribute": index.attributes, "keyword": index.keywords, "module": index.modules}
    for rule in active:
        for matcher in rule.matchers:
            if matcher.kind in TEXT_MATCHER_KINDS:
                index.text_matchers.setdefault(matcher.kind, []).append(matcher)
                continue
            needles.update(matcher.needles)
            if matcher.kind == "symbol":
                assert matcher.name
                index.symbols.setdefault(matcher.name, []).append(matcher)
                if matcher.prefix:
                    index.symbol_prefixes.setdefault(matcher.name, []).append(matcher)
            elif matcher.kind in by_name:
                assert matcher.name
                by_name[matcher.kind].setdefault(matcher.name, []).append(matcher)
            elif matcher.kind == "idiom":
                from portlint.idioms import IDIOMS

                assert matcher.name
                if IDIOMS[matcher.name].deferred:
                    index.deferred_idioms.setdefault(matcher.name, matcher)
                for node_type in IDIOMS[matcher.name].node_types:
                    index.idioms.setdefault(node_type, []).append(matcher)
            elif matcher.kind == "literal":
                for ctx in matcher.contexts:
                    index.literals.setdefault(ctx, []).append(matcher)
                    used_contexts.add(ctx)
    _index_contexts(index, [ruleset.contexts[name] for name in sorted(used_contexts) if name in ruleset.contexts])
    index.known_codes = frozenset(rule.code for rule in ruleset.rules)
    index.failing_modules = failing_modules(ruleset)
    index.covering = frozenset(name for rule in active for m in rule.matchers for name in m.covered_by)
    index.unused_noqa = next((rule for rule in active if any(m.kind == "noqa" for m in rule.matchers)), None)
    index.prefilter = python_prefilter(active)
    index.needles = index.prefilter.needles
    return index


def failing_modules(ruleset: Ruleset) -> frozenset[str]:
    """The CUDA-only packages, which a machine without CUDA does not have: the modules of
    the third-party rules that are on by default and have no Ascend build (not triton,
    not apex), and NVIDIA's nvtx."""
    from portlint.semantic.imports import NVIDIA_ONLY_PACKAGES

    return NVIDIA_ONLY_PACKAGES | frozenset(
        matcher.name for rule in ruleset.rules
        if rule.family == "third-party" and not rule.opt_in and not rule.npu_build
        for matcher in rule.matchers if matcher.kind == "module" and matcher.name)


def python_prefilter(rules: list[Rule]) -> Prefilter:
    """The prefilter of Python files for these rules. noqa matchers read comments, after
    the checks, and text matchers read other kinds of file: neither makes a file worth
    parsing."""
    return build_prefilter(m for rule in rules for m in rule.matchers
                           if m.kind != "noqa" and m.kind not in TEXT_MATCHER_KINDS)


def _index_contexts(index: RuleIndex, contexts: list[Context]) -> None:
    keyword_contexts: dict[str, list[str]] = {}
    compare = []
    for ctx in contexts:
        for keyword in ctx.keywords:
            keyword_contexts.setdefault(keyword, []).append(ctx.name)
        for callee, slots in ctx.positional:
            index.positional_contexts.setdefault(callee, []).append((slots, ctx.name))
        if ctx.names:
            index.name_contexts.append((ctx.names_pattern or re.compile(ctx.names), ctx.name))
        if ctx.compare:
            compare.append(ctx.name)
        for subscripted in ctx.subscripts:
            index.subscript_contexts[subscripted] = (*index.subscript_contexts.get(subscripted, ()), ctx.name)
    index.keyword_contexts = {k: tuple(v) for k, v in keyword_contexts.items()}
    index.compare_contexts = tuple(compare)
