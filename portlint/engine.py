"""The check pipeline: discover -> read -> prefilter -> parse once -> analyze -> suppress.

``Linter`` owns the loaded rulesets, the settings and the rule index; everything else is a
pure function of (file bytes, index), which keeps caching and parallel workers simple.
"""

from __future__ import annotations

import ast
import gc
import sys
import warnings
from functools import cached_property
from pathlib import Path
from typing import Callable

from portlint.analyzer import analyze
from portlint.config import Settings
from portlint.discovery import discover
from portlint.findings import FileError, FileResult, Finding, Report  # noqa: F401 - re-exported
from portlint.index import RuleIndex, build_index
from portlint.kinds import kind_of
from portlint.noqa import file_is_exempt, mentions_noqa, suppress
from portlint.rules import Rule, Ruleset, default_ruleset_files, load_rulesets
from portlint.source import SourceError, decode_source, read_bytes
from portlint.semantic.imports import top_level_cuda_imports


class Linter:
    def __init__(self, settings: Settings, ruleset: Ruleset) -> None:
        self.settings = settings
        self.ruleset = ruleset
        named = {*settings.select, *settings.extend_select}
        self.rules: list[Rule] = [rule for rule in ruleset.rules if settings.is_enabled(rule.code)
                                  and (not rule.opt_in or rule.code in named)]

    @cached_property
    def index(self) -> RuleIndex:
        """Built on first use: a run whose files all have other settings never builds the
        working directory's (its settings and rulesets are still checked at start-up)."""
        settings = self.settings
        return build_index(self.ruleset, self.rules, settings.target, settings.min_torch, settings.guards)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Linter":
        files = [*default_ruleset_files(), *settings.rulesets]
        return cls(settings, load_rulesets(files))

    # ------------------------------------------------------------------ one file

    def check_bytes(self, data: bytes, path: str) -> FileResult:
        kind = kind_of(path, data)
        if kind is not None and kind != "python":
            return self.check_other(kind, data, path)
        try:
            source = decode_source(data)
        except SourceError as exc:
            return FileResult(path, error=FileError(path, str(exc)))
        return self.check_text(source.text, path)

    def check_other(self, kind: str, data: bytes, path: str) -> FileResult:
        """A file of another kind than Python (``portlint/kinds``)."""
        return check_other(kind, data, path, self.index)

    def check_text(self, text: str, path: str = "<string>") -> FileResult:
        return check_text(text, path, self.index)

    def check_file(self, path: str) -> FileResult:
        try:
            data = read_bytes(path, self.settings.max_file_size)
        except SourceError as exc:
            return FileResult(path, error=FileError(path, str(exc)))
        except OSError as exc:
            return FileResult(path, error=FileError(path, exc.strerror or str(exc)))
        return self.check_bytes(data, path)

    # ------------------------------------------------------------------ many files

    def check_paths(self, paths: list[str], *, jobs: int | None = None, cache: bool | Path = False,
                    progress: Callable[[int, int], None] | None = None) -> Report:
        """Check every Python file under ``paths``.

        ``jobs``: worker processes (None or 0: one per CPU; small inputs run in this
        process anyway). ``cache``: False, True (``<root>/.portlint_cache``) or a cache
        directory. ``progress(done, total)`` is called as files complete.
        """
        found = discover(paths, self.settings)
        return self.check_files(found.files, found.errors, jobs=jobs, cache=cache, progress=progress)

    def check_files(self, files: list[str], errors: list[FileError] | None = None, *, jobs: int | None = None,
                    cache: bool | Path = False, progress: Callable[[int, int], None] | None = None,
                    variants: bool = True) -> Report:
        """Check these files (found already); ``errors``: discovery's, for the report.
        ``variants``: drop the findings of CUDA variant modules (``drop_variants``; False
        when the caller merges several reports and drops them from the whole)."""
        from portlint.parallel import check_files

        store = None
        if cache is not False:
            from portlint.cache import Cache

            store = Cache.open(self, None if cache is True else Path(cache))
        results, cached = check_files(self, files, store, jobs, progress)
        if store is not None:
            store.save()
        report = self.collect(results, list(errors or ()), len(files))
        report.files_cached = cached
        if variants:
            self.drop_variants(report)
        return report

    def drop_variants(self, report: Report) -> None:
        """The step across files (portlint/variants.py): the findings of modules the run
        imports only conditionally, and only on CUDA, are not reported."""
        if not report.findings:
            return
        from portlint.variants import drop_variant_findings

        report.findings = drop_variant_findings(report.findings, report.imports, report.files,
                                                self.index.guard_names, self.settings.max_file_size)

    def collect(self, results: list[FileResult], errors: list[FileError], files: int) -> Report:
        findings: list[Finding] = []
        all_errors = list(errors)
        parsed = 0
        for result in results:
            parsed += result.parsed
            if result.error is not None:
                all_errors.append(result.error)
            findings.extend(self._apply_per_file_ignores(result.path, result.findings))
        findings.sort(key=Finding.sort_key)
        report = Report(findings, all_errors, files, parsed, [result.path for result in results])
        report.imports = {result.path: result.imports for result in results}
        return report

    def _apply_per_file_ignores(self, path: str, findings: list[Finding]) -> list[Finding]:
        if not findings or not self.settings.per_file_ignores:
            return findings
        try:
            relative = Path(path).resolve().relative_to(self.settings.root.resolve()).as_posix()
        except ValueError:
            relative = Path(path).as_posix()
        codes = self.settings.ignored_for(relative)
        if not codes:
            return findings
        return [f for f in findings if not any(c == "ALL" or f.code.startswith(c) for c in codes)]


