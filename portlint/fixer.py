"""``portlint fix`` / ``portlint check --fix``: apply the findings' fixes, safely.

Detection stays in the ``ast`` analyzer; every finding already carries the exact code for
its span (``Fix.replacement``) and an applicability (``safe``, ``unsafe`` or ``manual``).
Fixing a file is a loop of rounds:

1. lint the current text; keep the findings whose fix applies (``safe``, plus ``unsafe``
   with ``--unsafe-fixes``);
2. turn spans into offsets and pick non-overlapping edits deterministically: sorted by
   start, then the longer span first (an idiom's whole-expression fix wins over the token
   fixes inside it), then rule code; an edit overlapping a kept one waits for the next
   round, where it is re-detected on the new text (or has disappeared);
3. splice the edits in; manage imports with libcst (add ``import torch`` when a
   replacement names ``torch`` and the file does not bind it, e.g. it only did
   ``import torch as th``; remove ``torch.cuda`` imports the fixes left unused; for the
   npu target add ``import torch_npu`` once, right after the first ``import torch``);
   insert the module-level definitions fixes rely on (the ``{device}`` variable);
4. verify: the result must parse with ``ast`` and libcst and must not use a name that is
   bound nowhere (or before its binding at module level) unless the original already
   did. If not, the file is left untouched and an internal error is reported;
5. repeat until no applicable fix remains (at most ``MAX_ROUNDS``): the result is a fixed
   point, so fixing again changes nothing.

libcst is only used on files that get fixes. Writing is atomic (``portlint/writer.py``).

Run ``python -m portlint.fixer --stats`` for the safe/unsafe/no-fix counts per target,
and ``python -m portlint.fixer --regen-examples`` to regenerate ``examples/fixed/``.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from portlint.contain import unverified_fix
from portlint.devicevar import device_expression, existing_definition
from portlint.findings import FileError, Finding
from portlint.fstrings import fit_edits_in_fstrings
from portlint.printable import printable
from portlint.pyversion import DEFAULT_OLDEST, grammar_problem, oldest_python
from portlint.semantic import SemanticModel, build_model
from portlint.semantic.scopes import IMPORT
from portlint.source import SourceError, decode_source, read_source

if TYPE_CHECKING:
    from portlint.engine import Linter
    from portlint.findings import Report

MAX_ROUNDS = 10
# Root names a replacement may introduce, and the module each must be bound to.
MANAGED_ROOTS = {"torch": "torch", "torch_npu": "torch_npu", "os": "os"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NPU_MARKERS = ("npu", "hccl", "torch_npu", ".HCCL")  # in the replacement text (not env var names)
# `import torch_npu` registers the npu device; a file that uses only torch.npu never reads the
# name, so flake8/ruff would report (and `ruff --fix` delete) it as unused (F401).
NPU_SIDE_EFFECT_IMPORT = "import torch_npu  # noqa: F401"


class FixVerificationError(Exception):
    """The fixes produced code that must not be written (an internal error)."""


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str
    finding: Finding

    def sort_key(self) -> tuple:
        return (self.start, -(self.end - self.start), self.finding.code, self.text)


@dataclass
class FileFix:
    """The outcome of fixing one file."""

    path: str
    original: str
    text: str  # the fixed text (== original when nothing changed or on error)
    applied: list[Finding] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)
    error: FileError | None = None
    internal_error: bool = False
    encoding: str = "utf-8"

    @property
    def changed(self) -> bool:
        return self.error is None and self.text != self.original

    def diff(self) -> str:
        if not self.changed:
            return ""
        old = self.original.splitlines(keepends=True)
        new = self.text.splitlines(keepends=True)
        lines = difflib.unified_diff(old, new, fromfile=f"a/{printable(self.path)}",
                                    tofile=f"b/{printable(self.path)}")
        return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                       for line in lines)


@dataclass
class FixRun:
    """``fix_paths``' result: per-file outcomes and the report of what remains."""

    files: list[FileFix]
    report: "Report"
    unsafe_fixes: bool

    @property
    def applied(self) -> int:
        return sum(len(f.applied) for f in self.files if f.error is None)

    @property
    def changed_files(self) -> list[FileFix]:
        return [f for f in self.files if f.changed]

    @property
    def unsafe_available(self) -> int:
        """Remaining findings that ``--unsafe-fixes`` would fix."""
        if self.unsafe_fixes:
            return 0
        return sum(1 for f in self.report.findings if _applicable(f, unsafe=True) and not _applicable(f, False))


# --------------------------------------------------------------------------- one text


def applicable(finding: Finding, unsafe: bool = False) -> bool:
    """Whether ``portlint fix`` (with ``unsafe``: ``--unsafe-fixes``) applies this finding's fix."""
    return _applicable(finding, unsafe)


