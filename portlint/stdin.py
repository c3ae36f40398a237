"""Checking and fixing code read from standard input (``portlint check --stdin-filename PATH -``).

The code is checked as the file ``PATH`` would be: that file's configuration (hierarchical),
its ``per-file-ignores``, and ``PATH`` in the report. As in ruff, ``exclude`` applies only
with ``--force-exclude`` (an editor sends every buffer it has). Fixing writes the fixed
source, in the input's encoding, to standard output; nothing on disk is touched.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from portlint.findings import FileError
from portlint.source import SourceError, decode_source

if TYPE_CHECKING:
    from portlint.engine import Report
    from portlint.fixer import FixRun
    from portlint.workspace import Workspace

STDIN = "-"


def read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # pragma: no cover - stdin replaced by a text stream
        return sys.stdin.read().encode("utf-8")
    return stream.read()


def _skipped(workspace: "Workspace", path: str) -> bool:
    return workspace.settings_for(path).force_exclude and workspace.is_excluded(path)


def check_stdin(workspace: "Workspace", data: bytes, path: str) -> "tuple[Report, str | None]":
    """The report of checking ``data`` as the file ``path``, and the decoded text (None when
    it is not decodable or not checked)."""
    from portlint.engine import FileResult, Report

    if _skipped(workspace, path):
        return Report([], [], 0, 0, []), None
    text = None
    try:
        text = decode_source(data).text
    except SourceError as exc:
        result = FileResult(path, error=FileError(path, str(exc)))
    else:
        result = workspace.check_text(text, path)
    return Report(list(result.findings), [result.error] if result.error else [], 1, int(result.parsed), [path]), text


def fix_stdin(workspace: "Workspace", data: bytes, path: str, unsafe: bool) -> "tuple[bytes, FixRun]":
    """(the fixed source as bytes, the run) of fixing ``data`` as the file ``path``; the input
    unchanged when it cannot be decoded or fixed."""
    from portlint.engine import Report
    from portlint.fixer import FileFix, FixRun
    from portlint.writer import encode_text

    if _skipped(workspace, path):
        return data, FixRun([], Report([], [], 0, 0, []), unsafe)
    try:
        source = decode_source(data)
    except SourceError as exc:
        error = FileError(path, str(exc))
        return data, FixRun([FileFix(path, "", "", error=error)], Report([], [error], 1, 0, [path]), unsafe)
    outcome = workspace.fix_text(source.text, path, unsafe)
    outcome.encoding = source.encoding
    report = Report(list(outcome.remaining), [outcome.error] if outcome.error else [], 1, 1, [path])
    fixed = encode_text(outcome.text, source.encoding) if outcome.changed else data
    return fixed, FixRun([outcome], report, unsafe)
