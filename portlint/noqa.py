"""``# noqa`` suppression, compatible with flake8 and ruff.

* ``# noqa`` on a flagged line suppresses every finding on it;
* ``# noqa: PRT101, PRT4`` suppresses those codes or code prefixes;
* ``# portlint: noqa`` on a line of its own exempts the whole file.

A finding that spans several lines may carry its comment on its first or last line.
"""

from __future__ import annotations

import re

from portlint.findings import Finding

_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?", re.IGNORECASE)
_FILE_EXEMPT = re.compile(r"^\s*#\s*portlint:\s*noqa\s*$", re.IGNORECASE | re.MULTILINE)
_SPLIT = re.compile(r"[\s,]+")

ALL = frozenset({"*"})


def file_is_exempt(text: str) -> bool:
    return "noqa" in text and _FILE_EXEMPT.search(text) is not None


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
    return frozenset(code.upper() for code in _SPLIT.split(codes.strip()) if code)


def is_suppressed(finding: Finding, lines: list[str]) -> bool:
    for number in {finding.line, finding.end_line}:
        if 0 < number <= len(lines):
            codes = noqa_codes(lines[number - 1])
            if codes is not None and (codes is ALL or any(finding.code.startswith(c) for c in codes)):
                return True
    return False


def filter_suppressed(findings: list[Finding], text: str) -> list[Finding]:
    if not findings or "noqa" not in text:
        return findings
    lines = re.split(r"\r\n|\r|\n", text)
    return [finding for finding in findings if not is_suppressed(finding, lines)]