def _applicable(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    if fix is None or fix.replacement is None:
        return False
    return fix.applicability in (("safe", "unsafe") if unsafe else ("safe",))


def fix_text(text: str, linter: "Linter", path: str = "<string>", unsafe: bool = False,
             findings: "list[Finding] | None" = None) -> FileFix:
    """Fix one decoded file. Never raises for bad input: problems become ``error``.

    ``findings``: what checking exactly this text found (``portlint fix`` checks every file
    first), so that the first round does not lint it again."""
    if findings is not None:
        from portlint.findings import FileResult

        result = FileResult(path, list(findings))
    else:
        result = _lint(linter, text, path)
    if result.error is not None:
        return FileFix(path, text, text, remaining=list(result.findings), error=result.error)
    original, original_findings = text, list(result.findings)
    target = linter.settings.target
    newline = first_newline(text)
    applied: list[Finding] = []
    findings = original_findings
    oldest = oldest_python(linter.settings)
    refused: set[tuple] = set()  # fixes left out on this text (see name_modules)
    for _ in range(MAX_ROUNDS):
        chosen = choose_edits(text, [f for f in findings if _applicable(f, unsafe) and _key(f) not in refused],
                              target)
        if not chosen:
            break
        edits = fit_edits_in_fstrings(text, chosen, _Positions(text).offset, lambda: _analysis(text)[0])
        if len(edits) < len(chosen):  # cannot be written inside its f-string: its finding stays
            fitted = {id(edit.finding) for edit in edits}
            refused.update(_key(edit.finding) for edit in chosen if id(edit.finding) not in fitted)
            if not edits:
                continue  # the same text: the fixes that waited for these are chosen now
        try:
            new_text, kept = apply_edits(text, edits, target, newline, oldest)
        except FixVerificationError as exc:
            error = unverified_fix(path, str(exc), (edit.finding for edit in edits), linter.ruleset)
            return FileFix(path, original, original, remaining=original_findings, error=error,
                           internal_error=True)
        if len(kept) < len(edits):
            taken = {id(edit.finding) for edit in kept}
            refused.update(_key(edit.finding) for edit in edits if id(edit.finding) not in taken)
        if not kept:
            continue  # the same text: choose again without the refused fixes
        text = new_text
        refused.clear()
        applied.extend(edit.finding for edit in kept)
        result = _lint(linter, text, path)
        if result.error is not None:  # pragma: no cover - apply_round verified the parse
            error = FileError(path, f"internal error: fixed code does not check ({result.error.reason})")
            return FileFix(path, original, original, remaining=original_findings, error=error,
                           internal_error=True)
        findings = list(result.findings)
    if text != original:
        try:
            verify_cst_changed(original, text)
        except FixVerificationError as exc:
            error = unverified_fix(path, str(exc), applied, linter.ruleset)
            return FileFix(path, original, original, remaining=original_findings, error=error,
                           internal_error=True)
    return FileFix(path, original, text, applied=applied, remaining=findings)


def _key(finding: Finding) -> tuple:
    """A finding on one text (the refused fixes of a round are retried on a new text)."""
    return (finding.code, finding.line, finding.column, finding.end_line, finding.end_column,
            finding.fix.replacement if finding.fix else None)


def _lint(linter: "Linter", text: str, path: str):  # -> FileResult
    result = linter.check_text(text, path)
    if result.findings:
        result.findings = linter._apply_per_file_ignores(path, result.findings)
    return result


def first_newline(text: str) -> str:
    found = _LINE_BREAK.search(text)
    return found.group(0) if found else "\n"


def line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


def to_edits(text: str, findings: Iterable[Finding], newline: str) -> list[Edit]:
    """Findings (1-based line/column character spans) as offsets into ``text``."""
    starts = line_starts(text)
    edits = []
    for finding in findings:
        assert finding.fix is not None and finding.fix.replacement is not None
        if not (0 < finding.line <= len(starts) and 0 < finding.end_line <= len(starts)):
            continue
        start = starts[finding.line - 1] + finding.column - 1
        end = starts[finding.end_line - 1] + finding.end_column - 1
        if not 0 <= start <= end <= len(text):
            continue
        replacement = _LINE_BREAK.sub(lambda _: newline, finding.fix.replacement)
        if text[start:end] == replacement:
            continue  # nothing to change
        if not replacement:
            start, end = _whole_line(text, starts, finding.line, start, end)
        edits.append(Edit(start, end, replacement, finding))
    return edits


def _whole_line(text: str, starts: list[int], line: int, start: int, end: int) -> tuple[int, int]:
    """A deletion that empties its line(s) takes the line break (and the statement's
    trailing comment) with it."""
    line_start = starts[line - 1]
    found = _LINE_BREAK.search(text, end)
    line_end = found.end() if found else len(text)
    rest = text[end:found.start() if found else len(text)]
    if not text[line_start:start].strip() and (not rest.strip() or rest.strip().startswith("#")):
        return line_start, line_end
    return start, end


def select_edits(edits: list[Edit]) -> list[Edit]:
    """Non-overlapping edits: by start, longer span first, then code; later overlaps wait."""
    kept: list[Edit] = []
    last_end = -1
    for edit in sorted(edits, key=Edit.sort_key):
        if kept and edit.start == kept[-1].start and edit.end == kept[-1].end and edit.text == kept[-1].text:
            continue  # the same change proposed twice
        if edit.start < last_end:
            continue
        kept.append(edit)
        last_end = edit.end
    return kept


def choose_edits(text: str, findings: list[Finding], target: str) -> list[Edit]:
    edits = select_edits(to_edits(text, findings, first_newline(text)))
    # A fix that writes the device expression itself (``device = "cuda"`` or the PRT408
    # idiom) creates a variable the other device sites should use: apply it first and
    # let the sites that would define a new variable wait one round.
    expression = device_expression(target)
    if any(not e.finding.fix.defines and e.text.strip() == expression for e in edits):  # type: ignore[union-attr]
        waiting = [e for e in edits if e.finding.fix.defines]  # type: ignore[union-attr]
        if waiting and len(waiting) < len(edits):
            edits = [e for e in edits if not e.finding.fix.defines]  # type: ignore[union-attr]
    return edits


def splice(text: str, edits: list[Edit]) -> tuple[str, list[tuple[int, int]]]:
    """Apply sorted, non-overlapping edits; also return each edit's range in the result."""
    parts = []
    ranges = []
    position = 0
    shift = 0
    for edit in edits:
        parts.append(text[position:edit.start])
        parts.append(edit.text)
        start = edit.start + shift
        ranges.append((start, start + len(edit.text)))
        shift += len(edit.text) - (edit.end - edit.start)
        position = edit.end
    parts.append(text[position:])
    return "".join(parts), ranges


def apply_round(text: str, edits: list[Edit], target: str, newline: str,
                oldest: tuple[int, int] = DEFAULT_OLDEST) -> str:
    """One round: splice, manage imports and definitions, verify. Raises FixVerificationError
    (also when no edit could be applied, see :func:`name_modules`)."""
    new_text, applied = apply_edits(text, edits, target, newline, oldest)
    if not applied:
        raise FixVerificationError("the fix cannot name the module it uses where it is written")
    return new_text


def apply_edits(text: str, edits: list[Edit], target: str, newline: str,
                oldest: tuple[int, int] = DEFAULT_OLDEST) -> tuple[str, list[Edit]]:
    """:func:`apply_round`, returning the fixed text and the edits that were applied (an
    edit that cannot name its module where it is written is left out)."""
    old_tree, old_model = _analysis(text, "the original")
    roots = _module_roots(edits)[0]
    # a module-level definition (the DEVICE variable) that cannot name its modules there
    # (the module's own `torch` is something else): the fixes that need it are left out
    edits = [edit for edit in edits if all(_define_names_modules(old_model, define, roots)
                                           for define in edit.finding.fix.defines)]  # type: ignore[union-attr]
    if not edits:
        return text, []
    new_text, ranges = splice(text, edits)
    new_tree, new_model = _analysis(new_text, "the fixed code")
    edits, aliases = name_modules(text, old_model, new_text, new_model, ranges, edits)
    if not edits:
        return text, []
    if aliases is not None:  # some edit's module name was shadowed where it is written
        new_text, ranges = splice(text, edits)
        new_tree, new_model = _analysis(new_text, "the fixed code")
    defines = _unique(d for e in edits for d in e.finding.fix.defines)  # type: ignore[union-attr]
    replaced = frozenset(token for edit in edits for token in _IDENTIFIER.findall(text[edit.start:edit.end]))
    new_text = manage_imports(old_model, new_tree, new_model, new_text, ranges, edits, target, newline, defines,
                              aliases or {}, replaced)
    if defines:
        new_text = insert_defines(new_text, defines, newline)
    verify(text, old_tree, new_text, cst=False)  # libcst parses the final text once (fix_text)
    problem = grammar_problem(text, old_tree, new_text, _analysis(new_text)[0], oldest)
    if problem is not None:
        raise FixVerificationError(problem)
    return new_text, edits


_ANALYSES: dict[str, tuple[ast.Module, SemanticModel]] = {}


def _analysis(text: str, what: str = "the fixed code") -> tuple[ast.Module, SemanticModel]:
    """The tree and semantic model of a text, parsed once: the texts of a file's rounds
    are each the new text of one round and the old text of the next."""
    found = _ANALYSES.get(text)
    if found is None:
        if len(_ANALYSES) > 4:
            _ANALYSES.clear()
        tree = _parse(text, what)
        found = _ANALYSES[text] = (tree, build_model(tree, loads=True))
    return found


def _parse(text: str, what: str) -> ast.Module:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        raise FixVerificationError(f"{what} does not parse: {exc}") from None


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


# --------------------------------------------------------------------------- imports


class _Positions:
    """``ast`` (line, UTF-8 byte column) -> character offset in the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)

    def offset(self, line: int, byte_column: int) -> int:
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        content = self.text[start:end]
        if content.isascii():
            return start + byte_column
        return start + len(content.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))


@dataclass(frozen=True)
class ImportSpec:
    module: str
    obj: str | None = None
    asname: str | None = None
    comment: str | None = None  # a trailing comment for the added line ("noqa: F401")

    @property
    def bound_name(self) -> str:
        if self.asname:
            return self.asname
        if self.obj:
            return self.obj
        return self.module.split(".", 1)[0]


def parse_import(entry: str) -> ImportSpec | None:
    """``"torch"``, ``"import torch.distributed as dist"``, ``"from os import environ"``."""
    text = entry.strip()
    match = re.fullmatch(r"from\s+([\w.]+)\s+import\s+(\w+)(?:\s+as\s+(\w+))?", text)
    if match:
        return ImportSpec(match.group(1), match.group(2), match.group(3))
    match = re.fullmatch(r"(?:import\s+)?([\w.]+)(?:\s+as\s+(\w+))?", text)
    if match:
        return ImportSpec(match.group(1), None, match.group(2))
    return None


def _removable_imports(old_model: SemanticModel, new_model: SemanticModel,
                       fixed: frozenset[str], replaced: frozenset[str] = frozenset()) -> list[ImportSpec]:
    """Imports of a ``torch.cuda`` name (``from torch.cuda.amp import autocast as ac``), of
    a name a fix rewrote (``from torch.distributed import is_nccl_available``) or of a torch
    name written in the code a fix replaced (``from torch.profiler import profile``) that
    the original code used and the fixed code no longer uses."""
    found: list[ImportSpec] = []
    for binding in old_model.imports():
        statement, alias, qualified = binding.statement, binding.node, binding.qualified
        if qualified is None or not isinstance(alias, ast.alias):
            continue
        if not (qualified == "torch.cuda" or qualified.startswith("torch.cuda.") or qualified in fixed
                or (binding.name in replaced and qualified.startswith("torch.")
                    and isinstance(statement, ast.ImportFrom))):
            continue
        if isinstance(statement, ast.ImportFrom):
            assert statement.module is not None
            spec = ImportSpec(statement.module, alias.name, alias.asname)
        elif alias.asname:
            spec = ImportSpec(alias.name, None, alias.asname)
        else:
            continue  # `import torch.cuda` binds `torch`: never removed
        name = binding.name
        if old_model.uses_of(name) > 0 and new_model.uses_of(name) == 0 and spec not in found:
            found.append(spec)
    return found


def _module_roots(edits: list[Edit]) -> tuple[dict[str, str], dict[str, ImportSpec]]:
    """The root names the edits may write, each with the module it must name (``torch``,
    ``os``, ``torch_npu`` and the fixes' own ``imports``), and the explicit import specs."""
    roots = dict(MANAGED_ROOTS)
    explicit: dict[str, ImportSpec] = {}
    for edit in edits:
        for entry in edit.finding.fix.imports:  # type: ignore[union-attr]
            spec = parse_import(entry)
            if spec is not None:
                explicit[spec.bound_name] = spec
                roots.setdefault(spec.bound_name, _qualified(spec))
    return roots, explicit


def _qualified(spec: ImportSpec) -> str:
    """What the name an import binds is (the semantic model's ``Binding.qualified``)."""
    if spec.obj:
        return f"{spec.module}.{spec.obj}"
    return spec.module if spec.asname else spec.module.split(".", 1)[0]


def _names_module(model: SemanticModel, name: str, scope, module: str) -> bool:  # type: ignore[no-untyped-def]
    """``name`` read anywhere in ``scope`` is the module ``module`` (every binding it may
    refer to is an import of it), or nothing binds it (the fixer adds the import)."""
    meanings = model.meaning(name, scope)
    return all(b.kind == IMPORT and b.qualified == module for b in meanings)


def name_modules(old_text: str, old_model: SemanticModel, new_text: str, new_model: SemanticModel,
                 ranges: list[tuple[int, int]], edits: list[Edit]
                 ) -> tuple[list[Edit], dict[str, ImportSpec] | None]:
    """Make every module name an edit writes (``torch.accelerator...``) refer to that module
    where it is written (the semantic model says what a name is there). Where the name is
    shadowed (``torch`` is a parameter, a local, a loop, ``with`` or ``except`` target of
    that function, and the module is ``import torch as pt``), the edit writes a visible
    alias of the module instead (``pt``); without one, a fresh alias that a module-level
    import adds (``import torch as torch_``, returned). Reads of the shadowing name that
    the edit carries over from the code it replaces stay; an edit that both keeps and adds
    such reads cannot tell them apart and is left out (its finding remains). Returns the
    edits and, when any changed, the aliases to import (else None)."""
    roots, _ = _module_roots(edits)
    written = {token for edit in edits for token in _IDENTIFIER.findall(edit.text)}
    if not written.intersection(roots) or new_model.loads is None or old_model.loads is None:
        return edits, None
    new_positions = _Positions(new_text)
    # (edit number, name) -> the loads of a managed root in the edit's new text that are not the module
    shadowed: dict[tuple[int, str], list[tuple[int, object]]] = {}
    for node, scope in new_model.loads:
        if node.id not in roots or node.id not in written:
            continue
        offset = new_positions.offset(node.lineno, node.col_offset)
        number = _range_of(ranges, offset)
        if number is None or _names_module(new_model, node.id, scope, roots[node.id]):
            continue
        shadowed.setdefault((number, node.id), []).append((offset, scope))
    if not shadowed:
        return edits, None
    old_positions = _Positions(old_text)
    kept: dict[tuple[int, str], int] = {}  # reads of the name in the replaced code (carried over)
    for node, _scope in old_model.loads:
        if node.id in roots:
            offset = old_positions.offset(node.lineno, node.col_offset)
            for number, name in shadowed:
                if name == node.id and edits[number].start <= offset < edits[number].end:
                    kept[number, name] = kept.get((number, name), 0) + 1
    aliases: dict[str, ImportSpec] = {}
    renames: dict[int, list[tuple[int, str, str]]] = {}
    dropped: set[int] = set()
    for (number, name), loads in sorted(shadowed.items(), key=lambda item: item[0]):
        carried = kept.get((number, name), 0)
        if len(loads) <= carried:
            continue  # the edit only keeps what the code read before
        if carried:
            dropped.add(number)
            continue
        for offset, scope in loads:
            module = roots[name]
            alias = _visible_alias(new_model, scope, module, aliases)
            if alias is None:
                alias = _fresh_name(name, old_model, new_model, aliases)
                aliases[alias] = ImportSpec(module, None, alias)
            renames.setdefault(number, []).append((offset - ranges[number][0], name, alias))
    if not renames and not dropped:
        return edits, None
    result = []
    for number, edit in enumerate(edits):
        if number in dropped:
            continue
        text = edit.text
        for relative, name, alias in sorted(renames.get(number, ()), reverse=True):
            text = text[:relative] + alias + text[relative + len(name):]
        result.append(Edit(edit.start, edit.end, text, edit.finding) if text != edit.text else edit)
    return result, aliases


def _define_names_modules(model: SemanticModel, define: str, roots: dict[str, str]) -> bool:
    """The module-level definition a fix inserts (``DEVICE = torch.accelerator...``) names
    its modules: at module level, each is the module or unbound (the import is added)."""
    names = {n.id for n in ast.walk(ast.parse(define)) if isinstance(n, ast.Name) and n.id in roots}
    return all(_names_module(model, name, model.module, roots[name]) for name in names)


def _range_of(ranges: list[tuple[int, int]], offset: int) -> int | None:
    for number, (start, end) in enumerate(ranges):
        if start <= offset < end:
            return number
    return None


def _visible_alias(model: SemanticModel, scope, module: str,  # type: ignore[no-untyped-def]
                   aliases: dict[str, ImportSpec]) -> str | None:
    """A name that is the module ``module`` everywhere in ``scope``: an existing import of
    it (module-level ones first), or an alias this round already added."""
    candidates = sorted({b.name for b in model.imports() if b.qualified == module},
                        key=lambda name: (model.module.bindings.get(name) is None, name))
    candidates += [name for name, spec in aliases.items() if spec.module == module]
    for name in candidates:
        meanings = model.meaning(name, scope)
        if meanings and all(b.kind == IMPORT and b.qualified == module for b in meanings):
            return name
        if not meanings and name in aliases:
            return name
    return None


def _fresh_name(root: str, old_model: SemanticModel, new_model: SemanticModel,
                aliases: dict[str, ImportSpec]) -> str:
    taken = old_model.identifiers | new_model.identifiers | set(aliases)
    name = f"{root}_"
    number = 2
    while name in taken:
        name = f"{root}_{number}"
        number += 1
    return name


def manage_imports(old_model: SemanticModel, new_tree: ast.Module, new_model: SemanticModel, text: str,
                   ranges: list[tuple[int, int]], edits: list[Edit], target: str, newline: str,
                   defines: Iterable[str] = (), aliases: dict[str, ImportSpec] | None = None,
                   replaced: frozenset[str] = frozenset()) -> str:
    """Add the imports the new code (and the definitions it needs) uses; remove the
    torch.cuda imports it left unused."""
    positions = _Positions(text)
    # names a module-level statement binds (`global torch` in a function alone binds nothing)
    module_bound = {binding.name for binding in new_model.module.history}
    roots, explicit = _module_roots(edits)
    for name, spec in (aliases or {}).items():  # fresh aliases of a shadowed module name
        explicit[name] = spec
        roots[name] = spec.module
    needed: dict[str, ImportSpec] = {}
    written = {token for edit in edits for token in _IDENTIFIER.findall(edit.text)}
    unbound_roots = {root for root in roots if root in written and root not in module_bound}
    for node, scope, _ in new_model.unresolved if unbound_roots else ():
        if node.id not in unbound_roots or node.id in needed:
            continue
        offset = positions.offset(node.lineno, node.col_offset)
        if not any(start <= offset < end for start, end in ranges):
            continue
        if new_model.meaning(node.id, scope):
            continue  # a local of the function (bound later in it), kept from the original code
        needed[node.id] = explicit.get(node.id) or ImportSpec(roots[node.id])

    for define in defines:  # inserted at module level, after the imports
        for node in ast.walk(ast.parse(define)):
            if isinstance(node, ast.Name) and node.id in roots and node.id not in module_bound:
                needed.setdefault(node.id, explicit.get(node.id) or ImportSpec(roots[node.id]))

    fixed = frozenset(edit.finding.matched for edit in edits)
    removals = _removable_imports(old_model, new_model, fixed, replaced)

    wants_npu = target == "npu" and any(
        any(marker in edit.text for marker in _NPU_MARKERS) for edit in edits
    ) and not new_model.imports_module("torch_npu")
    npu_line = NPU_SIDE_EFFECT_IMPORT
    if needed.get("torch_npu") == ImportSpec("torch_npu") and _first_torch_import(new_tree) is not None:
        del needed["torch_npu"]  # a replacement uses it: next to `import torch`, without the noqa
        wants_npu, npu_line = True, "import torch_npu"
    npu_after = _first_torch_import(new_tree) if wants_npu and "torch_npu" not in needed else None
    if wants_npu and npu_after is None:
        needed.setdefault("torch_npu", ImportSpec("torch_npu", comment="noqa: F401"))
    in_place = None
    if removals and needed.get("torch") == ImportSpec("torch"):
        # `from torch.cuda import empty_cache` inside `if is_torch_available():` becomes
        # `import torch` right there: an optional dependency stays optional.
        in_place = needed.pop("torch")
    if needed or removals:
        text = _libcst_imports(text, list(needed.values()), removals, in_place)
    if wants_npu and npu_after is not None:
        tree = _parse(text, "the fixed code")
        statement = _first_torch_import(tree)
        if statement is not None:
            text = _insert_after_line(text, statement.end_lineno or statement.lineno, npu_line, newline)
        elif npu_line != NPU_SIDE_EFFECT_IMPORT:  # the torch import it was to follow was removed
            text = _libcst_imports(text, [ImportSpec("torch_npu")], [], None)
    return text


def _first_torch_import(tree: ast.Module) -> ast.stmt | None:
    """Where ``import torch_npu`` goes: the first top-level ``import torch``, else the first
    top-level import from torch."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and any(a.name == "torch" and not a.asname for a in stmt.names):
            return stmt
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and any(a.name == "torch" or a.name.startswith("torch.")
                                                for a in stmt.names):
            return stmt
        if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level and (
                stmt.module == "torch" or stmt.module.startswith("torch.")):
            return stmt
    return None


def _libcst_imports(text: str, adds: list[ImportSpec], removals: list[ImportSpec],
                    in_place: ImportSpec | None = None) -> str:
    """Edit the imports on the libcst tree (lossless: comments and formatting stay).

    A small transformer without metadata: libcst's codemod visitors compute scope
    analysis for every file, which made fixing ~10x slower; the fixer has already decided
    (with ``ast``) which names are unbound and which imports are unused.
    """
    import libcst

    try:
        module = libcst.parse_module(text)
    except libcst.ParserSyntaxError as exc:
        raise FixVerificationError(f"libcst cannot parse the fixed code: {exc.message}") from None
    adds = list(adds)
    if removals:
        doomed = {(spec.bound_name, f"{spec.module}.{spec.obj}" if spec.obj else spec.module)
                  for spec in removals}
        if in_place is not None:
            replacer = _cst_transformers().ReplaceFirst(doomed, _import_line(in_place))
            module = module.visit(replacer)
            if not replacer.done:
                adds.insert(0, in_place)
        module = module.visit(_cst_transformers().KeepComments(doomed))
        module = module.visit(_cst_transformers().RemoveImports(doomed))
    elif in_place is not None:
        adds.insert(0, in_place)
    if adds:
        module = _add_imports(module, adds)
    return module.code


def _import_line(spec: ImportSpec) -> str:
    alias = f" as {spec.asname}" if spec.asname else ""
    comment = f"  # {spec.comment}" if spec.comment else ""
    if spec.obj:
        return f"from {spec.module} import {spec.obj}{alias}{comment}"
    return f"import {spec.module}{alias}{comment}"


def _add_imports(module, adds: list[ImportSpec]):  # type: ignore[no-untyped-def]
    """Add ``import X`` lines after the module's leading imports (after any docstring and
    ``from __future__`` import), unless the same line is already there."""
    import libcst

    body = list(module.body)
    existing = {module.code_for_node(stmt).strip() for stmt in body if _cst_is_import_line(stmt)}
    new = [libcst.parse_statement(_import_line(spec)) for spec in adds if _import_line(spec) not in existing]
    if not new:
        return module
    index = 0
    if body and _cst_is_docstring(body[0]):
        index = 1
    last_import = None
    while index < len(body) and _cst_is_import_line(body[index]):
        last_import = index
        index += 1
    position = index
    following = body[position] if position < len(body) else None
    if following is not None and last_import is None and not following.leading_lines:
        body[position] = following.with_changes(leading_lines=[libcst.EmptyLine()])
    body[position:position] = new
    return module.with_changes(body=body)


def _cst_is_import_line(stmt) -> bool:  # type: ignore[no-untyped-def]
    import libcst

    return isinstance(stmt, libcst.SimpleStatementLine) and bool(stmt.body) and all(
        isinstance(small, (libcst.Import, libcst.ImportFrom)) for small in stmt.body)


def _cst_is_docstring(stmt) -> bool:  # type: ignore[no-untyped-def]
    import libcst

    return (isinstance(stmt, libcst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], libcst.Expr)
            and isinstance(stmt.body[0].value, (libcst.SimpleString, libcst.ConcatenatedString)))


_CST_CLASSES: dict = {}


def _cst_transformers():  # type: ignore[no-untyped-def]
    """The libcst transformers, defined on first use (libcst is imported only when fixing)."""
    if _CST_CLASSES:
        return _CST_CLASSES["ns"]
    import types

    import libcst
    from libcst.helpers import get_full_name_for_node

    def bound(alias: "libcst.ImportAlias") -> str | None:
        if alias.asname is not None and isinstance(alias.asname.name, libcst.Name):
            return alias.asname.name.value
        name = alias.name
        while isinstance(name, libcst.Attribute):
            name = name.value
        return name.value if isinstance(name, libcst.Name) else None

    def qualified(statement, alias) -> str | None:  # type: ignore[no-untyped-def]
        if isinstance(statement, libcst.ImportFrom):
            if statement.relative or statement.module is None:
                return None
            module = get_full_name_for_node(statement.module) or ""
            return f"{module}.{get_full_name_for_node(alias.name)}"
        if alias.asname is None:
            return None  # `import torch.cuda.x` binds `torch`: never removed
        return get_full_name_for_node(alias.name)

    def removable(statement, alias, doomed: set[tuple[str, str]]) -> bool:  # type: ignore[no-untyped-def]
        """``doomed`` holds the (bound name, qualified name) pairs chosen for removal."""
        return (bound(alias), qualified(statement, alias)) in doomed

    def doomed_line(stmt, doomed: set[tuple[str, str]]) -> bool:  # type: ignore[no-untyped-def]
        if not isinstance(stmt, libcst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if not isinstance(small, (libcst.Import, libcst.ImportFrom)) or isinstance(small.names, libcst.ImportStar):
                return False
            if not all(removable(small, alias, doomed) for alias in small.names):
                return False
        return True

    class StatementsOnly(libcst.CSTTransformer):
        def on_visit(self, node: "libcst.CSTNode") -> bool:
            return not isinstance(node, libcst.BaseExpression)  # imports are never inside expressions

    class KeepComments(StatementsOnly):
        """Comments above an import line that will disappear move to the next statement."""

        def __init__(self, doomed: set[tuple[str, str]]) -> None:
            super().__init__()
            self.doomed = doomed

        def _move(self, body):  # type: ignore[no-untyped-def]
            moved, carry = [], []
            for stmt in body:
                if carry:
                    stmt = stmt.with_changes(leading_lines=[*carry, *stmt.leading_lines])
                    carry = []
                if doomed_line(stmt, self.doomed) and any(line.comment is not None for line in stmt.leading_lines):
                    carry = list(stmt.leading_lines)
                    stmt = stmt.with_changes(leading_lines=[])
                moved.append(stmt)
            return moved, carry

        def leave_Module(self, original, updated):  # type: ignore[no-untyped-def]
            body, carry = self._move(updated.body)
            return updated.with_changes(body=body, footer=[*carry, *updated.footer])

        def leave_IndentedBlock(self, original, updated):  # type: ignore[no-untyped-def]
            body, carry = self._move(updated.body)
            return updated.with_changes(body=body, footer=[*carry, *updated.footer])

    class RemoveImports(StatementsOnly):
        """Drop the unused torch.cuda aliases; an import left with none disappears."""

        def __init__(self, doomed: set[tuple[str, str]]) -> None:
            super().__init__()
            self.doomed = doomed

        def _names(self, original, updated):  # type: ignore[no-untyped-def]
            if isinstance(updated.names, libcst.ImportStar):
                return updated
            names = [a for a in updated.names if not removable(updated, a, self.doomed)]
            if len(names) == len(updated.names):
                return updated
            if not names:
                return libcst.RemoveFromParent()
            names[-1] = names[-1].with_changes(comma=libcst.MaybeSentinel.DEFAULT)
            changes = {"names": names}
            if isinstance(updated, libcst.ImportFrom) and updated.lpar is not None and len(names) == 1:
                changes.update(lpar=None, rpar=None)
            return updated.with_changes(**changes)

        def leave_Import(self, original, updated):  # type: ignore[no-untyped-def]
            return self._names(original, updated)

        def leave_ImportFrom(self, original, updated):  # type: ignore[no-untyped-def]
            return self._names(original, updated)

        def leave_IndentedBlock(self, original, updated):  # type: ignore[no-untyped-def]
            if not updated.body:
                return updated.with_changes(body=[libcst.SimpleStatementLine([libcst.Pass()])])
            return updated

        def leave_SimpleStatementSuite(self, original, updated):  # type: ignore[no-untyped-def]
            if not updated.body:
                return updated.with_changes(body=[libcst.Pass()])
            return updated

    class ReplaceFirst(StatementsOnly):
        """The first module-scope import made only of doomed names becomes ``line``."""

        def __init__(self, doomed: set[tuple[str, str]], line: str) -> None:
            super().__init__()
            self.doomed = doomed
            self.line = line
            self.depth = 0
            self.done = False

        def visit_FunctionDef(self, node):  # type: ignore[no-untyped-def]
            self.depth += 1

        def leave_FunctionDef(self, original, updated):  # type: ignore[no-untyped-def]
            self.depth -= 1
            return updated

        def visit_ClassDef(self, node):  # type: ignore[no-untyped-def]
            self.depth += 1

        def leave_ClassDef(self, original, updated):  # type: ignore[no-untyped-def]
            self.depth -= 1
            return updated

        def _replace(self, updated):  # type: ignore[no-untyped-def]
            if self.done or self.depth or isinstance(updated.names, libcst.ImportStar):
                return updated
            if not all(removable(updated, alias, self.doomed) for alias in updated.names):
                return updated
            self.done = True
            replacement = libcst.parse_statement(self.line).body[0]
            return replacement.with_changes(semicolon=updated.semicolon)

        def leave_Import(self, original, updated):  # type: ignore[no-untyped-def]
            return self._replace(updated)

        def leave_ImportFrom(self, original, updated):  # type: ignore[no-untyped-def]
            return self._replace(updated)

    _CST_CLASSES["ns"] = types.SimpleNamespace(KeepComments=KeepComments, RemoveImports=RemoveImports,
                                               ReplaceFirst=ReplaceFirst)
    return _CST_CLASSES["ns"]


# --------------------------------------------------------------------------- definitions


def _statement_start(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _is_import_block(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(stmt, (ast.Try, ast.If)) or type(stmt).__name__ == "TryStar":
        inner = [*stmt.body, *getattr(stmt, "orelse", []), *getattr(stmt, "finalbody", []),
                 *(s for h in getattr(stmt, "handlers", []) for s in h.body)]
        return any(isinstance(s, (ast.Import, ast.ImportFrom)) for s in inner) and all(
            _is_import_block(s) or isinstance(s, (ast.Pass, ast.Assign, ast.Expr)) for s in inner)
    return False


_SETUP = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)


def insert_defines(text: str, defines: list[str], newline: str) -> str:
    """Insert each ``NAME = expr`` once at module level: after the imports (and after the
    import of every module the expression names), before the first statement using NAME."""
    for define in defines:
        tree, model = _analysis(text)
        statement = ast.parse(define).body[0]
        assert isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name)
        name = statement.targets[0].id
        if existing_definition(model, name, ast.unparse(statement.value)) is not None:
            continue
        roots = {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name)}
        root_imports = [b.statement for b in model.module.history if b.kind == IMPORT and b.name in roots]
        nested = _conditional_import(tree, text, root_imports)
        if nested is not None:
            # `if is_torch_available(): import torch` (optional dependency): define the
            # variable right after that import, in the same block, so that it exists
            # exactly when torch does.
            line, indent = nested
            text = _insert_after_line(text, line, indent + define, newline)
            continue
        body = tree.body
        after = 0  # insert after this line
        index = 0
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            after = body[0].end_lineno or body[0].lineno
            index = 1
        while index < len(body) and _is_import_block(body[index]):
            after = body[index].end_lineno or body[index].lineno
            index += 1
        # The import block goes on past setup lines (`sys.path.insert(...)`, `log = ...`)
        # to its last import: never define inside it.
        while index < len(body) and isinstance(body[index], _SETUP + (ast.Import, ast.ImportFrom, ast.Try, ast.If)):
            if _is_import_block(body[index]):
                after = body[index].end_lineno or body[index].lineno
            elif not isinstance(body[index], _SETUP):
                break
            index += 1
        for stmt in body:  # the modules the expression uses must be imported first
            if any(stmt is imported for imported in root_imports):
                after = max(after, stmt.end_lineno or stmt.lineno)
        for stmt in body:
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt)):
                start = _statement_start(stmt)
                if start <= after:
                    after = max(0, start - 1)
                    text = _insert_after_line(text, after, define, newline, blank_before=False,
                                              blank_after=True)
                    break
                text = _insert_after_line(text, after, define, newline, blank_before=True, blank_after=True)
                break
        else:
            text = _insert_after_line(text, after, define, newline, blank_before=True, blank_after=False)
    return text


def _conditional_import(tree: ast.Module, text: str, root_imports: list) -> tuple[int, str] | None:
    """(last line, indentation) of the first of ``root_imports`` (module-scope import
    statements, in order) inside a block, when none is a top-level statement; else None."""
    top_level = {id(s) for s in tree.body}
    if not root_imports or any(id(s) in top_level for s in root_imports):
        return None
    lines = _LINE_BREAK.split(text)
    stmt = root_imports[0]
    line_text = lines[stmt.lineno - 1] if stmt.lineno <= len(lines) else ""
    indent = line_text[:stmt.col_offset]
    end = stmt.end_lineno or stmt.lineno
    rest = lines[end - 1][len(lines[end - 1].encode()[:stmt.end_col_offset or 0].decode("utf-8", "ignore")):] \
        if end <= len(lines) else ""
    if indent.strip() or (rest.strip() and not rest.strip().startswith("#")):
        return None  # `if x: import torch` on one line, or `import torch; ...`
    return end, indent


def _insert_after_line(text: str, line: int, statement: str, newline: str,
                       blank_before: bool = False, blank_after: bool = False) -> str:
    """Insert ``statement`` as its own line(s) after line ``line`` (0: at the top)."""
    starts = line_starts(text)
    if line >= len(starts):
        position = len(text)
    else:
        position = starts[line]
    prefix = ""
    if position == len(text) and text and not text.endswith(("\n", "\r")):
        prefix = newline
    before = text[:position]
    after = text[position:]
    block = statement + newline
    if blank_before and line > 0 and not _BLANK_LINE_END.search(before):
        block = newline + block
    if blank_after and after and not _BLANK_LINE_START.match(after):
        block = block + newline
    return before + prefix + block + after


_BLANK_LINE_END = re.compile(r"(?:\r\n|\r(?!\n)|\n)[ \t]*(?:\r\n|\r(?!\n)|\n)\Z")
_BLANK_LINE_START = re.compile(r"[ \t]*(?:\r\n|\r|\n)")


# --------------------------------------------------------------------------- verification


def verify(old_text: str, old_tree: ast.Module, new_text: str, cst: bool = True) -> None:
    """The guard before anything is written: parse (ast and, with ``cst``, libcst), no new
    undefined names, nothing used before it is bound (both from the semantic model)."""
    _, new_model = _analysis(new_text)
    if cst:
        verify_cst(new_text)
    _, old_model = _analysis(old_text, "the original")
    introduced = new_model.undefined_names() - old_model.undefined_names()
    if introduced:
        raise FixVerificationError(f"the fixed code would use undefined name(s) {', '.join(sorted(introduced))}")
    early = new_model.used_before_bound() - old_model.used_before_bound()
    if early:
        raise FixVerificationError(f"the fixed code would use {', '.join(sorted(early))} before it is bound")


def verify_cst_changed(old: str, new: str) -> None:
    """libcst parses the statements a fix changed in ``new`` (each cut out and dedented);
    the whole file when one cannot be cut out or does not parse on its own. Parsing a large
    file with libcst costs more than the rest of fixing it; the unchanged statements are
    the original's."""
    import libcst

    old_lines = _LINES.findall(old)
    new_lines = _LINES.findall(new)
    changed: set[int] = set()  # 1-based lines of ``new``
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)  # any edit script will do
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(j1 + 1, max(j2, j1 + 1) + 1))
    statements: dict[int, ast.stmt] = {}
    tree = _analysis(new)[0]
    for line in sorted(changed):
        stmt = _innermost_statement(tree, line)
        if stmt is not None:
            statements[id(stmt)] = stmt
    for stmt in statements.values():
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
        column = stmt.col_offset
        segment = new_lines[first - 1:stmt.end_lineno or stmt.lineno]
        if not segment or segment[0][:column].strip(" \t"):
            return verify_cst(new)  # shares its line with another statement
        code = "".join(line[min(column, len(line) - len(line.lstrip(" \t"))):] for line in segment)
        try:
            libcst.parse_module(code)
        except libcst.ParserSyntaxError:
            return verify_cst(new)
    return None


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _innermost_statement(tree: ast.Module, line: int) -> ast.stmt | None:
    """The deepest statement whose lines (decorators included) contain ``line``."""
    found = None
    block: list = tree.body
    while block:
        for stmt in block:
            start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
            if start <= line <= (stmt.end_lineno or stmt.lineno):
                found = stmt
                block = [child for name in ("body", "orelse", "finalbody", "handlers", "cases")
                         for item in getattr(stmt, name, ()) if isinstance(item, (ast.stmt, ast.excepthandler, ast.match_case))
                         for child in ([item] if isinstance(item, ast.stmt) else item.body)]
                break
        else:
            break
    return found


