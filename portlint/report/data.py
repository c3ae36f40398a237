"""The machine formats: JSON (the model itself) and CSV (one row per finding)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from portlint.engine import Report
from portlint.report.model import CSV_COLUMNS, rows
from portlint.rules import Ruleset


def render_json(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def render_csv(reports: dict[str, Report], ruleset: Ruleset, root: Path) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows(reports, ruleset, root):
        writer.writerow([_safe(cell) for cell in row])
    return buffer.getvalue()


def _safe(cell: str) -> str:
    """Cells a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) get a quote."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
