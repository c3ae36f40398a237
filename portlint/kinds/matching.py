"""Occurrences found in non-Python files, matched against the rulesets' text matchers.

A handler reports what a file *does* as ``Occurrence`` values with offsets into the text:
an environment variable (``env``), a command word with its arguments (``command``), a
dependency (``requirement``), a package index (``index``), a container image (``image``)
or a config entry (``config-key``). This module is the one place that matches them against
the rules, builds the findings (message, fix) and applies the text prefilter.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterable

from portlint.findings import Fix, Finding
from portlint.index import RuleIndex
from portlint.noqa import file_is_exempt, filter_suppressed
from portlint.rules import Matcher

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIRST_MATCH_ONLY = frozenset({"env", "image", "index"})


@dataclass(frozen=True, slots=True)
class Occurrence:
    kind: str  # a text matcher kind
    value: str  # env name, command name, normalized requirement name, URL, image, config value
    start: int  # offsets of the value in the text
    end: int
    key: str = ""  # config-key: the last key
    path: str = ""  # config-key: the dotted key path
    extra: str = ""  # command: its arguments; requirement: the rest of the specifier
    extra_start: int = 0  # offset of ``extra`` in the text


def could_match(text: str, index: RuleIndex, kinds: Iterable[str]) -> bool:
    """The text prefilter: some needle of a text matcher of these kinds occurs (any case)."""
    lowered = text.lower()
    for kind in kinds:
        for matcher in index.text_matchers.get(kind, ()):
            if any(needle.lower() in lowered or _spelled(needle, lowered) for needle in matcher.needles):
                return True
    return False


def _spelled(needle: str, lowered: str) -> bool:
    # Requirement names are normalized: flash-attn is also written flash_attn or Flash.Attn.
    if "-" not in needle:
        return False
    return any(needle.lower().replace("-", sep) in lowered for sep in ("_", "."))


def find(occurrences: Iterable[Occurrence], text: str, path: str, index: RuleIndex) -> list[Finding]:
    """Findings of the occurrences (one per rule and span), ``noqa`` applied."""
    if file_is_exempt(text):
        return []
    lines = LineIndex(text)
    findings: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    for occurrence in occurrences:
        for matcher in index.text_matchers.get(occurrence.kind, ()):
            span = _match(matcher, occurrence)
            if span is None:
                continue
            key = (matcher.rule.code, *span)
            if key in seen:
                continue
            seen.add(key)
            sub_span = span != (occurrence.start, occurrence.end) and occurrence.kind == "command"
            name = text[span[0]:span[1]] if sub_span else occurrence.value
            findings.append(make_finding(matcher, index, path, lines, span, name))
            if occurrence.kind in _FIRST_MATCH_ONLY:
                break  # the most specific rule (lowest code) speaks for a name, as for literals
    return filter_suppressed(findings, text) if findings else findings


def _match(matcher: Matcher, occurrence: Occurrence) -> tuple[int, int] | None:
    kind = matcher.kind
    if kind == "config-key":
        assert matcher.key is not None
        if not matcher.key.fullmatch(occurrence.key):
            return None
        if matcher.path is not None and not matcher.path.search(occurrence.path):
            return None
        if matcher.value is not None and not matcher.value.fullmatch(occurrence.value):
            return None
        return occurrence.start, occurrence.end
    assert matcher.pattern is not None
    if kind == "env" and occurrence.extra == "script" and not matcher.script_variables:
        return None  # a variable of the script itself (shell.SCRIPT_VARIABLE)
    if kind in ("index", "image"):
        return (occurrence.start, occurrence.end) if matcher.pattern.search(occurrence.value) else None
    if not matcher.pattern.fullmatch(occurrence.value):
        return None
    extra = matcher.args if kind == "command" else matcher.version if kind == "requirement" else None
    if extra is None:
        return occurrence.start, occurrence.end
    found = extra.search(occurrence.extra)
    if found is None:
        return None
    return occurrence.extra_start + found.start(), occurrence.extra_start + found.end()


class LineIndex:
    """Offsets <-> 1-based lines and columns (``\\n``, ``\\r\\n`` and ``\\r`` end lines)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def make_finding(matcher: Matcher, index: RuleIndex, path: str, lines: LineIndex,
                 span: tuple[int, int], name: str) -> Finding:
    rule = matcher.rule
    matched = lines.text[span[0]:span[1]]
    line, column = lines.position(span[0])
    end_line, end_column = lines.position(span[1])
    message = (matcher.message or rule.message).replace("{name}", name)
    return Finding(code=rule.code, rule=rule.name, message=message, path=path, line=line, column=column,
                   end_line=end_line, end_column=end_column, target=index.target, severity=rule.severity,
                   fix=text_fix(matcher, index, matched), matched=matched)


def text_fix(matcher: Matcher, index: RuleIndex, matched: str) -> Fix | None:
    """The rule's fix for a text match: ``substitute`` in the matched text, or a plain
    replacement (``{source}`` is the matched text); code templates of Python rules
    (``{device}``, ``{args}`` ...) have no meaning here and become advice."""
    plan = index.fix_for(matcher)
    fix = plan.fix
    if fix is None or fix.replacement is None:
        return fix
    if plan.substitute is not None:
        old, new = plan.substitute
        if old in matched:
            replacement = fix.replacement.replace("{source}", matched.replace(old, new, 1))
            return Fix(replacement, fix.hint, fix.applicability, fix.min_torch)
        if old.lower() in matched.lower():  # NCCL -> HCCL in an upper-case value
            position = matched.lower().index(old.lower())
            swapped = new.upper() if matched[position:position + len(old)].isupper() else new
            replacement = matched[:position] + swapped + matched[position + len(old):]
            return Fix(fix.replacement.replace("{source}", replacement), fix.hint, fix.applicability, fix.min_torch)
        return Fix(None, fix.hint or f"use {new}", "manual", fix.min_torch)
    if "{" in fix.replacement.replace("{source}", ""):
        return Fix(None, fix.hint or f"`{fix.replacement}`", "manual", fix.min_torch)
    return Fix(fix.replacement.replace("{source}", matched), fix.hint, fix.applicability, fix.min_torch)