def verify_cst(text: str) -> None:
    import libcst

    try:
        libcst.parse_module(text)
    except libcst.ParserSyntaxError as exc:
        raise FixVerificationError(f"libcst cannot parse the fixed code: {exc.message}") from None


# --------------------------------------------------------------------------- many files


def fix_paths(linter: "Linter", paths: list[str], unsafe: bool = False, write: bool = True,
              jobs: int | None = 1, cache: "bool | Path" = False) -> FixRun:
    """Fix every file under ``paths`` (``write=False``: compute only, for ``--diff``).

    A normal check (parallel and cached like ``portlint check``) finds the files with an
    applicable fix; only those are fixed, in a process pool when there are many. Each
    file is written atomically as soon as it is fixed.
    """
    import dataclasses
    import os
    import time

    started = time.time_ns()
    report = linter.check_paths(paths, jobs=jobs, cache=cache)
    if write:  # what an earlier, killed run left behind
        from portlint.writer import remove_stale_temporaries

        remove_stale_temporaries(sorted({os.path.dirname(name) or "." for name in report.files}))
    wanted = sorted({f.path for f in report.findings if _applicable(f, unsafe)})
    if not wanted:
        return FixRun([], report, unsafe)
    found: dict[str, list[Finding]] = {path: [] for path in wanted}
    for finding in report.findings:
        if finding.path in found:
            found[finding.path].append(finding)
    outcomes = _fix_files(linter, [(path, found[path]) for path in wanted], unsafe, write, jobs, started)
    fixed_paths = set(wanted)
    findings = [f for f in report.findings if f.path not in fixed_paths]
    errors = list(report.errors)
    for outcome in outcomes:
        if outcome.error is not None and not outcome.remaining:  # failed: what the check found
            findings.extend(f for f in report.findings if f.path == outcome.path)
        findings.extend(outcome.remaining)
        if outcome.error is not None:
            errors.append(outcome.error)
    findings.sort(key=Finding.sort_key)
    return FixRun(outcomes, dataclasses.replace(report, findings=findings, errors=errors), unsafe)


