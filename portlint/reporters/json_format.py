"""``--output-format json``: a stable array of finding objects, sorted by location.

A finding's ``fix`` has ``edits``: every edit ``portlint fix`` makes for it (its replacement,
and the imports and ``DEVICE = ...`` definition it needs), each ``{"line", "column",
"end_line", "end_column", "content"}`` in the original file (1-based, columns in characters,
end exclusive); applied together, the edits of a file's findings are exactly ``portlint
fix``'s result (``--unsafe-fixes`` for unsafe fixes). Empty when ``portlint fix`` would not
apply the fix (advice only, or it could not be applied safely). See ``portlint.fixedits``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from portlint.engine import Report
    from portlint.rules import Rule


def render(report: "Report", rules: list["Rule"], stream: TextIO, options: dict) -> None:
    edits = options.get("fix_edits")
    items = []
    for finding in report.findings:
        item = finding.to_dict()
        if item["fix"] is not None and edits is not None:
            item["fix"]["edits"] = [edit.to_dict() for edit in edits.get(finding, ())]
        items.append(item)
    json.dump(items, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
