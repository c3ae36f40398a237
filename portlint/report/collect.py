"""Checking for several targets in one pass: each file is read, prefiltered, parsed and
(mostly) analyzed once for every target (``joint.py``), through the ordinary (parallel,
cached) check."""

from __future__ import annotations

import dataclasses

from portlint.engine import FileResult, Linter, Report, check_other, check_text
from portlint.index import RuleIndex, python_prefilter
from portlint.rules import Ruleset


class TargetsLinter(Linter):
    """A ``Linter`` whose findings are those of every target in ``targets`` (each finding
    carries its target). Its settings' target is the joined names, so its cache file is
    its own and never mixes with a one-target ``portlint check``'s."""

    def __init__(self, settings, ruleset: Ruleset, targets: tuple[str, ...]) -> None:  # noqa: D107
        self.targets = targets
        per_target = [Linter(dataclasses.replace(settings, target=target), ruleset) for target in targets]
        super().__init__(dataclasses.replace(settings, target="+".join(targets)), ruleset)
        self.rules = per_target[0].rules  # the selection does not depend on the target
        self.indexes = tuple(linter.index for linter in per_target)
        active = list({id(rule): rule for index in self.indexes for rule in index.rules}.values())
        self.index = RuleIndex(target=self.settings.target, min_torch=settings.min_torch, rules=active,
                               prefilter=python_prefilter(active))
        self._analysis = None  # built on first use (also in each worker)

    def check_text(self, text: str, path: str = "<string>"):  # -> FileResult
        if self._analysis is None:
            from portlint.report.joint import Analysis

            self._analysis = Analysis(self.indexes)
        return check_text(text, path, self.index, self.indexes, self._analysis)

    def check_other(self, kind: str, data: bytes, path: str):  # -> FileResult
        """Notebooks, scripts, configs ...: once per target (their handlers are cheap)."""
        results = [check_other(kind, data, path, index) for index in self.indexes]
        error = next((result.error for result in results if result.error is not None), None)
        return FileResult(path, [f for result in results for f in result.findings], error=error,
                          parsed=any(result.parsed for result in results))


def check_targets(workspace, paths: list[str], targets: tuple[str, ...], *,
                  jobs: int | None = None, cache: object = False) -> dict[str, Report]:
    """One ``Report`` per target, as ``portlint check --target T`` would give it: the same
    discovery and per-directory configurations (``Workspace``), each group checked once."""
    from portlint.parallel import _can_fork
    from portlint.workspace import merge_reports

    found = workspace.discover(paths)
    groups = workspace.groups(found.files) or [(workspace.default_linter, [])]
    if len(targets) > 1 and not _can_fork():
        # Spawned workers rebuild a plain Linter from the settings: check target by target.
        linters = [[(Linter(dataclasses.replace(linter.settings, target=target), linter.ruleset), files)
                    for linter, files in groups] for target in targets]
    else:
        linters = [[(TargetsLinter(linter.settings, linter.ruleset, targets), files) for linter, files in groups]]
    reports = [merge_reports([linter.check_files(files, [], jobs=jobs, cache=cache, variants=False)
                              for linter, files in run], found.errors, found.files) for run in linters]
    for report in reports:  # CUDA variant modules, as `portlint check` drops them (portlint/variants.py)
        workspace.default_linter.drop_variants(report)
    combined = dataclasses.replace(reports[0], findings=[f for report in reports for f in report.findings])
    return {target: dataclasses.replace(combined, findings=[f for f in combined.findings if f.target == target])
            for target in targets}