# Fixing is ~20x the work of checking a file; a pool pays off sooner than for checks.
PARALLEL_MIN_FIXES = 8


def _fix_files(linter: "Linter", files: list[tuple[str, list[Finding]]], unsafe: bool, write: bool,
               jobs: int | None, checked_at: int | None = None) -> list[FileFix]:
    """Fix these files, each with what the check found in it (``checked_at``: when that
    check started, in ``time.time_ns()``; a file modified since is linted again)."""
    from portlint.parallel import _can_fork, default_jobs, map_unordered

    workers = min(len(files), default_jobs() if not jobs else jobs)
    if workers <= 1 or len(files) < PARALLEL_MIN_FIXES or not _can_fork():
        return [fix_file(linter, path, unsafe, write, findings, checked_at) for path, findings in files]
    outcomes: list[FileFix | None] = [None] * len(files)
    tasks = [(number, path, unsafe, write, findings, checked_at) for number, (path, findings) in enumerate(files)]
    for number, outcome in map_unordered(linter, _fix_task, tasks, workers, crashed=_fix_crashed):
        outcomes[number] = outcome
    return outcomes  # type: ignore[return-value]


def _fix_crashed(task: tuple, reason: str) -> tuple[int, FileFix]:  # type: ignore[type-arg]
    """The outcome of a file whose worker died: an error for that file (it was written
    atomically or not at all)."""
    number, path = task[0], task[1]
    return number, FileFix(path, "", "", error=FileError(path, reason))


