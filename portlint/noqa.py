"""``# noqa`` suppression, compatible with flake8 and ruff.

* ``# noqa`` on a flagged line suppresses every finding on it;
* ``# noqa: PRT101, PRT4`` suppresses those codes or code prefixes;
* ``# portlint: noqa`` on a line of its own exempts the whole file;
* ``# portlint: noqa: PRT404, PRT7`` on a line of its own suppresses those codes in the
  whole file.

A finding that spans several lines may carry its comment on its first or last line.

The unused-``noqa`` rule (``[[rule.noqa]]`` in the rulesets, like ruff's RUF100) reports a
code in a ``# noqa`` that suppresses nothing on its line (or, for a file-level directive, in
the file) and a code that looks like portlint's but names no rule. Only codes of enabled
rules and codes in the rulesets' own namespaces (``PRT``...) are judged: other linters'
codes (``E501``) and the codes of rules this configuration does not run are left alone.
Its safe fix removes the unused codes, or the whole comment when nothing else is left.

``--add-noqa`` (:func:`add_noqa_to_files`) records today's findings as ``# noqa: CODE``
comments.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from portlint.findings import Finding, Fix

if TYPE_CHECKING:
    from portlint.index import RuleIndex

_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?", re.IGNORECASE)
_FILE_EXEMPT = re.compile(r"^\s*#\s*portlint:\s*noqa\s*$", re.IGNORECASE | re.MULTILINE)
_FILE_CODES = re.compile(r"^[ \t]*#[ \t]*portlint:[ \t]*noqa:[ \t]*(?P<codes>[A-Z]+[0-9]*(?:(?:[ \t]*,[ \t]*|[ \t]+)[A-Z]+[0-9]*)*)[ \t]*$",
                         re.IGNORECASE | re.MULTILINE)
_SPLIT = re.compile(r"[\s,]+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NAMESPACE = re.compile(r"^[A-Z]+")

ALL = frozenset({"*"})


# Where any directive may be: `#`, blanks, maybe `portlint:` and blanks, then `noqa`, in any case
# (Unicode case-insensitive matching, as the patterns above: only `i` has other forms, `İ` and
# `ı`). Written as character classes, the search starts at each `#` (the engine's fast literal
# scan): faster than `"noqa" in text`, which would also miss `# NOQA`.
_MENTION = re.compile(r"#\s*(?:[pP][oO][rR][tT][lL][iIİı][nN][tT]:\s*)?[nN][oO][qQ][aA]")


def mentions_noqa(text: str) -> bool:
    """False only when no line of ``text`` can hold a noqa directive (in any case)."""
    return _MENTION.search(text) is not None


def file_is_exempt(text: str) -> bool:
    if not mentions_noqa(text):
        return False
    # (The pattern, case-insensitive, has no fast search for its letters: an ASCII text without
    # "portlint" in any case is ruled out by a search of the lower-cased text first.)
    if text.isascii() and "portlint" not in text.lower():
        return False
    return _FILE_EXEMPT.search(text) is not None


def _split_codes(codes: str) -> frozenset[str]:
    return frozenset(code.upper() for code in _SPLIT.split(codes.strip()) if code)


def noqa_codes(line: str) -> frozenset[str] | None:
    """The codes a line's noqa comment names (``ALL`` for a bare ``# noqa``), else None."""
    if "#" not in line:
        return None
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return ALL
    return _split_codes(codes)


def file_codes(text: str) -> frozenset[str]:
    """The codes of the file-level ``# portlint: noqa: CODE[,CODE]`` directives."""
    if "portlint" not in text.lower():
        return frozenset()
    return frozenset().union(*(_split_codes(m.group("codes")) for m in _FILE_CODES.finditer(text)))


def _covers(codes: Iterable[str], code: str) -> list[str]:
    return [c for c in codes if code.startswith(c)]


