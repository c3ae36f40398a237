"""Complete fixes as text edits: what ``portlint fix`` does to a file, split per finding.

A finding's ``Fix.replacement`` covers only its own span; ``portlint fix`` also adds imports,
removes the ones its fixes left unused and inserts the ``DEVICE = ...`` definition. The
machine formats (JSON, SARIF) and the language server need every one of those edits, and
exactly the ones the fixer makes, so they are derived from the fixer's real output:

1. run the fixer on the file (``fix_text``: the same rounds, imports and verification as
   ``portlint fix``);
2. diff the original against the fixed text into minimal replacements (``diff_edits``);
3. give each fixed finding the edits that touch its span, plus the file-level edits that
   touch no finding (imports, definitions).

Applying the edits of all of a file's fixed findings (each distinct edit once) therefore
gives exactly ``portlint fix``'s output. ``single_fix`` is the other use: the edits that fix
one finding alone (the language server's quick fix), from one fixer round on that finding.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from portlint.findings import Finding
from portlint.fixer import line_starts

if TYPE_CHECKING:
    from portlint.engine import Linter, Report
    from portlint.workspace import Workspace


@dataclass(frozen=True)
class TextEdit:
    """Replace ``[start, end)`` (character offsets in the original text) with ``text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Span:
    """A range as 1-based line and character column (end exclusive), as findings have."""

    line: int
    column: int
    end_line: int
    end_column: int


class Positions:
    """Offsets <-> 1-based (line, column) in a text, lines split as the fixer splits them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)

    def offset(self, line: int, column: int) -> int | None:
        if not 0 < line <= len(self.starts):
            return None
        offset = self.starts[line - 1] + column - 1
        return offset if 0 <= offset <= len(self.text) else None

    def position(self, offset: int) -> tuple[int, int]:
        import bisect

        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def span(self, edit: TextEdit) -> Span:
        return Span(*self.position(edit.start), *self.position(edit.end))

    def lines(self) -> list[str]:
        ends = [*self.starts[1:], len(self.text)]
        return [self.text[a:b] for a, b in zip(self.starts, ends) if a < b or a == 0]


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits (each distinct edit once) to ``text``; an insertion goes
    before an edit that starts at the same offset."""
    parts, position = [], 0
    for edit in sorted(dict.fromkeys(edits), key=lambda e: (e.start, e.end)):
        if edit.start < position:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        parts += [text[position:edit.start], edit.text]
        position = edit.end
    parts.append(text[position:])
    return "".join(parts)


# --------------------------------------------------------------------------- diffing


def diff_edits(old: str, new: str) -> list[TextEdit]:
    """Minimal replacements that turn ``old`` into ``new``: a line diff, each changed line
    (or block of lines) trimmed to the characters that differ."""
    if old == new:
        return []
    old_at = Positions(old)
    new_at = Positions(new)
    old_lines, new_lines = old_at.lines(), new_at.lines()
    edits: list[TextEdit] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for a1, a2, b1, b2 in _pair_lines(old_lines, i1, i2, new_lines, j1, j2):
            start = old_at.starts[a1] if a1 < len(old_at.starts) else len(old)
            end = _line_end(old_at, a2, old)
            new_start = new_at.starts[b1] if b1 < len(new_at.starts) else len(new)
            new_end = _line_end(new_at, b2, new)
            edit = _trimmed(old, start, end, new[new_start:new_end])
            if edit is None:
                continue
            if edits and edits[-1].start == edits[-1].end == edit.start:  # two insertions at one point
                edit = TextEdit(edit.start, edit.end, edits.pop().text + edit.text)
            edits.append(edit)
    return edits