def _fix_task(linter: "Linter", task: tuple) -> tuple[int, FileFix]:  # type: ignore[type-arg]
    number, path, unsafe, write, findings, checked_at = task
    return number, fix_file(linter, path, unsafe, write, findings, checked_at)


def fix_file(linter: "Linter", path: str, unsafe: bool = False, write: bool = True,
             findings: "list[Finding] | None" = None, checked_at: int | None = None) -> FileFix:
    """Read, fix and (with ``write``) atomically rewrite one file; never raises."""
    try:
        return _fix_file(linter, path, unsafe, write, findings, checked_at)
    except Exception as exc:  # noqa: BLE001 - one file never ends the run
        from portlint.contain import file_failure

        return FileFix(path, "", "", error=file_failure(path, exc, "fix"))


def _fix_file(linter: "Linter", path: str, unsafe: bool, write: bool,
              findings: "list[Finding] | None" = None, checked_at: int | None = None) -> FileFix:
    import os

    from portlint.kinds import kind_of_file
    from portlint.writer import WriteError, check_round_trip, encode_text, write_atomic

    kind = kind_of_file(path)
    if kind not in (None, "python"):  # notebooks, scripts, configs ... (portlint/kinds)
        from portlint.kinds.fixing import fix_file as fix_other_kind

        return fix_other_kind(linter, path, kind, unsafe, write)
    try:
        data, source = read_source(path, linter.settings.max_file_size)
        check_round_trip(data, source.encoding)
    except (SourceError, WriteError) as exc:
        return FileFix(path, "", "", error=FileError(path, str(exc)))
    if findings is not None and (checked_at is None or os.stat(path).st_mtime_ns >= checked_at):
        findings = None  # changed since it was checked (or no check time): lint it again
    outcome = fix_text(source.text, linter, path, unsafe, findings)
    outcome.encoding = source.encoding
    if outcome.changed and write:
        try:
            write_atomic(path, encode_text(outcome.text, source.encoding))
        except WriteError as exc:
            return FileFix(path, outcome.original, outcome.original, remaining=outcome.remaining,
                           error=FileError(path, f"cannot write the fixed file: {exc}"), encoding=source.encoding)
    return outcome


