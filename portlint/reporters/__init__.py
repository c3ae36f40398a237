"""Output formats. Each reporter turns a ``Report`` into text on a stream.

Reporters are looked up by name so that machine formats (json, sarif...) never import
what only the terminal format needs (rich).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable, TextIO

if TYPE_CHECKING:
    from portlint.findings import Report
    from portlint.rules import Rule

# name -> module in this package exposing ``render(report, rules, stream, options)``
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_format",
    "github": "github",
    "sarif": "sarif",
    "gitlab": "gitlab",
    "junit": "junit",
    "concise": "concise",
    "json-lines": "json_lines",
}


def get_reporter(name: str) -> Callable[["Report", list["Rule"], TextIO, dict], None]:
    module = importlib.import_module(f"portlint.reporters.{FORMATS[name]}")
    return module.render
