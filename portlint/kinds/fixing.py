"""``portlint fix`` for the files that are not Python modules.

* Text kinds (scripts, Dockerfiles, requirements, configs): the findings' replacements are
  spliced in (the same offset and overlap rules as the Python fixer), the file is checked
  again, until nothing applicable remains. There is no parser to verify against: every
  replacement is a name or value swapped for another (``CUDA_VISIBLE_DEVICES`` ->
  ``ASCEND_RT_VISIBLE_DEVICES``, ``nccl`` -> ``hccl``), and a value is never moved across
  a line.
* Notebooks: see ``notebook.py``: the Python fixer (with its verification) on the virtual
  module, then the shell lines, then only the changed cells are written back.

Files are written like Python files: atomically, mode kept (``portlint/writer.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portlint.findings import FileError, Finding
from portlint.fixer import MAX_ROUNDS, FileFix, applicable, first_newline, select_edits, splice, to_edits, fix_text
from portlint.kinds import HANDLERS, decode, notebook
from portlint.source import SourceError, read_bytes

if TYPE_CHECKING:
    from portlint.engine import Linter
    from portlint.fixedits import TextEdit


def fix_document(text: str, linter: "Linter", path: str, kind: str, unsafe: bool = False) -> FileFix:
    """Fix one decoded file of ``kind`` (Python goes to the Python fixer)."""
    if kind == "python":
        return fix_text(text, linter, path, unsafe)
    try:
        if kind == "notebook":
            return _fix_notebook(text, linter, path, unsafe)
        return _fix_plain(text, linter, path, kind, unsafe)
    except SourceError as exc:
        return FileFix(path, text, text, error=FileError(path, str(exc)))


def fix_file(linter: "Linter", path: str, kind: str, unsafe: bool = False, write: bool = True) -> FileFix:
    from portlint.writer import WriteError, write_atomic

    try:
        data = read_bytes(path, linter.settings.max_file_size)  # regular files only, size-capped
        text = decode(data)
    except SourceError as exc:
        return FileFix(path, "", "", error=FileError(path, str(exc)))
    outcome = fix_document(text, linter, path, kind, unsafe)
    if outcome.changed and write:
        bom = "\ufeff".encode() if data.startswith(b"\xef\xbb\xbf") else b""
        try:
            write_atomic(path, bom + outcome.text.encode("utf-8"))
        except WriteError as exc:
            return FileFix(path, outcome.original, outcome.original, remaining=outcome.remaining,
                           error=FileError(path, f"cannot write the fixed file: {exc}"))
    return outcome


def single_text_fix(text: str, finding: Finding) -> "list[TextEdit] | None":
    """A script's or config's finding fixed alone: its replacement at its span (None: no
    code fix). Notebook findings (lines inside cells) have none here."""
    from portlint.fixedits import TextEdit

    fix = finding.fix
    if fix is None or fix.replacement is None or fix.applicability not in ("safe", "unsafe") or finding.cell:
        return None
    edits = to_edits(text, [finding], first_newline(text))
    return [TextEdit(edit.start, edit.end, edit.text) for edit in edits] or None


def _check(text: str, linter: "Linter", path: str, kind: str) -> list[Finding]:
    from importlib import import_module

    from portlint.engine import check_text

    handler = import_module(f"portlint.kinds.{HANDLERS[kind]}")
    findings = handler.check(text, path, linter.index, kind=kind, check_python=check_text) or []
    return linter._apply_per_file_ignores(path, findings)


def _fix_plain(text: str, linter: "Linter", path: str, kind: str, unsafe: bool) -> FileFix:
    original = text
    applied: list[Finding] = []
    findings = _check(text, linter, path, kind)
    newline = first_newline(text)
    for _ in range(MAX_ROUNDS):
        edits = select_edits(to_edits(text, [f for f in findings if applicable(f, unsafe)], newline))
        if not edits:
            break
        text, _ = splice(text, edits)
        applied.extend(edit.finding for edit in edits)
        findings = _check(text, linter, path, kind)
    return FileFix(path, original, text, applied=applied, remaining=findings)


def _fix_notebook(text: str, linter: "Linter", path: str, unsafe: bool) -> FileFix:
    cells = notebook.read_cells(text, with_spans=True)
    virtual = notebook.build(cells)
    outcome = fix_text(virtual.text, linter, path, unsafe)
    remaining_before = _check(text, linter, path, "notebook")
    if outcome.error is not None:
        return FileFix(path, text, text, remaining=remaining_before, error=outcome.error,
                       internal_error=outcome.internal_error)
    try:
        texts = notebook.split(outcome.text, virtual)
    except ValueError as exc:
        error = FileError(path, f"internal error: fixes were not applied ({exc}); please report this")
        return FileFix(path, text, text, remaining=remaining_before, error=error, internal_error=True)
    applied = [notebook.to_cell(f, virtual) for f in outcome.applied]
    # The shell inside the cells (`!` lines, %env): plain replacements, cell by cell.
    fixed_cells = [notebook.Cell(cell.number, texts[cell.number], cell.node) for cell in cells]
    shell_findings = notebook.magic_findings(fixed_cells, notebook.build(fixed_cells), path, linter.index)
    shell_findings = linter._apply_per_file_ignores(path, shell_findings)
    for cell in fixed_cells:
        mine = [f for f in shell_findings if f.cell == cell.number and applicable(f, unsafe)]
        edits = select_edits(to_edits(cell.text, mine, "\n"))
        if edits:
            texts[cell.number], _ = splice(cell.text, edits)
            applied.extend(edit.finding for edit in edits)
    new = notebook.rewrite(text, cells, texts)
    remaining = _check(new, linter, path, "notebook") if new != text else remaining_before
    return FileFix(path, text, new, applied=applied, remaining=remaining)