def _pair_lines(old: list[str], i1: int, i2: int, new: list[str], j1: int, j2: int):
    """Split a changed block into (old lines, new lines) pieces: as many lines on both sides:
    line by line; else each old line paired with the next new line that resembles it (a line
    changed in place), the new lines between them inserted, an old line without one deleted."""
    if i2 - i1 == j2 - j1:
        yield from ((i1 + k, i1 + k + 1, j1 + k, j1 + k + 1) for k in range(i2 - i1))
        return
    j = j1
    for i in range(i1, i2):
        for k in range(j, j2):
            if _resemble(old[i], new[k]):
                if k > j:
                    yield i, i, j, k  # inserted lines
                yield i, i + 1, k, k + 1
                j = k + 1
                break
        else:
            yield i, i + 1, j, j  # deleted line
    if j < j2:
        yield i2, i2, j, j2


def _resemble(a: str, b: str) -> bool:
    """The same line, edited: same start (a statement's first 8 characters) or mostly alike."""
    a, b = a.strip(), b.strip()
    if a and a[:8] == b[:8]:
        return True
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.5


def _line_end(at: Positions, index: int, text: str) -> int:
    return at.starts[index] if index < len(at.starts) else len(text)


def _trimmed(old: str, start: int, end: int, replacement: str) -> TextEdit | None:
    """``old[start:end] -> replacement`` without the characters both share at either end."""
    removed = old[start:end]
    if removed == replacement:
        return None
    limit = min(len(removed), len(replacement))
    prefix = 0
    while prefix < limit and removed[prefix] == replacement[prefix]:
        prefix += 1
    while 0 < prefix and _splits_word(removed, replacement, prefix):  # whole names only
        prefix -= 1
    suffix = 0
    while suffix < limit - prefix and removed[-1 - suffix] == replacement[-1 - suffix]:
        suffix += 1
    while 0 < suffix and _splits_word(removed, replacement, -suffix):
        suffix -= 1
    return TextEdit(start + prefix, end - suffix, replacement[prefix:len(replacement) - suffix])


def _word(text: str, index: int) -> bool:
    return -len(text) <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _splits_word(a: str, b: str, cut: int) -> bool:
    """Whether cutting both strings at ``cut`` (counted from the end when negative) splits a
    name: the shared side of the cut is a name character, and so is one of the other sides."""
    before, after = cut - 1, cut
    shared, other = (after, before) if cut < 0 else (before, after)
    return _word(a, shared) and (_word(a, other) or _word(b, other))


# --------------------------------------------------------------------------- per finding


def finding_offsets(positions: Positions, finding: Finding) -> tuple[int, int] | None:
    start = positions.offset(finding.line, finding.column)
    end = positions.offset(finding.end_line, finding.end_column)
    if start is None or end is None or end < start:
        return None
    return start, end


def _touches(edit: TextEdit, span: tuple[int, int]) -> bool:
    start, end = span
    if edit.start == edit.end:  # an insertion: at or inside the span
        whole_lines = edit.text.endswith(("\n", "\r"))  # an import or definition line
        return start < edit.start < end or (not whole_lines and start <= edit.start <= end)
    return edit.start < end and start < edit.end or (start == end and edit.start <= start <= edit.end)


