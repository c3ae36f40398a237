"""``--output-format json-lines``: one JSON object per finding and line (the ``json`` format's
objects, complete fixes included), for streaming consumers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from portlint.engine import Report
    from portlint.rules import Rule


def render(report: "Report", rules: list["Rule"], stream: TextIO, options: dict) -> None:
    from portlint.reporters.json_format import items

    stream.write("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items(report, options)))