def summary_lines(run: FixRun, diff: bool = False) -> list[str]:
    """``Fixed 5 issues in 2 files (3 remaining); 2 more with --unsafe-fixes.``"""
    applied = run.applied
    files = len(run.changed_files)
    verb = "Would apply" if diff else "Fixed"
    plural = "fix" if applied == 1 else "fixes"
    if diff:
        text = f"{verb} {applied} {plural} in {files} file{'s' if files != 1 else ''}"
    else:
        text = f"{verb}: {applied} {plural} applied in {files} file{'s' if files != 1 else ''}"
    text += f" ({len(run.report.findings)} finding{'s' if len(run.report.findings) != 1 else ''} remaining)."
    lines = [text]
    more = run.unsafe_available
    if more:
        lines.append(f"{more} more fix{'es' if more != 1 else ''} available with --unsafe-fixes.")
    return lines


def show_fixes_lines(run: FixRun) -> list[str]:
    """Per file: how many fixes of each rule were applied."""
    lines = []
    for outcome in run.files:
        if not outcome.changed or not outcome.applied:
            continue
        lines.append(f"Fixed in {printable(outcome.path)}:")
        counts: dict[tuple[str, str], int] = {}
        for finding in outcome.applied:
            key = (finding.code, finding.rule)
            counts[key] = counts.get(key, 0) + 1
        for (code, name), count in sorted(counts.items()):
            lines.append(f"  {count} \u00d7 {code} ({name})")
    return lines


