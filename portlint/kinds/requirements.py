"""Dependencies: ``requirements*.txt`` / ``constraints*.txt`` lines and the dependency
arrays of ``pyproject.toml``, as ``requirement`` and ``index`` occurrences.

A requirement's value is its normalized name (``Flash_Attn`` -> ``flash-attn``); ``extra``
is the rest of the specifier (versions, markers, a direct URL), so a ``version`` regex such
as ``\\+cu\\d+`` finds ``torch==2.3.0+cu121``. Conda specs (``pytorch-cuda=12.1``,
``nvidia::cuda-toolkit``) are read the same way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from portlint.kinds.matching import Occurrence, could_match, find

if TYPE_CHECKING:
    from portlint.findings import Finding
    from portlint.index import RuleIndex

KINDS = ("requirement", "index")
_NAME = re.compile(r"[ \t]*(?:([A-Za-z0-9_.-]+)::)?([A-Za-z0-9][A-Za-z0-9._-]*)")
_SEPARATORS = re.compile(r"[-_.]+")
_INDEX_OPTION = re.compile(r"(?:--index-url|--extra-index-url|-i|-f|--find-links)(?:[ \t]*=[ \t]*|[ \t]+)(\S+)")
_COMMENT = re.compile(r"(?:^|[ \t])#")
_STRING = re.compile(r"\"((?:[^\"\\\n]|\\.)*)\"|'([^'\n]*)'")
_HEADER = re.compile(r"[ \t]*\[\[?[ \t]*([^\]]+?)[ \t]*\]\]?[ \t]*(?:#.*)?$")
_KEY = re.compile(r"[ \t]*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_.-]+)[ \t]*=[ \t]*")
_ARRAY_KEYS = {"project": {"dependencies"}, "build-system": {"requires"},
               "tool.uv": {"dev-dependencies", "constraint-dependencies", "override-dependencies"}}
_ARRAY_TABLES = ("project.optional-dependencies", "dependency-groups")


def normalize(name: str) -> str:
    return _SEPARATORS.sub("-", name).lower()


def requirement_occurrence(spec: str, start: int, raw: str = "") -> Occurrence | None:
    """A requirement specifier at ``start`` (``raw``: its source text when it was quoted)."""
    found = _NAME.match(spec)
    if found is None:
        return None
    name = found.group(2)
    if raw and raw != spec:  # quoted on a command line: point at the name inside the quotes
        offset = raw.find(name)
        start += max(offset, 0) - found.start(2)
    rest_start = found.end()
    return Occurrence("requirement", normalize(name), start + found.start(2), start + found.end(2),
                      extra=spec[rest_start:], extra_start=start + rest_start)


def check(text: str, path: str, index: "RuleIndex", kind: str = "requirements", **_: object) -> "list[Finding] | None":
    if not could_match(text, index, KINDS):
        return None
    occurrences = pyproject_occurrences(text) if kind == "pyproject" else requirements_occurrences(text)
    return find(occurrences, text, path, index)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line.rstrip("\r\n")
        offset += len(line)


def requirements_occurrences(text: str) -> Iterator[Occurrence]:
    for offset, line in _lines(text):
        comment = _COMMENT.search(line)
        code = line[:comment.start()] if comment else line
        stripped = code.strip().rstrip("\\").rstrip()
        if not stripped:
            continue
        if stripped.startswith("-"):
            option = _INDEX_OPTION.search(code)
            if option is not None:
                yield Occurrence("index", option.group(1), offset + option.start(1), offset + option.end(1))
            continue
        occurrence = requirement_occurrence(code.rstrip().rstrip("\\").rstrip(), offset)
        if occurrence is not None:
            yield occurrence


def pyproject_occurrences(text: str) -> Iterator[Occurrence]:
    """Strings of the dependency arrays; Poetry dependency tables; index ``url`` entries."""
    table = ""
    in_array = False
    for offset, line in _lines(text):
        if not in_array:
            header = _HEADER.match(line)
            if header is not None:
                table = header.group(1).replace('"', "").replace("'", "")
                continue
            key_match = _KEY.match(line)
            if key_match is None:
                continue
            key = key_match.group(1).strip("\"'")
            rest_at = key_match.end()
            if _is_array(table, key) and line[rest_at:].lstrip().startswith("["):
                in_array = True
                line_from = rest_at
            elif table.startswith("tool.poetry") and table.endswith("dependencies") and key != "python":
                start = offset + key_match.start(1) + (1 if key_match.group(1)[0] in "\"'" else 0)
                yield Occurrence("requirement", normalize(key), start, start + len(key),
                                 extra=line[rest_at:], extra_start=offset + rest_at)
                continue
            elif key == "url" and ("index" in table or "source" in table):
                for found in _STRING.finditer(line, rest_at):
                    value = found.group(1) if found.group(1) is not None else found.group(2)
                    group = 1 if found.group(1) is not None else 2
                    yield Occurrence("index", value, offset + found.start(group), offset + found.end(group))
                continue
            else:
                continue
        else:
            line_from = 0
        position = line_from
        for found in _STRING.finditer(line, line_from):
            group = 1 if found.group(1) is not None else 2
            occurrence = requirement_occurrence(found.group(group), offset + found.start(group))
            if occurrence is not None:
                yield occurrence
            position = found.end()
        comment = line.find("#", position)
        if "]" in (line[position:comment] if comment != -1 else line[position:]):
            in_array = False


def _is_array(table: str, key: str) -> bool:
    return key in _ARRAY_KEYS.get(table, ()) or table in _ARRAY_TABLES