def _is_suppressed(finding: Finding, lines: dict[int, str], whole_file: frozenset[str] = frozenset()) -> bool:
    """``lines``: the lines that hold "noqa" (``noqa_lines``), by number."""
    if _covers(whole_file, finding.code):
        return True
    for number in {finding.line, finding.end_line}:
        line = lines.get(number)
        if line is not None:
            codes = noqa_codes(line)
            if codes is not None and (codes is ALL or any(finding.code.startswith(c) for c in codes)):
                return True
    return False


def filter_suppressed(findings: list[Finding], text: str) -> list[Finding]:
    if not findings or not mentions_noqa(text):
        return findings
    return _unsuppressed(findings, text, dict(noqa_lines(text)))


def _unsuppressed(findings: list[Finding], text: str, lines: dict[int, str]) -> list[Finding]:
    if not findings:
        return findings
    whole_file = file_codes(text)
    return [finding for finding in findings if not _is_suppressed(finding, lines, whole_file)]


_NOQA_WORD = re.compile("noqa", re.IGNORECASE)


def noqa_lines(text: str) -> list[tuple[int, str]]:
    """The lines that hold "noqa" in any case, as (1-based number, line), in order: lines
    end at ``\r\n``, ``\r`` or ``\n`` (as ``_LINE_BREAK`` splits them). Found from the
    occurrences, without splitting the whole text (in ASCII text, by a search of the
    lower-cased text: a case-insensitive pattern has no fast search for its letters)."""
    found: list[tuple[int, str]] = []
    lowered = text.lower() if text.isascii() else None  # (same positions)
    number, counted, end = 1, 0, 0  # the number of the line starting at `counted`
    find, rfind, count = text.find, text.rfind, text.count
    while True:
        if lowered is not None:
            at = lowered.find("noqa", end)
        else:
            hit = _NOQA_WORD.search(text, end)
            at = -1 if hit is None else hit.start()
        if at < 0:
            return found
        start = max(rfind("\n", 0, at), rfind("\r", 0, at)) + 1
        number += count("\n", counted, start) + count("\r", counted, start) - count("\r\n", counted, start)
        counted = start
        ends = [position for position in (find("\n", at), find("\r", at)) if position >= 0]
        end = min(ends) if ends else len(text)
        found.append((number, text[start:end]))


# --------------------------------------------------------------------------- unused noqa


_WORD = re.compile(r"\w+")
_SEPARATOR = re.compile(r"[ \t]*,[ \t]*|[ \t]+")
_CODE_WORD = re.compile(r"[A-Za-z]+[0-9]*\b")


@dataclass(frozen=True)
class _Directive:
    line: int  # 1-based
    start: int  # 0-based column of '#'
    codes_start: int  # column where the codes start
    end: int  # end column of the codes
    written: tuple[tuple[str, str], ...]  # (separator before, code) as written, in order
    file_level: bool

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code.upper() for _, code in self.written)


def _directives(lines: list[tuple[int, str]]) -> list[_Directive]:
    """The directives on these lines (``noqa_lines``)."""
    found = []
    for number, line in lines:
        if "noqa" not in line.lower() or "#" not in line:
            continue
        file_level = _FILE_CODES.match(line)
        match = file_level or _NOQA.search(line)
        if match is None or not match.group("codes"):
            continue
        # Whole words (a misspelt "PRT4O4" is one code, not PRT4), separated as written.
        written, position, separator = [], match.start("codes"), ""
        while True:
            word = _WORD.match(line, position)
            assert word is not None
            written.append((separator, word.group(0)))
            position = word.end()
            gap = _SEPARATOR.match(line, position)
            if gap is None or _CODE_WORD.match(line, gap.end()) is None:
                break
            separator, position = gap.group(0), gap.end()
        start = line.index("#") if file_level else match.start()
        found.append(_Directive(number, start, match.start("codes"), position, tuple(written), file_level is not None))
    return found


