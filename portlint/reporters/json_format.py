"""``--output-format json``: a stable array of finding objects, sorted by location."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from portlint.findings import Report
    from portlint.rules import Rule


def render(report: "Report", rules: list["Rule"], stream: TextIO, options: dict) -> None:
    json.dump([finding.to_dict() for finding in report.findings], stream, indent=2, ensure_ascii=False)
    stream.write("\n")
