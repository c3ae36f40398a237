"""CUDA sources (``*.cu``, ``*.cuh``): one finding per file, for the ``file`` matchers of
its kind, naming its size (lines and ``__global__`` kernels) so a migration can be sized.
No prefilter: the file's kind is the match."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from portlint.kinds.matching import LineIndex, make_finding
from portlint.noqa import file_is_exempt

if TYPE_CHECKING:
    from portlint.findings import Finding
    from portlint.index import RuleIndex

_KERNEL = re.compile(r"\b__global__\b")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def size_of(text: str) -> tuple[int, int]:
    """(lines, ``__global__`` functions) of a CUDA source."""
    lines = len(_LINE_BREAK.findall(text)) + (1 if text and not text.endswith(("\n", "\r")) else 0)
    return lines, len(_KERNEL.findall(text))


def check(text: str, path: str, index: "RuleIndex", kind: str = "cuda", **_: object) -> "list[Finding]":
    matchers = [m for m in index.text_matchers.get("file", ()) if m.file_kind == kind]
    if not matchers or file_is_exempt(text):
        return []
    lines, kernels = size_of(text)
    first = _LINE_BREAK.search(text)
    span = (0, first.start() if first else len(text))
    name = f"{os.path.basename(path)} ({lines} lines, {kernels} __global__ kernel{'s' if kernels != 1 else ''})"
    index_of_lines = LineIndex(text)
    return [make_finding(m, index, path, index_of_lines, span, name) for m in matchers]