def check_text(text: str, path: str, index: RuleIndex,
               analyze_for: tuple[RuleIndex, ...] | None = None,
               analysis: Callable[..., list[list[Finding]]] | None = None) -> FileResult:
    """Check one decoded file. Never raises for bad input: problems become ``error``.

    ``analyze_for``: the indexes to analyze the parsed file with (default ``(index,)``;
    ``portlint report`` passes one per target and ``index`` for their joint prefilter):
    the file is parsed once and the findings of every target are returned together.
    ``analysis(tree, text, path, indexes)``: how to analyze it for several of them at once
    (one list of findings per index; ``portlint/report/joint.py``).
    """
    if not index.could_match(text):  # only unused noqa comments can be reported
        if not mentions_noqa(text) or file_is_exempt(text):
            return FileResult(path)
        return FileResult(path, [f for each in (analyze_for or (index,)) for f in suppress([], text, path, each)])
    if file_is_exempt(text):
        return FileResult(path)
    # An AST is millions of acyclic objects freed by reference counting; letting the
    # cyclic GC scan them while they are built costs ~20% of the parse time.
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        return _parse_and_analyze(text, path, analyze_for or (index,), analysis)
    finally:
        if collecting:
            gc.enable()


def check_other(kind: str, data: bytes, path: str, index: RuleIndex) -> FileResult:
    """A notebook, script, container, dependency, config or CUDA file (``portlint/kinds``)."""
    from portlint import kinds

    try:
        findings = kinds.check(kind, data, path, index, check_text)
    except SourceError as exc:  # (a notebook with some invalid cells keeps the others' findings)
        return FileResult(path, getattr(exc, "findings", []), error=FileError(path, str(exc)), parsed=True)
    except RecursionError:
        return FileResult(path, error=FileError(path, "nesting too deep to analyze"), parsed=True)
    if findings is None:
        return FileResult(path)
    return FileResult(path, index.reported(findings), parsed=True)


def _parse_and_analyze(text: str, path: str, indexes: tuple[RuleIndex, ...],
                       analysis: Callable[..., list[list[Finding]]] | None = None) -> FileResult:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes etc.
            tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        return FileResult(path, error=FileError(path, f"syntax error ({where}): {exc.msg}"), parsed=True)
    except (ValueError, MemoryError) as exc:  # e.g. source too large or odd characters
        return FileResult(path, error=FileError(path, f"cannot parse: {exc}"), parsed=True)
    except RecursionError:  # Python 3.11+ (3.10 parses, then analysis recurses too deep)
        return FileResult(path, error=FileError(path, "cannot parse: code nested too deep"), parsed=True)
    try:
        # (With several indexes, one whose own prefilter rules the file out finds what
        # `portlint check` finds then: only unused noqa comments.)
        wanted = indexes if len(indexes) == 1 else tuple(index for index in indexes if index.could_match(text))
        # (Kept for matchers that need an integer value only, and no call passes one: what
        # the analysis would find, nothing.)
        wanted = tuple(index for index in wanted if index.worth_analyzing(text, tree))
        imports: list[str] = []  # the file's import facts, from the same traversal
        if analysis is not None and len(wanted) > 1:
            found = analysis(tree, text, path, wanted, imports)
        else:
            found = [analyze(tree, text, path, index, imports if number == 0 else None)
                     for number, index in enumerate(wanted)]
        by_index = {id(index): each for index, each in zip(wanted, found)}
        findings = [finding for index in indexes
                    for finding in index.reported(suppress(by_index.get(id(index), []), text, path, index))]
        if findings and wanted:  # (a module with findings: could it load off CUDA at all?)
            imports.extend(top_level_cuda_imports(tree, indexes[0].failing_modules))
    except RecursionError:
        return FileResult(path, error=FileError(path, "cannot check: code nested too deep"), parsed=True)
    return FileResult(path, findings, parsed=True, imports=tuple(imports) if wanted else None)


sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