def split_per_finding(original: str, fixed: str, findings: Iterable[Finding]) -> dict[Finding, list[TextEdit]]:
    """The fixer's edit of one file (``original`` -> ``fixed``) shared out to ``findings``
    (the fixable ones): the edits touching each span, plus the file-level edits it needs.
    A finding none of whose span changed gets nothing (the fixer did not fix it).

    File-level edits touch no finding. What they add (imports, the ``DEVICE`` definition)
    goes to every fixed finding; what they only delete (an import the fixes left unused)
    goes to the findings that used a name it binds (else to all); when several did, each
    of them also gets the others' edits, so that one finding's fix applied alone does not
    remove an import the others still use. A line replaced
    as a whole (an unused import turned into ``import torch``) counts as a deletion and an
    insertion."""
    positions = Positions(original)
    spans = {f: s for f in findings if (s := finding_offsets(positions, f)) is not None}
    owned: dict[Finding, list[TextEdit]] = {f: [] for f in spans}
    defines = {d.strip() for f in spans for d in (f.fix.defines if f.fix else ())}
    sharing: list[list[Finding]] = []  # the findings that use a name of one deleted import
    for edit in _whole_line_parts(original, diff_edits(original, fixed), spans.values()):
        owners = [f for f, span in spans.items() if _touches(edit, span)]
        if not owners and not edit.text:
            users = _users(original, edit, spans)
            if len(users) > 1:
                sharing.append(users)
            owners = users or list(spans)
        elif not owners and not _file_level(edit.text, defines):  # e.g. an `if` the fix wraps around
            line = positions.position(edit.start)[0]
            owners = ([f for f in spans if f.line == line] or [f for f in spans if f.end_line == line - 1])
        for finding in owners or spans:
            owned[finding].append(edit)
    own_spans = {f for f, edits in owned.items() if any(_touches(e, spans[f]) for e in edits)}
    for group in _groups(sharing):
        # An import the fixes of several findings leave unused can go only with all of its
        # uses: each of them gets the others' edits too (applied alone, it fixes them all;
        # applied together, each distinct edit once, nothing changes).
        together = list(dict.fromkeys(e for f in group for e in owned[f]))
        for finding in group:
            owned[finding] = together
    return {f: sorted(edits, key=lambda e: (e.start, e.end)) for f, edits in owned.items() if f in own_spans}


def _groups(sharing: list[list[Finding]]) -> list[list[Finding]]:
    """The findings linked by sharing a deleted import, transitively, as groups."""
    groups: list[list[Finding]] = []
    for users in sharing:
        merged = list(users)
        rest = []
        for group in groups:
            if any(f in merged for f in group):
                merged += [f for f in group if f not in merged]
            else:
                rest.append(group)
        groups = [*rest, merged]
    return groups


def _file_level(inserted: str, defines: set[str]) -> bool:
    """Whether inserted lines are only imports, module-level definitions and blank lines."""
    return all(not line.strip() or line.strip().startswith(("import ", "from ")) or line.strip() in defines
               for line in re.split(r"\r\n|\r|\n", inserted))


def _whole_line_parts(text: str, edits: list[TextEdit], spans: Iterable[tuple[int, int]]) -> list[TextEdit]:
    """A file-level edit that replaces whole lines' content by other content, as an
    insertion of the new lines followed by the deletion of the old ones."""
    spans = list(spans)
    result = []
    for edit in edits:
        newline = text[edit.end:edit.end + 2] if text[edit.end:edit.end + 2] == "\r\n" else text[edit.end:edit.end + 1]
        whole = (edit.start == 0 or text[edit.start - 1] in "\r\n") and newline in ("\n", "\r", "\r\n")
        if (whole and edit.text and edit.start < edit.end and not edit.text.endswith(("\n", "\r"))
                and not any(_touches(edit, span) for span in spans)):
            result += [TextEdit(edit.start, edit.start, edit.text + newline),
                       TextEdit(edit.start, edit.end + len(newline), "")]
        else:
            result.append(edit)
    return result


def _users(text: str, edit: TextEdit, spans: dict[Finding, tuple[int, int]]) -> list[Finding]:
    """The findings whose code uses a name the deleted text binds (``import ... [as] NAME``)."""
    removed = text[edit.start:edit.end]
    _, keyword, bound = removed.rpartition("import")
    items = (bound if keyword else removed).replace("(", " ").replace(")", " ").replace("\\", " ").split(",")
    names = {item.split(" as ")[-1].strip() for item in items} - {""}
    words = [re.compile(rf"\b{re.escape(name)}\b") for name in names if name.isidentifier()]
    return [f for f, (start, end) in spans.items() if any(w.search(text, start, end) for w in words)]


