"""Every target's findings from one traversal of a file (``portlint report``).

The analyzer's walk (the semantic model, the guards, value flow, which nodes match) does
not depend on the target as long as the file can only match rules that every target
has: then only the fixes differ (each target has its own fix for a rule). The joint
analyzer walks the file once and, each time something is reported, runs the report (fix
choice, rendering, device placeholders) once per target, each into its own findings.
After the walk each target finishes on its own (guard tests, device variable).

It is used only when it is exact:
- the file cannot match a rule that some target lacks (the prefilter of those rules
  rules it out), so looking up matchers in the first target's index finds what each
  target's own index would; should such a rule report anyway, the joint walk stops;
- every report must add a finding for all targets or for none (the targets' fixes can
  change the reported span, and so what counts as already reported); when they
  disagree the joint walk stops (``_Diverged``) and the file is analyzed once per
  target, as ``portlint check`` does.
The report's equality with ``check`` is tested per finding (tests/test_report.py).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable

from portlint.analyzer import _Analyzer, _drop_inside_idioms, _position, analyze
from portlint.findings import Finding
from portlint.index import RuleIndex, python_prefilter
from portlint.prefilter import Prefilter


class _Diverged(Exception):
    """The targets disagreed on whether something is reported: analyze per target."""


@dataclass
class _Target:
    index: RuleIndex
    findings: list[Finding] = field(default_factory=list)
    seen: set[tuple[str, int, int, int, int]] = field(default_factory=set)
    device_sites: list[tuple[int, int, list[ast.AST]]] = field(default_factory=list)
    idioms: list[Finding] = field(default_factory=list)


class _JointAnalyzer(_Analyzer):
    def __init__(self, indexes: tuple[RuleIndex, ...], text: str, path: str, shared: frozenset[int]) -> None:
        super().__init__(indexes[0], text, path)
        self._shared = shared  # ids of the rules every target has
        self._targets = [_Target(index) for index in indexes]
        self._current: _Target | None = None
        self._enter(None)

    def _enter(self, target: _Target | None) -> None:
        """Point the analyzer's per-target state at ``target``; None: the shared view
        (the first target's lists, which stay in step with the others')."""
        self._current = target
        state = target or self._targets[0]
        self.index = state.index
        self.findings = state.findings
        self._seen = state.seen
        self._device_sites = state.device_sites

    def _each_target(self, method: Callable[..., None], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self._current is not None:  # already inside one target's turn
            method(self, *args, **kwargs)
            return
        if id(args[0].rule) not in self._shared:  # (the matcher) a rule some target lacks
            raise _Diverged
        counts = []
        try:
            for target in self._targets:
                self._enter(target)
                method(self, *args, **kwargs)
                counts.append(len(target.findings))
        finally:
            self._enter(None)
        if counts.count(counts[0]) != len(counts):
            raise _Diverged

    def report(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._each_target(_Analyzer.report, args, kwargs)

    def _report_attribute(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._each_target(_Analyzer._report_attribute, args, kwargs)  # (it reads the target's fix)

    def note_idiom(self) -> None:
        for target in self._targets:
            target.idioms.append(target.findings[-1])

    def finish(self) -> None:
        dropped = self._dropped
        for target in self._targets:
            self._enter(target)
            self._dropped = set(dropped)
            self.idiom_findings = target.idioms
            super().finish()
            target.findings = self.findings
        self._enter(None)

    def results(self) -> list[list[Finding]]:
        return [sorted(_drop_inside_idioms(target.findings, target.idioms) if target.idioms else target.findings,
                       key=_position) for target in self._targets]


class Analysis:
    """How to analyze a parsed file for several targets (built once per run)."""

    def __init__(self, indexes: tuple[RuleIndex, ...]) -> None:
        self.indexes = indexes
        shared = frozenset.intersection(*(frozenset(id(rule) for rule in index.rules) for index in indexes))
        own = [rule for index in indexes for rule in index.rules if id(rule) not in shared]
        # Files these could match are analyzed per target (see the module's docstring).
        # A keyword matcher changes nothing where it does not match (no other matcher is
        # skipped for it), and where it matches the joint walk stops: it needs no screen.
        screened = [rule for rule in own if any(matcher.kind != "keyword" for matcher in rule.matchers)]
        self.own_rules: Prefilter | None = python_prefilter(screened) if screened else None
        self.shared = shared
        # The joint walk needs the same guard helpers and deferred idioms for every target.
        first = indexes[0]
        self.possible = all(index.guard_names == first.guard_names and index.min_torch == first.min_torch
                            and index.deferred_idioms.keys() == first.deferred_idioms.keys() for index in indexes)

    def __call__(self, tree: ast.Module, text: str, path: str,
                 indexes: tuple[RuleIndex, ...], imports: list[str] | None = None) -> list[list[Finding]]:
        """Each index's findings (before noqa); ``indexes``: some of ``self.indexes``;
        ``imports``: a list to fill with the file's import facts."""
        if len(indexes) > 1 and self.possible and (self.own_rules is None or not self.own_rules.could_match(text)):
            analyzer = _JointAnalyzer(indexes, text, path, self.shared)
            analyzer.imports = imports
            try:
                analyzer.run(tree)
                return analyzer.results()
            except _Diverged:
                if imports is not None:
                    imports.clear()
            finally:
                analyzer.release(keep_model=False)
        return [analyze(tree, text, path, index, imports if number == 0 else None)
                for number, index in enumerate(indexes)]