# --------------------------------------------------------------------------- stats and examples


def fix_stats(rules: list, min_torch: tuple[int, ...]) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Per target: rules grouped by the fix they get under ``min_torch``.

    ``safe``: every matcher has a code fix and all are safe; ``unsafe``: every matcher has a
    code fix, some unsafe; ``partial``: some matchers have a code fix, others only advice;
    ``none``: no code fix at all (the reason is the first matcher's advice).
    """
    from portlint.index import _choose_fix
    from portlint.rules import TARGETS

    stats: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for target in TARGETS:
        groups: dict[str, list[tuple[str, str]]] = {"safe": [], "unsafe": [], "partial": [], "none": []}
        for rule in rules:
            if target not in rule.targets:
                continue
            plans = [_choose_fix(m, target, min_torch).fix for m in rule.matchers]
            coded = [p for p in plans if p is not None and p.replacement is not None]
            if coded and len(coded) == len(plans):
                group = "unsafe" if any(p.applicability == "unsafe" for p in coded) else "safe"
                groups[group].append((rule.code, ""))
            elif coded:
                groups["partial"].append((rule.code, ""))
            else:
                reasons = [p.hint for p in plans if p is not None and p.hint]
                reason = reasons[0] if reasons else "no portable equivalent"
                groups["none"].append((rule.code, reason))
        stats[target] = groups
    return stats


def render_stats(stats: dict[str, dict[str, list[tuple[str, str]]]]) -> str:
    lines = []
    for target, groups in stats.items():
        total = sum(len(v) for v in groups.values())
        lines.append(f"{target}: {total} rules: {len(groups['safe'])} safe fix, {len(groups['unsafe'])} unsafe fix, "
                     f"{len(groups['partial'])} partly fixable, {len(groups['none'])} no fix")
        for key in ("safe", "unsafe", "partial"):
            if groups[key]:
                lines.append(f"  {key}: {', '.join(code for code, _ in groups[key])}")
        for code, reason in groups["none"]:
            lines.append(f"  no fix {code}: {reason}")
    return "\n".join(lines) + "\n"


EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


def example_sources(examples: Path = EXAMPLES_DIR) -> list[Path]:
    """Every example program: ``examples/**/*.py`` except ``examples/fixed/``."""
    if not examples.is_dir():
        return []
    return sorted(p for p in examples.rglob("*.py")
                  if "fixed" not in p.relative_to(examples).parts[:1] and "__pycache__" not in p.parts)


def fixed_example_text(path: Path, target: str, linter: "Linter | None" = None) -> str:
    """The checked-in fixed form of one example: every fix applied, unsafe ones included."""
    if linter is None:
        linter = example_linter(target)
    source = decode_source(path.read_bytes())
    outcome = fix_text(source.text, linter, str(path), unsafe=True)
    if outcome.error is not None:
        raise RuntimeError(f"{path}: {outcome.error.reason}")
    return outcome.text


def example_linter(target: str) -> "Linter":
    from portlint.config import Settings
    from portlint.engine import Linter

    return Linter.from_settings(Settings(target=target))


def regen_examples(examples: Path = EXAMPLES_DIR) -> list[Path]:
    """Write ``examples/fixed/<target>/<relative path>`` for every example; return them."""
    from portlint.rules import TARGETS

    written = []
    for target in TARGETS:
        linter = example_linter(target)
        for path in example_sources(examples):
            out = examples / "fixed" / target / path.relative_to(examples)
            out.parent.mkdir(parents=True, exist_ok=True)
            text = fixed_example_text(path, target, linter)
            source = decode_source(path.read_bytes())
            out.write_bytes(text.encode(source.encoding))
            written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m portlint.fixer",
                                     description="Fixer maintenance: statistics and the fixed examples.")
    parser.add_argument("--stats", action="store_true", help="rules with a safe, unsafe or no fix, per target")
    parser.add_argument("--min-torch", default=None, help="min-torch for --stats (default: the project default)")
    parser.add_argument("--regen-examples", action="store_true",
                        help="rewrite examples/fixed/{agnostic,npu}/ from examples/")
    args = parser.parse_args(argv)
    if not (args.stats or args.regen_examples):
        parser.print_usage(sys.stderr)
        return 2
    if args.stats:
        from portlint.config import DEFAULT_MIN_TORCH
        from portlint.rules import default_ruleset_files, load_rulesets
        from portlint.versions import parse_version

        try:
            version = parse_version(args.min_torch or DEFAULT_MIN_TORCH)
        except ValueError as exc:
            sys.stderr.write(f"portlint: error: --min-torch: {exc}\n")
            return 2
        rules = load_rulesets(default_ruleset_files()).rules
        sys.stdout.write(render_stats(fix_stats(rules, version)))
    if args.regen_examples:
        for path in regen_examples():
            sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