def single_fix(text: str, linter: "Linter", finding: Finding) -> list[TextEdit] | None:
    """The edits that fix ``finding`` alone, as one round of ``portlint fix`` makes them
    (its replacement, the imports and definitions it needs, verification); None when the
    fixer would not apply it."""
    from portlint import fixer
    from portlint.kinds import kind_of_text

    if kind_of_text(finding.path, text) != "python":  # a script or config: its replacement alone
        from portlint.kinds.fixing import single_text_fix

        return single_text_fix(text, finding)
    target = linter.settings.target
    edits = fixer.choose_edits(text, [finding], target)
    if not edits:
        return None
    try:
        fixed = fixer.apply_round(text, edits, target, fixer.first_newline(text))
        fixer.verify_cst(fixed)
    except fixer.FixVerificationError:
        return None
    return diff_edits(text, fixed)


def fix_all(text: str, linter: "Linter", path: str, unsafe: bool = False) -> list[TextEdit]:
    """Every edit ``portlint fix`` (``--unsafe-fixes``) makes to ``text`` (by the kind of ``path``)."""
    from portlint.kinds import fix_document

    outcome = fix_document(linter, text, path, unsafe)
    return diff_edits(outcome.original, outcome.text) if outcome.error is None else []


# --------------------------------------------------------------------------- a report


def complete_fixes(report: "Report", workspace: "Workspace", jobs: int | None = None,
                   texts: dict[str, str] | None = None) -> dict[Finding, list["PlacedEdit"]]:
    """For each finding of ``report`` that ``portlint fix`` fixes: its complete edits, placed
    in the original file. Safe fixes come from ``portlint fix``'s output, unsafe ones from
    ``portlint fix --unsafe-fixes``'s (each file with its own settings). ``texts``: the
    checked text of paths that are not (or not as checked) on disk, e.g. standard input."""
    from portlint.fixer import applicable

    result: dict[Finding, list[PlacedEdit]] = {}
    for unsafe in (False, True):
        # the findings to give edits to, and (in the unsafe run) the safe ones fixed alongside,
        # whose edits are theirs, not file-level edits
        # (notebook findings count lines per cell: no file-level edit can be placed for them)
        wanted = {f for f in report.findings
                  if applicable(f, unsafe) and not (unsafe and applicable(f)) and f.cell is None}
        paths = {finding.path for finding in wanted}
        by_path: dict[str, list[Finding]] = {}
        for finding in report.findings:
            if applicable(finding, unsafe) and finding.path in paths:
                by_path.setdefault(finding.path, []).append(finding)
        if not by_path:
            continue
        given = texts or {}
        on_disk = sorted(path for path in by_path if path not in given)
        outcomes = workspace.fix_paths(on_disk, unsafe=unsafe, write=False, jobs=jobs).files if on_disk else []
        outcomes += [workspace.fix_text(given[path], path, unsafe) for path in by_path if path in given]
        by_absolute = {os.path.abspath(path): its for path, its in by_path.items()}
        for outcome in outcomes:  # (discovery may spell a path differently: relative to the cwd)
            its = by_absolute.get(os.path.abspath(outcome.path))
            if outcome.error is None and its is not None:
                split = split_per_finding(outcome.original, outcome.text, its)
                result.update(place(outcome.original, {f: e for f, e in split.items() if f in wanted}))
    return result


def place(text: str, edits: dict[Finding, list[TextEdit]]) -> dict[Finding, list["PlacedEdit"]]:
    """The edits of each finding with their ranges as lines and columns of ``text``."""
    positions = Positions(text)
    return {finding: [PlacedEdit(positions.span(edit), edit.text) for edit in own] for finding, own in edits.items()}


@dataclass(frozen=True)
class PlacedEdit:
    """A ``TextEdit`` with its range as lines and columns of the original file."""

    span: Span
    text: str

    def to_dict(self) -> dict:
        s = self.span
        return {"line": s.line, "column": s.column, "end_line": s.end_line, "end_column": s.end_column,
                "content": self.text}