def suppress(findings: list[Finding], text: str, path: str, index: "RuleIndex") -> list[Finding]:
    """The findings no ``noqa`` suppresses, plus the unused-noqa findings (when that rule is
    enabled)."""
    if not mentions_noqa(text):
        return findings
    lines = dict(noqa_lines(text))  # (once, for both)
    kept = _unsuppressed(findings, text, lines)
    rule = index.unused_noqa
    if rule is None:
        return kept
    directives = _directives(list(lines.items()))
    if not directives:
        return kept
    enabled = {r.code for r in index.rules}
    namespaces = {found.group(0) for found in map(_NAMESPACE.match, index.known_codes) if found}
    kept_ids = {id(f) for f in kept}
    suppressed = [f for f in findings if id(f) not in kept_ids]
    unused_findings = []
    for directive in directives:
        if rule.code in directive.codes:
            continue  # `# noqa: <this rule>` keeps the directive as it is
        relevant = suppressed if directive.file_level else [
            f for f in suppressed if directive.line in (f.line, f.end_line)]
        unused, unknown = [], []
        for code in directive.codes:
            namespace = _NAMESPACE.match(code)
            if namespace is None or namespace.group(0) not in namespaces:
                continue  # another tool's code
            covered = [known for known in index.known_codes if known.startswith(code)]
            if not covered:
                unknown.append(code)
            elif all(known in enabled for known in covered) and not any(f.code.startswith(code) for f in relevant):
                unused.append(code)  # only judged when every rule it names runs here
        if unused or unknown:
            unused_findings.append(_finding(rule, index, path, lines, directive, unused, unknown))
    if not unused_findings:
        return kept
    return kept + _unsuppressed(unused_findings, text, lines)


def _finding(rule, index: "RuleIndex", path: str, lines: dict[int, str], directive: _Directive,
             unused: list[str], unknown: list[str]) -> Finding:
    line = lines[directive.line]
    stale = set(unused) | set(unknown)
    left = [(separator, code) for separator, code in directive.written if code.upper() not in stale]
    start, end = directive.start, directive.end
    if left:  # drop the stale codes, keep the others as written
        start = directive.codes_start
        replacement = left[0][1] + "".join(separator + code for separator, code in left[1:])
    elif directive.file_level:
        start, end, replacement = 0, len(line), ""  # the line stays, empty
    else:
        start = len(line[:start].rstrip())  # the whole comment, and the spaces before it
        rest = line[end:].rstrip()
        replacement = ("  #" if start else "#") + rest if rest.strip() else ""  # keep a reason after the codes
        end = len(line.rstrip())
    parts = []
    if unused:
        parts.append(f"unused: {', '.join(unused)}")
    if unknown:
        parts.append(f"unknown: {', '.join(unknown)}")
    name = "; ".join(parts)
    plan = index.fix_for(rule.matchers[0])
    option = plan.fix
    fix = Fix(replacement, None, option.applicability if option and option.replacement is not None else "safe", "any")
    return Finding(code=rule.code, rule=rule.name, message=rule.message.format(name=name), path=path,
                   line=directive.line, column=start + 1, end_line=directive.line, end_column=end + 1,
                   target=index.target, severity=rule.severity, fix=fix, matched=line[directive.start:directive.end])


# --------------------------------------------------------------------------- --add-noqa


def commentable_lines(text: str) -> set[int] | None:
    """The 1-based lines that can take a trailing comment: not ending inside a string
    (multi-line strings and f-strings, replacement fields included), not continued with a
    backslash. None when the text does not tokenize."""
    blocked: set[int] = set()
    open_fstrings: list[int] = []  # start lines of the f-strings being read (3.12+ tokens)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            kind = tokenize.tok_name[token.type]
            if kind == "FSTRING_START":
                open_fstrings.append(token.start[0])
            elif kind == "FSTRING_END" and open_fstrings:
                blocked.update(range(open_fstrings.pop(), token.end[0]))
            elif token.type == tokenize.STRING:
                blocked.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    lines = _LINE_BREAK.split(text)
    return {n for n, line in enumerate(lines, 1) if n not in blocked and not line.rstrip().endswith("\\")}


