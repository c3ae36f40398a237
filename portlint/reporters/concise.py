"""``--output-format concise``: one line per finding, ``path:line:col: CODE message``
(``path:cell N:line:col: ...`` in a notebook, as ruff prints it).

The shape editors and ``grep`` read (Vim's ``errorformat``, Emacs compilation mode).
Control characters in a path or message are escaped, so a finding is always one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from portlint.engine import Report
    from portlint.rules import Rule

_CONTROL = {code: f"\\x{code:02x}" for code in (*range(32), 127)}


def one_line(text: str) -> str:
    return text.translate(_CONTROL)


def render(report: "Report", rules: list["Rule"], stream: TextIO, options: dict) -> None:
    stream.write("".join(
        f"{one_line(f.path)}:{'' if f.cell is None else f'cell {f.cell}:'}{f.line}:{f.column}: {f.code} "
        f"{one_line(f.message)}\n" for f in report.findings))