NO_COMMENTS = ("json", "cuda", "notebook")  # kinds a `# noqa` comment would break (or cannot be in)


def noqa_edits(text: str, findings: Iterable[Finding],
               kind: str = "python") -> tuple[list[tuple[int, int, str]], list[Finding]]:
    """The edits that add ``# noqa: CODE`` comments suppressing ``findings`` (character
    offsets ``(start, end, new text)``, at most one per line, in order), and the findings
    no line of which can take a comment. Each finding's comment goes on its first line, or
    its last when the first cannot take one; codes join a ``# noqa: ...`` already there; a
    bare ``# noqa`` already suppresses everything. ``kind``: the file's (``portlint.kinds``):
    none in JSON, notebooks or CUDA C++; in scripts and configs any line not continued with
    a backslash. ``--add-noqa`` and the language server's "add noqa" action both use this."""
    findings = list(findings)
    if kind in NO_COMMENTS:
        return [], findings
    if kind == "python":
        allowed = commentable_lines(text)
    else:
        allowed = {n for n, line in enumerate(_LINE_BREAK.split(text), 1) if not line.rstrip().endswith("\\")}
    if allowed is None:
        return [], findings
    wanted: dict[int, set[str]] = {}
    skipped = []
    for finding in findings:
        line = next((n for n in (finding.line, finding.end_line) if n in allowed), None)
        if line is None:
            skipped.append(finding)
            continue
        wanted.setdefault(line, set()).add(finding.code)
    starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]
    edits = []
    for number, codes in sorted(wanted.items()):
        start = starts[number - 1]
        line = text[start:starts[number] if number < len(starts) else len(text)].rstrip("\r\n")
        match = _NOQA.search(line) if "#" in line else None
        if match is not None and match.group("codes"):
            present = _split_codes(match.group("codes"))
            new = sorted(codes - present)
            if new:
                edits.append((start + match.end("codes"), start + match.end("codes"), ", " + ", ".join(new)))
        elif match is None:
            end = start + len(line.rstrip())
            edits.append((end, end, "  # noqa: " + ", ".join(sorted(codes))))
    return edits, skipped


def add_noqa(text: str, findings: list[Finding], kind: str = "python") -> tuple[str, int, list[Finding]]:
    """(text with ``# noqa: CODE`` comments for ``findings``, directives added or extended,
    findings that could not get one)."""
    edits, skipped = noqa_edits(text, findings, kind)
    for start, end, new in reversed(edits):
        text = text[:start] + new + text[end:]
    return text, len(edits), skipped


def add_noqa_to_files(findings: list[Finding]) -> tuple[int, int, list[str]]:
    """Add noqa comments for ``findings`` to their files, atomically, keeping each file's
    encoding and line endings; (directives added, files changed, one-line problems)."""
    from portlint.source import SourceError, read_source
    from portlint.writer import WriteError, encode_text, write_atomic

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    added = files = 0
    problems = []
    for path, its in sorted(by_path.items()):
        try:
            _, source = read_source(path)
        except SourceError as exc:
            problems.append(f"{path}: {exc}")
            continue
        from portlint.kinds import kind_of_text

        text, count, skipped = add_noqa(source.text, its, kind_of_text(path, source.text))
        for finding in skipped:
            problems.append(f"{path}:{finding.line}: no line of this {finding.code} finding can take a comment "
                            "(inside a string or after a backslash); not suppressed")
        if count:
            try:
                write_atomic(path, encode_text(text, source.encoding))
            except WriteError as exc:
                problems.append(f"{path}: cannot write: {exc}")
                continue
            added += count
            files += 1
    return added, files, problems
